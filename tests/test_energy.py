"""The whole chip around the array (htmhw.crossbar.system, docs/energy.md): every per-operation
and per-bit figure pinned to its cited table, the technology scaling, the sum of the parts,
monotonicity in the permanence width and the column count, and the three designs."""
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from htmhw import HardwareConfig, SpatialPooler
from htmhw import crossbar as X
from htmhw._param_table import SYSTEM_FIELDS
from htmhw.configs import named_config
from htmhw.crossbar import system as S
from htmhw.hw.golden import random_inputs


# --- the cited tables ---------------------------------------------------------------------------
def test_horowitz_45nm_figures():
    # Horowitz, ISSCC 2014, 45 nm / 0.9 V: 8-bit add 0.03 pJ, 32-bit add 0.1 pJ, 8-bit mult 0.2 pJ,
    # 32-bit mult 3.1 pJ; area 36 / 137 / 282 / 3495 um^2; 64-bit SRAM access 8 KB 10 pJ, 32 KB 20 pJ,
    # 1 MB 100 pJ.
    assert S.add_energy_pj(8) == pytest.approx(0.03) and S.add_energy_pj(32) == pytest.approx(0.1)
    assert S.add_energy_pj(16) == pytest.approx(0.03 + 8 * 0.07 / 24)
    assert S.mult_energy_pj(8, 8) == pytest.approx(0.2) and S.mult_energy_pj(32, 32) == pytest.approx(3.1)
    assert S.add_area_um2(8) == pytest.approx(36) and S.add_area_um2(32) == pytest.approx(137)
    assert S.mult_area_um2(8, 8) == pytest.approx(282) and S.mult_area_um2(32, 32) == pytest.approx(3495)
    kb = 8 * 1024
    assert S.sram_energy_pj_per_bit(8 * kb) == pytest.approx(10 / 64)
    assert S.sram_energy_pj_per_bit(32 * kb) == pytest.approx(20 / 64)
    assert S.sram_energy_pj_per_bit(1024 * kb) == pytest.approx(100 / 64)
    assert S.sram_energy_pj_per_bit(16 * kb) == pytest.approx(10 * math.sqrt(2) / 64)   # log-log midpoint
    assert S.sram_energy_pj_per_bit(1) == pytest.approx(10 / 64)                         # below 8 KB: 8 KB's
    assert S.sram_energy_pj_per_bit(64 * 1024 * kb) == pytest.approx(100 / 64)           # banked in 1 MB
    assert S.sram_area_um2(1000) == pytest.approx(346.0)                                 # 0.346 um^2 / bit
    for f, bad in ((S.add_energy_pj, 0), (S.sram_energy_pj_per_bit, 0), (S.sram_area_um2, -1)):
        with pytest.raises(ValueError, match="must be an integer"):
            f(bad)


def test_stillmaker_scaling():
    assert S.energy_scale(45, 0.9) == pytest.approx(1.0) and S.area_scale(45) == 1.0
    p45 = 1.103 * 0.81 - 0.362 * 0.9 + 0.2767
    assert S.energy_scale(130, 1.3) == pytest.approx((7.171 * 1.69 - 6.709 * 1.3 + 2.904) / p45)
    assert S.energy_scale(7, 0.7) == pytest.approx((0.1776 * 0.49 - 0.09097 * 0.7 + 0.02447) / p45)
    assert S.area_scale(130) == 6.4 and S.area_scale(7) == 0.059
    assert S.area_scale(110) == pytest.approx((6.4 + 2.8) / 2)   # linear between 130 and 90
    e = [S.energy_scale(n, 1.0) for n in S.STILLMAKER_NODES_NM]
    assert all(a > b for a, b in zip(e, e[1:]))                  # smaller nodes cost less
    assert S.energy_scale(45, 1.0) > S.energy_scale(45, 0.8)


@pytest.mark.parametrize("p", SYSTEM_FIELDS, ids=[p.name for p in SYSTEM_FIELDS])
def test_system_accepts_each_bound_of_the_table_and_refuses_just_outside(p):
    r = p.range
    for bound, is_open, down in ((r.lo, r.lo_open, True), (r.hi, r.hi_open, False)):
        outside = bound + (-1 if down else 1) if r.integer else float(np.nextafter(bound, -np.inf if down else np.inf))
        inside = bound + (1 if down else -1) if r.integer else float(np.nextafter(bound, np.inf if down else -np.inf))
        for value, ok in ((bound, not is_open), (outside, False), (inside, True)):
            if ok:
                X.System(**{p.name: value})
            else:
                with pytest.raises(ValueError, match=p.name):
                    X.System(**{p.name: value})


