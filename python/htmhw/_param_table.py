"""Every parameter family's names, defaults and allowed ranges, written once.

Families: the spatial pooler (``SP_PARAMS``; snake_case and NuPIC names), the widths of
the fixed-point datapath (``HW_FIELDS``, :class:`htmhw.HardwareConfig`), the crossbar
device, array and periphery (``DEVICE_FIELDS``, ``ARRAY_FIELDS``, ``PERIPHERY_FIELDS``,
:mod:`htmhw.crossbar`), the whole chip's technology and CPU (``SYSTEM_FIELDS``,
:class:`htmhw.crossbar.System`), and the ranges of :class:`htmhw.SOMEncoder` (``SOM_PARAMS``).
Built from these tables: the dataclasses' fields and defaults (:func:`table_dataclass`),
the NuPIC signature's defaults, the ranges in the docstrings (:func:`fill_doc`,
:func:`fields_doc`), the estimators' ``_parameter_constraints`` (:func:`constraints`) and
the command line's checks.

The C++ core validates again at its boundary (``validate`` in sp_float.cpp, datapath.cpp
and crossbar.cpp, the ``som_check_*`` functions of som.cpp); ``tests/test_param_table.py``
probes those validators at every bound written here (the bound accepted, just outside
refused) and compares the C++ structs' defaults (``HwConfig``, ``CrossbarDevice``,
``CrossbarArray``, ``CrossbarPeriphery``) with them.
"""
from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _core

MAX_RANK = 16  # dimensions of input_dimensions / column_dimensions


def _num(x) -> str:
    """A bound as the messages write it: integers below 1e6 as such, powers of two
    (and 2**k - 1) beyond as 2**k, powers of ten from 1e6 and below 1 as 1eN."""
    if float(x).is_integer():
        i = int(x)
        if abs(i) < 10**6:
            return str(i)
        k = (i + 1).bit_length() - 1
        if i == 2**k:
            return f"2**{k}"
        if i + 1 == 2**k:
            return f"2**{k} - 1"
    e = round(math.log10(abs(x)))
    if 10.0**e == abs(x):
        return ("-" if x < 0 else "") + f"1e{e}"
    return f"{x:g}"


@dataclass(frozen=True)
class Ref:
    """A bound set by another field of the same family: ``scale * field + offset``."""

    field: str
    scale: float = 1
    offset: float = 0

    def value(self, values: dict) -> float:
        return self.scale * values[self.field] + self.offset

    def text(self) -> str:
        if self.scale == -1:
            return f"{_num(self.offset)} - {self.field}"
        if self.scale == 1:
            return self.field + (f" + {_num(self.offset)}" if self.offset else "")
        return f"{self.field} / {_num(1 / self.scale)}"


@dataclass(frozen=True)
class Range:
    """Allowed numbers: between ``lo`` and ``hi`` (None: unbounded), either end open;
    ``lo_ref`` is a further strict lower bound and ``hi_ref`` a further inclusive upper
    bound set by another field (the C++ validators check these cross-field rules)."""

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    integer: bool = False
    lo_ref: Ref | None = None
    hi_ref: Ref | None = None

    def text(self, article: bool = True) -> str:
        """The allowed values in words; ``article=False`` leaves out "an integer" (for a
        numpydoc line that already says int)."""
        lo, hi = self.lo, self.hi
        if lo is not None and hi is not None:
            s = f"in {'(' if self.lo_open else '['}{_num(lo)}, {_num(hi)}{')' if self.hi_open else ']'}"
        elif lo is not None:
            s = f"{'>' if self.lo_open else '>='} {_num(lo)}"
        elif hi is not None:
            s = f"{'<' if self.hi_open else '<='} {_num(hi)}"
        else:
            s = "any finite number"
        if self.integer and article:
            s = "an integer " + s
        if self.lo_ref is not None:
            s += f" and > {self.lo_ref.text()}"
        if self.hi_ref is not None:
            s += f" and <= {self.hi_ref.text()}"
        return s

    def bounds(self, values: dict | None = None) -> tuple:
        """(lo, lo_open, hi, hi_open) with the cross-field bounds applied when ``values``
        (the other fields) are given."""
        lo, lo_open, hi, hi_open = self.lo, self.lo_open, self.hi, self.hi_open
        if values is not None and self.lo_ref is not None:
            r = self.lo_ref.value(values)
            if lo is None or r >= lo:
                lo, lo_open = r, True
        if values is not None and self.hi_ref is not None:
            r = self.hi_ref.value(values)
            if hi is None or r <= hi:
                hi, hi_open = r, False
        return lo, lo_open, hi, hi_open

    def contains(self, v, values: dict | None = None) -> bool:
        if not isinstance(v, numbers.Integral) and not math.isfinite(v):  # ints of any size are finite
            return False
        lo, lo_open, hi, hi_open = self.bounds(values)
        if lo is not None and (v < lo or (lo_open and v == lo)):
            return False
        if hi is not None and (v > hi or (hi_open and v == hi)):
            return False
        return True

    def interval(self):
        """The range as a scikit-learn ``Interval`` (the static bounds)."""
        from sklearn.utils._param_validation import Interval

        left = self.lo is not None and not self.lo_open
        right = self.hi is not None and not self.hi_open
        closed = {(True, True): "both", (True, False): "left", (False, True): "right", (False, False): "neither"}
        return Interval(numbers.Integral if self.integer else numbers.Real, self.lo, self.hi,
                        closed=closed[left, right])


