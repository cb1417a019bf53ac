"""Memristor-crossbar cost model: device / array / periphery parameters, published presets,
MNSIM 2.0's behaviour-level array figures, and the costs of a run (``estimate``).

Formulas and sources: docs/crossbar.md. The C++ core computes and validates
(``cpp/include/htmhw/crossbar.hpp``); this module adds the presets and dict forms.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from .. import _core
from .._param_table import ARRAY_FIELDS, DEVICE_FIELDS, PERIPHERY_FIELDS, table_dataclass
from .._validation import as_binary_matrix
from ..hw.golden import learn_schedule

# MNSIM 2.0's fixed workload constants: 33 % of cells in the low-resistance state,
# 10 % of inputs at the "1" read voltage.
MNSIM_ON_FRACTION = 0.33
MNSIM_INPUT_DENSITY = 0.1


def _check_numbers(obj, fields):
    """Types only: the ranges are the core's to check (``_core.crossbar_validate_*``)."""
    for f in fields:
        v = getattr(obj, f.name)
        if f.kind == "choice":
            continue
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"{type(obj).__name__}.{f.name} must be a number; got {v!r}")
        if f.kind == "int" and (not isinstance(v, numbers.Integral) or not 0 <= v < 2**32):
            raise ValueError(f"{type(obj).__name__}.{f.name} must be an integer in [0, 2**32); got {v!r}")