def test_system_validation():
    assert X.System().to_dict() == {"technology_nm": 45, "vdd_v": 0.9, "cpu_power_w_per_core": 3.75}
    with pytest.raises(ValueError, match=r"technology_nm must be an integer in \[7, 130\]; got 5"):
        X.System(technology_nm=5)
    with pytest.raises(ValueError, match="vdd_v"):
        X.System(vdd_v=2.0)
    with pytest.raises(ValueError, match="cpu_power_w_per_core"):
        X.System(cpu_power_w_per_core=0.0)
    with pytest.raises(TypeError, match="technology_nm"):
        X.System(technology_nm=45.5)
    with pytest.raises(TypeError, match="system"):
        X.estimate(_sp(), random_inputs(3, 16, 3, 1), system={"technology_nm": 45})


# --- a run ---------------------------------------------------------------------------------------
def _sp(columns=None, **hw):
    cfg = named_config("tiny")
    if columns is not None:
        cfg = dict(cfg, column_dimensions=(columns,))
    return SpatialPooler(arithmetic="fixed", hw=HardwareConfig(**hw), **cfg)


X40 = random_inputs(40, 16, 4, 7)


def _designs(sp, **kw):
    return X.estimate(sp, X40, "first:30", **kw).summary()["designs"]


def test_energy_per_step_is_the_sum_of_its_parts():
    r = X.estimate(_sp(), X40, "first:30")
    s = r.summary()
    d = s["designs"]
    for kind in ("inference", "learning"):
        for name in ("crossbar", "digital"):
            parts = d[name][f"energy_per_{kind}_step_by_part_pj"]
            assert d[name][f"energy_per_{kind}_step_pj"] == pytest.approx(sum(parts.values()), rel=1e-12)
        # (a) is the report's own total: array + logic + SRAM (+ user-set extra).
        assert d["crossbar"][f"energy_per_{kind}_step_pj"] == pytest.approx(s[f"energy_per_{kind}_step_total_pj"])
        e = s[f"energy_per_{kind}_step_pj"]
        assert e["logic"] > 0 and e["sram"] > 0
    assert s["area_total_um2"] == pytest.approx(sum(s["area_um2"].values()))
    assert d["digital"]["area_um2"] == pytest.approx(sum(d["digital"]["area_by_part_um2"].values()))
    # Per step: logic = sum over operations of count x energy per op, by hand for one step.
    w = S.pooler_widths(_sp())
    k = 0
    ops = {"overlap_increment": r.steps["overlap_sum"][k] * S.add_energy_pj(w["overlap_bits"]),
           "boost_multiply": w["columns"] * S.mult_energy_pj(w["overlap_bits"], w["boost_bits"]),
           "kwta_compare": r.steps["cycles_kwta"][k] * S.add_energy_pj(w["score_bits"]),
           "kwta_count": r.steps["cycles_kwta"][k] * S.add_energy_pj(w["count_bits"]),
           "duty_update": 4 * w["columns"] * S.add_energy_pj(w["duty_bits"]),
           "weak_compare": w["columns"] * S.add_energy_pj(w["duty_bits"]),
           "permanence_update": 2 * (r.steps["cycles_permanence"][k] - w["columns"]) * S.add_energy_pj(8)}
    assert r.steps["logic_energy_pj"][k] == pytest.approx(sum(ops.values()), rel=1e-12)
    perm_bits = w["synapses"] * 8
    assert r.parts["crossbar"]["sram"]["permanence"][k] == pytest.approx(
        2 * (r.steps["cycles_permanence"][k] - w["columns"]) * 8 * S.sram_energy_pj_per_bit(perm_bits))


def test_operation_counts_come_from_the_run():
    from htmhw.hw import hdl

    sp = _sp()
    r = X.estimate(sp, X40, "first:30", periphery=X.Periphery(clock_mhz=250.0))
    cyc = hdl.model_cycles(_sp(), X40, np.arange(40) < 30)
    for ph in ("overlap", "kwta", "duty_boost", "permanence", "finish"):
        assert np.array_equal(r.steps[f"cycles_{ph}"], cyc[ph]), ph
    # (b)'s latency: every cycle of hdl_ref at the clock.
    assert np.allclose(r.parts["digital"]["latency_ns"], cyc["total"] * 1e3 / 250.0)
    # The overlap sum: the connected synapses on active inputs, step by step.
    ref = _sp()
    for i in range(3):
        ref.compute(X40[i:i + 1], learn=True)
        assert r.steps["overlap_sum"][i] == ref.overlaps().sum()