@dataclass(frozen=True)
class Param:
    """One parameter: its name, default and allowed values.

    kind: "dims", "int", "float", "bool", "seed" (an integer or -1) or "choice" (one of
    ``choices``). ``also`` names values accepted besides ``range`` (e.g. a mode switch),
    ``when`` the condition under which ``range`` applies, ``limit`` a further bound (checked
    by the core) that ``range`` cannot express; ``doc`` says what it is.
    """

    name: str
    default: Any
    kind: str
    range: Range | None = None
    doc: str = ""
    nupic: str | None = None
    also: str = ""
    when: str = ""
    limit: str = ""
    choices: tuple = ()

    @property
    def allowed(self) -> str:
        return self.allowed_text()

    def allowed_text(self, alternatives: bool = True, article: bool = True) -> str:
        """The allowed values in words; ``alternatives=False``: the range alone, without
        ``also`` and ``when``."""
        if self.kind == "dims":
            return f"a sequence of 1 to {MAX_RANK} sizes >= 1"
        if self.kind == "bool":
            return "a bool"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        s = self.range.text(article)
        if self.limit:
            s += f" and {self.limit}"
        if alternatives and self.when:
            s += f" when {self.when}"
        if alternatives and self.also:
            s += f", or {self.also}"
        return s

    @property
    def type_name(self) -> str:
        return {"dims": "tuple of int", "int": "int", "seed": "int", "float": "float", "bool": "bool",
                "choice": "str"}[self.kind]


