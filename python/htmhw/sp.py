"""The spatial pooler (float reference, NuPIC 1.0 semantics) for Python users."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sparse

from . import _core
from ._fileformat import read_state, write_state
from ._params import BY_NAME, DEFAULTS, SP_PARAMS, convert, core_params
from ._validation import as_binary_matrix, check_index

_OUTPUTS = ("indices", "dense", "sparse")
_STATE_KIND = "htmhw.SpatialPooler"


class SpatialPooler:
    """Float reference spatial pooler with NuPIC 1.0 semantics.

    Parameters are NuPIC's, in snake_case (see ``htmhw.nupic`` for the
    camelCase class): ``input_dimensions`` and ``column_dimensions`` (sequences
    of sizes >= 1; the shorter is padded with trailing 1s), ``potential_radius``
    (int >= 0), ``potential_pct`` ((0, 1]), ``global_inhibition`` (bool),
    ``local_area_density`` ((0, 0.5], or <= 0 to use
    ``num_active_columns_per_inh_area`` >= 1), ``stimulus_threshold`` (>= 0),
    ``syn_perm_inactive_dec``, ``syn_perm_active_inc`` ([0, 1]),
    ``syn_perm_connected`` ((syn_perm_active_inc / 2, 1]),
    ``min_pct_overlap_duty_cycle`` ([0, 1]), ``duty_cycle_period`` (int >= 1),
    ``boost_strength`` ([0, 1e6]), ``seed`` (int in [0, 2**64), or -1 to draw
    one; the drawn seed is kept in ``params['seed']``), ``sp_verbosity``,
    ``wrap_around`` (bool). Defaults are NuPIC's. Extension:
    ``boost_in_inference`` (bool, default False = NuPIC 1.0, which boosts only
    while learning; True = htm.core, which also boosts when not learning).

    Deviations from NuPIC are listed in docs/sp_float.md (tie-break: the lower
    column index wins).
    """

    def __init__(self, **params):
        self._sp = _core.SpatialPoolerFloat(core_params(params))

    # -- construction helpers -------------------------------------------------
    @classmethod
    def _wrap(cls, core) -> "SpatialPooler":
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

    def infer(self, inputs, output: str = "indices"):
        """Winners with learning off, as ``compute(inputs, learn=False)``, but pure:
        no counter, overlap record or any other state changes."""
        _check_output(output)
        x = as_binary_matrix(inputs, self.num_inputs)
        return self._format(*self._sp.infer_batch(x), x.shape[0], output)

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
        """Dense (num_columns, num_inputs) float32 permanences (0 outside pools)."""
        return self._sp.permanences_dense()

    def connected(self) -> np.ndarray:
        """Dense (num_columns, num_inputs) uint8 connected-synapse matrix."""
        return self._sp.connected_dense()

    def potential(self) -> np.ndarray:
        """Dense (num_columns, num_inputs) uint8 potential-pool matrix."""
        return self._sp.potential_dense()

    def potential_pools(self):
        """Potential pools in CSR form: (offsets, input indices, permanences)."""
        return self._sp.pool_offsets(), self._sp.pool_inputs(), self._sp.permanences()

    def connected_counts(self) -> np.ndarray:
        return self._sp.connected_counts()

    def overlaps(self) -> np.ndarray:
        """Raw overlaps of the last computed sample."""
        return self._sp.overlaps()

    def boosted_overlaps(self) -> np.ndarray:
        return self._sp.boosted_overlaps()

    def boost_factors(self) -> np.ndarray:
        return self._sp.boost_factors()

    def active_duty_cycles(self) -> np.ndarray:
        return self._sp.active_duty_cycles()

    def overlap_duty_cycles(self) -> np.ndarray:
        return self._sp.overlap_duty_cycles()

    def min_overlap_duty_cycles(self) -> np.ndarray:
        return self._sp.min_overlap_duty_cycles()

    def set_column_permanences(self, column: int, permanence) -> None:
        """Set one column's permanences (dense over inputs; 0 outside its pool),
        then trim, clip and recompute its connections as NuPIC's setPermanence."""
        column = check_index(column, self.num_columns, "column")
        self._sp.set_column_permanences(column, _float_vector(permanence, self.num_inputs, "permanence"))

    def set_column_potential(self, column: int, potential) -> None:
        column = check_index(column, self.num_columns, "column")
        row = as_binary_matrix(potential, self.num_inputs, "potential")[0]
        self._sp.set_column_potential(column, row)

    # -- persistence ----------------------------------------------------------------
    def __getstate__(self):
        return self._sp.get_state()

    def __setstate__(self, state):
        self._sp = _core.SpatialPoolerFloat.from_state(state)

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
        write_state(path, _STATE_KIND, meta, arrays)

    @classmethod
    def load(cls, path) -> "SpatialPooler":
        """Read a file written by :meth:`save`; raises ValueError on any corruption."""
        meta, arrays = read_state(path, _STATE_KIND)
        try:
            meta["params"]["seed"] = int(meta["params"]["seed"])
            state = dict(meta, **arrays)
            return cls._wrap(_core.SpatialPoolerFloat.from_state(state))
        except (KeyError, TypeError, RuntimeError) as e:
            raise ValueError(f"{path}: invalid spatial pooler state ({e})") from None

    def __repr__(self):
        p = self.params
        return (
            f"SpatialPooler(input_dimensions={p['input_dimensions']}, column_dimensions={p['column_dimensions']}, "
            f"seed={p['seed']}, iterations={self.iteration_num})"
        )


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
    a = np.asarray(values)
    if not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_) or np.issubdtype(a.dtype, np.complexfloating):
        raise TypeError(f"{name} must be a real numeric array; got dtype {a.dtype}")
    a = a.astype(np.float32).reshape(-1)
    if a.size != n:
        raise ValueError(f"{name} must have {n} values; got {a.size}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must not contain NaN or infinity")
    return np.ascontiguousarray(a)


__all__ = ["SpatialPooler", "DEFAULTS", "SP_PARAMS"]
