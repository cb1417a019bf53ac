"""Memristor crossbars for the SP: what an array costs (``cost``: presets, MNSIM 2.0's array
figures, ``estimate`` of a run's timing, energy and area), the whole chip around it
(``system``: digital periphery, memories, designs (a) crossbar, (b) all-digital, (c) CPU;
docs/energy.md) and what its cells do to the SP's overlaps (``read``: conductance levels,
variation, stuck-at faults in the loop). docs/crossbar.md.

    >>> from htmhw import crossbar
    >>> f = crossbar.array_figures("mnsim2-default")      # MNSIM's fixed 0.33 / 0.1 constants
    >>> round(f["read_power_mw"], 3), round(f["area_um2"], 2)
    (4.965, 388771.84)
"""
from .cost import (LATENCY_PHASES, MNSIM_INPUT_DENSITY, MNSIM_ON_FRACTION, PHASES, PRESETS, Array, Device, Periphery,
                   Preset, Report, array_figures, estimate, preset)
from .system import DESIGNS, System
from .read import attach_device, detach_device, level_fraction, permanence_level, read_connected, stuck_at_masks

__all__ = ["Device", "Array", "Periphery", "Preset", "PRESETS", "preset", "array_figures", "permanence_level",
           "level_fraction", "MNSIM_ON_FRACTION", "MNSIM_INPUT_DENSITY", "Report", "estimate", "PHASES",
           "LATENCY_PHASES", "System", "DESIGNS", "stuck_at_masks", "attach_device", "detach_device", "read_connected"]
