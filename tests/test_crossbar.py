"""Crossbar cost model: MNSIM 2.0 array figures against hand computation from the
formulas in docs/crossbar.md, monotonicity, level mapping and parameter errors."""
import json
import math
from pathlib import Path

import pytest

from htmhw import crossbar as X


def test_mnsim2_default_figures_by_hand():
    f = X.array_figures("mnsim2-default")
    # 256 x 256 1T1R, R_H = 1 Mohm, R_L = 10 kohm, V0/V1 = 0 / 0.15 V, 67 % / 33 % and 10 % constants.
    g_eff = 0.67 / 1e6 + 0.33 / 1e4                       # 3.367e-5 S
    v2 = 0.9 * 0.0**2 + 0.1 * 0.15**2                     # 0.00225 V^2
    assert f["effective_resistance_ohm"] == pytest.approx(1 / g_eff, rel=1e-12)
    assert f["effective_read_voltage_v"] == pytest.approx(math.sqrt(v2), rel=1e-12)
    p_mw = 256 * 256 * v2 * g_eff * 1e3
    assert p_mw == pytest.approx(4.96484352, rel=1e-9)
    assert f["read_power_mw"] == pytest.approx(p_mw, rel=1e-12)
    s_kb = 256 * 256 / 1024 / 8                            # 8 KB
    t_wire = 0.001 * (0.0002 * 64 + 5e-6 * 8 + 4e-14)
    assert s_kb == 8 and f["wire_latency_ns"] == pytest.approx(t_wire, rel=1e-12)
    assert f["read_latency_ns"] == pytest.approx(3.16 + t_wire, rel=1e-12)
    assert f["read_energy_pj"] == pytest.approx(p_mw * (3.16 + t_wire), rel=1e-12)   # about 15.69 pJ
    assert f["write_latency_ns"] == pytest.approx(10.0 * 256)
    assert f["area_um2"] == pytest.approx(256 * 256 * 1.44 + 1150 * 256)            # 388,771.84 um^2
    assert f["adc_latency_ns"] == pytest.approx((6 + 2) / 1.0)
    assert f["adc_energy_pj"] == pytest.approx(1.26 * 8)


def test_workload_statistics_replace_mnsim_constants():
    base = X.array_figures("mnsim2-default", on_fraction=0.33, input_density=0.1)
    # Twice the active inputs with V0 = 0: twice the read power and energy.
    dense = X.array_figures("mnsim2-default", on_fraction=0.33, input_density=0.2)
    assert dense["read_power_mw"] == pytest.approx(2 * base["read_power_mw"], rel=1e-12)
    # More connected (low-resistance) cells: more read power.
    more_on = X.array_figures("mnsim2-default", on_fraction=0.5)
    assert more_on["read_power_mw"] > base["read_power_mw"]
    # No input active and V0 = 0: no read power.
    assert X.array_figures("mnsim2-default", input_density=0.0)["read_power_mw"] == 0.0


@pytest.mark.parametrize("name", sorted(X.PRESETS))
def test_more_columns_cost_more(name):
    p = X.preset(name)
    small = X.array_figures(p.device, X.Array(rows=128, columns=64), p.periphery)
    large = X.array_figures(p.device, X.Array(rows=128, columns=128), p.periphery)
    assert large["area_um2"] > small["area_um2"]
    assert large["read_energy_pj"] > small["read_energy_pj"]
    assert large["read_power_mw"] == pytest.approx(2 * small["read_power_mw"], rel=1e-12)
    assert p.source


def test_write_latency_counts_written_rows():
    assert X.array_figures("mnsim2-default", rows_written=0)["write_latency_ns"] == 0
    assert X.array_figures("mnsim2-default", rows_written=7)["write_latency_ns"] == pytest.approx(70.0)


@pytest.mark.parametrize("p,perm_max,levels,expected", [
    (128, 255, 2, 1), (127, 255, 2, 0), (0, 255, 64, 0), (255, 255, 64, 63),
    (4, 255, 64, 1),   # 4 * 63 / 255 = 0.988
    (2, 255, 64, 0),   # 0.494
    (1, 2, 2, 1),      # exactly 0.5 rounds half up
    (15, 15, 16, 15), (7, 15, 4, 1),  # 7 * 3 / 15 = 1.4
])
def test_permanence_level(p, perm_max, levels, expected):
    assert X.permanence_level(p, perm_max, levels) == expected