def test_wider_permanences_cost_more_area_and_energy():
    d4, d8, d12 = (_designs(_sp(permanence_bits=b)) for b in (4, 8, 12))
    for name in ("crossbar", "digital"):
        assert d4[name]["area_um2"] < d8[name]["area_um2"] < d12[name]["area_um2"]
    # The runs differ with the width (a coarser step rewrites other synapses), but the
    # permanence memory's energy per learning step still grows with it.
    assert d4["digital"]["energy_per_learning_step_by_part_pj"]["sram_permanence"] < \
        d12["digital"]["energy_per_learning_step_by_part_pj"]["sram_permanence"]


def test_wider_duty_registers_cost_more_area():
    narrow = _designs(_sp(duty_bits=8, boost_lut_bits=8))
    wide = _designs(_sp(duty_bits=16, boost_lut_bits=8))
    for name in ("crossbar", "digital"):
        assert narrow[name]["area_um2"] < wide[name]["area_um2"]
        assert narrow[name]["energy_per_learning_step_by_part_pj"]["sram_duty"] < \
            wide[name]["energy_per_learning_step_by_part_pj"]["sram_duty"]


def test_more_columns_cost_more_area_and_energy():
    small, large = _designs(_sp(columns=16)), _designs(_sp(columns=256))
    for name in ("crossbar", "digital"):
        assert large[name]["area_um2"] > small[name]["area_um2"]
        for kind in ("inference", "learning"):
            assert large[name][f"energy_per_{kind}_step_pj"] > small[name][f"energy_per_{kind}_step_pj"]


def test_technology_scales_the_digital_side():
    base, old = _designs(_sp()), _designs(_sp(), system=X.System(technology_nm=130, vdd_v=1.3))
    es, asc = S.energy_scale(130, 1.3), S.area_scale(130)
    assert old["digital"]["energy_per_inference_step_pj"] == pytest.approx(
        es * base["digital"]["energy_per_inference_step_pj"])
    assert old["digital"]["area_um2"] == pytest.approx(asc * base["digital"]["area_um2"])


def test_no_preset_has_zero_digital_energy_or_area():
    for name in X.PRESETS:
        s = X.estimate(_sp(), X40[:8], "first:4", preset_name=name).summary()
        for kind in ("inference", "learning"):
            assert s[f"energy_per_{kind}_step_pj"]["logic"] > 0 and s[f"energy_per_{kind}_step_pj"]["sram"] > 0
        assert s["area_um2"]["sram_permanence"] > 0 and s["area_um2"]["logic_overlap_counters"] > 0


def test_cpu_design():
    r = X.estimate(_sp(), X40, "first:30", measure_cpu=True, system=X.System(cpu_power_w_per_core=2.0))
    d = r.summary()["designs"]
    c = d["cpu"]
    for kind in ("inference", "learning"):
        rate = c["steps_per_s"][kind]
        assert rate > 0
        assert c[f"energy_per_{kind}_step_pj"] == pytest.approx(2.0 / rate * 1e12)
        assert c[f"latency_per_{kind}_step_ns"] == pytest.approx(1e9 / rate)
        assert d["crossbar"][f"cpu_energy_ratio_{kind}"] == pytest.approx(
            c[f"energy_per_{kind}_step_pj"] / d["crossbar"][f"energy_per_{kind}_step_pj"])
    assert "cpu" not in _designs(_sp())
    with pytest.raises(TypeError, match="measure_cpu"):
        X.estimate(_sp(), X40, measure_cpu=1)


def test_cli_prints_three_designs():
    cmd = [sys.executable, "-m", "htmhw.cli", "crossbar", "report", "--config", "tiny", "--steps", "30",
           "--learn", "first:20", "--technology-nm", "32", "--vdd", "0.9", "--clock-mhz", "50"]
    out = subprocess.run(cmd + ["--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    j = json.loads(out.stdout)
    assert set(j["designs"]) == {"crossbar", "digital", "cpu"} and j["system"]["technology_nm"] == 32
    txt = subprocess.run(cmd, capture_output=True, text=True)
    assert txt.returncode == 0 and "(b) all-digital SRAM accelerator" in txt.stdout and "50 MHz" in txt.stdout
    bad = subprocess.run(cmd[:-6] + ["--technology-nm", "3", "--no-cpu"], capture_output=True, text=True)
    assert bad.returncode == 2 and "technology_nm" in bad.stderr
