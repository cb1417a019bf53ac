"""The SP on non-ideal cells: a fixed-point pooler whose overlap reads crossbar cells (conductance
levels, programming curves, device-to-device and cycle-to-cycle variation, stuck-at faults) instead
of its ideal connected bits. The C++ read model is ``cpp/include/htmhw/crossbar_read.hpp``;
formulas in docs/crossbar.md, "Non-idealities in the loop"."""
from __future__ import annotations

import numbers

import numpy as np

from .. import _core
from ..hw.golden import random_inputs
from .cost import Device, preset


def permanence_level(permanence: int, perm_max: int, levels: int) -> int:
    """Conductance level of an integer permanence on a device with ``levels`` levels:
    round-half-up(permanence * (levels - 1) / perm_max). permanence in [0, perm_max]."""
    for name, v in (("permanence", permanence), ("perm_max", perm_max), ("levels", levels)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 0 <= v < 2**32:
            raise ValueError(f"{name} must be an integer in [0, 2**32); got {v!r}")
    return int(_core.permanence_level(int(permanence), int(perm_max), int(levels)))


def level_fraction(level: int, levels: int, nonlinearity: float = 0.0) -> float:
    """Normalized conductance (0 = 1/r_off, 1 = 1/r_on) of ``level`` on a device with
    ``levels`` levels, programmed from reset along a curve of nonlinearity nu in [0, 20]:
    (1 - exp(-nu x)) / (1 - exp(-nu)), x = level / (levels - 1) (x when nu = 0);
    float32, as the C++ model computes it. level in [0, levels - 1]."""
    for name, v in (("level", level), ("levels", levels)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 0 <= v < 2**32:
            raise ValueError(f"{name} must be an integer in [0, 2**32); got {v!r}")
    if isinstance(nonlinearity, bool) or not isinstance(nonlinearity, numbers.Real):
        raise TypeError(f"nonlinearity must be a number in [0, 20]; got {nonlinearity!r}")
    return float(_core.level_fraction(int(level), int(levels), float(nonlinearity)))


def stuck_at_masks(num_columns: int, num_inputs: int, rate: float, seed: int, on_fraction: float = 0.5):
    """(stuck_on, stuck_off) boolean (num_columns, num_inputs) masks: in every column,
    round(rate * num_inputs) cells are faulty, chosen with the project's PRNG (seed), and
    round(on_fraction * that) of them, chosen again with seed + 1, are stuck on (SA1,
    read as connected), the others stuck off (SA0). rate, on_fraction in [0, 1];
    seed in [0, 2**64 - 1)."""
    for name, v in (("rate", rate), ("on_fraction", on_fraction)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not 0.0 <= v <= 1.0:
            raise ValueError(f"{name} must be a number in [0, 1]; got {v!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**64 - 1:
        raise ValueError(f"seed must be an integer in [0, 2**64 - 1); got {seed!r}")
    faulty = int(round(rate * num_inputs))
    n_on = int(round(on_fraction * faulty))
    chosen = random_inputs(num_columns, num_inputs, faulty, int(seed)).astype(bool)
    which = random_inputs(num_columns, faulty, n_on, int(seed) + 1).astype(bool) if faulty else \
        np.zeros((num_columns, 0), dtype=bool)
    cols, inputs = np.nonzero(chosen)              # row-major: each column's cells ascending
    on = np.zeros_like(chosen)
    on[cols, inputs] = which.reshape(-1)
    return on, chosen & ~on


def attach_device(sp, device="mnsim2-default", seed: int = 0):
    """Make the fixed-point pooler ``sp`` read its overlaps through crossbar cells of
    ``device`` (a preset name or a :class:`Device`) instead of its ideal connected bits
    (docs/crossbar.md "Non-idealities in the loop"): every potential synapse is a cell
    programmed to ``permanence_level(p, perm_max, device.levels)``. Learning still
    updates the integer permanences (the controller's copy) and sends each cell whose
    level changes that many pulses along the device's potentiation / depression curve
    from its present conductance (unequal curves make cells drift), each pulse with a
    c2c_sigma error; a cell reads as connected when its conductance, scaled by its
    d2d spread, reaches the conductance the connected threshold has when programmed
    from reset. The stuck-at rates make that many of every column's cells
    (``stuck_at_masks``) read as connected (stuck on, even outside the pool) or never.
    All draws come from the project PRNG (docs/rng.md) with ``seed`` in [0, 2**64 - 1):
    the same seed gives the same run. The device is part of the
    pooler's state (copies, save/load); :func:`detach_device` restores the ideal read.
    Returns the (stuck_on, stuck_off) masks."""
    from ..sp import SpatialPooler

    if not isinstance(sp, SpatialPooler):
        raise TypeError(f"sp must be an htmhw.SpatialPooler; got {type(sp).__name__}")
    if sp.arithmetic != "fixed":
        raise ValueError("attach_device is only available with arithmetic='fixed'")
    if isinstance(device, str):
        device = preset(device).device
    if not isinstance(device, Device):
        raise TypeError(f"device must be a preset name or a crossbar.Device; got {type(device).__name__}")
    rate = device.stuck_on_rate + device.stuck_off_rate
    on, off = stuck_at_masks(sp.num_columns, sp.num_inputs, min(rate, 1.0), seed,
                             device.stuck_on_rate / rate if rate > 0 else 0.0)
    cells = {"levels": int(device.levels), "nonlinearity_ltp": float(device.nonlinearity_ltp),
             "nonlinearity_ltd": float(device.nonlinearity_ltd), "d2d_sigma": float(device.d2d_sigma),
             "c2c_sigma": float(device.c2c_sigma), "seed": int(seed)}
    if on.any() or off.any():
        sp.attach_crossbar_read(cells, on, off)
    else:
        sp.attach_crossbar_read(cells)
    return on, off


def read_connected(sp) -> np.ndarray:
    """Boolean (num_columns, num_inputs): the cells the pooler's overlap counts now —
    the attached device's read (with stuck-at cells), or the ideal connected synapses
    (:meth:`htmhw.SpatialPooler.effective_connected`)."""
    return sp.effective_connected()


def detach_device(sp) -> None:
    """Back to the ideal read of the datapath contract (no device, no stuck cells)."""
    sp.detach_crossbar_read()