@pytest.mark.parametrize("kwargs,match", [
    (dict(r_on_ohm=1e6, r_off_ohm=1e4), "r_off_ohm"),
    (dict(r_on_ohm=1e4, r_off_ohm=1e4), "r_off_ohm"),
    (dict(r_on_ohm=-1.0), "r_on_ohm"),
    (dict(v_read1_v=-0.1), "v_read1_v"),
    (dict(v_read0_v=-0.1), "v_read0_v"),
    (dict(v_write_v=0.0), "v_write_v"),
    (dict(levels=0), "levels"),
    (dict(levels=1), "levels"),
    (dict(cell_area_um2=float("nan")), "cell_area_um2"),
])
def test_invalid_device(kwargs, match):
    with pytest.raises(ValueError, match=match):
        X.array_figures(X.Device(**kwargs))


def test_invalid_other_parameters():
    with pytest.raises(ValueError, match="rows"):
        X.array_figures(X.Device(), X.Array(rows=0))
    with pytest.raises(ValueError, match="cell"):
        X.array_figures(X.Device(), X.Array(cell="2T2R"))
    with pytest.raises(ValueError, match="adc_bits"):
        X.array_figures(X.Device(), X.Array(), X.Periphery(adc_bits=0))
    with pytest.raises(ValueError, match="on_fraction"):
        X.array_figures("mnsim2-default", on_fraction=1.5)
    with pytest.raises(ValueError, match="input_density"):
        X.array_figures("mnsim2-default", input_density=-0.1)
    with pytest.raises(ValueError, match="rows_written"):
        X.array_figures("mnsim2-default", rows_written=257)
    with pytest.raises(ValueError, match="unknown crossbar preset"):
        X.array_figures("mnsim3")
    with pytest.raises(TypeError, match="r_on_ohm"):
        X.Device(r_on_ohm="10k")
    with pytest.raises(ValueError, match="levels"):
        X.Device(levels=2.5)
    with pytest.raises(ValueError, match="permanence"):
        X.permanence_level(256, 255, 2)


# --- the SP on crossbars: costs driven by the run's activity ------------------------

import numpy as np  # noqa: E402

from htmhw import HardwareConfig, SpatialPooler  # noqa: E402
from htmhw.configs import named_config  # noqa: E402
from htmhw.hw.golden import random_inputs  # noqa: E402


def _tiny(**hw):
    return SpatialPooler(arithmetic="fixed", hw=HardwareConfig(**hw), **named_config("tiny"))


def _levels(sp, levels):
    words, _ = sp.permanence_memory()
    pmax = sp.constants["perm_max"]
    return np.array([X.permanence_level(int(w), pmax, levels) for w in words])


def _g(device, level):
    g_off, g_on = 1 / device.r_off_ohm, 1 / device.r_on_ohm
    return g_off + (g_on - g_off) * level / (device.levels - 1)


def test_read_and_write_costs_by_hand():
    """One learning step of tiny on a 16-level device: read energy from the stored
    levels of the active rows, pulses and write energy from the permanence deltas."""
    dev = X.Device(r_on_ohm=1e4, r_off_ohm=1e6, levels=16, v_read1_v=0.2, v_write_v=2.0, pulse_width_ns=10.0,
                   read_latency_ns=5.0)
    arr = X.Array(rows=16, columns=8)
    sp = _tiny(permanence_bits=4)
    x = random_inputs(1, 16, 4, 3)
    before = _levels(sp, 16)
    _, offsets = sp.permanence_memory()
    potential = np.asarray(sp.potential()).astype(bool)   # (columns, inputs)
    syn_input = np.nonzero(potential)[1]                              # pool order = row-major nonzeros
    report = X.estimate(sp, x, True, device=dev, array=arr)
    # Read: every active row's cells, non-potential ones at level 0.
    row_g = np.full(16, 8 * _g(dev, 0))
    np.add.at(row_g, syn_input, _g(dev, before) - _g(dev, 0))
    t_read = 5.0 + 0.001 * (0.0002 * (128 / 8192) ** 2 + 5e-6 * (128 / 8192) + 4e-14)
    active = np.flatnonzero(x[0])
    assert report.steps["active_rows"][0] == 4
    assert report.steps["read_energy_pj"][0] == pytest.approx(0.2**2 * row_g[active].sum() * t_read * 1e3, rel=1e-9)
    assert report.steps["read_latency_ns"][0] == pytest.approx(4 * t_read, rel=1e-12)
    # Write: the same step on a second copy gives the permanences after it.
    sp.compute(x, learn=True)
    after = _levels(sp, 16)
    delta = after - before
    assert report.steps["potentiation_pulses"][0] == delta[delta > 0].sum() > 0
    assert report.steps["depression_pulses"][0] == -delta[delta < 0].sum()
    assert report.steps["cells_written"][0] == np.count_nonzero(delta)
    changed = delta != 0
    e = (2.0**2 * (_g(dev, before) + _g(dev, after)) / 2 * 10.0 * np.abs(delta) * 1e3)[changed].sum()
    assert report.steps["write_energy_pj"][0] == pytest.approx(e, rel=1e-9)
    rows = syn_input[changed]
    per_row_pot = {r: np.abs(delta[changed & (syn_input == r) & (delta > 0)]).max(initial=0) for r in set(rows)}
    per_row_dep = {r: np.abs(delta[changed & (syn_input == r) & (delta < 0)]).max(initial=0) for r in set(rows)}
    assert report.steps["write_latency_ns"][0] == pytest.approx(10.0 * (sum(per_row_pot.values()) +
                                                                       sum(per_row_dep.values())))
    assert offsets[-1] == len(syn_input)


