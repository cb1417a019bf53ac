"""The spatial pooler's parameters, declared once.

Each entry gives the snake_case name used by :class:`htmhw.SpatialPooler` and
the estimator, NuPIC's camelCase name used by :mod:`htmhw.nupic`, the default
(NuPIC 1.0's), and the allowed values. The C++ core checks the ranges again at
its boundary; this table is what the Python layers and docs are built from.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Param:
    name: str
    nupic: str
    default: Any
    kind: str  # "dims", "int", "float", "bool", "seed"
    allowed: str


SP_PARAMS = (
    Param("input_dimensions", "inputDimensions", (32, 32), "dims", "sequence of 1 to 16 sizes >= 1"),
    Param("column_dimensions", "columnDimensions", (64, 64), "dims", "sequence of 1 to 16 sizes >= 1"),
    Param("potential_radius", "potentialRadius", 16, "int", "integer >= 0 (capped at the number of inputs)"),
    Param("potential_pct", "potentialPct", 0.5, "float", "(0, 1]"),
    Param("global_inhibition", "globalInhibition", False, "bool", "bool"),
    Param("local_area_density", "localAreaDensity", -1.0, "float", "(0, 0.5], or <= 0 to use num_active_columns_per_inh_area"),
    Param("num_active_columns_per_inh_area", "numActiveColumnsPerInhArea", 10.0, "float",
          ">= 1 when local_area_density <= 0"),
    Param("stimulus_threshold", "stimulusThreshold", 0, "float", ">= 0"),
    Param("syn_perm_inactive_dec", "synPermInactiveDec", 0.008, "float", "[0, 1]"),
    Param("syn_perm_active_inc", "synPermActiveInc", 0.05, "float", "[0, 1]"),
    Param("syn_perm_connected", "synPermConnected", 0.10, "float", "(syn_perm_active_inc / 2, 1]"),
    Param("min_pct_overlap_duty_cycle", "minPctOverlapDutyCycle", 0.001, "float", "[0, 1]"),
    Param("duty_cycle_period", "dutyCyclePeriod", 1000, "int", "integer >= 1"),
    Param("boost_strength", "boostStrength", 0.0, "float", "[0, 1e6]"),
    Param("seed", "seed", -1, "seed", "integer in [0, 2**64), or -1 for a random seed"),
    Param("sp_verbosity", "spVerbosity", 0, "int", "integer >= 0"),
    Param("wrap_around", "wrapAround", True, "bool", "bool"),
    # htmhw extension (not in NuPIC's signature): NuPIC 1.0 boosts only while
    # learning; htm.core boosts in inference too.
    Param("boost_in_inference", "boostInInference", False, "bool", "bool"),
)

BY_NAME = {p.name: p for p in SP_PARAMS}
BY_NUPIC = {p.nupic: p for p in SP_PARAMS}
DEFAULTS = {p.name: p.default for p in SP_PARAMS}


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
            raise ValueError(f"{_label(p)} must have 1 to 16 sizes; got {value!r}")
        if dims.ndim != 1 or not (
            np.issubdtype(dims.dtype, np.integer)
            or (np.issubdtype(dims.dtype, np.floating) and np.all(np.isfinite(dims)) and np.all(dims == np.round(dims)))
        ):
            raise TypeError(f"{_label(p)} must be a sequence of positive integers; got {value!r}")
        if np.any(dims < 1) or np.any(dims >= 2**31):
            raise ValueError(f"{_label(p)} must be a sequence of sizes >= 1; got {value!r}")
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
