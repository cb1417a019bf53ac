"""The spatial pooler (float reference, NuPIC 1.0 semantics) for Python users."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sparse

from . import _core
from ._fileformat import read_state, write_state
from .datapath import HardwareConfig
from ._resources import check_spatial_pooler
from ._param_table import BY_NAME, DEFAULTS, SP_PARAMS, convert, core_params, fields_doc
from ._validation import as_binary_matrix, check_finite, check_index, check_real_dtype, check_threads

_OUTPUTS = ("indices", "dense", "sparse")
_ARITHMETIC = ("float", "fixed")
_STATE_KIND = {"float": "htmhw.SpatialPooler", "fixed": "htmhw.SpatialPooler.fixed"}
_CORE = {"float": _core.SpatialPoolerFloat, "fixed": _core.SpatialPoolerFixed}


class SpatialPooler:
    """Float reference spatial pooler with NuPIC 1.0 semantics.

    Parameters are NuPIC's, in snake_case (see ``htmhw.nupic`` for the camelCase
    class), with NuPIC's defaults; they are listed below with their allowed values.
    Deviations from NuPIC are listed in docs/sp_float.md (tie-break: the lower
    column index wins).

    ``arithmetic="fixed"`` selects the bit-accurate fixed-point datapath (the
    hardware model, docs/datapath.md) with widths from ``hw`` (a
    :class:`htmhw.HardwareConfig`, a dict of its fields, or None for the
    defaults). Same API; float-valued accessors return the fixed-point values
    converted to float (permanence / (2^P - 1), ...), the ``*_q`` accessors and
    :meth:`trace` return the integers.
    """

    def __init__(self, arithmetic: str = "float", hw=None, **params):
        if arithmetic not in _ARITHMETIC:
            raise ValueError(f"arithmetic must be one of {_ARITHMETIC}; got {arithmetic!r}")
        if arithmetic == "float" and hw is not None:
            raise ValueError("hw (HardwareConfig) only applies to arithmetic='fixed'")
        values = core_params(params)
        check_spatial_pooler(values, arithmetic)
        if arithmetic == "float":
            self._sp = _core.SpatialPoolerFloat(values)
        else:
            self._sp = _core.SpatialPoolerFixed(values, HardwareConfig.coerce(hw).to_dict())

    @property
    def arithmetic(self) -> str:
        """"float" (reference) or "fixed" (hardware datapath)."""
        return "fixed" if isinstance(self._sp, _core.SpatialPoolerFixed) else "float"

    @property
    def hw(self):
        """The HardwareConfig of a fixed-point pooler (None for float)."""
        return HardwareConfig(**self._sp.hw) if self.arithmetic == "fixed" else None

    def fixed_core(self, what: str = "fixed_core") -> _core.SpatialPoolerFixed:
        """The C++ fixed-point pooler behind this object (``htmhw._core.SpatialPoolerFixed``),
        for the tools that run the datapath contract step by step: golden export
        (``htmhw.hw.golden``), the accelerator's cycle model (``htmhw.hw.hdl``) and the
        crossbar run (``htmhw.crossbar``). Calls on it advance this pooler. ``what`` names
        the caller in the error a float pooler raises (ValueError)."""
        if self.arithmetic != "fixed":
            raise ValueError(f"{what} is only available with arithmetic='fixed'")
        return self._sp

    # -- construction helpers -------------------------------------------------
    @classmethod
    def _wrap(cls, core) -> SpatialPooler:
        obj = cls.__new__(cls)
        obj._sp = core
        return obj

    # -- parameters -------------------------------------------------------------
    @property
    def params(self) -> dict:
        """All parameters (snake_case) with the seed actually used."""
        return dict(self._sp.params)

    def set_param(self, name: str, value) -> None:
        """Change one parameter after construction (not the dimensions)."""
        if name not in BY_NAME:
            raise ValueError(f"unknown parameter {name!r}; known: {sorted(BY_NAME)}")
        self._sp.set_param(name, convert(BY_NAME[name], value))

    @property
    def num_inputs(self) -> int:
        return self._sp.num_inputs

    @property
    def num_columns(self) -> int:
        return self._sp.num_columns

    @property
    def iteration_num(self) -> int:
        return self._sp.iteration_num

    @property
    def iteration_learn_num(self) -> int:
        return self._sp.iteration_learn_num

    @property
    def inhibition_radius(self) -> int:
        return self._sp.inhibition_radius

    # -- computing --------------------------------------------------------------
    def compute(self, inputs, learn: bool = False, output: str = "indices"):
        """Run the pooler on one input or a batch, in order, exactly as repeated
        NuPIC ``compute`` calls (learning updates after every sample).

        inputs: binary array, shape (num_inputs,), the input dimensions, or
            (n_samples, num_inputs) / (n_samples, *input_dimensions).
        learn: update permanences, duty cycles and boosting.
        output: "indices" (list of ascending int arrays, one per sample),
            "dense" ((n_samples, num_columns) uint8) or "sparse"
            (scipy.sparse.csr_matrix of bool).
        """
        if not isinstance(learn, (bool, np.bool_)):
            raise TypeError(f"learn must be a bool; got {learn!r}")
        _check_output(output)
        x = as_binary_matrix(inputs, self.num_inputs)
        return self._format(*self._sp.compute_batch(x, bool(learn)), x.shape[0], output)

    def infer(self, inputs, output: str = "indices", n_threads: int = 1):
        """Winners with learning off, as ``compute(inputs, learn=False)``, but pure:
        no counter, overlap record or any other state changes. ``n_threads``
        (1..``htmhw.MAX_THREADS``) splits the rows over threads; results are identical for any
        thread count."""
        _check_output(output)
        n_threads = check_threads(n_threads)
        x = as_binary_matrix(inputs, self.num_inputs)
        return self._format(*self._sp.infer_batch(x, n_threads), x.shape[0], output)

    def trace(self, inputs, learn: bool = True) -> dict:
        """One step on one input (fixed-point only), returning every intermediate
        as integers: overlaps, boosted_overlaps (UQ.boosted_frac_bits), winners,
        permanence_delta (after - before, per word of the permanence memory),
        bumped_columns, overlap_duty, active_duty, min_overlap_duty, boost (after
        the step), iteration_num, inhibition_radius."""
        sp = self.fixed_core("trace")
        if not isinstance(learn, (bool, np.bool_)):
            raise TypeError(f"learn must be a bool; got {learn!r}")
        x = as_binary_matrix(inputs, self.num_inputs)
        if x.shape[0] != 1:
            raise ValueError(f"trace takes a single input; got {x.shape[0]} samples")
        return dict(sp.trace_step(x, bool(learn)))

    # -- fixed-point state (integers) ------------------------------------------------
    def permanences_q(self) -> np.ndarray:
        """Dense (num_columns, num_inputs) uint16 permanence words (fixed-point only)."""
        return self.fixed_core("permanences_q").permanences_q_dense()

    def permanence_memory(self):
        """(words, offsets): the permanence memory in storage order (column c's pool,
        ascending inputs, at words[offsets[c]:offsets[c+1]]), fixed-point only."""
        sp = self.fixed_core("permanence_memory")
        return sp.permanence_memory(), sp.perm_offsets()

    def boost_lut(self) -> np.ndarray:
        """The boost lookup table (2^boost_lut_bits entries, UQ boost_int_bits.boost_frac_bits)."""
        return self.fixed_core("boost_lut").boost_lut()

    @property
    def constants(self) -> dict:
        """Integer constants derived from the float parameters (docs/datapath.md)."""
        return dict(self.fixed_core("constants").constants)

    def state_q(self) -> dict:
        """Integer registers: overlap_duty, active_duty, min_overlap_duty, boost, overlaps, boosted_overlaps."""
        sp = self.fixed_core("state_q")
        return {
            "overlap_duty": sp.overlap_duty_q(), "active_duty": sp.active_duty_q(),
            "min_overlap_duty": sp.min_overlap_duty_q(), "boost": sp.boost_q(),
            "overlaps": sp.overlaps(), "boosted_overlaps": sp.boosted_overlaps_q(),
        }

    def set_portable_kernels(self, portable: bool) -> None:
        """Testing hook (fixed-point): force the portable kernels; results are identical."""
        self.fixed_core("set_portable_kernels").set_portable_kernels(bool(portable))

    # -- crossbar read (docs/crossbar.md "Non-idealities in the loop") -------------------
    def attach_crossbar_read(self, cells: dict, stuck_on=None, stuck_off=None) -> None:
        """Read the overlaps through memristor-crossbar cells instead of the ideal connected
        bits (fixed-point only; :func:`htmhw.crossbar.attach_device` builds the arguments
        from a :class:`htmhw.crossbar.Device`).

        cells: the cell model, keys ``levels`` (0 = cells holding the ideal connected bits,
        else an integer in [2, 65536]), ``nonlinearity_ltp``, ``nonlinearity_ltd`` (in
        [0, 20]), ``d2d_sigma``, ``c2c_sigma`` (in [0, 1]) and ``seed`` (an integer in
        [0, 2**64)). stuck_on, stuck_off: binary (num_columns, num_inputs) masks of cells
        stuck on (read as connected) and stuck off, disjoint; None = no stuck cells. The
        cells are programmed to the present permanences; the read is part of the pooler's
        state (copies, save/load) until :meth:`detach_crossbar_read`."""
        core = self.fixed_core("attach_crossbar_read")
        model = _cell_model(cells)
        if (stuck_on is None) != (stuck_off is None):
            raise ValueError("stuck_on and stuck_off must be given together (or both None)")
        if stuck_on is None:
            on = off = np.zeros((0, 0), dtype=np.uint8)
        else:
            on, off = (_column_mask(m, self.num_columns, self.num_inputs, name)
                       for m, name in ((stuck_on, "stuck_on"), (stuck_off, "stuck_off")))
        core.attach_crossbar_read(model, on, off)

    def detach_crossbar_read(self) -> None:
        """Back to the ideal read of the datapath contract (fixed-point only)."""
        self.fixed_core("detach_crossbar_read").detach_crossbar_read()

    @property
    def crossbar_read(self) -> dict | None:
        """The attached crossbar read (None without one, and for arithmetic='float'): its
        cell model (the keys of :meth:`attach_crossbar_read`'s ``cells``), ``cell_level``
        (uint16) and ``cell_conductance`` (float32, 0 = 1/r_off, 1 = 1/r_on) per potential
        synapse in permanence-memory order (empty with ideal cells), and the ``stuck_on`` /
        ``stuck_off`` bool (num_columns, num_inputs) masks (None without stuck cells)."""
        if self.arithmetic != "fixed":
            return None
        state = self._sp.crossbar_read
        if state is None:
            return None
        state = dict(state)
        for key in ("stuck_on", "stuck_off"):
            bits = state.pop(f"{key}_bits")
            state[key] = _unpack_columns(bits, self.num_columns, self.num_inputs) if bits.size else None
        return state

    def effective_connected(self) -> np.ndarray:
        """Boolean (num_columns, num_inputs): the cells the overlap counts now, the attached
        crossbar read's (with its stuck cells) or the ideal connected synapses (fixed-point
        only)."""
        return self.fixed_core("effective_connected").effective_connected_dense().astype(bool)

    def _format(self, indptr, indices, n, output):
        if output == "indices":
            return [indices[indptr[i] : indptr[i + 1]].astype(np.intp) for i in range(n)]
        csr = sparse.csr_matrix(
            (np.ones(indices.size, dtype=bool), indices.astype(np.int64), indptr), shape=(n, self.num_columns)
        )
        if output == "sparse":
            return csr
        return csr.toarray().astype(np.uint8)

    # -- state accessors (copies) ----------------------------------------------
    def permanences(self) -> np.ndarray:
        """Dense (num_columns, num_inputs) float32 permanences (0 outside pools);
        fixed-point: word / (2^permanence_bits - 1)."""
        if self.arithmetic == "fixed":
            return (self._sp.permanences_q_dense() / np.float32(self.constants["perm_max"])).astype(np.float32)
        return self._sp.permanences_dense()

    def connected(self) -> np.ndarray:
        """Dense (num_columns, num_inputs) uint8 connected-synapse matrix."""
        return self._sp.connected_dense()

    def potential(self) -> np.ndarray:
        """Dense (num_columns, num_inputs) uint8 potential-pool matrix."""
        return self._sp.potential_dense()

    def potential_pools(self):
        """Potential pools in CSR form: (offsets, input indices, permanences)."""
        if self.arithmetic == "fixed":
            words, offsets = self.permanence_memory()
            # The datapath's pools never change after construction: derive the inputs once.
            inputs = getattr(self, "_fixed_pool_inputs", None)
            if inputs is None:
                inputs = self._fixed_pool_inputs = np.nonzero(self._sp.potential_dense())[1].astype(np.uint32)
            return offsets, inputs, (words / np.float32(self.constants["perm_max"])).astype(np.float32)
        return self._sp.pool_offsets(), self._sp.pool_inputs(), self._sp.permanences()

    def connected_counts(self) -> np.ndarray:
        return self._sp.connected_counts()

    def overlaps(self) -> np.ndarray:
        """Raw overlaps of the last computed sample."""
        return self._sp.overlaps()

    def boosted_overlaps(self) -> np.ndarray:
        if self.arithmetic == "fixed":
            return self._scaled(self._sp.boosted_overlaps_q(), 2.0 ** self._sp.hw["boosted_frac_bits"])
        return self._sp.boosted_overlaps()

    def boost_factors(self) -> np.ndarray:
        if self.arithmetic == "fixed":
            return self._scaled(self._sp.boost_q(), 2.0 ** self._sp.hw["boost_frac_bits"])
        return self._sp.boost_factors()

    def active_duty_cycles(self) -> np.ndarray:
        if self.arithmetic == "fixed":
            return self._scaled(self._sp.active_duty_q(), self.constants["duty_one"])
        return self._sp.active_duty_cycles()

    def overlap_duty_cycles(self) -> np.ndarray:
        if self.arithmetic == "fixed":
            return self._scaled(self._sp.overlap_duty_q(), self.constants["duty_one"])
        return self._sp.overlap_duty_cycles()

    def min_overlap_duty_cycles(self) -> np.ndarray:
        if self.arithmetic == "fixed":
            return self._scaled(self._sp.min_overlap_duty_q(), self.constants["duty_one"])
        return self._sp.min_overlap_duty_cycles()

    @staticmethod
    def _scaled(q, scale) -> np.ndarray:
        return (np.asarray(q, dtype=np.float64) / scale).astype(np.float32)

    def set_column_permanences(self, column: int, permanence) -> None:
        """Set one column's permanences (dense over inputs; 0 outside its pool),
        then trim, clip and recompute its connections as NuPIC's setPermanence."""
        column = check_index(column, self.num_columns, "column")
        row = _float_vector(permanence, self.num_inputs, "permanence")
        if self.arithmetic == "fixed":
            pool = self._sp.potential_dense()[column].astype(bool)
            if np.any(row[~pool] != 0):
                raise ValueError("permanence must be 0 outside the column's potential pool")
            if np.any((row < 0) | (row > 1)):
                raise ValueError("permanence values must be in [0, 1] for arithmetic='fixed'")
            m = self.constants["perm_max"]
            words = np.floor(row[pool].astype(np.float64) * m + 0.5).astype(np.uint32)  # RND
            self._sp.set_column_permanences_q(column, words)
        else:
            self._sp.set_column_permanences(column, row)
        self._touch_permanences()

    def set_column_permanences_q(self, column: int, words) -> None:
        """Set one column's permanence words (pool order, integers in [0, 2^P - 1]),
        then trim and refresh its connected bits (fixed-point only)."""
        sp = self.fixed_core("set_column_permanences_q")
        column = check_index(column, self.num_columns, "column")
        w = np.asarray(words)
        if not np.issubdtype(w.dtype, np.integer):
            raise TypeError(f"words must be integers; got dtype {w.dtype}")
        if np.any(w < 0) or np.any(w > self.constants["perm_max"]):
            raise ValueError(f"words must be in [0, {self.constants['perm_max']}]")
        sp.set_column_permanences_q(column, np.ascontiguousarray(w.reshape(-1), dtype=np.uint32))
        self._touch_permanences()

    def set_column_potential(self, column: int, potential) -> None:
        if self.arithmetic == "fixed":
            raise ValueError("set_column_potential is not available with arithmetic='fixed': the potential "
                             "memory of the datapath is fixed at initialization (docs/datapath.md)")
        column = check_index(column, self.num_columns, "column")
        row = as_binary_matrix(potential, self.num_inputs, "potential")[0]
        self._sp.set_column_potential(column, row)
        self._touch_permanences()

    # -- feature mapping and dimensionality reduction (mHTM) ---------------------------
    def _touch_permanences(self) -> None:
        # Every Python path that edits permanences or pools outside a learning step
        # bumps this counter; learning steps bump iteration_learn_num. Together they
        # key the input-probability cache.
        self._perm_edits = getattr(self, "_perm_edits", 0) + 1

    def _probabilities_q(self) -> np.ndarray:
        """Per-input max permanence over its potential synapses: uint16 words (fixed)
        or float32 (float), cached until the permanences change."""
        key = (self._sp.iteration_learn_num, getattr(self, "_perm_edits", 0))
        cached = getattr(self, "_prob_cache", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        # Permanences are never negative, so starting from 0 the scatter-max over the
        # potential synapses gives 0 for an input no column sees. The pool lists avoid
        # building the dense (columns x inputs) matrix (60x faster on the mnist config).
        if self.arithmetic == "fixed":
            p = self._sp.permanences_q_dense().max(axis=0)
        else:
            p = np.zeros(self.num_inputs, dtype=np.float32)
            np.maximum.at(p, self._sp.pool_inputs(), self._sp.permanences())
        p.setflags(write=False)
        self._prob_cache = (key, p)
        return p

    def input_probabilities(self) -> np.ndarray:
        """P_j: the largest permanence over all potential synapses on input j, (num_inputs,)
        float32 in [0, 1] (0 for an input in no pool). The mHTM paper's per-feature
        "probability" of input j. Fixed point: word / (2^permanence_bits - 1).
        Cached; recomputed after learning or any permanence/pool edit."""
        p = self._probabilities_q()
        if self.arithmetic == "fixed":
            return (p / np.float32(self.constants["perm_max"])).astype(np.float32)
        return p.copy()

    def selected_inputs(self) -> np.ndarray:
        """Boolean (num_inputs,) mask of the inputs kept by :meth:`reduce_dimensions`:
        P_j at or above the connected threshold, i.e. inputs with at least one
        connected synapse (float: syn_perm_connected as the pooler compares it;
        fixed: the quantized conn_q)."""
        p = self._probabilities_q()
        if self.arithmetic == "fixed":
            return p >= self.constants["conn_q"]
        return p >= np.float32(self._sp.connected_threshold)

    def transform_prob(self, X) -> np.ndarray:
        """X * P: each input bit weighted by its probability, (n_samples, num_inputs) float32.
        X: binary, one input or a batch (as :meth:`compute`)."""
        x = as_binary_matrix(X, self.num_inputs, "X")
        return x * self.input_probabilities()[None, :]

    def reduce_dimensions(self, X) -> np.ndarray:
        """X restricted to the inputs with P_j >= the connected threshold
        (:meth:`selected_inputs`): (n_samples, n_selected) uint8."""
        x = as_binary_matrix(X, self.num_inputs, "X")
        return x[:, self.selected_inputs()]

    # -- persistence ----------------------------------------------------------------
    def __getstate__(self):
        return dict(self._sp.get_state(), arithmetic=self.arithmetic)

    def __setstate__(self, state):
        state = _upgrade_crossbar_state(dict(state))
        self._sp = _CORE[state.pop("arithmetic", "float")].from_state(state)
        self._touch_permanences()

    def __eq__(self, other):
        if not isinstance(other, SpatialPooler):
            return NotImplemented
        a, b = self.__getstate__(), other.__getstate__()
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)

    __hash__ = None

    def save(self, path) -> None:
        """Write the full state to `path` (versioned, checksummed, atomic)."""
        state = self._sp.get_state()
        arrays = {k: v for k, v in state.items() if isinstance(v, np.ndarray)}
        meta = {k: v for k, v in state.items() if not isinstance(v, np.ndarray)}
        meta["params"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in meta["params"].items()}
        meta["params"]["seed"] = str(meta["params"]["seed"])  # JSON has no uint64
        if "crossbar_read" in meta:  # its own key: the model in the header, the cells as arrays
            read = dict(meta["crossbar_read"])
            for name in [k for k, v in read.items() if isinstance(v, np.ndarray)]:
                arrays[_CROSSBAR_ARRAY_PREFIX + name] = read.pop(name)
            read["seed"] = str(read["seed"])
            meta["crossbar_read"] = read
        if "hw" in meta:
            meta["hw"] = dict(meta["hw"])
        write_state(path, _STATE_KIND[self.arithmetic], meta, arrays)

    @classmethod
    def load(cls, path) -> SpatialPooler:
        """Read a file written by :meth:`save`; raises ValueError on any corruption."""
        meta, arrays, kind = read_state(path, tuple(_STATE_KIND.values()))
        arithmetic = "fixed" if kind == _STATE_KIND["fixed"] else "float"
        try:
            meta["params"]["seed"] = int(meta["params"]["seed"])
            state = dict(meta, **{k: v for k, v in arrays.items() if not k.startswith(_CROSSBAR_ARRAY_PREFIX)})
            if "crossbar_read" in meta:
                read = dict(meta["crossbar_read"], seed=int(meta["crossbar_read"]["seed"]))
                read.update({k[len(_CROSSBAR_ARRAY_PREFIX):]: v for k, v in arrays.items()
                             if k.startswith(_CROSSBAR_ARRAY_PREFIX)})
                state["crossbar_read"] = read
            state = _upgrade_crossbar_state(state)
            return cls._wrap(_CORE[arithmetic].from_state(state))
        except (KeyError, TypeError, RuntimeError) as e:
            raise ValueError(f"{path}: invalid spatial pooler state ({e})") from None

    def __repr__(self):
        p = self.params
        return (
            f"SpatialPooler(input_dimensions={p['input_dimensions']}, column_dimensions={p['column_dimensions']}, "
            f"seed={p['seed']}, iterations={self.iteration_num})"
        )