# -- the spatial pooler: NuPIC 1.0's parameters and defaults ----------------------------------
_P, _R = Param, Range
SP_PARAMS = (
    _P("input_dimensions", (32, 32), "dims", nupic="inputDimensions",
       doc="input topology (the shorter of the two dimension lists is padded with trailing 1s)"),
    _P("column_dimensions", (64, 64), "dims", nupic="columnDimensions", doc="column topology"),
    _P("potential_radius", 16, "int", _R(0, integer=True), nupic="potentialRadius",
       doc="reach of a column's potential pool in inputs (capped at the number of inputs)"),
    _P("potential_pct", 0.5, "float", _R(0, 1, lo_open=True), nupic="potentialPct",
       doc="fraction of the inputs within reach that join the pool"),
    _P("global_inhibition", False, "bool", nupic="globalInhibition"),
    _P("local_area_density", -1.0, "float", _R(0, 0.5, lo_open=True), nupic="localAreaDensity",
       also="<= 0 to use num_active_columns_per_inh_area", doc="fraction of columns that win"),
    _P("num_active_columns_per_inh_area", 10.0, "float", _R(1, 1e12), nupic="numActiveColumnsPerInhArea",
       when="local_area_density <= 0", doc="winners per inhibition area"),
    _P("stimulus_threshold", 0, "float", _R(0), nupic="stimulusThreshold", limit="<= the smallest potential pool",
       doc="minimum overlap of a winner"),
    _P("syn_perm_inactive_dec", 0.008, "float", _R(0, 1), nupic="synPermInactiveDec"),
    _P("syn_perm_active_inc", 0.05, "float", _R(0, 1), nupic="synPermActiveInc"),
    _P("syn_perm_connected", 0.10, "float", _R(0, 1, lo_open=True, lo_ref=Ref("syn_perm_active_inc", 0.5)),
       nupic="synPermConnected",
       doc="connection threshold (syn_perm_active_inc / 2 is NuPIC's synPermTrimThreshold)"),
    _P("min_pct_overlap_duty_cycle", 0.001, "float", _R(0, 1), nupic="minPctOverlapDutyCycle"),
    _P("duty_cycle_period", 1000, "int", _R(1, integer=True), nupic="dutyCyclePeriod"),
    _P("boost_strength", 0.0, "float", _R(0, 1e6), nupic="boostStrength"),
    _P("seed", -1, "seed", _R(0, 2**64 - 1, integer=True), nupic="seed", also="-1 to draw one",
       doc="the drawn seed is kept in params['seed']"),
    _P("sp_verbosity", 0, "int", _R(0, integer=True), nupic="spVerbosity", doc="unused"),
    _P("wrap_around", True, "bool", nupic="wrapAround"),
    # htmhw extension (not in NuPIC's signature): NuPIC 1.0 boosts only while learning;
    # htm.core boosts in inference too.
    _P("boost_in_inference", False, "bool", nupic="boostInInference",
       doc="htmhw extension: False = NuPIC 1.0, which boosts only while learning; True = htm.core, "
           "which also boosts when not learning"),
)

BY_NAME = {p.name: p for p in SP_PARAMS}
BY_NUPIC = {p.nupic: p for p in SP_PARAMS}
DEFAULTS = {p.name: p.default for p in SP_PARAMS}

# -- the fixed-point datapath (docs/datapath.md) ----------------------------------------------
_I = dict(integer=True)
HW_FIELDS = (
    _P("permanence_bits", 8, "int", _R(2, 16, **_I), "permanence memory word (<= 8 bits are stored in one byte)"),
    _P("overlap_bits", 0, "int", _R(0, 16, **_I),
       "overlap counter width; 0 = derived from the largest potential pool (never saturates), "
       "narrower counters saturate"),
    _P("boost_int_bits", 3, "int", _R(1, 8, **_I), "integer bits of the boost factor UQ(int).(frac)"),
    _P("boost_frac_bits", 8, "int", _R(0, 16, **_I), "fraction bits of the boost factor"),
    _P("boosted_frac_bits", 4, "int", _R(0, hi_ref=Ref("boost_frac_bits"), **_I),
       "fraction bits kept of the boosted overlap (rounding RND); when the pooler is built, "
       "overlap + boost_int + boosted_frac bits must be <= 24"),
    _P("duty_bits", 16, "int", _R(4, 16, **_I), "duty-cycle registers"),
    _P("boost_lut_bits", 10, "int", _R(1, 12, hi_ref=Ref("duty_bits", offset=1), **_I),
       "boost lookup-table address bits"),
)