@dataclass(frozen=True)
@table_dataclass(DEVICE_FIELDS)
class Device:
    """A memristive device. The non-idealities are used in the loop by
    :func:`attach_device`; the cost model uses only nonlinearity_ltp (the stored
    conductances)."""

    def __post_init__(self):
        _check_numbers(self, DEVICE_FIELDS)
        _core.crossbar_validate_device(self.to_dict())

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
@table_dataclass(ARRAY_FIELDS)
class Array:
    """A crossbar array."""

    def __post_init__(self):
        _check_numbers(self, ARRAY_FIELDS)
        _core.crossbar_validate_array(self.to_dict())

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
@table_dataclass(PERIPHERY_FIELDS)
class Periphery:
    """Column read-out (MNSIM's array figures) and, for the SP mapping, the sense
    amplifiers and the digital kWTA / update logic."""

    def __post_init__(self):
        _check_numbers(self, PERIPHERY_FIELDS)
        _core.crossbar_validate_periphery(self.to_dict())

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
        source="MNSIM 2.0 default configuration (Zhu et al., GLSVLSI 2020; docs/protocols.md), "
               "130 nm, ADC 'ASPDAC2'"),
    "neurosim-ideal": Preset(
        Device(r_on_ohm=1 / 5e-6, r_off_ohm=1 / 100e-9, levels=64, v_read0_v=0.0, v_read1_v=0.5, v_write_v=2.0,
               pulse_width_ns=10.0, read_latency_ns=5.0, write_latency_ns=10.0, cell_area_um2=1.44),
        source="NeuroSim 'IdealDevice': 5 uS / 100 nS, V_r 0.5 V, 5 ns read, 2 V / 10 ns write, 64 levels",
        assumed=("cell_area_um2", "array", "periphery")),
    "neurosim-ag-asi": Preset(
        Device(r_on_ohm=26e6, r_off_ohm=26e6 * 12.5, levels=97, v_read0_v=0.0, v_read1_v=0.5, v_write_v=3.2,
               pulse_width_ns=300e3, read_latency_ns=5.0, write_latency_ns=300e3, cell_area_um2=1.44,
               nonlinearity_ltp=2.4, nonlinearity_ltd=4.88, c2c_sigma=0.035),
        source="NeuroSim 'Ag:a-Si': R_on 26 Mohm, on/off 12.5, +3.2 V / -2.8 V, 300 us pulses, 97/100 levels, "
               "nonlinearity 2.4 / -4.88; NeuroSim's cycle-to-cycle sigma 3.5 % of the range per pulse",
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


# Energy parts of design (a) per step: the array (read, sense, write), the digital periphery's
# logic and memories (docs/energy.md), and "extra": the user-set digital_energy_pj_per_cycle.
PHASES = ("read", "sense", "write", "logic", "sram", "extra")
# Phases with a latency (sensing happens within the read; "digital": hdl_ref's kWTA, duty/boost,
# permanence and finish cycles at the periphery's clock).
LATENCY_PHASES = ("read", "digital", "write")


@dataclass
class Report:
    """Costs of an SP run on crossbars (from :func:`estimate`).

    ``steps``: per-step arrays (energies in pJ, latencies in ns, active rows, pulses,
    cells written, learn flags); ``area_um2``: area by component; ``layout``: tiles.
    """
    preset: str
    steps: dict
    area_um2: dict
    layout: dict
    input_rate_hz: float | None = None
    system: dict = field(default_factory=dict)
    # Parts of the digital periphery per step (arrays, pJ) of design (a) "crossbar" and (b)
    # "digital", their areas, and design (b)'s latency per step.
    parts: dict = field(default_factory=dict)
    digital_area_um2: dict = field(default_factory=dict)
    # Design (c): measured C++ steps/s, {"learning": .., "inference": ..} (empty: not measured).
    cpu_steps_per_s: dict = field(default_factory=dict)

    def _mean(self, key, mask):
        v = self.steps[key][mask]
        return float(v.mean()) if v.size else 0.0

    def _mean_of(self, v, mask):
        v = np.asarray(v)[mask]
        return float(v.mean()) if v.size else 0.0

    def summary(self) -> dict:
        learn = self.steps["learn"].astype(bool)
        s = {}
        for kind, mask in (("inference", ~learn), ("learning", learn)):
            energy = {ph: self._mean(f"{ph}_energy_pj", mask) for ph in PHASES}
            s[f"energy_per_{kind}_step_pj"] = energy
            s[f"energy_per_{kind}_step_total_pj"] = float(sum(energy.values()))
            latency = {ph: self._mean(f"{ph}_latency_ns", mask) for ph in LATENCY_PHASES}
            s[f"latency_per_{kind}_step_by_phase_ns"] = latency
            s[f"latency_per_{kind}_step_ns"] = float(sum(latency.values()))
            s[f"{kind}_steps"] = int(mask.sum())
        s["area_um2"] = dict(self.area_um2)
        s["area_total_um2"] = float(sum(self.area_um2.values()))
        s["mean_active_rows"] = float(self.steps["active_rows"].mean()) if len(learn) else 0.0
        s["pulses_per_learning_step"] = self._mean("pulses", learn)
        if self.input_rate_hz is not None:
            all_energy = sum(self.steps[f"{ph}_energy_pj"] for ph in PHASES)
            s["average_power_mw"] = float(all_energy.mean()) * 1e-12 * self.input_rate_hz * 1e3 if len(learn) else 0.0
        if self.parts:
            s["system"] = dict(self.system)
            s["designs"] = self._designs(learn)
        return s

    def _designs(self, learn) -> dict:
        """(a), (b), (c) side by side: energy per step by part, latency, area (docs/energy.md)."""
        d = {}
        a = {"area_um2": float(sum(self.area_um2.values()))}
        b = {"area_um2": float(sum(self.digital_area_um2.values())), "area_by_part_um2": dict(self.digital_area_um2)}
        for kind, mask in (("inference", ~learn), ("learning", learn)):
            a[f"energy_per_{kind}_step_pj"] = float(sum(self._mean(f"{ph}_energy_pj", mask) for ph in PHASES))
            a[f"energy_per_{kind}_step_by_part_pj"] = {
                **{f"array_{ph}": self._mean(f"{ph}_energy_pj", mask) for ph in ("read", "sense", "write")},
                **{f"logic_{k}": self._mean_of(v, mask) for k, v in self.parts["crossbar"]["logic"].items()},
                **{f"sram_{k}": self._mean_of(v, mask) for k, v in self.parts["crossbar"]["sram"].items()},
                "extra": self._mean("extra_energy_pj", mask)}
            a[f"latency_per_{kind}_step_ns"] = float(sum(self._mean(f"{ph}_latency_ns", mask)
                                                         for ph in LATENCY_PHASES))
            by_part = {**{f"logic_{k}": self._mean_of(v, mask) for k, v in self.parts["digital"]["logic"].items()},
                       **{f"sram_{k}": self._mean_of(v, mask) for k, v in self.parts["digital"]["sram"].items()}}
            b[f"energy_per_{kind}_step_by_part_pj"] = by_part
            b[f"energy_per_{kind}_step_pj"] = float(sum(by_part.values()))
            b[f"latency_per_{kind}_step_ns"] = self._mean_of(self.parts["digital"]["latency_ns"], mask)
        d["crossbar"], d["digital"] = a, b
        if self.cpu_steps_per_s:
            power_w = float(self.system["cpu_power_w_per_core"])
            c = {"area_um2": None, "power_w": power_w, "steps_per_s": dict(self.cpu_steps_per_s)}
            for kind in ("inference", "learning"):
                rate = self.cpu_steps_per_s.get(kind)
                c[f"energy_per_{kind}_step_pj"] = power_w / rate * 1e12 if rate else None
                c[f"latency_per_{kind}_step_ns"] = 1e9 / rate if rate else None
            d["cpu"] = c
            for design in ("crossbar", "digital"):
                for kind in ("inference", "learning"):
                    e_cpu = c[f"energy_per_{kind}_step_pj"]
                    d[design][f"cpu_energy_ratio_{kind}"] = (
                        e_cpu / d[design][f"energy_per_{kind}_step_pj"]
                        if e_cpu and d[design][f"energy_per_{kind}_step_pj"] > 0 else None)
        return d

    def to_dict(self) -> dict:
        """JSON-able: the summary, the layout and the preset (per-step arrays left out)."""
        return {"preset": self.preset, "layout": dict(self.layout), "input_rate_hz": self.input_rate_hz,
                **self.summary()}

    def table(self) -> str:
        """A printable breakdown."""
        s = self.summary()
        tiles = f"{self.layout['row_tiles']} x {self.layout['column_tiles']}"
        lines = [f"crossbar estimate ({self.preset}), {tiles} arrays"]
        for kind in ("inference", "learning"):
            if not s[f"{kind}_steps"]:
                continue
            e = s[f"energy_per_{kind}_step_pj"]
            lines.append(f"  per {kind} step ({s[f'{kind}_steps']} steps): "
                         f"{s[f'energy_per_{kind}_step_total_pj']:.4g} pJ, {s[f'latency_per_{kind}_step_ns']:.4g} ns")
            lines += [f"    {ph:8s} {e[ph]:12.4g} pJ" for ph in PHASES]
            lat = s[f"latency_per_{kind}_step_by_phase_ns"]
            lines.append("    latency: " + ", ".join(f"{ph} {lat[ph]:.4g} ns" for ph in LATENCY_PHASES)
                         + ("  (digital: the kWTA, duty/boost and update cycles of hdl_ref at "
                            f"{self.layout['clock_mhz']:g} MHz)" if lat["digital"] else ""))
        lines.append(f"  area {s['area_total_um2']:.6g} um^2")
        lines += [f"    {k:24s} {v:12.6g} um^2" for k, v in s["area_um2"].items()]
        if "average_power_mw" in s:
            lines.append(f"  average power at {self.input_rate_hz:g} inputs/s: {s['average_power_mw']:.4g} mW")
        if "designs" in s:
            lines += self._designs_table(s)
        return "\n".join(lines)

    def _designs_table(self, s) -> list:
        from .system import DESIGN_TITLES

        d, sy = s["designs"], s["system"]
        lines = [f"whole chip, three designs (digital periphery at {sy['technology_nm']} nm, {sy['vdd_v']:g} V; "
                 f"clock {self.layout['clock_mhz']:g} MHz; docs/energy.md)"]
        head = f"  {'design':36s} {'inference pJ':>14s} {'learning pJ':>14s} {'inference us':>13s} " \
               f"{'learning us':>12s} {'area mm^2':>10s} {'CPU/this inf':>12s} {'CPU/this learn':>14s}"
        lines.append(head)

        def num(v, scale=1.0, fmt="{:.4g}"):
            return "-" if v is None else fmt.format(v * scale)

        for name, row in d.items():
            lines.append(f"  {DESIGN_TITLES[name]:36s} {num(row['energy_per_inference_step_pj']):>14s} "
                         f"{num(row['energy_per_learning_step_pj']):>14s} "
                         f"{num(row['latency_per_inference_step_ns'], 1e-3):>13s} "
                         f"{num(row['latency_per_learning_step_ns'], 1e-3):>12s} "
                         f"{num(row['area_um2'], 1e-6):>10s} "
                         f"{num(row.get('cpu_energy_ratio_inference')):>12s} "
                         f"{num(row.get('cpu_energy_ratio_learning')):>14s}")
        for name in ("crossbar", "digital"):
            for kind in ("inference", "learning"):
                if not s[f"{kind}_steps"]:
                    continue
                parts = d[name][f"energy_per_{kind}_step_by_part_pj"]
                lines.append(f"  {DESIGN_TITLES[name]}, per {kind} step: " + ", ".join(
                    f"{k} {v:.4g}" for k, v in parts.items() if v))
        if "cpu" in d:
            c = d["cpu"]
            lines.append(f"  (c): {c['power_w']:g} W per core x measured time per step (C++ fixed-point model, one "
                         "thread: " + ", ".join(f"{k} {v:.4g} steps/s" for k, v in c["steps_per_s"].items()) + ")")
        lines.append("  latency (a): array read (active rows x t_read) + hdl_ref's kWTA, duty/boost, permanence "
                     "and finish cycles / clock + array write; (b): every hdl_ref cycle (overlap included) / clock")
        return lines

    def plot(self, path=None):
        """Stacked bars of energy and latency per inference/learning step by phase, and
        area by component; saved to ``path`` if given. Returns the matplotlib figure."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        s = self.summary()
        fig, (ax_e, ax_l, ax_a) = plt.subplots(1, 3, figsize=(12, 3.8))
        kinds = [k for k in ("inference", "learning") if s[f"{k}_steps"]]
        for ax, key, phases, scale, unit in ((ax_e, "energy_per_{}_step_pj", PHASES, 1.0, "energy per step (pJ)"),
                                             (ax_l, "latency_per_{}_step_by_phase_ns", LATENCY_PHASES, 1e-3,
                                              "latency per step (us)")):
            bottom = np.zeros(len(kinds))
            for ph in phases:
                vals = np.array([s[key.format(k)][ph] for k in kinds]) * scale
                ax.bar(kinds, vals, bottom=bottom, label=ph)
                bottom += vals
            ax.set_ylabel(unit)
            ax.legend(fontsize=8)
        ax_l.set_title("digital = hdl_ref cycles / clock", fontsize=8)
        bottom = 0.0
        for comp, v in s["area_um2"].items():
            ax_a.bar(["area"], [v * 1e-6], bottom=bottom, label=comp)
            bottom += v * 1e-6
        ax_a.set_ylabel("area (mm^2)")
        ax_a.legend(fontsize=8)
        fig.suptitle(f"crossbar estimate: {self.preset}")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=120)
        plt.close(fig)
        return fig


def estimate(sp, inputs, learn=True, *, preset_name: str = "mnsim2-default", device: Device | None = None,
             array: Array | None = None, periphery: Periphery | None = None,
             input_rate_hz: float | None = None, system=None, measure_cpu: bool = False) -> Report:
    """Costs of running ``inputs`` through a copy of the fixed-point pooler ``sp`` on
    memristor crossbars (mapping: docs/crossbar.md), driven by the run's activity.

    learn: a learn schedule (``htmhw.golden.learn_schedule``: a bool, "first:N",
    "every:K" or one 0/1 flag per row). ``device``/``array``/``periphery`` override
    the preset's. input_rate_hz > 0 adds the average power. ``system`` (a
    :class:`System`, default ``System()``): the digital periphery's node and supply and the
    CPU's power per core; the report holds designs (a) crossbar + periphery and (b)
    all-digital (docs/energy.md), and with ``measure_cpu`` (c), the C++ model on one core,
    timed on the same inputs. The caller's ``sp`` is not advanced.
    """
    from ..sp import SpatialPooler
    from .system import System, design_costs, pooler_widths

    if not isinstance(sp, SpatialPooler):
        raise TypeError(f"sp must be an htmhw.SpatialPooler; got {type(sp).__name__}")
    p = preset(preset_name)
    device, array, periphery = device or p.device, array or p.array, periphery or p.periphery
    for name, obj, cls in (("device", device, Device), ("array", array, Array), ("periphery", periphery, Periphery)):
        if not isinstance(obj, cls):
            raise TypeError(f"{name} must be a crossbar.{cls.__name__}; got {type(obj).__name__}")
    if input_rate_hz is not None and not (isinstance(input_rate_hz, numbers.Real)
                                          and not isinstance(input_rate_hz, bool)
                                          and np.isfinite(input_rate_hz) and input_rate_hz > 0):
        raise ValueError(f"input_rate_hz must be a positive number; got {input_rate_hz!r}")
    system = System() if system is None else system
    if not isinstance(system, System):
        raise TypeError(f"system must be a crossbar.System; got {type(system).__name__}")
    if not isinstance(measure_cpu, (bool, np.bool_)):
        raise TypeError(f"measure_cpu must be a bool; got {measure_cpu!r}")
    original = sp
    sp = copy.deepcopy(sp)
    core = sp.fixed_core("crossbar.estimate")
    x = as_binary_matrix(inputs, sp.num_inputs)
    flags = learn_schedule(learn, x.shape[0])
    widths = pooler_widths(sp)
    raw = dict(core.crossbar_run(x, flags, device.to_dict(), array.to_dict(), periphery.to_dict()))
    layout = dict(raw.pop("layout"), clock_mhz=float(periphery.clock_mhz))
    steps = {k: np.asarray(v) for k, v in raw.items()}
    steps["learn"] = flags.astype(bool)
    steps["pulses"] = steps["potentiation_pulses"] + steps["depression_pulses"]
    parts = {}
    for design in ("crossbar", "digital"):
        parts[design] = design_costs(widths, steps, system, design)
    steps["logic_energy_pj"] = sum(parts["crossbar"]["logic"].values())
    steps["sram_energy_pj"] = sum(parts["crossbar"]["sram"].values())
    steps["extra_energy_pj"] = steps["digital_energy_pj"]
    cycles = sum(steps[f"cycles_{ph}"].astype(np.float64)
                 for ph in ("overlap", "kwta", "duty_boost", "permanence", "finish"))
    parts["digital"]["latency_ns"] = cycles * 1e3 / float(periphery.clock_mhz)
    area = {"cells": layout["cells_area_um2"], "drivers": layout["drivers_area_um2"],
            "sense": layout["sense_area_um2"], "extra": layout["digital_area_um2"],
            **parts["crossbar"]["area_um2"]}
    name = preset_name if device is p.device and array is p.array and periphery is p.periphery else \
        f"{preset_name} (modified)"
    cpu = _cpu_steps_per_s(original, x, flags) if measure_cpu else {}
    return Report(name, steps, area, layout, None if input_rate_hz is None else float(input_rate_hz),
                  system=dict(system.to_dict(), **{k: widths[k] for k in ("columns", "inputs", "synapses")}),
                  parts=parts, digital_area_um2=dict(parts["digital"]["area_um2"]), cpu_steps_per_s=cpu)


CPU_REPEATS = 3


def _cpu_steps_per_s(sp, x, flags) -> dict:
    """Design (c): the C++ fixed-point model's steps per second on one thread, timed on the run's
    inputs: on a copy of ``sp``, the learning rows with learning on, then the inference rows;
    the fastest of ``CPU_REPEATS`` runs (each from the same state), as docs/performance.md's
    "best"."""
    import time

    learn = flags.astype(bool)
    best = {}
    for _ in range(CPU_REPEATS):
        run = copy.deepcopy(sp)
        for kind, mask, on in (("learning", learn, True), ("inference", ~learn, False)):
            rows = x[mask]
            if not len(rows):
                continue
            t = time.perf_counter()
            run.compute(rows, learn=on, output="dense")
            best[kind] = min(best.get(kind, math.inf), time.perf_counter() - t)
    return {kind: int(mask.sum()) / max(best[kind], 1e-9)
            for kind, mask in (("learning", learn), ("inference", ~learn)) if kind in best}
