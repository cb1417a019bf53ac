"""Fixed-point datapath stages against hand-computed integers (docs/datapath.md)."""
import numpy as np
import pytest

import htmhw
from htmhw import HardwareConfig

TINY = dict(input_dimensions=(16,), column_dimensions=(4,), potential_radius=16, potential_pct=1.0,
            global_inhibition=True, local_area_density=0.5, stimulus_threshold=0, syn_perm_inactive_dec=0.05,
            syn_perm_active_inc=0.1, syn_perm_connected=0.5, min_pct_overlap_duty_cycle=0.0,
            duty_cycle_period=8, boost_strength=0.0, seed=3)
ANCHOR = dict(input_dimensions=(28, 28), column_dimensions=(28, 28, 8), potential_radius=7, potential_pct=0.1,
              global_inhibition=True, local_area_density=0.1, stimulus_threshold=6, syn_perm_inactive_dec=0.002,
              syn_perm_active_inc=0.14, syn_perm_connected=0.5, min_pct_overlap_duty_cycle=0.2,
              duty_cycle_period=1402, boost_strength=2.0, seed=4)


def tiny(**hw):
    return htmhw.SpatialPooler(arithmetic="fixed", hw=HardwareConfig(permanence_bits=4, **hw), **TINY)


def test_parameter_mapping_by_hand():
    q = htmhw.SpatialPooler(arithmetic="fixed", **ANCHOR).constants
    # M = 255: 0.5*255 = 127.5 -> 128; 0.14*255 = 35.7 -> 36; 0.002*255 = 0.51 -> 1;
    # 0.05*255 = 12.75 -> 13; 0.07*255 = 17.85 -> 18; 1402 -> 2^10; 0.1*65535 = 6553.5 -> 6554
    assert (q["conn_q"], q["inc_q"], q["dec_q"], q["bump_q"], q["trim_q"]) == (128, 36, 1, 13, 18)
    assert (q["duty_shift_max"], q["target_q"], q["min_pct_q"], q["overlap_bits"]) == (10, 6554, 13107, 5)
    # 3 bits: 0.002 * 7 = 0.014 would round to 0; a nonzero step stays 1 LSB
    q3 = htmhw.SpatialPooler(arithmetic="fixed", hw={"permanence_bits": 3}, **ANCHOR).constants
    assert (q3["perm_max"], q3["dec_q"], q3["conn_q"], q3["inc_q"]) == (7, 1, 4, 1)


@pytest.mark.parametrize("period,shift", [(1, 0), (2, 1), (3, 2), (1000, 10), (1402, 10), (1448, 10), (1449, 11), (3000, 12)])
def test_duty_period_to_shift(period, shift):
    sp = htmhw.SpatialPooler(arithmetic="fixed", **dict(TINY, duty_cycle_period=period))
    assert sp.constants["duty_shift_max"] == shift  # nearest power of two in log2


def test_overlap_update_saturation_and_trim_by_hand():
    sp = tiny()
    q = sp.constants
    assert (q["perm_max"], q["conn_q"], q["inc_q"], q["dec_q"], q["trim_q"]) == (15, 8, 2, 1, 1)
    words = np.array([15, 14, 8, 7, 1, 0, 9, 3, 15, 8, 2, 1, 12, 7, 8, 0])
    for c in range(4):
        sp.set_column_permanences_q(c, np.roll(words, c) if c else words)
    # setting trims: words < trim_q (1) become 0 -> none here (0 stays 0)
    x = np.zeros(16, np.uint8)
    x[[0, 1, 2, 3, 4, 5, 8, 9]] = 1
    perms_before = sp.permanences_q()
    conn = perms_before >= 8
    t = sp.trace(x, learn=True)
    expected_overlap = (conn & x.astype(bool)).sum(axis=1)
    np.testing.assert_array_equal(t["overlaps"], expected_overlap)
    np.testing.assert_array_equal(t["boosted_overlaps"], expected_overlap << 4)  # no boost: o << B_b
    # kWTA: k = 2 largest overlaps, lower index wins ties
    order = sorted(range(4), key=lambda c: (-expected_overlap[c], c))[:2]
    assert t["winners"].tolist() == sorted(order)
    after = sp.permanences_q().astype(int)
    for c in range(4):
        p = perms_before[c].astype(int)
        if c in order:
            exp = np.where(x == 1, np.minimum(p + 2, 15), np.maximum(p - 1, 0))  # SAT at both ends
            exp[exp < 1] = 0  # trim
        else:
            exp = p
        np.testing.assert_array_equal(after[c], exp, err_msg=f"column {c}")
    # saturation at the top really happened for a winner (15 + 2 -> 15) and at 0 (0 - 1 -> 0)
    w = order[0]
    assert any(perms_before[w][i] >= 14 and x[i] for i in range(16))