# -- the crossbar model (docs/crossbar.md). Bounds far outside any device keep every energy
# and latency finite in double precision. ------------------------------------------------------
_POS = dict(lo_open=True)
DEVICE_FIELDS = (
    _P("r_on_ohm", 10e3, "float", _R(1e-3, 1e15), "low-resistance state"),
    _P("r_off_ohm", 1e6, "float", _R(hi=1e15, lo_ref=Ref("r_on_ohm")), "high-resistance state"),
    _P("levels", 2, "int", _R(2, 65536, **_I), "programmable conductance levels"),
    _P("v_read0_v", 0.0, "float", _R(0, 1e3), "read voltage of a 0 input"),
    _P("v_read1_v", 0.15, "float", _R(0, 1e3, **_POS), "read voltage of a 1 input"),
    _P("v_write_v", 3.0, "float", _R(0, 1e3, **_POS), "write (programming) voltage"),
    _P("pulse_width_ns", 10.0, "float", _R(0, 1e12, **_POS), "programming pulse"),
    _P("read_latency_ns", 3.16, "float", _R(0, 1e12, **_POS), "read latency"),
    _P("write_latency_ns", 10.0, "float", _R(0, 1e12, **_POS), "write latency"),
    _P("cell_area_um2", 1.44, "float", _R(0, 1e12, **_POS), "cell area"),
    _P("nonlinearity_ltp", 0.0, "float", _R(0, 20),
       "NeuroSim's nu of the potentiation curve, 0 = linear (the cost model uses it for the stored "
       "conductances)"),
    _P("nonlinearity_ltd", 0.0, "float", _R(0, 20),
       "nu of the depression curve (NeuroSim writes it with a minus sign)"),
    _P("d2d_sigma", 0.0, "float", _R(0, 1), "device-to-device spread of a cell's conductance range"),
    _P("c2c_sigma", 0.0, "float", _R(0, 1), "cycle-to-cycle error per pulse, as a fraction of the full range"),
    _P("stuck_on_rate", 0.0, "float", _R(0, 1), "fraction of each column's cells stuck on"),
    _P("stuck_off_rate", 0.0, "float", _R(0, 1, hi_ref=Ref("stuck_on_rate", -1, 1)),
       "fraction of each column's cells stuck off"),
)
ARRAY_FIELDS = (
    _P("rows", 256, "int", _R(1, 65536, **_I), "rows of one array"),
    _P("columns", 256, "int", _R(1, 65536, **_I), "columns of one array"),
    _P("cell", "1T1R", "choice", doc="cell type", choices=("0T1R", "1T1R")),
    _P("driver_area_um2_per_row", 1150.0, "float", _R(0, 1e12), "row driver area (MNSIM: 1150)"),
)
PERIPHERY_FIELDS = (
    _P("adc_bits", 6, "int", _R(1, 16, **_I), "ADC resolution"),
    _P("adc_sample_rate_gsps", 1.0, "float", _R(0, 1e6, **_POS), "ADC sample rate"),
    _P("adc_power_mw", 1.26, "float", _R(0, 1e9), "ADC power (MNSIM's array figures)"),
    _P("adc_area_um2", 1650.0, "float", _R(0, 1e12), "ADC area"),
    # The SP mapping's sense amplifiers and digital logic have no published default: 0 = not
    # modelled until the user sets them.
    _P("sense_amp_energy_pj", 0.0, "float", _R(0, 1e12), "sense-amplifier energy per comparison (0 = not modelled)"),
    _P("sense_amp_area_um2", 0.0, "float", _R(0, 1e12), "sense-amplifier area per column (0 = not modelled)"),
    _P("digital_energy_pj_per_cycle", 0.0, "float", _R(0, 1e12),
       "digital kWTA / update logic energy per cycle (0 = not modelled)"),
    _P("digital_area_um2", 0.0, "float", _R(0, 1e15), "digital logic area (0 = not modelled)"),
    _P("clock_mhz", 100.0, "float", _R(0, 1e6, **_POS), "digital clock"),
)

# -- the whole chip around the array (docs/energy.md): the digital periphery's technology and
# the CPU the software runs on. Checked in Python (htmhw.crossbar.System): no C++ struct. ------
SYSTEM_FIELDS = (
    _P("technology_nm", 45, "int", _R(7, 130, **_I),
       "CMOS node of the digital periphery and memories (Horowitz's table is 45 nm; other nodes are "
       "scaled with Stillmaker & Baas 2017, interpolated between their nodes 130, 90, 65, 45, 32, 20, 16, "
       "14, 10, 7)"),
    _P("vdd_v", 0.9, "float", _R(0.5, 1.5), "supply voltage of the digital periphery (Horowitz: 0.9 V)"),
    _P("cpu_power_w_per_core", 3.75, "float", _R(0, 1e3, **_POS),
       "power of one CPU core running the C++ model (default: AMD EPYC 9654, 360 W TDP / 96 cores)"),
)

HW = {p.name: p for p in HW_FIELDS}

