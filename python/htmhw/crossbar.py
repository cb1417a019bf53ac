"""Memristor-crossbar cost model (first part): device / array / periphery parameters,
published presets, and MNSIM 2.0's behaviour-level array figures.

Formulas and sources: docs/crossbar.md. The C++ core computes and validates
(``cpp/include/htmhw/crossbar.hpp``); this module adds the presets and dict forms.

    >>> from htmhw import crossbar
    >>> f = crossbar.array_figures("mnsim2-default")      # MNSIM's fixed 0.33 / 0.1 constants
    >>> round(f["read_power_mw"], 3), round(f["area_um2"], 2)
    (4.965, 388771.84)
"""
from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass, field

from . import _core

# MNSIM 2.0's fixed workload constants: 33 % of cells in the low-resistance state,
# 10 % of inputs at the "1" read voltage.
MNSIM_ON_FRACTION = 0.33
MNSIM_INPUT_DENSITY = 0.1


def _check_numbers(obj, int_fields=()):
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if f.name in ("cell", "source"):
            continue
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"{type(obj).__name__}.{f.name} must be a number; got {v!r}")
        if f.name in int_fields and (not isinstance(v, numbers.Integral) or not 0 <= v < 2**32):
            raise ValueError(f"{type(obj).__name__}.{f.name} must be an integer in [0, 2**32); got {v!r}")


@dataclass(frozen=True)
class Device:
    """A memristive device. Ranges: 0 < r_on_ohm < r_off_ohm; levels in [2, 65536];
    v_read0_v >= 0; v_read1_v, v_write_v, pulse_width_ns, read_latency_ns,
    write_latency_ns, cell_area_um2 > 0."""
    r_on_ohm: float = 10e3
    r_off_ohm: float = 1e6
    levels: int = 2
    v_read0_v: float = 0.0
    v_read1_v: float = 0.15
    v_write_v: float = 3.0
    pulse_width_ns: float = 10.0
    read_latency_ns: float = 3.16
    write_latency_ns: float = 10.0
    cell_area_um2: float = 1.44

    def __post_init__(self):
        _check_numbers(self, int_fields=("levels",))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Array:
    """A crossbar array: rows, columns in [1, 65536]; cell "1T1R" or "0T1R";
    driver_area_um2_per_row >= 0 (MNSIM: 1150)."""
    rows: int = 256
    columns: int = 256
    cell: str = "1T1R"
    driver_area_um2_per_row: float = 1150.0

    def __post_init__(self):
        _check_numbers(self, int_fields=("rows", "columns"))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Periphery:
    """Column read-out: adc_bits in [1, 16]; adc_sample_rate_gsps > 0;
    adc_power_mw, adc_area_um2 >= 0."""
    adc_bits: int = 6
    adc_sample_rate_gsps: float = 1.0
    adc_power_mw: float = 1.26
    adc_area_um2: float = 1650.0

    def __post_init__(self):
        _check_numbers(self, int_fields=("adc_bits",))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Preset:
    """A named parameter set with its source; ``assumed`` lists the fields the source
    does not give (filled with the stated defaults)."""
    device: Device
    array: Array = field(default_factory=Array)
    periphery: Periphery = field(default_factory=Periphery)
    source: str = ""
    assumed: tuple = ()