def test_overlap_counter_saturates():
    sp = tiny(overlap_bits=2)
    for c in range(4):
        sp.set_column_permanences_q(c, np.full(16, 15))
    x = np.zeros(16, np.uint8)
    x[:7] = 1
    t = sp.trace(x, learn=False)
    np.testing.assert_array_equal(t["overlaps"], [3, 3, 3, 3])  # 7 connected active inputs, 2-bit counter
    assert t["winners"].tolist() == [0, 1]  # all tied: lower indices win


def test_raise_to_threshold_by_hand():
    sp = htmhw.SpatialPooler(arithmetic="fixed", hw={"permanence_bits": 4}, **dict(TINY, stimulus_threshold=3))
    q = sp.constants
    for c in range(4):
        sp.set_column_permanences_q(c, np.array([7] * 3 + [0] * 13))  # nothing connected (conn_q 8)
    x = np.zeros(16, np.uint8)
    x[0] = 1
    t = sp.trace(x, learn=True)
    # no column reaches the stimulus threshold (overlap 0 < 3): nobody wins, nothing learns
    assert t["winners"].size == 0
    assert not t["permanence_delta"].any()
    # a winner with too few connected synapses is raised: make column 0 win with 3 connected
    sp.set_column_permanences_q(0, np.array([8, 8, 8] + [0] * 13))
    x[:3] = 1
    t = sp.trace(x, learn=True)
    assert t["winners"].tolist() == [0]
    # update: active 0..2: 8+2=10; inactive: 0-1 -> 0; 3 connected >= 3, no raise
    words, offs = sp.permanence_memory()
    assert words[offs[0]:offs[1]].tolist() == [10, 10, 10] + [0] * 13
    # Initialization raises every column to the threshold: conn 0.9 -> conn_q 14 of 15, so about
    # half the 16 initial words are connected; stimulus 10 forces bump rounds (+1 each).
    sp = htmhw.SpatialPooler(arithmetic="fixed", hw={"permanence_bits": 4},
                             **dict(TINY, stimulus_threshold=10, syn_perm_connected=0.9, column_dimensions=(32,)))
    counts = sp.connected_counts()
    assert sp.constants["conn_q"] == 14 and sp.constants["bump_q"] == 1
    assert counts.min() >= 10
    assert (counts <= 12).mean() > 0.5  # the loop stops as soon as the threshold is reached


def test_duty_cycles_follow_the_recurrence():
    sp = htmhw.SpatialPooler(arithmetic="fixed", hw={"duty_bits": 12}, **dict(TINY, duty_cycle_period=16))
    s = sp.constants["duty_one"]
    assert s == 4095
    rng = np.random.default_rng(0)
    v = np.zeros(4, dtype=np.int64)
    a = np.zeros(4, dtype=np.int64)
    for it in range(1, 301):
        x = (rng.random(16) < 0.3).astype(np.uint8)
        t = sp.trace(x, learn=True)
        shift = min(4, int(np.floor(np.log2(it))))
        xv = np.where(t["overlaps"] > 0, s, 0)
        xa = np.zeros(4, dtype=np.int64)
        xa[t["winners"]] = s
        v = v + ((xv - v) >> shift)  # numpy >> on int64 is floor (arithmetic shift)
        a = a + ((xa - a) >> shift)
        np.testing.assert_array_equal(t["overlap_duty"], v, err_msg=f"step {it}")
        np.testing.assert_array_equal(t["active_duty"], a, err_msg=f"step {it}")


