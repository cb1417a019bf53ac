"""The whole chip around the array: digital periphery (per-operation energy and area), the
controller's memories (SRAM energy per access, area per bit), latency from the accelerator's
cycle counts, and three designs side by side for one run: (a) crossbar + digital periphery,
(b) an all-digital SRAM accelerator, (c) the CPU running the C++ model.

Every figure and its source: docs/energy.md. Energies in pJ, areas in um^2, latencies in ns.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass

import numpy as np

from .._param_table import SYSTEM_FIELDS, table_dataclass

# -- Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014, 45 nm,
# 0.9 V: energy per operation (Fig. 1.1.9) and area of the arithmetic units (the area table of
# the same talk). Keys: operand width in bits (multiplies: n x n).
HOROWITZ_NODE_NM = 45
HOROWITZ_VDD_V = 0.9
HOROWITZ_ADD_PJ = {8: 0.03, 32: 0.1}
HOROWITZ_MULT_PJ = {8: 0.2, 32: 3.1}
HOROWITZ_ADD_AREA_UM2 = {8: 36.0, 32: 137.0}
HOROWITZ_MULT_AREA_UM2 = {8: 282.0, 32: 3495.0}
# 64-bit SRAM (cache) access by capacity in bytes: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ.
HOROWITZ_SRAM_64B_PJ = {8 * 1024: 10.0, 32 * 1024: 20.0, 1024 * 1024: 100.0}

# -- SRAM bit-cell area at 45 nm: Intel's 45 nm high-k/metal-gate 6T cell, 0.346 um^2 (Mistry
# et al., IEDM 2007). Cells only: decoders and sense amplifiers are not in it (a lower bound).
SRAM_CELL_AREA_45NM_UM2 = 0.346

# -- Stillmaker & Baas, "Scaling equations for the accurate prediction of CMOS device
# performance from 180 nm to 7 nm", Integration 58 (2017): energy of a node at supply V
# relative to the others, a V^2 + b V + c per node; area factors from 45 nm to each node.
STILLMAKER_NODES_NM = (130, 90, 65, 45, 32, 20, 16, 14, 10, 7)
STILLMAKER_ENERGY_POLY = ((7.171, -6.709, 2.904), (4.762, -4.781, 2.092), (3.755, -4.398, 1.975),
                          (1.103, -0.362, 0.2767), (0.9559, -0.7823, 0.471), (0.373, -0.1582, 0.04104),
                          (0.2958, -0.1241, 0.03024), (0.2363, -0.09675, 0.02239), (0.2068, -0.09311, 0.02375),
                          (0.1776, -0.09097, 0.02447))
STILLMAKER_AREA_FROM_45NM = (6.4, 2.8, 1.5, 1.0, 0.46, 0.21, 0.19, 0.17, 0.1, 0.059)

DESIGNS = ("crossbar", "digital", "cpu")
DESIGN_TITLES = {"crossbar": "(a) crossbar + digital periphery", "digital": "(b) all-digital SRAM accelerator",
                 "cpu": "(c) CPU running the C++ model"}


@dataclass(frozen=True)
@table_dataclass(SYSTEM_FIELDS)
class System:
    """Technology of the digital periphery and the CPU of design (c) (docs/energy.md)."""

    def __post_init__(self):
        values = {}
        for p in SYSTEM_FIELDS:
            v = getattr(self, p.name)
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or (
                    p.kind == "int" and not isinstance(v, numbers.Integral)):
                raise TypeError(f"System.{p.name} must be {'an integer' if p.kind == 'int' else 'a number'}; "
                                f"got {v!r}")
            values[p.name] = v
        for p in SYSTEM_FIELDS:
            if not p.range.contains(values[p.name], values):
                raise ValueError(f"System.{p.name} must be {p.allowed}; got {values[p.name]!r}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _node_weights(technology_nm: float) -> list:
    """(index, weight) of the tabulated nodes around ``technology_nm`` (linear in nm)."""
    nodes = STILLMAKER_NODES_NM
    for i in range(len(nodes) - 1):
        hi, lo = nodes[i], nodes[i + 1]
        if lo <= technology_nm <= hi:
            w = (technology_nm - lo) / (hi - lo)
            return [(i, w), (i + 1, 1.0 - w)]
    raise ValueError(f"technology_nm must be in [{nodes[-1]}, {nodes[0]}]; got {technology_nm!r}")


def _energy_poly(technology_nm: float, vdd_v: float) -> float:
    return sum(w * (a * vdd_v**2 + b * vdd_v + c)
               for i, w in _node_weights(technology_nm) for a, b, c in [STILLMAKER_ENERGY_POLY[i]])


def energy_scale(technology_nm: float, vdd_v: float) -> float:
    """Factor from Horowitz's 45 nm / 0.9 V energies to ``technology_nm`` at ``vdd_v``
    (Stillmaker & Baas 2017's polynomials, interpolated linearly between nodes)."""
    return _energy_poly(technology_nm, vdd_v) / _energy_poly(HOROWITZ_NODE_NM, HOROWITZ_VDD_V)


def area_scale(technology_nm: float) -> float:
    """Factor from 45 nm areas to ``technology_nm`` (Stillmaker & Baas 2017)."""
    return sum(w * STILLMAKER_AREA_FROM_45NM[i] for i, w in _node_weights(technology_nm))


def _line(table: dict, x: float) -> float:
    """The straight line through the two points of ``table`` at x."""
    (x0, y0), (x1, y1) = sorted(table.items())
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def _width(bits, name="bits") -> int:
    if isinstance(bits, bool) or not isinstance(bits, numbers.Integral) or bits < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {bits!r}")
    return int(bits)


def add_energy_pj(bits: int) -> float:
    """An n-bit add (also a comparison = subtraction, a counter increment) at 45 nm / 0.9 V:
    the line through Horowitz's 8-bit 0.03 pJ and 32-bit 0.1 pJ (ripple-carry: linear in n)."""
    return _line(HOROWITZ_ADD_PJ, _width(bits))


def mult_energy_pj(bits_a: int, bits_b: int) -> float:
    """An a x b-bit multiply at 45 nm / 0.9 V: linear in a x b (the partial products) through
    Horowitz's 8 x 8 0.2 pJ and 32 x 32 3.1 pJ."""
    a, b = _width(bits_a, "bits_a"), _width(bits_b, "bits_b")
    (x0, y0), (x1, y1) = ((8 * 8, HOROWITZ_MULT_PJ[8]), (32 * 32, HOROWITZ_MULT_PJ[32]))
    return y0 + (y1 - y0) * (a * b - x0) / (x1 - x0)


def add_area_um2(bits: int) -> float:
    """Area of an n-bit adder / comparator / counter at 45 nm (Horowitz: 8 bits 36, 32 bits 137 um^2)."""
    return _line(HOROWITZ_ADD_AREA_UM2, _width(bits))


def mult_area_um2(bits_a: int, bits_b: int) -> float:
    """Area of an a x b-bit multiplier at 45 nm (Horowitz: 8 x 8 282, 32 x 32 3495 um^2), linear in a x b."""
    a, b = _width(bits_a, "bits_a"), _width(bits_b, "bits_b")
    (x0, y0), (x1, y1) = ((8 * 8, HOROWITZ_MULT_AREA_UM2[8]), (32 * 32, HOROWITZ_MULT_AREA_UM2[32]))
    return y0 + (y1 - y0) * (a * b - x0) / (x1 - x0)


def sram_energy_pj_per_bit(capacity_bits: int) -> float:
    """Energy per bit read or written of an SRAM of ``capacity_bits`` at 45 nm / 0.9 V: Horowitz's
    64-bit access / 64, interpolated log-log between 8 KB, 32 KB and 1 MB; below 8 KB the 8 KB
    figure (an upper bound), above 1 MB the memory is banked in 1 MB macros (the 1 MB figure)."""
    if isinstance(capacity_bits, bool) or not isinstance(capacity_bits, numbers.Integral) or capacity_bits < 1:
        raise ValueError(f"capacity_bits must be an integer >= 1; got {capacity_bits!r}")
    size = capacity_bits / 8.0
    pts = sorted(HOROWITZ_SRAM_64B_PJ.items())
    if size <= pts[0][0]:
        e64 = pts[0][1]
    elif size >= pts[-1][0]:
        e64 = pts[-1][1]
    else:
        for (s0, e0), (s1, e1) in zip(pts, pts[1:]):
            if s0 <= size <= s1:
                t = math.log(size / s0) / math.log(s1 / s0)
                e64 = math.exp(math.log(e0) + t * math.log(e1 / e0))
                break
    return e64 / 64.0


def sram_area_um2(capacity_bits: int) -> float:
    """Bit-cell area of an SRAM at 45 nm (0.346 um^2 per bit; cells only)."""
    if isinstance(capacity_bits, bool) or not isinstance(capacity_bits, numbers.Integral) or capacity_bits < 0:
        raise ValueError(f"capacity_bits must be an integer >= 0; got {capacity_bits!r}")
    return capacity_bits * SRAM_CELL_AREA_45NM_UM2


# -- the pooler's widths and memories ------------------------------------------------------------
def pooler_widths(sp) -> dict:
    """Sizes and word widths of the fixed-point pooler ``sp`` (docs/datapath.md)."""
    hw, k = sp.hw, sp.constants
    _, offsets = sp.permanence_memory()
    w = {"columns": int(sp.num_columns), "inputs": int(sp.num_inputs), "synapses": int(offsets[-1]),
         "permanence_bits": int(hw.permanence_bits), "overlap_bits": int(k["overlap_bits"]),
         "boost_bits": int(hw.boost_int_bits + hw.boost_frac_bits), "duty_bits": int(hw.duty_bits),
         "boost_lut_bits": int(hw.boost_lut_bits),
         "boost_in_inference": bool(sp.params["boost_in_inference"])}
    w["score_bits"] = w["overlap_bits"] + int(hw.boost_int_bits) + int(hw.boosted_frac_bits)
    w["index_bits"] = max(1, math.ceil(math.log2(w["inputs"])))
    w["count_bits"] = max(1, w["columns"].bit_length())  # the kWTA's counters count up to C
    return w


def memories_bits(w: dict, design: str) -> dict:
    """Capacity in bits of each memory of design "crossbar" (a) or "digital" (b).
    (a) keeps the permanences (the controller's copy), pool indices (the row of each written
    cell), duties, boosts, the boost LUT, the column scores and the input register; (b) also the
    connected bit of every synapse, which its overlap counts."""
    s, c = w["synapses"], w["columns"]
    m = {"permanence": s * w["permanence_bits"], "pool_index": s * w["index_bits"],
         "duty": 2 * c * w["duty_bits"], "boost": c * w["boost_bits"],
         "boost_lut": (1 << w["boost_lut_bits"]) * w["boost_bits"], "score": c * w["score_bits"],
         "input": w["inputs"]}
    if design == "digital":
        m["connected"] = s
    return m


def step_counts(w: dict, steps: dict, design: str) -> dict:
    """Per-step operation counts (arrays over the run's steps) from the run's activity
    (``steps``: the arrays of ``crossbar.estimate``: learn, overlap_sum, cycles_*).

    Returns {"ops": {name: (count array, energy per op pJ)}, "bits": {memory: bits accessed array}}.
    """
    learn = steps["learn"].astype(bool)
    c, s, p = w["columns"], w["synapses"], w["permanence_bits"]
    boost_on = learn | w["boost_in_inference"]
    visits = np.where(learn, steps["cycles_permanence"].astype(np.float64) - c, 0.0)  # synapse passes
    lf = learn.astype(np.float64)
    ops = {
        "overlap_increment": (steps["overlap_sum"].astype(np.float64), add_energy_pj(w["overlap_bits"])),
        "boost_multiply": (c * boost_on.astype(np.float64), mult_energy_pj(w["overlap_bits"], w["boost_bits"])),
        "kwta_compare": (steps["cycles_kwta"].astype(np.float64), add_energy_pj(w["score_bits"])),
        "kwta_count": (steps["cycles_kwta"].astype(np.float64), add_energy_pj(w["count_bits"])),
        "duty_update": (4.0 * c * lf, add_energy_pj(w["duty_bits"])),   # 2 registers x (subtract, add)
        "weak_compare": (1.0 * c * lf, add_energy_pj(w["duty_bits"])),  # duty vs the minimum
        "permanence_update": (2.0 * visits, add_energy_pj(p)),          # add/subtract + saturate/threshold
    }
    bits = {
        "score": c * w["score_bits"] + steps["cycles_kwta"].astype(np.float64) * w["score_bits"],
        "boost": c * w["boost_bits"] * boost_on.astype(np.float64) + c * w["boost_bits"] * lf,
        "boost_lut": c * w["boost_bits"] * lf,
        "duty": 2.0 * 2 * c * w["duty_bits"] * lf,       # read + write of both duty registers
        "permanence": 2.0 * visits * p,                  # read + write of every visited word
        "pool_index": visits * w["index_bits"],
        "input": np.zeros(len(learn)),
    }
    if design == "digital":
        # The overlap walks every pool: each synapse's index, input bit and connected bit.
        bits["pool_index"] = bits["pool_index"] + s * w["index_bits"]
        bits["input"] = bits["input"] + s
        bits["connected"] = s + visits                    # read every step, rewritten when visited
    else:
        bits["input"] = bits["input"] + w["inputs"]       # the input register drives the rows
    return {"ops": ops, "bits": bits}


def logic_area_um2(w: dict, design: str) -> dict:
    """The arithmetic units (hdl_ref's sequential datapath, one synapse lane): (a) one overlap
    counter per crossbar column (the sense amplifiers count in parallel), (b) one counter."""
    counters = w["columns"] if design == "crossbar" else 1
    return {"overlap_counters": counters * add_area_um2(w["overlap_bits"]),
            "boost_multiplier": mult_area_um2(w["overlap_bits"], w["boost_bits"]),
            "kwta_comparator": add_area_um2(w["score_bits"]),
            "kwta_counter": add_area_um2(w["count_bits"]),
            "duty_adders": 2 * add_area_um2(w["duty_bits"]),
            "permanence_adder": 2 * add_area_um2(w["permanence_bits"])}


def design_costs(w: dict, steps: dict, system: System, design: str) -> dict:
    """Per-step energy by part (arrays, pJ) and area by part (um^2) of the digital side of
    design "crossbar" or "digital", at ``system``'s node and supply."""
    es, ascale = energy_scale(system.technology_nm, system.vdd_v), area_scale(system.technology_nm)
    mem = memories_bits(w, design)
    counts = step_counts(w, steps, design)
    logic = {k: n * e * es for k, (n, e) in counts["ops"].items()}
    sram = {k: b * sram_energy_pj_per_bit(mem[k]) * es for k, b in counts["bits"].items() if mem.get(k, 0) > 0}
    area = {f"sram_{k}": sram_area_um2(v) * ascale for k, v in mem.items()}
    area.update({f"logic_{k}": v * ascale for k, v in logic_area_um2(w, design).items()})
    return {"logic": logic, "sram": sram, "area_um2": area}
