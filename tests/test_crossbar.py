"""Crossbar cost model: MNSIM 2.0 array figures against hand computation from the
formulas in docs/crossbar.md, monotonicity, level mapping and parameter errors."""
import math

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