# -- the SOM encoder (docs/som.md): ranges and choices; SOMEncoder's signature holds the
# defaults (scikit-learn reads them from it). -----------------------------------------------------
_DECAY = ("linear", "exponential")
SOM_PARAMS = (
    _P("n_rows", None, "int", _R(1, 2**20, **_I), limit="n_rows * n_cols <= 2**20"),
    _P("n_cols", None, "int", _R(1, 2**20, **_I), limit="n_rows * n_cols <= 2**20"),
    _P("lattice", None, "choice", choices=("rect", "hex")),
    _P("topology", None, "choice", choices=("planar", "toroidal")),
    _P("neighborhood", None, "choice", choices=("gaussian", "bubble")),
    _P("method", None, "choice", choices=("batch", "online")),
    _P("n_epochs", None, "int", _R(1, 10**6, **_I)),
    _P("radius_start", None, "float", _R(0, 1e9, lo_open=True), also="None"),
    _P("radius_end", None, "float", _R(0, 1e9, lo_open=True)),
    _P("radius_decay", None, "choice", choices=_DECAY),
    _P("learning_rate_start", None, "float", _R(0, 1, lo_open=True)),
    _P("learning_rate_end", None, "float", _R(0, 1, lo_open=True)),
    _P("learning_rate_decay", None, "choice", choices=_DECAY),
    _P("std_coeff", None, "float", _R(0, 1e6, lo_open=True)),
    _P("n_active", None, "int", _R(1, **_I), limit="<= n_rows * n_cols"),
    _P("n_threads", None, "int", _R(1, _core.MAX_THREADS, **_I)),
)
SOM = {p.name: p for p in SOM_PARAMS}
FAMILIES = {"HardwareConfig": HW_FIELDS, "Device": DEVICE_FIELDS, "Array": ARRAY_FIELDS,
            "Periphery": PERIPHERY_FIELDS}


# -- generated documentation and dataclasses ---------------------------------------------------
def fields_doc(fields, indent: str = "    ") -> str:
    """One line per field: ``name: what it is; allowed values (default d)``."""
    lines = []
    for p in fields:
        what = f"{p.doc}; " if p.doc else ""
        name = f"{p.name} ({p.nupic})" if p.nupic and p.nupic != p.name else p.name
        lines.append(f"{indent}{name}: {what}{p.allowed} (default {p.default!r})")
    return "\n".join(lines)


_MARKER = re.compile(r"\{(range|param|default):(\w+)\}")


def fill_doc(doc: str, params=SP_PARAMS, defaults: dict | None = None, alternatives: bool = True) -> str:
    """``doc`` with ``{range:NAME}`` replaced by NAME's allowed values and
    ``{param:NAME}`` by a numpydoc line ``NAME : type <allowed>, default D`` (D from
    ``defaults``, else the table's), and ``{default:NAME}`` by ``defaults[NAME]`` (for a
    caller's own parameters, which are not in the table). ``alternatives=False`` states the range alone (for
    callers that do not offer a parameter's alternative values)."""
    table = {p.name: p for p in params}
    defaults = {} if defaults is None else defaults

    def sub(m):
        kind, name = m.groups()
        if kind == "default":
            return repr(defaults[name])
        p = table[name]
        if kind == "range":
            return p.allowed_text(alternatives)
        d = defaults.get(name, p.default)
        if p.kind == "choice":
            return f"{name} : {{{', '.join(repr(c) for c in p.choices)}}}, default {d!r}"
        allowed = "" if p.kind == "bool" else " " + p.allowed_text(alternatives, article=False)
        return f"{name} : {p.type_name}{allowed}, default {d!r}"

    return _MARKER.sub(sub, doc)


def constraints(params) -> dict:
    """scikit-learn ``_parameter_constraints`` of ``params``: an ``Interval`` of each range
    (the static bounds), ``StrOptions`` of each choice, "boolean" for a bool."""
    from sklearn.utils._param_validation import StrOptions

    def one(p):
        if p.kind == "bool":
            return ["boolean"]
        if p.kind == "choice":
            return [StrOptions(set(p.choices))]
        return [p.range.interval()]

    return {p.name: one(p) for p in params}