_CROSSBAR_ARRAY_PREFIX = "crossbar_read."
_CELL_MODEL_INTS = {"levels": 2**32, "seed": 2**64}
_CELL_MODEL_REALS = ("nonlinearity_ltp", "nonlinearity_ltd", "d2d_sigma", "c2c_sigma")
# Before the crossbar read had its own key (htmhw <= 2026-12), the fixed pooler's state held
# it in these top-level entries; such states (files, pickles) are converted on loading.
_LEGACY_CROSSBAR_KEYS = ("device_read", "device_cell_level", "device_cell_g", "stuck_on_bits", "stuck_off_bits")


def _upgrade_crossbar_state(state: dict) -> dict:
    if not any(k in state for k in _LEGACY_CROSSBAR_KEYS):
        return state
    if "crossbar_read" in state:
        raise ValueError("invalid saved state: both the crossbar_read entry and the older device_read / "
                         "device_cell_* / stuck_*_bits entries are present")
    model = state.pop("device_read", None)
    if model is None:  # stuck cells on ideal cells
        model = {"levels": 0, "nonlinearity_ltp": 0.0, "nonlinearity_ltd": 0.0, "d2d_sigma": 0.0,
                 "c2c_sigma": 0.0, "seed": 0}
    empty = {"device_cell_level": np.uint16, "device_cell_g": np.float32, "stuck_on_bits": np.uint64,
             "stuck_off_bits": np.uint64}
    old = {k: state.pop(k) if k in state else np.zeros(0, dtype=t) for k, t in empty.items()}
    state["crossbar_read"] = dict(model, cell_level=old["device_cell_level"], cell_conductance=old["device_cell_g"],
                                  stuck_on_bits=old["stuck_on_bits"], stuck_off_bits=old["stuck_off_bits"])
    return state