def test_estimate_is_reproducible_and_leaves_sp_alone():
    sp = _tiny()
    x = random_inputs(60, 16, 3, 5)
    words0 = sp.permanence_memory()[0].copy()
    a = X.estimate(sp, x, True, input_rate_hz=1e4)
    b = X.estimate(sp, x, True, input_rate_hz=1e4)
    assert np.array_equal(sp.permanence_memory()[0], words0) and sp.iteration_num == 0
    for k in a.steps:
        assert np.array_equal(a.steps[k], b.steps[k]), k
    assert a.to_dict() == b.to_dict()
    s = a.summary()
    total = sum(a.steps[f"{ph}_energy_pj"] for ph in X.PHASES).mean()
    assert s["average_power_mw"] == pytest.approx(total * 1e-12 * 1e4 * 1e3)
    assert "per learning step" in a.table()


def test_denser_input_costs_more_read_energy():
    sp = _tiny()
    sparse = X.estimate(sp, random_inputs(200, 16, 2, 1), False)
    dense = X.estimate(sp, random_inputs(200, 16, 8, 1), False)
    assert dense.summary()["energy_per_inference_step_pj"]["read"] > \
        2 * sparse.summary()["energy_per_inference_step_pj"]["read"]
    assert sparse.steps["write_energy_pj"].sum() == 0 and sparse.steps["pulses"].sum() == 0


def test_more_columns_more_area_and_energy():
    small = SpatialPooler(arithmetic="fixed", **dict(named_config("tiny"), column_dimensions=(8,)))
    large = SpatialPooler(arithmetic="fixed", **dict(named_config("tiny"), column_dimensions=(600,)))
    x = random_inputs(20, 16, 4, 2)
    rs, rl = X.estimate(small, x, False), X.estimate(large, x, False)
    assert rl.summary()["area_total_um2"] > rs.summary()["area_total_um2"]
    assert rl.layout["column_tiles"] == 3 and rs.layout["column_tiles"] == 1
    assert rl.summary()["energy_per_inference_step_total_pj"] > rs.summary()["energy_per_inference_step_total_pj"]


def test_digital_costs_follow_the_cycle_model():
    from htmhw.hw import hdl

    per = X.Periphery(digital_energy_pj_per_cycle=0.5, clock_mhz=200.0)
    x = random_inputs(30, 16, 3, 4)
    r = X.estimate(_tiny(), x, True, periphery=per)
    cyc = hdl.model_cycles(_tiny(), x, True)
    digital = cyc["total"] - cyc["overlap"]   # the overlap is the crossbar read
    assert np.allclose(r.steps["digital_energy_pj"], 0.5 * digital)
    assert np.allclose(r.steps["digital_latency_ns"], digital * 1e3 / 200.0)


def test_estimate_errors(tmp_path):
    sp = _tiny()
    x = random_inputs(5, 16, 3, 1)
    with pytest.raises(TypeError, match="SpatialPooler"):
        X.estimate("sp", x)
    with pytest.raises(ValueError, match="learn"):
        X.estimate(sp, x, np.array([1, 0]))
    with pytest.raises(ValueError, match="input_rate_hz"):
        X.estimate(sp, x, input_rate_hz=0)
    with pytest.raises(ValueError, match="clock_mhz"):
        X.estimate(sp, x, periphery=X.Periphery(clock_mhz=0.0))
    with pytest.raises(TypeError, match="device"):
        X.estimate(sp, x, device={"r_on_ohm": 1})
    with pytest.raises(ValueError, match="fixed"):
        X.estimate(SpatialPooler(**named_config("tiny")), x)
    fig_path = tmp_path / "xb.png"
    X.estimate(sp, x, True).plot(fig_path)
    assert fig_path.stat().st_size > 1000