def test_boost_lut_and_registers():
    sp = htmhw.SpatialPooler(arithmetic="fixed", **ANCHOR)
    hw, q = sp.hw, sp.constants
    lut = sp.boost_lut().astype(np.int64)
    j = np.arange(2 ** hw.boost_lut_bits)
    s = q["duty_one"]
    delta = (j * 2.0 ** (hw.duty_bits + 1 - hw.boost_lut_bits) - 2.0 ** hw.duty_bits) / s
    ref = np.minimum(np.floor(np.exp(-delta * 2.0) * 2 ** hw.boost_frac_bits + 0.5), 2 ** (hw.boost_int_bits + hw.boost_frac_bits) - 1)
    assert np.abs(lut - ref).max() <= 1 and (lut == ref).mean() > 0.99
    # delta_0 = -65536/65535: exp(2 * 65536/65535) * 256 = 1891.66 -> RND 1892 (below the 2^11 - 1 saturation)
    assert lut[0] == 1892
    assert lut[512] == 256  # the entry of duty difference 0 is exactly 1.0
    lo = htmhw.SpatialPooler(arithmetic="fixed", hw={"boost_int_bits": 1}, **ANCHOR).boost_lut()
    assert lo[0] == 511  # exp(2) does not fit UQ1.8: SAT at 2^9 - 1
    rng = np.random.default_rng(1)
    X = (rng.random((60, 784)) < 0.15).astype(np.uint8)
    sp.compute(X[:59], learn=True)
    before = sp.state_q()["boost"].astype(np.int64)
    t = sp.trace(X[59], learn=True)
    # boosted overlap of this step used the boost registers from before it (RND half up)
    shift = hw.boost_frac_bits - hw.boosted_frac_bits
    exp = (t["overlaps"].astype(np.int64) * before + (1 << (shift - 1))) >> shift
    np.testing.assert_array_equal(t["boosted_overlaps"], exp)
    trn = (t["overlaps"].astype(np.int64) * before) >> shift
    assert (trn != exp).any()  # the rounding mode matters on this data
    # docs/datapath.md step 8: (a - t + 2^D) rounded to the nearest multiple of 2^(D+1-A), saturated
    sh = hw.duty_bits + 1 - hw.boost_lut_bits
    addr = np.minimum((t["active_duty"].astype(np.int64) - q["target_q"] + 2 ** hw.duty_bits + 2 ** (sh - 1)) >> sh,
                      2 ** hw.boost_lut_bits - 1)
    np.testing.assert_array_equal(t["boost"], lut[addr])


def test_fast_and_portable_kernels_agree_and_threads_agree():
    rng = np.random.default_rng(2)
    X = (rng.random((150, 784)) < 0.15).astype(np.uint8)
    for bits in (4, 8, 12):
        a = htmhw.SpatialPooler(arithmetic="fixed", hw={"permanence_bits": bits}, **ANCHOR)
        b = htmhw.SpatialPooler(arithmetic="fixed", hw={"permanence_bits": bits}, **ANCHOR)
        b.set_portable_kernels(True)
        ra = a.compute(X[:100], learn=True, output="sparse")
        rb = b.compute(X[:100], learn=True, output="sparse")
        assert (ra != rb).nnz == 0 and a == b, bits
        assert (a.infer(X[100:], output="sparse", n_threads=1) != a.infer(X[100:], output="sparse", n_threads=2)).nnz == 0


@pytest.mark.parametrize("field,value", [("permanence_bits", 1), ("permanence_bits", 17), ("duty_bits", 3),
                                         ("boost_int_bits", 0), ("boost_lut_bits", 13)])
def test_invalid_hardware_config(field, value):
    with pytest.raises(ValueError, match=field):
        HardwareConfig(**{field: value})


def test_invalid_hardware_combinations():
    with pytest.raises(ValueError, match="boosted_frac_bits"):
        HardwareConfig(boost_frac_bits=2, boosted_frac_bits=3)
    with pytest.raises(TypeError, match="permanence_bits"):
        HardwareConfig(permanence_bits=8.5)
    with pytest.raises(ValueError, match="<= 24"):
        htmhw.SpatialPooler(arithmetic="fixed", hw={"overlap_bits": 16, "boost_int_bits": 8, "boosted_frac_bits": 4}, **TINY)
    with pytest.raises(ValueError, match="arithmetic"):
        htmhw.SpatialPooler(arithmetic="double", **TINY)
    with pytest.raises(ValueError, match="hw"):
        htmhw.SpatialPooler(hw=HardwareConfig(), **TINY)