PRESETS = {
    "mnsim2-default": Preset(
        Device(r_on_ohm=10e3, r_off_ohm=1e6, levels=2, v_read0_v=0.0, v_read1_v=0.15, v_write_v=3.0,
               pulse_width_ns=10.0, read_latency_ns=3.16, write_latency_ns=10.0, cell_area_um2=1.44),
        Array(rows=256, columns=256, cell="1T1R", driver_area_um2_per_row=1150.0),
        Periphery(adc_bits=6, adc_sample_rate_gsps=1.0, adc_power_mw=1.26, adc_area_um2=1650.0),
        source="MNSIM 2.0 default configuration (Zhu et al., Tsinghua; shared/docs/crossbar-models.md §1), "
               "130 nm, ADC 'ASPDAC2'"),
    "neurosim-ideal": Preset(
        Device(r_on_ohm=1 / 5e-6, r_off_ohm=1 / 100e-9, levels=64, v_read0_v=0.0, v_read1_v=0.5, v_write_v=2.0,
               pulse_width_ns=10.0, read_latency_ns=5.0, write_latency_ns=10.0, cell_area_um2=1.44),
        source="NeuroSim 'IdealDevice': 5 uS / 100 nS, V_r 0.5 V, 5 ns read, 2 V / 10 ns write, 64 levels",
        assumed=("cell_area_um2", "array", "periphery")),
    "neurosim-ag-asi": Preset(
        Device(r_on_ohm=26e6, r_off_ohm=26e6 * 12.5, levels=97, v_read0_v=0.0, v_read1_v=0.5, v_write_v=3.2,
               pulse_width_ns=300e3, read_latency_ns=5.0, write_latency_ns=300e3, cell_area_um2=1.44),
        source="NeuroSim 'Ag:a-Si': R_on 26 Mohm, on/off 12.5, +3.2 V / -2.8 V, 300 us pulses, 97/100 levels",
        assumed=("v_read1_v", "read_latency_ns", "cell_area_um2", "array", "periphery")),
    "nvsim-rram": Preset(
        Device(r_on_ohm=1e6, r_off_ohm=10e6, levels=2, v_read0_v=0.0, v_read1_v=0.4, v_write_v=2.0,
               pulse_width_ns=10.0, read_latency_ns=3.16, write_latency_ns=10.0, cell_area_um2=1.44),
        source="NVSim sample RRAM cell: 4F^2, 1 Mohm / 10 Mohm at read, V_read 0.4 V, set/reset 2 V 10 ns",
        assumed=("read_latency_ns", "cell_area_um2 (4F^2 needs a feature size)", "array", "periphery")),
    "hfox-stanford": Preset(
        Device(r_on_ohm=542.0, r_off_ohm=218.6e3, levels=2, v_read0_v=0.0, v_read1_v=0.1, v_write_v=3.0,
               pulse_width_ns=10.0, read_latency_ns=3.16, write_latency_ns=10.0, cell_area_um2=1.44),
        source="Stanford-PKU HfOx model: R_on 542 ohm, R_off 218.6 kohm, V_read 0.1 V",
        assumed=("v_write_v", "pulse_width_ns", "latencies", "cell_area_um2", "array", "periphery")),
    "zyarah-htm": Preset(
        Device(r_on_ohm=200e3, r_off_ohm=5e6, levels=2, v_read0_v=0.0, v_read1_v=0.5, v_write_v=1.0,
               pulse_width_ns=10.0, read_latency_ns=3.16, write_latency_ns=10.0, cell_area_um2=1.44),
        source="Zyarah & Kudithipudi HTM synapse (JETC 2019): R_on 200 kohm, R_off 5 Mohm, 1 V threshold",
        assumed=("v_read1_v (below the 1 V threshold)", "pulse_width_ns", "latencies", "cell_area_um2", "array",
                 "periphery")),
}


def preset(name: str) -> Preset:
    """The named preset (one of ``PRESETS``)."""
    if name not in PRESETS:
        raise ValueError(f"unknown crossbar preset {name!r}; known: {', '.join(sorted(PRESETS))}")
    return PRESETS[name]


def array_figures(device="mnsim2-default", array: Array | None = None, periphery: Periphery | None = None, *,
                  on_fraction: float = MNSIM_ON_FRACTION, input_density: float = MNSIM_INPUT_DENSITY,
                  rows_written: int | None = None) -> dict:
    """MNSIM 2.0 behaviour-level figures of one array (docs/crossbar.md §1).

    device: a preset name or a :class:`Device` (then ``array``/``periphery`` default
    to the dataclass defaults, MNSIM's). on_fraction, input_density in [0, 1]
    (defaults: MNSIM's fixed 0.33 and 0.1); rows_written in [0, rows] (default: all).
    Returns read power (mW), read latency/energy (ns, pJ), write latency (ns), area
    (um^2), ADC latency/energy, and the intermediate effective resistance / voltage.
    """
    if isinstance(device, str):
        p = preset(device)
        device, array, periphery = p.device, array or p.array, periphery or p.periphery
    if not isinstance(device, Device):
        raise TypeError(f"device must be a preset name or a Device; got {type(device).__name__}")
    array = array or Array()
    periphery = periphery or Periphery()
    if rows_written is None:
        rows_written = array.rows
    if isinstance(rows_written, bool) or not isinstance(rows_written, numbers.Integral):
        raise TypeError(f"rows_written must be an integer; got {rows_written!r}")
    for name, v in (("on_fraction", on_fraction), ("input_density", input_density)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"{name} must be a number in [0, 1]; got {v!r}")
    return dict(_core.crossbar_array_figures(device.to_dict(), array.to_dict(), periphery.to_dict(),
                                             float(on_fraction), float(input_density), int(rows_written)))


def permanence_level(permanence: int, perm_max: int, levels: int) -> int:
    """Conductance level of an integer permanence on a device with ``levels`` levels:
    round-half-up(permanence * (levels - 1) / perm_max). permanence in [0, perm_max]."""
    for name, v in (("permanence", permanence), ("perm_max", perm_max), ("levels", levels)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 0 <= v < 2**32:
            raise ValueError(f"{name} must be an integer in [0, 2**32); got {v!r}")
    return int(_core.permanence_level(int(permanence), int(perm_max), int(levels)))


__all__ = ["Device", "Array", "Periphery", "Preset", "PRESETS", "preset", "array_figures", "permanence_level",
           "MNSIM_ON_FRACTION", "MNSIM_INPUT_DENSITY"]