def test_cli_report(tmp_path):
    import json
    import subprocess
    import sys

    plot = tmp_path / "xb.png"
    proc = subprocess.run([sys.executable, "-m", "htmhw.cli", "crossbar", "report", "--preset", "nvsim-rram",
                           "--config", "tiny", "--steps", "40", "--learn", "first:30", "--input-rate", "1000",
                           "--plot", str(plot), "--json"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["learning_steps"] == 30 and out["inference_steps"] == 10
    assert out["energy_per_learning_step_pj"]["write"] > 0
    assert out["energy_per_inference_step_pj"]["write"] == 0
    assert out["area_total_um2"] == pytest.approx(sum(out["area_um2"].values()))
    assert plot.stat().st_size > 1000
    bad = subprocess.run([sys.executable, "-m", "htmhw.cli", "crossbar", "report", "--preset", "nope"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown crossbar preset" in bad.stderr


# --- stuck-at faults in the loop ---------------------------------------------------


def _overlaps(sp, x):
    return np.asarray(sp.trace(x[None, :] if x.ndim == 1 else x, learn=False)["overlaps"])


def test_stuck_at_masks_counts_and_reproducibility():
    on, off = X.stuck_at_masks(50, 40, 0.25, 7, on_fraction=0.4)
    assert (on.sum(axis=1) == 4).all() and (off.sum(axis=1) == 6).all()   # 10 faulty cells per column
    assert not (on & off).any()
    on2, off2 = X.stuck_at_masks(50, 40, 0.25, 7, on_fraction=0.4)
    assert np.array_equal(on, on2) and np.array_equal(off, off2)
    on3, _ = X.stuck_at_masks(50, 40, 0.25, 8, on_fraction=0.4)
    assert not np.array_equal(on, on3)
    for kwargs in (dict(rate=1.5), dict(rate=-0.1), dict(on_fraction=2.0), dict(seed=-1)):
        args = dict(num_columns=4, num_inputs=8, rate=0.1, seed=1) | kwargs
        with pytest.raises(ValueError):
            X.stuck_at_masks(**args)


def _device(sp, **kw):
    """An otherwise ideal device: one level per permanence word."""
    return X.Device(levels=sp.constants["perm_max"] + 1, **kw)


def _stuck(sp, rate, on_fraction=0.5):
    return _device(sp, stuck_on_rate=rate * on_fraction, stuck_off_rate=rate - rate * on_fraction)


def test_faulty_read_by_hand():
    sp = _tiny()
    x = random_inputs(20, 16, 5, 9)
    sp.compute(x[:10], learn=True)
    on, off = X.attach_device(sp, _stuck(sp, 0.3), 11)
    assert (on.sum(axis=1) == 2).all() and (off.sum(axis=1) == 3).all()   # round(0.3 * 16) = 5 per column
    connected = np.asarray(sp.connected()).astype(bool).reshape(sp.num_columns, sp.num_inputs)
    assert np.array_equal(X.read_connected(sp), (connected & ~off) | on)
    omax = sp.constants["overlap_max"]
    for row in x[10:]:
        expected = np.minimum((((connected & ~off) | on) & row.astype(bool)).sum(axis=1), omax)
        assert np.array_equal(_overlaps(sp, row), expected)


def test_all_stuck_on_or_off():
    x = random_inputs(5, 16, 6, 2)
    sp = _tiny()
    X.attach_device(sp, _stuck(sp, 1.0, on_fraction=1.0), 1)
    assert (_overlaps(sp, x[0]) == min(6, sp.constants["overlap_max"])).all()
    X.attach_device(sp, _stuck(sp, 1.0, on_fraction=0.0), 1)
    assert (_overlaps(sp, x[0]) == 0).all()
    X.detach_device(sp)   # the ideal read again
    ideal = _tiny()
    assert np.array_equal(_overlaps(sp, x[0]), _overlaps(ideal, x[0]))
    assert np.array_equal(X.read_connected(sp), np.asarray(sp.connected()).astype(bool))


def test_ideal_device_is_the_datapath_contract():
    """levels = perm_max + 1, linear, no variation: every step as the ideal read, including
    permanences exactly at the connected threshold."""
    x = random_inputs(300, 16, 5, 21)
    ideal, dev = _tiny(), _tiny()
    n0 = int(np.asarray(dev.potential())[0].sum())
    at_threshold = [dev.constants["conn_q"]] + [0] * (n0 - 1)
    for sp in (ideal, dev):
        sp.set_column_permanences_q(0, at_threshold)
    X.attach_device(dev, _device(dev), 5)
    assert X.read_connected(dev)[0].sum() == 1          # the cell at exactly conn_q reads connected
    for row in x:
        a, b = ideal.trace(row[None, :]), dev.trace(row[None, :])
        assert np.array_equal(a["overlaps"], b["overlaps"]) and np.array_equal(a["winners"], b["winners"])
    assert np.array_equal(X.read_connected(dev), np.asarray(dev.connected()).astype(bool))
    levels = dev.crossbar_read["cell_level"]
    g = dev.crossbar_read["cell_conductance"]                        # linear, no noise: no drift at all
    assert np.array_equal(g, levels.astype(np.float32) / np.float32(dev.constants["perm_max"]))


def _expected_read(sp, levels, nonlinearity=0.0):
    """Read bits by hand: level of every permanence, its normalized conductance (the
    binding's level_fraction table), compared with conn_q / perm_max in float32."""
    pmax, conn = sp.constants["perm_max"], sp.constants["conn_q"]
    table = np.array([X.level_fraction(l, levels, nonlinearity) for l in range(levels)], dtype=np.float32)
    perms = np.asarray(sp.permanences_q()).astype(np.int64)
    level = (2 * perms * (levels - 1) + pmax) // (2 * pmax)              # round half up
    reference = np.float32(conn) / np.float32(pmax)
    return np.asarray(sp.potential()).astype(bool) & (table[level] >= reference)


def test_level_fraction_formula():
    for nu in (3.0, 0.5):
        for level, levels in ((0, 16), (5, 16), (15, 16), (100, 256)):
            x = level / (levels - 1)
            expected = (1 - math.exp(-nu * x)) / (1 - math.exp(-nu))
            assert X.level_fraction(level, levels, nu) == pytest.approx(expected, rel=2e-6, abs=1e-7)
    assert X.level_fraction(5, 16, 0.0) == np.float32(5) / np.float32(15)
    for bad in (25.0, -1.0):
        with pytest.raises(ValueError, match="nonlinearity"):
            X.level_fraction(1, 16, bad)
    with pytest.raises(ValueError, match="level"):
        X.level_fraction(16, 16, 1.0)


def test_quantized_levels_read_by_hand():
    sp = _tiny()
    x = random_inputs(60, 16, 5, 3)
    sp.compute(x[:20], learn=True)
    X.attach_device(sp, X.Device(levels=4), 2)
    expected = _expected_read(sp, 4)
    assert np.array_equal(X.read_connected(sp), expected)
    assert not np.array_equal(expected, np.asarray(sp.connected()).astype(bool))   # 4 levels do matter here
    sp.compute(x[20:], learn=True)                        # learning rewrites the cells it changes
    assert np.array_equal(X.read_connected(sp), _expected_read(sp, 4))


def _write_by_hand(g, start, stop, ltp, ltd):
    """One open-loop write (no noise) as docs/crossbar.md states it, in float64."""
    curve = ltp if stop > start else ltd
    x = np.interp(g, curve, np.arange(len(curve))) + (stop - start)
    return float(np.interp(np.clip(x, 0, len(curve) - 1), np.arange(len(curve)), curve))


def test_nonlinear_curves_make_cells_drift_by_hand():
    """Potentiation and depression along unequal curves do not cancel: a cell sent up and
    back down the same number of levels ends below where it started."""
    sp = _tiny()
    levels, nu_p, nu_d = 16, 3.0, 2.0
    pmax = sp.constants["perm_max"]
    X.attach_device(sp, X.Device(levels=levels, nonlinearity_ltp=nu_p, nonlinearity_ltd=nu_d), 0)
    ltp = np.array([X.level_fraction(l, levels, nu_p) for l in range(levels)], dtype=np.float64)
    ltd = np.array([1 - X.level_fraction(levels - 1 - l, levels, nu_d) for l in range(levels)], dtype=np.float64)
    n0 = int(np.asarray(sp.potential())[0].sum())
    words = list(np.asarray(sp.permanence_memory()[0])[:n0])
    state = lambda: sp.crossbar_read                                    # noqa: E731
    level_of = lambda p: (2 * p * (levels - 1) + pmax) // (2 * pmax)   # noqa: E731
    g = float(ltp[level_of(words[0])])                                  # programmed (and verified) from reset
    assert state()["cell_conductance"][0] == pytest.approx(g, abs=1e-6)
    drift = []
    for target in (pmax, 2 * pmax // 5, pmax // 2, 0, 2 * pmax // 5):  # up, down, up, down, up
        start = level_of(words[0])
        words[0] = target
        sp.set_column_permanences_q(0, words)
        g = _write_by_hand(g, start, level_of(target), ltp, ltd)
        assert state()["cell_level"][0] == level_of(target)
        assert state()["cell_conductance"][0] == pytest.approx(g, abs=2e-6)
        drift.append(g - ltp[level_of(target)])
    assert drift[0] == pytest.approx(0.0, abs=1e-6)       # the top is the top on both curves
    assert drift[1] < -0.05                                # depression overshoots below the level


def test_learning_with_nonlinear_curves_changes_the_read():
    # 400 steps: by then 13 cells read differently from the ideal connected bits (0 after 200
    # steps since the boost-LUT addressing was centred; the property needs enough writes).
    x = random_inputs(400, 16, 5, 4)
    ideal, dev = _tiny(), _tiny()
    X.attach_device(dev, _device(dev, nonlinearity_ltp=3.0, nonlinearity_ltd=3.0), 0)
    assert np.array_equal(X.read_connected(dev), np.asarray(dev.connected()).astype(bool))   # verified programming
    ideal.compute(x, learn=True)
    dev.compute(x, learn=True)
    assert not np.array_equal(X.read_connected(dev), np.asarray(dev.connected()).astype(bool))


def _wide(**hw):
    params = dict(named_config("tiny"), input_dimensions=(400,), column_dimensions=(200,), potential_radius=400,
                  potential_pct=0.5)
    return SpatialPooler(arithmetic="fixed", hw=HardwareConfig(**hw), **params)


def test_d2d_variation_flips_cells_at_the_gaussian_rate():
    """Fraction of potential cells read differently from the ideal read vs the Gaussian
    prediction from each cell's distance to the reference (40,000 cells)."""
    from scipy.stats import norm

    sp = _wide()
    sigma = 0.2
    pmax, conn = sp.constants["perm_max"], sp.constants["conn_q"]
    pool = np.asarray(sp.potential()).astype(bool)
    g = np.asarray(sp.permanences_q()).astype(np.float64)[pool] / pmax
    ideal = np.asarray(sp.connected()).astype(bool)[pool]
    X.attach_device(sp, _device(sp, d2d_sigma=sigma), 9)
    read = X.read_connected(sp)[pool]
    ref = conn / pmax
    p_flip = np.zeros_like(g)
    m = g > 0                                             # a cell at level 0 stays at 0
    z = (ref / g[m] - 1) / sigma                          # g (1 + sigma z) >= ref
    p_flip[m] = np.where(ideal[m], norm.cdf(z), norm.sf(z))
    expected = p_flip.mean()
    observed = (read != ideal).mean()
    assert 0.01 < expected < 0.5
    assert observed == pytest.approx(expected, rel=0.06)   # binomial sd about 1.5 % of the rate


def test_c2c_error_per_write_is_sigma_sqrt_pulses():
    """Linear curves: a learning write of n levels lands at level/(L-1) + sigma sqrt(n) z;
    the standardized errors of one step's writes have mean 0 and sd 1."""
    sp = _wide()
    sigma = 0.01
    pmax = sp.constants["perm_max"]
    X.attach_device(sp, _device(sp, c2c_sigma=sigma), 3)
    before = sp.crossbar_read["cell_level"].astype(np.int64)
    assert np.array_equal(sp.crossbar_read["cell_conductance"], before.astype(np.float32) / np.float32(pmax))
    sp.compute(random_inputs(1, 400, 120, 5), learn=True)
    st = sp.crossbar_read
    after, g = st["cell_level"].astype(np.int64), st["cell_conductance"].astype(np.float64)
    n = np.abs(after - before)
    written = (n > 0) & (after > 10) & (after < pmax - 10)         # away from the clamps
    assert written.sum() > 1000
    z = (g[written] - after[written] / pmax) / (sigma * np.sqrt(n[written]))
    assert abs(z.mean()) < 0.1 and z.std() == pytest.approx(1.0, rel=0.06)
    assert np.array_equal(g[n == 0], before[n == 0].astype(np.float32) / np.float32(pmax))  # untouched cells


def test_device_runs_are_reproducible_and_seeded():
    x = random_inputs(80, 16, 5, 8)
    dev = dict(levels=16, nonlinearity_ltp=1.5, nonlinearity_ltd=2.5, d2d_sigma=0.1, c2c_sigma=0.1, stuck_on_rate=0.05,
               stuck_off_rate=0.05)

    def run(seed):
        sp = _tiny()
        X.attach_device(sp, X.Device(**dev), seed)
        return sp.compute(x, learn=True, output="dense"), X.read_connected(sp)

    a, b, c = run(3), run(3), run(4)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


def _restored(sp):
    clone = SpatialPooler.__new__(SpatialPooler)
    clone.__setstate__(sp.__getstate__())
    return clone


def test_device_survives_copy_and_save(tmp_path):
    import copy

    x = random_inputs(40, 16, 4, 5)
    sp = _tiny()
    X.attach_device(sp, X.Device(levels=8, nonlinearity_ltp=2.0, nonlinearity_ltd=1.0, d2d_sigma=0.1, c2c_sigma=0.1,
                                 stuck_on_rate=0.1, stuck_off_rate=0.1), 4)
    sp.compute(x[:10], learn=True)
    clone = copy.deepcopy(sp)
    sp.save(tmp_path / "sp.htmhw")
    loaded = SpatialPooler.load(tmp_path / "sp.htmhw")
    before = sp.crossbar_read
    ref = sp.compute(x[10:], learn=True, output="dense")
    for other in (clone, loaded):
        read = other.crossbar_read
        assert read.keys() == before.keys() and all(np.array_equal(read[k], before[k]) for k in read)
        assert np.array_equal(other.compute(x[10:], learn=True, output="dense"), ref)
    ideal = _tiny()
    ideal.compute(x[:10], learn=True)
    assert not np.array_equal(ideal.compute(x[10:], learn=True, output="dense"), ref)


def test_device_attached_after_training_programs_the_learned_permanences():
    # Field failures (benchmarks/crossbar_faults.py --studies stuck-after): cells attached to a
    # copy of a trained pooler hold its learned connections, except exactly the stuck cells.
    import copy

    x = random_inputs(60, 16, 4, 7)
    trained = _tiny()
    trained.compute(x[:40], learn=True)
    ideal_read = X.read_connected(trained)
    ideal_sdrs = trained.infer(x[40:], output="dense")

    clean = copy.deepcopy(trained)
    X.attach_device(clean, X.Device(levels=256), 3)
    assert np.array_equal(X.read_connected(clean), ideal_read)
    assert np.array_equal(clean.infer(x[40:], output="dense"), ideal_sdrs)

    faulty = copy.deepcopy(trained)
    on, off = X.attach_device(faulty, X.Device(levels=256, stuck_on_rate=0.1, stuck_off_rate=0.1), 3)
    assert on.any() and off.any() and not (on & off).any()
    assert np.array_equal(X.read_connected(faulty), (ideal_read | on) & ~off)
    assert not np.array_equal(faulty.infer(x[40:], output="dense"), ideal_sdrs)
    # The trained pooler itself is untouched.
    assert np.array_equal(X.read_connected(trained), ideal_read)
    assert np.array_equal(trained.infer(x[40:], output="dense"), ideal_sdrs)


def test_corrupted_device_state_is_rejected():
    sp = _tiny()
    X.attach_device(sp, X.Device(levels=8), 4)
    state = sp.__getstate__()
    state["crossbar_read"]["cell_level"] = state["crossbar_read"]["cell_level"].copy()
    state["crossbar_read"]["cell_level"][0] ^= 1
    with pytest.raises(ValueError, match="does not match its permanence"):
        SpatialPooler.__new__(SpatialPooler).__setstate__(state)
    state = sp.__getstate__()
    state["crossbar_read"]["cell_conductance"] = state["crossbar_read"]["cell_conductance"] + 2
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        SpatialPooler.__new__(SpatialPooler).__setstate__(state)
    clone = _restored(sp)
    assert np.array_equal(X.read_connected(clone), X.read_connected(sp))


@pytest.mark.parametrize("kwargs, match", [
    (dict(nonlinearity_ltp=21.0), "nonlinearity_ltp"), (dict(nonlinearity_ltd=-1.0), "nonlinearity_ltd"),
    (dict(d2d_sigma=-0.1), "d2d_sigma"), (dict(c2c_sigma=1.5), "c2c_sigma"),
    (dict(stuck_on_rate=0.6, stuck_off_rate=0.5), "stuck_off_rate"),
    (dict(stuck_on_rate=float("nan")), "stuck_on_rate"),
    (dict(r_on_ohm=2e6), "r_off_ohm"), (dict(v_read1_v=-0.1), "v_read1_v"), (dict(levels=0), "levels"),
])
def test_invalid_device_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        X.Device(**kwargs)


def test_device_needs_a_fixed_pooler_and_valid_arguments():
    with pytest.raises(ValueError, match="fixed"):
        X.attach_device(SpatialPooler(**named_config("tiny")), "mnsim2-default", 1)
    sp = _tiny()
    with pytest.raises(TypeError, match="device"):
        X.attach_device(sp, 3, 1)
    with pytest.raises(ValueError, match="seed"):
        X.attach_device(sp, "mnsim2-default", -1)
    with pytest.raises(ValueError, match="unknown crossbar preset"):
        X.attach_device(sp, "nope", 1)


def test_golden_export_refuses_a_device(tmp_path):
    from htmhw.hw import golden

    sp = _tiny()
    X.attach_device(sp, "mnsim2-default", 1)
    with pytest.raises(ValueError, match="ideal datapath"):
        golden.export(tmp_path / "g", sp, random_inputs(3, 16, 4, 1))
    X.detach_device(sp)
    golden.export(tmp_path / "g", sp, random_inputs(3, 16, 4, 1))


# --- the crossbar read is the pooler's own state, under its own key ------------------------

DATA = Path(__file__).resolve().parent / "data"


@pytest.mark.parametrize("stem, prefix", [("crossbar-state-2026-12", ""), ("crossbar-stuck-state-2026-12", "stuck_")])
def test_state_files_from_before_the_crossbar_read_had_its_own_key_load(stem, prefix):
    # Written by the code that kept the read in top-level device_read / device_cell_* /
    # stuck_*_bits entries; the expected outputs were recorded by that code after loading.
    expected = json.loads((DATA / "crossbar-state-2026-12.json").read_text())
    x = random_inputs(60, 16, 5, 8)
    sp = SpatialPooler.load(DATA / f"{stem}.htmhw")
    assert sp.crossbar_read is not None
    assert np.array_equal(X.read_connected(sp), np.array(expected[f"{prefix}read_connected"], dtype=bool))
    assert np.array_equal(sp.compute(x[30:], learn=True, output="dense"), np.array(expected[f"{prefix}next_winners"]))


def test_saved_file_keeps_the_read_under_its_own_key(tmp_path):
    from htmhw._fileformat import read_state

    sp = _tiny()
    X.attach_device(sp, X.Device(levels=8, stuck_on_rate=0.1, stuck_off_rate=0.1), 4)
    sp.save(tmp_path / "sp.htmhw")
    meta, arrays, _ = read_state(tmp_path / "sp.htmhw", "htmhw.SpatialPooler.fixed")
    assert set(meta["crossbar_read"]) == {"levels", "nonlinearity_ltp", "nonlinearity_ltd", "d2d_sigma",
                                          "c2c_sigma", "seed"}
    assert {k for k in arrays if k.startswith("crossbar_read.")} == {
        "crossbar_read.cell_level", "crossbar_read.cell_conductance", "crossbar_read.stuck_on_bits",
        "crossbar_read.stuck_off_bits"}
    ideal = _tiny()
    ideal.save(tmp_path / "ideal.htmhw")
    meta, arrays, _ = read_state(tmp_path / "ideal.htmhw", "htmhw.SpatialPooler.fixed")
    assert "crossbar_read" not in meta and not any(k.startswith("crossbar_read") for k in arrays)
    assert SpatialPooler.load(tmp_path / "ideal.htmhw").crossbar_read is None


def test_attach_crossbar_read_public_call():
    sp = _tiny()
    cells = dict(levels=sp.constants["perm_max"] + 1, nonlinearity_ltp=0.0, nonlinearity_ltd=0.0, d2d_sigma=0.0,
                 c2c_sigma=0.0, seed=0)
    on = np.zeros((sp.num_columns, sp.num_inputs), dtype=bool)
    on[:, 0] = True
    sp.attach_crossbar_read(cells, on, np.zeros_like(on))
    read = sp.crossbar_read
    assert np.array_equal(read["stuck_on"], on) and not read["stuck_off"].any()
    assert np.array_equal(sp.effective_connected(), np.asarray(sp.connected()).astype(bool) | on)
    sp.detach_crossbar_read()
    assert sp.crossbar_read is None
    assert np.array_equal(sp.effective_connected(), np.asarray(sp.connected()).astype(bool))
    with pytest.raises(ValueError, match="keys"):
        sp.attach_crossbar_read(dict(cells, extra=1))
    with pytest.raises(ValueError, match="levels"):
        sp.attach_crossbar_read(dict(cells, levels=1))
    with pytest.raises(ValueError, match="nonlinearity_ltp"):
        sp.attach_crossbar_read(dict(cells, nonlinearity_ltp=float("nan")))
    with pytest.raises(ValueError, match="stuck_on"):
        sp.attach_crossbar_read(cells, on[:, :3], on[:, :3])
    with pytest.raises(ValueError, match="stuck on and stuck off"):
        sp.attach_crossbar_read(cells, on, on)
    with pytest.raises(ValueError, match="together"):
        sp.attach_crossbar_read(cells, on)
    with pytest.raises(ValueError, match="fixed"):
        SpatialPooler(**named_config("tiny")).attach_crossbar_read(cells)
    assert SpatialPooler(**named_config("tiny")).crossbar_read is None


def test_parameter_change_with_a_device_matches_save_and_load(tmp_path):
    # The sense reference follows conn_q when syn_perm_connected changes, as a reload derives it.
    x = random_inputs(40, 16, 5, 3)
    sp = _tiny()
    X.attach_device(sp, X.Device(levels=16, nonlinearity_ltp=2.0, nonlinearity_ltd=1.0, c2c_sigma=0.05), 2)
    sp.compute(x[:20], learn=True)
    sp.set_param("syn_perm_connected", 0.3)
    sp.save(tmp_path / "sp.htmhw")
    loaded = SpatialPooler.load(tmp_path / "sp.htmhw")
    assert np.array_equal(X.read_connected(loaded), X.read_connected(sp))
    assert np.array_equal(loaded.compute(x[20:], learn=True, output="dense"), sp.compute(x[20:], learn=True,
                                                                                          output="dense"))