def _cell_model(cells) -> dict:
    if not isinstance(cells, dict):
        raise TypeError(f"cells must be a dict; got {type(cells).__name__}")
    known = set(_CELL_MODEL_INTS) | set(_CELL_MODEL_REALS)
    if set(cells) != known:
        raise ValueError(f"cells must have exactly the keys {sorted(known)}; got {sorted(cells)}")
    model = {}
    for name, bound in _CELL_MODEL_INTS.items():
        v = cells[name]
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or not 0 <= v < bound:
            raise ValueError(f"cells[{name!r}] must be an integer in [0, {bound}); got {v!r}")
        model[name] = int(v)
    for name in _CELL_MODEL_REALS:
        v = cells[name]
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"cells[{name!r}] must be a number; got {v!r}")
        model[name] = float(v)
    return model


def _column_mask(mask, num_columns: int, num_inputs: int, name: str) -> np.ndarray:
    a = np.asarray(mask)
    if a.shape != (num_columns, num_inputs):
        raise ValueError(f"{name} must have shape (num_columns, num_inputs) = ({num_columns}, {num_inputs}); "
                         f"got {a.shape}")
    return as_binary_matrix(a, num_inputs, name)


def _unpack_columns(bits: np.ndarray, num_columns: int, num_inputs: int) -> np.ndarray:
    rows = np.asarray(bits, dtype="<u8").reshape(num_columns, -1).view(np.uint8)
    return np.unpackbits(rows, axis=1, bitorder="little")[:, :num_inputs].astype(bool)


SpatialPooler.__doc__ = (SpatialPooler.__doc__.rstrip() + "\n\n    Parameters:\n\n"
                         + fields_doc(SP_PARAMS, "    - ") + "\n")


def _check_output(output):
    if output not in _OUTPUTS:
        raise ValueError(f"output must be one of {_OUTPUTS}; got {output!r}")


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _float_vector(values, n: int, name: str) -> np.ndarray:
    a = check_real_dtype(np.asarray(values), name).astype(np.float32).reshape(-1)
    if a.size != n:
        raise ValueError(f"{name} must have {n} values; got {a.size}")
    return np.ascontiguousarray(check_finite(a, name))


__all__ = ["SpatialPooler", "DEFAULTS", "SP_PARAMS"]