def table_dataclass(fields):
    """Class decorator (under ``@dataclass``): the fields, in the table's order, with the
    table's defaults, and their list appended to the docstring."""
    types = {"int": int, "float": float, "bool": bool, "choice": str, "seed": int}

    def deco(cls):
        cls.__annotations__ = {p.name: types[p.kind] for p in fields}
        for p in fields:
            setattr(cls, p.name, p.default)
        cls.__doc__ = (cls.__doc__ or "").rstrip() + "\n\n    Fields:\n\n" + fields_doc(fields, "    - ") + "\n"
        return cls

    return deco


def check_fields(obj, fields) -> None:
    """Every (integer) field of ``obj`` within the table: TypeError for a non-integer,
    ValueError naming the field, its allowed values and the value otherwise, cross-field
    bounds included (:class:`htmhw.HardwareConfig`)."""
    cls = type(obj).__name__
    values = {}
    for p in fields:
        v = getattr(obj, p.name)
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{cls}.{p.name} must be an integer; got {v!r}")
        values[p.name] = int(v)
    for p in fields:
        v = values[p.name]
        if not p.range.contains(v, values):
            refs = [r for r in (p.range.lo_ref, p.range.hi_ref) if r is not None]
            given = "".join(f" ({r.field} is {values[r.field]})" for r in refs)
            raise ValueError(f"{cls}.{p.name} must be {p.allowed}{given}; got {v}")
    return values


# -- conversion of spatial-pooler values for the core ------------------------------------------
def _label(p: Param) -> str:
    return f"{p.name} ({p.nupic})"


def convert(p: Param, value: Any) -> Any:
    """Convert one parameter value to the type the core expects.

    Raises TypeError for a value of the wrong kind and ValueError for a value
    outside what the type can hold; ranges are checked by the core.
    """
    if p.kind == "dims":
        dims = np.atleast_1d(np.asarray(value))
        if dims.size == 0:
            raise ValueError(f"{_label(p)} must have 1 to {MAX_RANK} sizes; got {value!r}")
        if dims.ndim != 1 or not (
            np.issubdtype(dims.dtype, np.integer)
            or (np.issubdtype(dims.dtype, np.floating) and np.all(np.isfinite(dims)) and np.all(dims == np.round(dims)))
        ):
            raise TypeError(f"{_label(p)} must be a sequence of positive integers; got {value!r}")
        if np.any(dims < 1) or np.any(dims >= 2**31):
            raise ValueError(f"{_label(p)} must be {p.allowed}; got {value!r}")
        return tuple(int(d) for d in dims)
    if p.kind == "bool":
        if not isinstance(value, (bool, np.bool_)) and not (isinstance(value, numbers.Integral) and value in (0, 1)):
            raise TypeError(f"{_label(p)} must be a bool; got {value!r}")
        return bool(value)
    if p.kind in ("int", "seed"):
        if isinstance(value, (bool, np.bool_)) or not (
            isinstance(value, numbers.Integral) or (isinstance(value, numbers.Real) and float(value).is_integer())
        ):
            raise TypeError(f"{_label(p)} must be an integer; got {value!r}")
        v = int(value)
        # What the core's unsigned field holds (uint64 for the seed, else uint32).
        lo = -1 if p.kind == "seed" else 0
        hi = 2**64 if p.kind == "seed" else 2**32
        if not lo <= v < hi:
            raise ValueError(f"{_label(p)} must be {p.allowed}; got {v}")
        return v
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{_label(p)} must be a real number; got {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{_label(p)} must be {p.allowed}; got {v}")
    return v


def resolve_seed(seed: int) -> int:
    """NuPIC's seed=-1 means 'pick one'; we draw it from the OS and keep it, so
    the run can still be reproduced from the recorded value."""
    if seed == -1:
        return int(np.random.SeedSequence().entropy % (2**64))
    return seed


def core_params(values: dict) -> dict:
    """Full, converted parameter dict for the C++ core from snake_case values."""
    unknown = set(values) - set(BY_NAME)
    if unknown:
        raise TypeError(f"unknown spatial pooler parameter(s): {sorted(unknown)}")
    out = {}
    for p in SP_PARAMS:
        out[p.name] = convert(p, values.get(p.name, p.default))
    out["seed"] = resolve_seed(out["seed"])
    return out
