"""The fixed-point spatial-pooler datapath, stage by stage (docs/datapath.md).

Every expected value here is computed by hand (the literals, with the arithmetic
in the comments) or by a few lines implementing the formula of docs/datapath.md;
nothing is copied from the output of the code under test.
"""
import math
import pickle

import numpy as np
import pytest

import htmhw
from htmhw import HardwareConfig
from htmhw.configs import named_config

# 16 inputs, 4 columns, every pool = all 16 inputs (radius covers them, pct 1.0, no
# wrap so the candidate list has no duplicates). At P = 8 (M = 255):
#   conn_q = RND(0.5*255 = 127.5) = 128, inc_q = RND(0.1*255 = 25.5) = 26,
#   dec_q = RND(0.08*255 = 20.4) = 20, bump_q = RND(0.05*255 = 12.75) = 13,
#   trim_q = RND(0.05*255 = 12.75) = 13.
BASE = dict(input_dimensions=(16,), column_dimensions=(4,), potential_radius=16, potential_pct=1.0,
            global_inhibition=True, local_area_density=0.5, stimulus_threshold=0,
            syn_perm_inactive_dec=0.08, syn_perm_active_inc=0.1, syn_perm_connected=0.5,
            min_pct_overlap_duty_cycle=0.0, duty_cycle_period=1000, boost_strength=0.0, seed=11,
            wrap_around=False)

# The MNIST anchor configuration (docs/fixed_vs_float.md).
ANCHOR = named_config("mnist")

# A mid-sized random configuration for the multi-step tests: pools of 180 inputs
# (several 64-bit words and a partial tail for the vector kernels).
MID = dict(input_dimensions=(300,), column_dimensions=(96,), potential_radius=300, potential_pct=0.6,
           global_inhibition=True, local_area_density=0.1, stimulus_threshold=2, syn_perm_inactive_dec=0.01,
           syn_perm_active_inc=0.06, syn_perm_connected=0.3, min_pct_overlap_duty_cycle=0.2,
           duty_cycle_period=40, boost_strength=1.5, seed=77, wrap_around=False)


# ---------------------------------------------------------------------------------------------
# helpers: construction, register injection through the pickle state, reference formulas
# ---------------------------------------------------------------------------------------------

def fixed(hw=None, **over):
    return htmhw.SpatialPooler(arithmetic="fixed", hw=HardwareConfig(**(hw or {})), **{**BASE, **over})


def set_words(sp, rows):
    for c, w in enumerate(rows):
        sp.set_column_permanences_q(c, np.asarray(w, dtype=np.int64))


def with_registers(sp, **registers):
    """A copy of `sp` whose registers (e.g. boost) are replaced, through the pickle state."""
    state = sp.__getstate__()
    for name, value in registers.items():
        state[name] = np.asarray(value, dtype=state[name].dtype)
    out = htmhw.SpatialPooler.__new__(htmhw.SpatialPooler)
    out.__setstate__(state)
    return out


def column_words(sp, c):
    words, offsets = sp.permanence_memory()
    return words[offsets[c]:offsets[c + 1]].astype(np.int64)


def rnd(x):
    return math.floor(x + 0.5)


def step_q(x, m):
    return 0 if x == 0 else max(1, rnd(x * m))


def shift_max(p):
    f = p.bit_length() - 1
    return f + 1 if p * p >= 2 ** (2 * f + 1) else f


def ref_kwta(scores, k, threshold):
    """Global kWTA per docs/datapath.md step 4: k largest eligible, ties -> lower index."""
    eligible = [c for c in range(len(scores)) if scores[c] >= threshold]
    eligible.sort(key=lambda c: (-int(scores[c]), c))
    return sorted(eligible[:k])


def ref_kwta_local_1d(scores, radius, density, threshold):
    """Local kWTA per docs/datapath.md step 4, 1-D columns, no wrap."""
    n, won = len(scores), []
    for c in range(n):
        if scores[c] < threshold:
            continue
        nb = range(max(0, c - radius), min(n - 1, c + radius) + 1)
        bigger = sum(scores[j] > scores[c] for j in nb)
        tied_won = sum(scores[j] == scores[c] and j < c and j in won for j in nb)
        if bigger + tied_won < int(0.5 + density * len(nb)):
            won.append(c)
    return won


def ref_update(p, x_pool, q):
    """Step 5 for one winner: +inc/-dec (SAT), raise to threshold, trim."""
    m = q["perm_max"]
    p = np.where(x_pool == 1, np.minimum(p + q["inc_q"], m), np.maximum(p - q["dec_q"], 0))
    while np.count_nonzero(p >= q["conn_q"]) < q["stimulus"]:
        p = np.minimum(p + q["bump_q"], m)
    return np.where(p < q["trim_q"], 0, p)


def duty_shift(iteration, s_max):
    return min(s_max, iteration.bit_length() - 1)  # floor(log2(iteration))


# ---------------------------------------------------------------------------------------------
# 1. parameter mapping
# ---------------------------------------------------------------------------------------------

def test_mnist_anchor_constants_at_8_bits():
    q = htmhw.SpatialPooler(arithmetic="fixed", hw=HardwareConfig(permanence_bits=8), **ANCHOR).constants
    # M = 255: 0.5*255 = 127.5 -> 128; 0.14*255 = 35.7 -> 36; 0.002*255 = 0.51 -> 1;
    # 0.05*255 = 12.75 -> 13; 0.07*255 = 17.85 -> 18
    assert (q["perm_max"], q["conn_q"], q["inc_q"], q["dec_q"], q["bump_q"], q["trim_q"]) == (255, 128, 36, 1, 13, 18)
    # ceil(6) = 6; 2^16 - 1; 1402 -> 10; RND(0.1*65535 = 6553.5) = 6554; RND(0.2*65536 = 13107.2) = 13107;
    # 1.0 in UQ3.8 = 256; pools of int(15*15*0.1 + 0.5) = 23 inputs (potential radius 7, not clipped
    # in the middle) -> bitlen(23) = 5 overlap bits
    assert (q["stimulus"], q["duty_one"], q["duty_shift_max"], q["target_q"], q["min_pct_q"], q["boost_one"]) == (
        6, 65535, 10, 6554, 13107, 256)
    assert (q["overlap_bits"], q["overlap_max"]) == (5, 31)


@pytest.mark.parametrize("bits", [2, 3, 4, 5, 8, 10, 12, 16])
@pytest.mark.parametrize("params", [
    dict(syn_perm_connected=0.5, syn_perm_active_inc=0.14, syn_perm_inactive_dec=0.002, stimulus_threshold=2.5,
         local_area_density=0.1, min_pct_overlap_duty_cycle=0.2, duty_cycle_period=1402),
    dict(syn_perm_connected=0.1, syn_perm_active_inc=0.05, syn_perm_inactive_dec=0.008, stimulus_threshold=0,
         local_area_density=0.25, min_pct_overlap_duty_cycle=0.001, duty_cycle_period=1000),
    dict(syn_perm_connected=0.37, syn_perm_active_inc=0.3, syn_perm_inactive_dec=0.0, stimulus_threshold=1,
         local_area_density=0.5, min_pct_overlap_duty_cycle=1.0, duty_cycle_period=7),
])
def test_constants_follow_the_mapping_formulas(bits, params):
    hw = HardwareConfig(permanence_bits=bits, duty_bits=12, boost_frac_bits=6, boosted_frac_bits=2)
    sp = htmhw.SpatialPooler(arithmetic="fixed", hw=hw, **{**BASE, "column_dimensions": (16,), **params})
    q = sp.constants
    m = 2 ** bits - 1
    s = 2 ** 12 - 1
    assert q["perm_max"] == m
    assert q["conn_q"] == max(1, rnd(params["syn_perm_connected"] * m))
    assert q["inc_q"] == step_q(params["syn_perm_active_inc"], m)
    assert q["dec_q"] == step_q(params["syn_perm_inactive_dec"], m)
    assert q["bump_q"] == step_q(params["syn_perm_connected"] / 10, m)
    assert q["trim_q"] == rnd(params["syn_perm_active_inc"] / 2 * m)
    assert q["stimulus"] == math.ceil(params["stimulus_threshold"])
    assert q["duty_one"] == s
    assert q["target_q"] == rnd(params["local_area_density"] * s)
    assert q["min_pct_q"] == rnd(params["min_pct_overlap_duty_cycle"] * 2 ** 16)
    assert q["duty_shift_max"] == shift_max(params["duty_cycle_period"])
    assert q["boost_one"] == 2 ** 6
    assert (q["overlap_bits"], q["overlap_max"]) == (5, 31)  # pools of 16: bitlen(16) = 5


def test_small_permanence_widths_keep_nonzero_steps():
    q3 = htmhw.SpatialPooler(arithmetic="fixed", hw=HardwareConfig(permanence_bits=3), **ANCHOR).constants
    # M = 7: 0.5*7 = 3.5 -> 4; 0.14*7 = 0.98 -> 1; 0.002*7 = 0.014 rounds to 0 but step() keeps 1;
    # 0.05*7 = 0.35 -> 0 -> step 1; trim 0.07*7 = 0.49 -> 0 (trim is RND, not step)
    assert (q3["perm_max"], q3["conn_q"], q3["inc_q"], q3["dec_q"], q3["bump_q"], q3["trim_q"]) == (7, 4, 1, 1, 1, 0)
    # M = 3: conn 0.1*3 = 0.3 -> 0, clamped to 1; inc 0.1*3 = 0.3 -> step 1; dec 0 -> step(0) = 0
    q2 = fixed(hw=dict(permanence_bits=2), syn_perm_connected=0.1, syn_perm_active_inc=0.1,
               syn_perm_inactive_dec=0.0).constants
    assert (q2["perm_max"], q2["conn_q"], q2["inc_q"], q2["dec_q"], q2["bump_q"], q2["trim_q"]) == (3, 1, 1, 0, 1, 0)


@pytest.mark.parametrize("period,expected", [(1, 0), (2, 1), (3, 2), (5, 2), (6, 3), (1000, 10), (1402, 10),
                                             (1448, 10), (1449, 11), (3000, 12), (65535, 16)])
def test_duty_shift_max_is_log2_of_the_period_rounded(period, expected):
    # 1448^2 = 2096704 < 2^21 = 2097152 <= 1449^2 = 2099601; 3000: log2 = 11.55 -> 12
    assert shift_max(period) == expected  # the doc's formula agrees with the hand values
    assert fixed(duty_cycle_period=period).constants["duty_shift_max"] == expected


# ---------------------------------------------------------------------------------------------
# 2. overlap
# ---------------------------------------------------------------------------------------------

def test_overlap_is_popcount_of_connected_and_input():
    sp = fixed()
    assert sp.potential().all()  # every pool is all 16 inputs, in ascending input order
    assert np.diff(sp.permanence_memory()[1]).tolist() == [16] * 4
    col0 = [128] * 5 + [127] * 11                    # connected {0..4}; 128 = conn_q counts, 127 does not
    col1 = [0] * 4 + [255] * 8 + [0] * 4             # connected {4..11}
    col2 = [12] * 8 + [200] * 8                       # connected {8..15}; 12 < trim_q 13 -> trimmed to 0
    col3 = [129, 127] * 8                             # connected on even inputs
    set_words(sp, [col0, col1, col2, col3])
    assert column_words(sp, 2).tolist() == [0] * 8 + [200] * 8
    conn = np.zeros((4, 16), np.uint8)
    conn[0, 0:5] = conn[1, 4:12] = conn[2, 8:16] = conn[3, 0::2] = 1
    np.testing.assert_array_equal(sp.connected(), conn)
    assert sp.connected_counts().tolist() == [5, 8, 8, 8]

    x = np.zeros(16, np.uint8)
    x[0:8] = 1
    t = sp.trace(x, learn=False)
    assert t["overlaps"].tolist() == [5, 4, 0, 4]        # {0..4}, {4..7}, {}, {0,2,4,6}
    assert t["boosted_overlaps"].tolist() == [80, 64, 0, 64]  # not learning: o << B_b (4)
    assert t["winners"].tolist() == [0, 1]               # k = int(0.5*4) = 2; 1 beats 3 on the tie
    assert not t["permanence_delta"].any()

    x = np.zeros(16, np.uint8)
    x[1::2] = 1
    t = sp.trace(x, learn=False)
    assert t["overlaps"].tolist() == [2, 4, 4, 0]        # {1,3}, {5,7,9,11}, {9,11,13,15}, {}
    assert t["winners"].tolist() == [1, 2]


@pytest.mark.parametrize("overlap_bits,active,expected", [
    (1, 7, [1, 1, 1, 1]),
    (2, 7, [3, 3, 3, 2]),
    (3, 7, [7, 7, 7, 2]),
    (3, 9, [7, 7, 7, 2]),
    (4, 16, [15, 15, 15, 2]),   # 16 does not fit 4 bits: SAT at 15
    (0, 16, [16, 16, 16, 2]),   # derived: bitlen(16) = 5 bits, never saturates
])
def test_overlap_counter_saturates(overlap_bits, active, expected):
    sp = fixed(hw=dict(overlap_bits=overlap_bits))
    q = sp.constants
    width = overlap_bits or 5
    assert (q["overlap_bits"], q["overlap_max"]) == (width, 2 ** width - 1)
    set_words(sp, [[255] * 16] * 3 + [[255, 255] + [0] * 14])
    x = np.zeros(16, np.uint8)
    x[:active] = 1
    t = sp.trace(x, learn=False)
    assert t["overlaps"].tolist() == expected
    assert t["boosted_overlaps"].tolist() == [o << 4 for o in expected]
    # the boost multiplies the saturated count: (o*b + 8) >> 4 with b = 300, 264, 200, 2047
    sp = with_registers(sp, boost=BOOSTS)
    t = sp.trace(x, learn=True)
    assert t["overlaps"].tolist() == expected
    assert t["boosted_overlaps"].tolist() == [(o * b + 8) >> 4 for o, b in zip(expected, BOOSTS)]


# ---------------------------------------------------------------------------------------------
# 3. boost multiply
# ---------------------------------------------------------------------------------------------

# Overlaps 5, 3, 7, 1 (x = inputs 0..7); boost registers 300, 264, 200, 2047 (UQ3.8).
# Products o*b = 1500, 792, 1400, 2047.
BOOST_WORDS = [[255] * 5 + [0] * 11, [255] * 3 + [0] * 13, [255] * 7 + [0] * 9, [255] + [0] * 15]
BOOSTS = [300, 264, 200, 2047]


@pytest.mark.parametrize("boosted_frac_bits,expected,truncated", [
    # shift 4, r = 8: 1508>>4 = 94 (93.75 TRN 93); 800>>4 = 50 (49.5, half up; TRN 49);
    # 1408>>4 = 88 (87.5; TRN 87); 2055>>4 = 128 (127.94; TRN 127)
    (4, [94, 50, 88, 128], [93, 49, 87, 127]),
    # shift 8, r = 128: 1628>>8 = 6; 920>>8 = 3; 1528>>8 = 5; 2175>>8 = 8 (TRN 5, 3, 5, 7)
    (0, [6, 3, 5, 8], [5, 3, 5, 7]),
    # shift 1, r = 1: 750, 396, 700, 1024 (2047.5 -> 1024; TRN 1023)
    (7, [750, 396, 700, 1024], [750, 396, 700, 1023]),
    # B_b == B_f: exact product, no rounding term
    (8, [1500, 792, 1400, 2047], [1500, 792, 1400, 2047]),
])
@pytest.mark.parametrize("learn", [True, False])
def test_boost_multiply_by_hand(boosted_frac_bits, expected, truncated, learn):
    sp = fixed(hw=dict(boost_frac_bits=8, boosted_frac_bits=boosted_frac_bits), boost_in_inference=not learn)
    set_words(sp, BOOST_WORDS)
    sp = with_registers(sp, boost=BOOSTS)
    assert sp.state_q()["boost"].tolist() == BOOSTS
    x = np.zeros(16, np.uint8)
    x[:8] = 1
    t = sp.trace(x, learn=learn)
    assert t["overlaps"].tolist() == [5, 3, 7, 1]
    assert t["boosted_overlaps"].tolist() == expected
    if boosted_frac_bits < 8:
        assert expected != truncated  # the RND term matters for this data
    # kWTA on the boosted scores: k = 2
    assert t["winners"].tolist() == ref_kwta(expected, 2, 0)


def test_no_boost_multiply_when_not_learning_by_default():
    sp = fixed()  # boost_in_inference False (NuPIC 1.0)
    set_words(sp, BOOST_WORDS)
    sp = with_registers(sp, boost=BOOSTS)
    x = np.zeros(16, np.uint8)
    x[:8] = 1
    t = sp.trace(x, learn=False)
    assert t["boosted_overlaps"].tolist() == [80, 48, 112, 16]  # o << 4, boosts ignored
    assert t["winners"].tolist() == [0, 2]                      # plain overlaps 5, 3, 7, 1
    # with learning the boosts count: 94, 50, 88, 128 -> columns 3 and 0
    assert sp.trace(x, learn=True)["winners"].tolist() == [0, 3]


@pytest.mark.parametrize("boost_frac_bits,boosted_frac_bits", [(8, 4), (8, 8), (10, 3), (6, 5), (5, 0)])
def test_boost_multiply_after_learning(boost_frac_bits, boosted_frac_bits):
    hw = dict(boost_frac_bits=boost_frac_bits, boosted_frac_bits=boosted_frac_bits)
    params = dict(input_dimensions=(64,), column_dimensions=(32,), potential_radius=64, potential_pct=0.5,
                  local_area_density=0.25, duty_cycle_period=10, boost_strength=3.0, stimulus_threshold=1,
                  syn_perm_connected=0.3, min_pct_overlap_duty_cycle=0.1)
    sp = fixed(hw=hw, **params)
    rng = np.random.default_rng(5)
    sp.compute((rng.random((40, 64)) < 0.3).astype(np.uint8), learn=True)
    shift = boost_frac_bits - boosted_frac_bits
    r = (1 << (shift - 1)) if shift else 0
    rounding_mattered = False
    for _ in range(10):
        b = sp.state_q()["boost"].astype(np.int64)
        assert len(np.unique(b)) > 1  # the boosts differ, so this checks the multiply
        t = sp.trace((rng.random(64) < 0.3).astype(np.uint8), learn=True)
        o = t["overlaps"].astype(np.int64)
        expected = (o * b + r) >> shift
        np.testing.assert_array_equal(t["boosted_overlaps"], expected)
        rounding_mattered |= bool(((o * b) >> shift != expected).any())
        assert t["winners"].tolist() == ref_kwta(expected.tolist(), 8, 1 << boosted_frac_bits)
    assert rounding_mattered == (shift > 0)


# ---------------------------------------------------------------------------------------------
# 4. stimulus threshold and kWTA
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("connected_inputs,expected", [
    ([range(8)] * 4, [0, 1]),                                  # all tied at 8
    ([range(4), range(4), range(4), range(8)], [0, 3]),          # 3 wins outright, 0 beats 1, 2
    ([range(4), range(6), range(6), range(6)], [1, 2]),          # tie of three at the cut: 1, 2 win
    ([[], [], [], []], [0, 1]),                                # threshold 0: zero overlaps are eligible
])
def test_global_kwta_ties_go_to_the_lower_index(connected_inputs, expected):
    sp = fixed()
    rows = []
    for inputs in connected_inputs:
        w = np.zeros(16, np.int64)
        w[list(inputs)] = 200
        rows.append(w)
    set_words(sp, rows)
    t = sp.trace(np.ones(16, np.uint8), learn=True)
    assert t["winners"].tolist() == expected


@pytest.mark.parametrize("stimulus,theta,x_inputs,expected", [
    (3, 3, range(8), [0, 3]),     # overlaps 3, 2, 3, 5: eligible 0, 2, 3 -> 3 (5) and 0 (3, beats 2)
    (3, 3, [0, 1], []),           # overlaps all 2: nobody reaches 3, nobody wins
    (2.5, 3, [0, 1], []),         # ceil(2.5) = 3
    (2, 2, [0, 1], [0, 1]),       # 2 >= 2: all eligible, ties -> 0, 1
    (6, 6, range(8), []),         # nobody reaches 6
    (5, 5, range(8), [3]),        # fewer than k eligible: all eligible win
])
def test_stimulus_threshold(stimulus, theta, x_inputs, expected):
    sp = fixed(stimulus_threshold=stimulus)
    assert sp.constants["stimulus"] == theta
    set_words(sp, [[200] * 3 + [0] * 13, [200] * 2 + [0] * 14, [200] * 3 + [0] * 13, [200] * 5 + [0] * 11])
    x = np.zeros(16, np.uint8)
    x[list(x_inputs)] = 1
    assert sp.trace(x, learn=False)["winners"].tolist() == expected


def test_stimulus_threshold_applies_to_the_boosted_score():
    # theta = 3 -> threshold 3 << 4 = 48 on the boosted score (UQ.4)
    sp = fixed(stimulus_threshold=3)
    set_words(sp, [[200] * 3 + [0] * 13, [200] * 2 + [0] * 14, [200] * 3 + [0] * 13, [200] * 5 + [0] * 11])
    # o = 3, 2, 3, 5 with boosts 240, 400, 256, 150:
    #   (720+8)>>4 = 45 < 48; (800+8)>>4 = 50 >= 48; 768>>4 = 48 >= 48; (750+8)>>4 = 47 < 48
    sp = with_registers(sp, boost=[240, 400, 256, 150])
    x = np.zeros(16, np.uint8)
    x[:8] = 1
    t = sp.trace(x, learn=True)
    assert t["overlaps"].tolist() == [3, 2, 3, 5]
    assert t["boosted_overlaps"].tolist() == [45, 50, 48, 47]
    assert t["winners"].tolist() == [1, 2]


def test_k_and_target_from_num_active_columns():
    # global: radius = max dim = 40, area = min(40, 81) = 40, density = min(5/40, 0.5) = 0.125
    # -> k = int(0.125*40) = 5; t_q = RND(0.125*65535 = 8191.875) = 8192
    sp = htmhw.SpatialPooler(arithmetic="fixed", input_dimensions=(40,), column_dimensions=(40,), potential_radius=40,
                             potential_pct=1.0, global_inhibition=True, local_area_density=-1.0,
                             num_active_columns_per_inh_area=5, stimulus_threshold=0, seed=2, wrap_around=False)
    assert sp.constants["target_q"] == 8192
    for c in range(40):
        w = np.zeros(40, np.int64)
        w[:c % 7] = 255  # overlaps 0..6 repeating
        sp.set_column_permanences_q(c, w)
    t = sp.trace(np.ones(40, np.uint8), learn=False)
    assert t["overlaps"].tolist() == [c % 7 for c in range(40)]
    assert t["winners"].tolist() == [6, 13, 20, 27, 34]  # the five columns with overlap 6


def test_standalone_kwta_by_hand():
    s = [1, 2, 2, 2, 0]
    assert htmhw.kwta_global(s, 2).tolist() == [1, 2]
    assert htmhw.kwta_global(s, 3).tolist() == [1, 2, 3]
    assert htmhw.kwta_global(s, 4).tolist() == [0, 1, 2, 3]
    assert htmhw.kwta_global(s, 5, threshold=2).tolist() == [1, 2, 3]
    assert htmhw.kwta_global(s, 0).tolist() == []
    scores = [3, 5, 5, 1, 5, 2]
    # radius 1, no wrap, density 0.5: neighbourhoods {0,1}, {0,1,2}, {1,2,3}, {2,3,4}, {3,4,5}, {4,5};
    # quotas int(0.5 + 0.5*2) = 1, int(0.5 + 0.5*3) = 2
    # 0: one bigger (5) >= 1 -> no; 1: 0 bigger -> yes; 2: 0 bigger + tie 1 already won = 1 < 2 -> yes;
    # 3: two bigger -> no; 4: 0 < 2 -> yes; 5: one bigger >= 1 -> no
    assert htmhw.kwta_local(scores, [6], 1, 0.5, wrap=False).tolist() == [1, 2, 4]
    # density 0.34: quota int(0.5 + 1.02) = 1 for 3 neighbours: 2 loses the tie against winner 1
    assert htmhw.kwta_local(scores, [6], 1, 0.34, wrap=False).tolist() == [1, 4]
    assert ref_kwta_local_1d(scores, 1, 0.5, -1) == [1, 2, 4]
    assert ref_kwta_local_1d(scores, 1, 0.34, -1) == [1, 4]
    # threshold: 5 >= 4 only
    assert htmhw.kwta_local(scores, [6], 1, 0.5, threshold=4, wrap=False).tolist() == [1, 2, 4]
    assert htmhw.kwta_local(scores, [6], 1, 0.5, threshold=5.5, wrap=False).tolist() == []


# ---------------------------------------------------------------------------------------------
# 5. permanence update
# ---------------------------------------------------------------------------------------------

def test_permanence_update_sat_and_trim_by_hand():
    # inc_q 26, dec_q 20, trim_q 13, conn_q 128; k = int(0.25*4) = 1
    sp = fixed(local_area_density=0.25)
    q = sp.constants
    assert (q["perm_max"], q["conn_q"], q["inc_q"], q["dec_q"], q["trim_q"]) == (255, 128, 26, 20, 13)
    before = [250, 229, 230, 128, 102, 101, 13, 0,      # inputs 0..7 (active)
              255, 128, 147, 148, 32, 19, 13, 0]        # inputs 8..15 (inactive)
    set_words(sp, [before] + [[0] * 16] * 3)
    x = np.zeros(16, np.uint8)
    x[:8] = 1
    t = sp.trace(x, learn=True)
    assert t["overlaps"].tolist() == [4, 0, 0, 0]       # 250, 229, 230, 128 are connected and active
    assert t["winners"].tolist() == [0]
    # active: 276 -> SAT 255; 255; 256 -> SAT 255; 154; 128; 127; 39; 26
    # inactive: 235; 108; 127; 128; 12 -> trim 0; -1 -> SAT 0; -7 -> SAT 0; 0
    after = [255, 255, 255, 154, 128, 127, 39, 26, 235, 108, 127, 128, 0, 0, 0, 0]
    assert column_words(sp, 0).tolist() == after
    delta = t["permanence_delta"]
    assert delta[:16].tolist() == [5, 26, 25, 26, 26, 26, 26, 26, -20, -20, -20, -20, -32, -19, -13, 0]
    assert not delta[16:].any()
    assert np.flatnonzero(sp.connected()[0]).tolist() == [0, 1, 2, 3, 4, 8, 11]
    # the next step sees the refreshed connected bits: {0..4} of inputs 0..7
    assert sp.trace(x, learn=False)["overlaps"].tolist() == [5, 0, 0, 0]


def test_raise_to_threshold_by_hand():
    # theta = 3; a boost of 2.0 lets column 0 win with only 2 connected active synapses
    sp = fixed(local_area_density=0.25, stimulus_threshold=3)
    q = sp.constants
    assert (q["stimulus"], q["bump_q"], q["conn_q"]) == (3, 13, 128)
    before = [128, 250, 80, 0, 120, 110, 60] + [0] * 9
    set_words(sp, [before] + [[0] * 16] * 3)
    sp = with_registers(sp, boost=[512, 256, 256, 256])
    x = np.zeros(16, np.uint8)
    x[:4] = 1
    t = sp.trace(x, learn=True)
    assert t["overlaps"].tolist() == [2, 0, 0, 0]
    assert t["boosted_overlaps"].tolist() == [64, 0, 0, 0]  # (2*512 + 8) >> 4 = 64 >= 48
    assert t["winners"].tolist() == [0]
    # update: 154, 276->255, 106, 26 | 100, 90, 40, 0 x9  -> 2 connected < 3
    # bump 1: 167, 255, 119, 39 | 113, 103, 53, 13 x9    -> 2 connected < 3
    # bump 2: 180, 255, 132, 52 | 126, 116, 66, 26 x9    -> 3 connected: stop; nothing < trim 13
    after = [180, 255, 132, 52, 126, 116, 66] + [26] * 9
    assert column_words(sp, 0).tolist() == after
    assert t["permanence_delta"][:16].tolist() == [a - b for a, b in zip(after, before)]
    assert sp.connected_counts()[0] == 3


def test_setting_words_trims_and_refreshes():
    sp = fixed()
    set_words(sp, [[12, 13, 127, 128, 255] + [0] * 11] * 4)  # trim_q 13
    assert column_words(sp, 1).tolist() == [0, 13, 127, 128, 255] + [0] * 11
    assert sp.connected()[1, :5].tolist() == [0, 0, 0, 1, 1]
    with pytest.raises(ValueError):
        sp.set_column_permanences_q(0, [256] * 16)
    with pytest.raises(TypeError):
        sp.set_column_permanences_q(0, np.full(16, 1.5))


@pytest.mark.parametrize("bits", [2, 4, 8, 12, 16])
def test_permanence_update_follows_the_formula(bits):
    # Random words and random boost registers (boost_strength 0 keeps them): low-overlap
    # columns win, so the raise-to-threshold loop fires too.
    params = dict(input_dimensions=(100,), column_dimensions=(12,), potential_radius=30, potential_pct=0.7,
                  local_area_density=0.25, stimulus_threshold=3, syn_perm_connected=0.45,
                  syn_perm_active_inc=0.12, syn_perm_inactive_dec=0.06)
    sp = fixed(hw=dict(permanence_bits=bits), **params)
    q = sp.constants
    rng = np.random.default_rng(bits)
    pools = [np.flatnonzero(row) for row in sp.potential()]
    conn, m = q["conn_q"], q["perm_max"]
    for c, pool in enumerate(pools):
        # about 15 % connected, just above conn_q (a decrement disconnects them), the rest far
        # enough below it that an increment does not connect them: winners with an overlap of
        # 1 or 2 then need the raise-to-threshold loop
        high = rng.integers(conn, min(m, conn + q["dec_q"] - 1) + 1, pool.size)
        low = rng.integers(0, max(1, conn - q["inc_q"]), pool.size)
        sp.set_column_permanences_q(c, np.where(rng.random(pool.size) < 0.15, high, low))
    sp = with_registers(sp, boost=rng.integers(64, 2048, 12))
    boost = sp.state_q()["boost"].astype(np.int64)
    raised = 0
    for _ in range(15):
        before = [column_words(sp, c) for c in range(12)]
        conn = [b >= q["conn_q"] for b in before]
        x = (rng.random(100) < 0.1).astype(np.uint8)
        t = sp.trace(x, learn=True)
        o = np.array([np.count_nonzero(conn[c] & (x[pools[c]] == 1)) for c in range(12)])
        np.testing.assert_array_equal(t["overlaps"], o)
        s = (o * boost + 8) >> 4
        np.testing.assert_array_equal(t["boosted_overlaps"], s)
        winners = ref_kwta(s.tolist(), 3, 3 << 4)
        assert t["winners"].tolist() == winners
        for c in range(12):
            expected = ref_update(before[c], x[pools[c]], q) if c in winners else before[c]
            np.testing.assert_array_equal(column_words(sp, c), expected, err_msg=f"column {c}")
            np.testing.assert_array_equal(sp.connected()[c, pools[c]], expected >= q["conn_q"])
            if c in winners:
                plain = np.where(x[pools[c]] == 1, np.minimum(before[c] + q["inc_q"], q["perm_max"]),
                                 np.maximum(before[c] - q["dec_q"], 0))
                raised += np.count_nonzero(plain >= q["conn_q"]) < q["stimulus"]
    assert raised > 0


# ---------------------------------------------------------------------------------------------
# 6. duty cycles
# ---------------------------------------------------------------------------------------------

def test_duty_cycle_sequence_by_hand():
    # D = 4 (S = 15), period 4 -> s_max = 2 (16 < 2^5). Column 0 is connected to input 0 only.
    sp = fixed(hw=dict(duty_bits=4, boost_lut_bits=4), duty_cycle_period=4)
    assert (sp.constants["duty_one"], sp.constants["duty_shift_max"]) == (15, 2)
    set_words(sp, [[255] + [0] * 15] + [[0] * 16] * 3)
    # (9 steps: column 1, the other winner, gets input 0 connected by its learning after step 9)
    pattern = [1, 0, 1, 0, 1, 1, 1, 1, 1]
    # it1 s0: 0+15 = 15; it2 s1: (0-15)>>1 = -8 -> 7 (TRN toward -inf; truncation would give 8);
    # it3 s1: (15-7)>>1 = 4 -> 11; it4 s2: (0-11)>>2 = -3 -> 8; it5..8 s2: +1 each -> 9, 10, 11, 12;
    # it9 (floor(log2 9) = 3, capped at 2): 3>>2 = 0 -> 12 (TRN stops 3 = 2^2 - 1 below S)
    expected_v0 = [15, 7, 11, 8, 9, 10, 11, 12, 12]
    for i, bit in enumerate(pattern):
        x = np.zeros(16, np.uint8)
        x[0] = bit
        t = sp.trace(x, learn=True)
        assert t["winners"].tolist() == [0, 1]  # column 0 wins or ties; 1 wins the tie at 0
        assert t["overlap_duty"].tolist() == [expected_v0[i], 0, 0, 0], f"iteration {i + 1}"
        assert t["active_duty"].tolist() == [15, 15, 0, 0], f"iteration {i + 1}"


@pytest.mark.parametrize("duty_bits,period", [(16, 1000), (8, 16), (12, 5), (5, 1)])
def test_duty_cycles_follow_the_recurrence(duty_bits, period):
    sp = fixed(hw=dict(duty_bits=duty_bits, boost_lut_bits=min(10, duty_bits + 1)),
               **dict(input_dimensions=(32,), column_dimensions=(16,), potential_radius=32, potential_pct=0.5,
                      local_area_density=0.25, stimulus_threshold=1, boost_strength=1.0,
                      min_pct_overlap_duty_cycle=0.1, duty_cycle_period=period))
    q = sp.constants
    s, s_max = 2 ** duty_bits - 1, shift_max(period)
    assert (q["duty_one"], q["duty_shift_max"]) == (s, s_max)
    mpct = rnd(0.1 * 2 ** 16)
    rng = np.random.default_rng(duty_bits)
    v = np.zeros(16, np.int64)
    a = np.zeros(16, np.int64)
    m = np.zeros(16, np.int64)
    for it in range(1, 301):
        learn = not (it % 7 == 0 or it == 150)
        t = sp.trace((rng.random(32) < 0.2).astype(np.uint8), learn=learn)
        assert t["iteration_num"] == it
        if learn:
            shift = duty_shift(it, s_max)  # iteration counts every step, learning or not
            xv = np.where(t["overlaps"] > 0, s, 0)
            xa = np.zeros(16, np.int64)
            xa[t["winners"]] = s
            v = v + ((xv - v) >> shift)  # >> on int64 is floor (arithmetic shift right)
            a = a + ((xa - a) >> shift)
            if it % 50 == 0:
                m[:] = (mpct * int(v.max())) >> 16
        np.testing.assert_array_equal(t["overlap_duty"], v, err_msg=f"iteration {it}")
        np.testing.assert_array_equal(t["active_duty"], a, err_msg=f"iteration {it}")
        np.testing.assert_array_equal(t["min_overlap_duty"], m, err_msg=f"iteration {it}")
        assert 0 <= v.min() and v.max() <= s
    assert m.max() > 0


# ---------------------------------------------------------------------------------------------
# 7. boost factors
# ---------------------------------------------------------------------------------------------

def lut_address(a, t, duty_bits, lut_bits):
    """docs/datapath.md step 8: (a - t + 2^D) rounded to the nearest multiple of 2^sh, saturated."""
    sh = duty_bits + 1 - lut_bits
    half = (1 << sh) >> 1
    return np.minimum((np.asarray(a, np.int64) - t + (1 << duty_bits) + half) >> sh, 2 ** lut_bits - 1)


def test_boost_lut_by_hand():
    # D = 4 (S = 15), A = 3: bins of 2^(4+1-3) = 4; entry j at the duty difference 4j - 16,
    # delta_j = (4j - 16)/15; strength 1; UQ3.8
    sp = fixed(hw=dict(duty_bits=4, boost_lut_bits=3), boost_strength=1.0)
    # e^(16/15)*256 = 743.85; e^(12/15)*256 = 569.74; e^(8/15)*256 = 436.38; e^(4/15)*256 = 334.23;
    # e^0*256 = 256 exactly; e^(-4/15)*256 = 196.08; e^(-8/15)*256 = 150.18; e^(-12/15)*256 = 115.03
    assert sp.boost_lut().tolist() == [744, 570, 436, 334, 256, 196, 150, 115]
    # UQ1.8 saturates at 2^9 - 1 = 511: e^(2*16/15)*256 = 2161.4, e^(2*12/15)*256 = 1268.0 and
    # e^(2*8/15)*256 = 743.85 do not fit; e^(2*4/15)*256 = 436.38 -> 436
    sat = fixed(hw=dict(duty_bits=4, boost_lut_bits=3, boost_int_bits=1), boost_strength=2.0)
    assert sat.boost_lut().tolist()[:4] == [511, 511, 511, 436]


@pytest.mark.parametrize("duty_bits,lut_bits", [(4, 3), (16, 10), (10, 7), (8, 9), (12, 1)])
def test_boost_address_is_unbiased_at_the_target(duty_bits, lut_bits):
    # a == t addresses the entry of duty difference 0, whose boost is exactly 1.0, for every target;
    # each entry is the centre of its bin: the address of a - t = d is the entry nearest d.
    sp = fixed(hw=dict(duty_bits=duty_bits, boost_lut_bits=lut_bits), boost_strength=2.0)
    lut = sp.boost_lut()
    s, sh = 2 ** duty_bits - 1, duty_bits + 1 - lut_bits
    assert lut[2 ** (lut_bits - 1)] == 256
    t = np.arange(0, s + 1)
    np.testing.assert_array_equal(lut_address(t, t, duty_bits, lut_bits), 2 ** (lut_bits - 1))
    d = np.arange(-s, s + 1)
    entry_d = lut_address(d, 0, duty_bits, lut_bits) * 2 ** sh - 2 ** duty_bits
    last = (2 ** lut_bits - 1) * 2 ** sh - 2 ** duty_bits
    assert np.all((np.abs(d - entry_d) <= 2 ** sh // 2) | (d > last))


@pytest.mark.parametrize("duty_bits,lut_bits,int_bits,frac_bits,strength", [
    (16, 10, 3, 8, 2.5), (11, 12, 3, 8, 1.0), (8, 6, 2, 12, 4.0), (16, 12, 8, 16, 0.7), (12, 1, 3, 8, 3.0)])
def test_boost_lut_matches_exp(duty_bits, lut_bits, int_bits, frac_bits, strength):
    hw = dict(duty_bits=duty_bits, boost_lut_bits=lut_bits, boost_int_bits=int_bits, boost_frac_bits=frac_bits,
              boosted_frac_bits=0)
    lut = fixed(hw=hw, boost_strength=strength).boost_lut().astype(np.int64)
    assert lut.size == 2 ** lut_bits
    s = 2 ** duty_bits - 1
    j = np.arange(2 ** lut_bits)
    delta = (j * 2.0 ** (duty_bits + 1 - lut_bits) - 2.0 ** duty_bits) / s
    ref = np.minimum(np.floor(np.exp(-delta * strength) * 2 ** frac_bits + 0.5), 2 ** (int_bits + frac_bits) - 1)
    assert np.abs(lut - ref).max() <= 1
    assert (lut == ref).mean() >= 0.97
    assert np.all(np.diff(lut) <= 0)  # larger duty -> smaller boost


@pytest.mark.parametrize("duty_bits,lut_bits", [(16, 10), (8, 9), (12, 4), (11, 12)])
def test_boost_registers_come_from_the_lut(duty_bits, lut_bits):
    params = dict(input_dimensions=(48,), column_dimensions=(20,), potential_radius=48, potential_pct=0.5,
                  local_area_density=0.2, duty_cycle_period=20, boost_strength=2.0, stimulus_threshold=1)
    sp = fixed(hw=dict(duty_bits=duty_bits, boost_lut_bits=lut_bits), **params)
    q = sp.constants
    s = 2 ** duty_bits - 1
    assert q["target_q"] == rnd(0.2 * s)
    lut = sp.boost_lut().astype(np.int64)
    rng = np.random.default_rng(duty_bits + lut_bits)
    seen = set()
    for it in range(1, 61):
        t = sp.trace((rng.random(48) < 0.25).astype(np.uint8), learn=True)
        addr = lut_address(t["active_duty"], q["target_q"], duty_bits, lut_bits)
        assert addr.min() >= 0
        np.testing.assert_array_equal(t["boost"], lut[addr], err_msg=f"iteration {it}")
        seen.update(t["boost"].tolist())
    assert len(seen) > 2


def test_boost_target_under_local_inhibition():
    # 1-D, no wrap: the neighbourhood of c is [c - r, c + r] clipped; target = floor(mean)
    params = dict(input_dimensions=(64,), column_dimensions=(16,), potential_radius=6, potential_pct=0.6,
                  global_inhibition=False, local_area_density=0.2, duty_cycle_period=16, boost_strength=2.0,
                  stimulus_threshold=1, syn_perm_connected=0.3, min_pct_overlap_duty_cycle=0.1)
    sp = fixed(**params)
    lut = sp.boost_lut().astype(np.int64)
    radius = sp.inhibition_radius
    assert radius < 16  # really local
    rng = np.random.default_rng(9)
    prev_boost = sp.state_q()["boost"].astype(np.int64)
    prev_m = np.zeros(16, np.int64)
    mpct = rnd(0.1 * 2 ** 16)
    for it in range(1, 101):
        t = sp.trace((rng.random(64) < 0.25).astype(np.uint8), learn=True)
        v = t["overlap_duty"].astype(np.int64)
        assert t["bumped_columns"].tolist() == np.flatnonzero(v < prev_m).tolist(), f"iteration {it}"
        o = t["overlaps"].astype(np.int64)
        sc = (o * prev_boost + 8) >> 4
        np.testing.assert_array_equal(t["boosted_overlaps"], sc)
        assert t["winners"].tolist() == ref_kwta_local_1d(sc.tolist(), radius, 0.2, 1 << 4), f"iteration {it}"
        a = t["active_duty"].astype(np.int64)
        nbs = [a[max(0, c - radius):min(15, c + radius) + 1] for c in range(16)]
        target = np.array([int(nb.sum()) // nb.size for nb in nbs])  # TRN
        np.testing.assert_array_equal(t["boost"], lut[lut_address(a, target, 16, 10)], err_msg=f"iteration {it}")
        prev_boost = t["boost"].astype(np.int64)
        if it % 50:
            assert t["inhibition_radius"] == radius
            np.testing.assert_array_equal(t["min_overlap_duty"], prev_m)
        else:  # radius (after the boosts), then the minimum duty over each (new) neighbourhood
            radius = t["inhibition_radius"]
            assert radius < 16
            m = [(mpct * int(v[max(0, c - radius):min(15, c + radius) + 1].max())) >> 16 for c in range(16)]
            assert t["min_overlap_duty"].tolist() == m, f"iteration {it}"
            assert len(set(m)) > 1  # really per neighbourhood
        prev_m = t["min_overlap_duty"].astype(np.int64)


def test_zero_boost_strength_keeps_unit_boost():
    sp = fixed(hw=dict(boost_frac_bits=7, boosted_frac_bits=3), boost_strength=0.0, duty_cycle_period=5)
    assert sp.boost_lut().tolist() == [128] * 1024   # exp(0) = 1.0 = 2^7
    rng = np.random.default_rng(3)
    for _ in range(60):
        t = sp.trace((rng.random(16) < 0.4).astype(np.uint8), learn=True)
        assert t["boost"].tolist() == [128] * 4
        assert t["boosted_overlaps"].tolist() == (t["overlaps"].astype(np.int64) << 3).tolist()
    assert len(set(t["active_duty"].tolist())) > 1  # the duties differ; the boosts still do not


# ---------------------------------------------------------------------------------------------
# 8. weak-column bump and minimum duty
# ---------------------------------------------------------------------------------------------

def test_weak_column_bump_by_hand():
    # inc 0.3 -> inc_q RND(76.5) = 77, trim_q RND(38.25) = 38 (> bump_q 13, so the trim after a bump
    # can fire); min_pct 0.5 -> 32768
    sp = fixed(syn_perm_active_inc=0.3, min_pct_overlap_duty_cycle=0.5)
    q = sp.constants
    assert (q["inc_q"], q["trim_q"], q["bump_q"], q["conn_q"], q["min_pct_q"]) == (77, 38, 13, 128, 32768)
    col3 = [0, 38, 50, 115, 120, 127, 0, 0, 0, 0, 0, 100,   # inputs 0..11 (active): none connected
            250, 245, 0, 40]                                  # inputs 12..15 (inactive)
    set_words(sp, [[200] * 16] * 3 + [col3])
    x = np.zeros(16, np.uint8)
    x[:12] = 1
    for _ in range(1, 51):
        t = sp.trace(x, learn=True)
        assert t["overlaps"].tolist() == [12, 12, 12, 0]
        assert t["winners"].tolist() == [0, 1]
        assert t["bumped_columns"].size == 0  # m is still 0 (it is set after the bump of iteration 50)
    # iteration 50: m = (32768 * max v) >> 16 with v = S = 65535 for columns 0..2: 32767
    assert t["overlap_duty"].tolist() == [65535, 65535, 65535, 0]
    assert t["min_overlap_duty"].tolist() == [32767] * 4
    assert column_words(sp, 3).tolist() == col3
    t = sp.trace(x, learn=True)
    assert t["bumped_columns"].tolist() == [3]  # v_3 = 0 < 32767
    # +13 SAT 255, then trim (< 38 -> 0): 0 -> 13 -> 0; 38 -> 51; ...; 250 -> 263 -> 255; 245 -> 258 -> 255
    after = [0, 51, 63, 128, 133, 140, 0, 0, 0, 0, 0, 113, 255, 255, 0, 53]
    assert column_words(sp, 3).tolist() == after
    assert t["permanence_delta"][48:64].tolist() == [a - b for a, b in zip(after, col3)]
    assert not t["permanence_delta"][32:48].any()  # column 2: neither winner nor weak
    assert np.flatnonzero(sp.connected()[3]).tolist() == [3, 4, 5, 12, 13]
    t = sp.trace(x, learn=True)
    assert t["overlaps"][3] == 3  # refreshed connected bits: inputs 3, 4, 5
    assert t["bumped_columns"].tolist() == [3]  # v_3 = 65535 >> 5 = 2047 < 32767: still weak
    assert t["overlap_duty"][3] == 65535 >> 5


def test_bump_applies_to_all_weak_columns_per_the_registers():
    sp = htmhw.SpatialPooler(arithmetic="fixed", hw=HardwareConfig(), **dict(MID, min_pct_overlap_duty_cycle=0.9))
    q = sp.constants
    rng = np.random.default_rng(4)
    prev_m = np.zeros(96, np.int64)
    total = checked = 0
    for it in range(1, 121):
        before = sp.permanence_memory()[0].astype(np.int64)
        t = sp.trace((rng.random(300) < 0.02).astype(np.uint8), learn=True)
        v = t["overlap_duty"].astype(np.int64)
        expected_bumped = np.flatnonzero(v < prev_m).tolist()
        assert t["bumped_columns"].tolist() == expected_bumped, f"iteration {it}"
        total += len(expected_bumped)
        # a weak non-winner: +bump_q SAT, trim, nothing else
        words, offsets = sp.permanence_memory()
        for c in set(expected_bumped) - set(t["winners"].tolist()):
            checked += 1
            b = before[offsets[c]:offsets[c + 1]]
            exp = np.minimum(b + q["bump_q"], q["perm_max"])
            exp[exp < q["trim_q"]] = 0
            np.testing.assert_array_equal(words[offsets[c]:offsets[c + 1]], exp)
        if it % 50 == 0:
            assert t["min_overlap_duty"].tolist() == [(q["min_pct_q"] * int(v.max())) >> 16] * 96
        prev_m = t["min_overlap_duty"].astype(np.int64)
    assert total > 0 and checked > 0


# ---------------------------------------------------------------------------------------------
# 9. initialization
# ---------------------------------------------------------------------------------------------

INIT_CONFIGS = [
    dict(input_dimensions=(64,), column_dimensions=(16,), potential_radius=8, potential_pct=0.5, wrap_around=True),
    dict(input_dimensions=(64,), column_dimensions=(16,), potential_radius=8, potential_pct=0.5, wrap_around=False),
    dict(input_dimensions=(12, 12), column_dimensions=(6, 6), potential_radius=3, potential_pct=0.4),
    dict(input_dimensions=(14, 14), column_dimensions=(7, 7, 2), potential_radius=4, potential_pct=0.3),
]


@pytest.mark.parametrize("config", INIT_CONFIGS)
@pytest.mark.parametrize("bits", [4, 8, 12])
def test_pools_equal_the_float_pooler(config, bits):
    params = dict(global_inhibition=True, local_area_density=0.1, seed=1234, **config)
    ref = htmhw.SpatialPooler(**params).potential()
    sp = htmhw.SpatialPooler(arithmetic="fixed", hw=HardwareConfig(permanence_bits=bits), **params)
    np.testing.assert_array_equal(sp.potential(), ref)
    other = htmhw.SpatialPooler(arithmetic="fixed", **dict(params, seed=1235)).potential()
    assert not np.array_equal(other, ref)  # the comparison can tell pools apart
    words, offsets = sp.permanence_memory()
    assert np.diff(offsets).tolist() == ref.sum(axis=1).tolist()
    dense = sp.permanences_q()
    for c in range(0, sp.num_columns, 7):
        np.testing.assert_array_equal(words[offsets[c]:offsets[c + 1]], dense[c][ref[c] == 1])
    assert words.min() >= 0 and words.max() <= 2 ** bits - 1


_MASK = 2 ** 64 - 1


class _Rng:
    """docs/rng.md: xoshiro256** seeded by four SplitMix64 outputs."""

    def __init__(self, seed, stream):
        x = (seed ^ (stream * 0xD1B54A32D192ED03)) & _MASK
        self.s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & _MASK
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
            self.s.append(z ^ (z >> 31))

    @staticmethod
    def _rotl(v, k):
        return ((v << k) | (v >> (64 - k))) & _MASK

    def next_u64(self):
        s = self.s
        out = (self._rotl((s[1] * 5) & _MASK, 7) * 9) & _MASK
        t = (s[1] << 17) & _MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 45)
        return out

    def below(self, n):
        if n == 1:
            return 0
        bits = (n - 1).bit_length()
        while True:
            r = self.next_u64() >> (64 - bits)
            if r < n:
                return r


@pytest.mark.parametrize("bits,stimulus", [(8, 0), (5, 0), (12, 0), (8, 5), (3, 4)])
def test_initial_words_reproduce_the_documented_prng(bits, stimulus):
    n_in, n_col, radius, pct, seed = 40, 5, 6, 0.6, 12345
    sp = htmhw.SpatialPooler(
        arithmetic="fixed", hw=HardwareConfig(permanence_bits=bits), input_dimensions=(n_in,),
        column_dimensions=(n_col,), potential_radius=radius, potential_pct=pct, global_inhibition=True,
        local_area_density=0.2, stimulus_threshold=stimulus, syn_perm_connected=0.4, syn_perm_active_inc=0.08,
        seed=seed, wrap_around=False)
    q = sp.constants
    m, conn = q["perm_max"], q["conn_q"]
    potential = sp.potential()
    for c in range(n_col):
        rng = _Rng(seed, c + 1)
        centre = n_in * (2 * c + 1) // (2 * n_col)
        cand = list(range(max(0, centre - radius), min(n_in - 1, centre + radius) + 1))
        k = int(len(cand) * pct + 0.5)
        for i in range(k):
            j = i + rng.below(len(cand) - i)
            cand[i], cand[j] = cand[j], cand[i]
        pool = sorted(cand[:k])
        assert np.flatnonzero(potential[c]).tolist() == pool, f"column {c}"
        words = []
        for _ in pool:
            r1 = rng.next_u64()
            u = rng.next_u64() >> 32
            words.append(conn + (((m - conn) * u) >> 32) if r1 >> 63 == 0 else (conn * u) >> 32)
        p = np.array(words, np.int64)
        while np.count_nonzero(p >= conn) < q["stimulus"]:
            p = np.minimum(p + q["bump_q"], m)
        p[p < q["trim_q"]] = 0
        np.testing.assert_array_equal(column_words(sp, c), p, err_msg=f"column {c}")


def test_initial_word_distribution():
    sp = htmhw.SpatialPooler(arithmetic="fixed", hw=HardwareConfig(permanence_bits=8), input_dimensions=(1024,),
                             column_dimensions=(128,), potential_radius=1024, potential_pct=0.5,
                             global_inhibition=True, local_area_density=0.1, stimulus_threshold=0,
                             syn_perm_connected=0.5, syn_perm_active_inc=0.1, seed=99, wrap_around=False)
    q = sp.constants
    words = sp.permanence_memory()[0].astype(np.int64)
    assert words.size == 128 * 512
    connected = words >= q["conn_q"]
    assert abs(connected.mean() - 0.5) < 0.01
    # connected: uniform on [conn_q, M-1]; unconnected: [0, conn_q-1], trimmed below trim_q (13)
    assert words[connected].min() == q["conn_q"] and words[connected].max() == q["perm_max"] - 1
    low = words[~connected]
    assert low.max() == q["conn_q"] - 1
    assert not np.any((low > 0) & (low < q["trim_q"]))
    assert abs(np.mean(words[connected]) - (128 + 254) / 2) < 1.5
    np.testing.assert_array_equal(sp.connected_counts(), (sp.permanences_q() >= q["conn_q"]).sum(axis=1))


# ---------------------------------------------------------------------------------------------
# 10. determinism
# ---------------------------------------------------------------------------------------------

def _assert_traces_equal(ta, tb, where=""):
    assert ta.keys() == tb.keys()
    for k in ta:
        if isinstance(ta[k], np.ndarray):
            np.testing.assert_array_equal(ta[k], tb[k], err_msg=f"{k} {where}")
        else:
            assert ta[k] == tb[k], f"{k} {where}"


def test_same_seed_gives_identical_traces():
    a = htmhw.SpatialPooler(arithmetic="fixed", **MID)
    b = htmhw.SpatialPooler(arithmetic="fixed", **MID)
    assert a == b
    rng = np.random.default_rng(0)
    X = (rng.random((40, 300)) < 0.1).astype(np.uint8)
    for i, x in enumerate(X):
        _assert_traces_equal(a.trace(x), b.trace(x), f"step {i}")
    assert a == b
    assert a != htmhw.SpatialPooler(arithmetic="fixed", **dict(MID, seed=78))


def test_inference_is_identical_for_any_thread_count():
    sp = htmhw.SpatialPooler(arithmetic="fixed", **dict(MID, boost_in_inference=True))
    rng = np.random.default_rng(1)
    sp.compute((rng.random((60, 300)) < 0.1).astype(np.uint8), learn=True)
    X = (rng.random((101, 300)) < 0.1).astype(np.uint8)
    it = sp.iteration_num
    r1 = sp.infer(X, output="dense", n_threads=1)
    assert sp.iteration_num == it  # pure
    for n in (2, 3, 8):
        np.testing.assert_array_equal(sp.infer(X, output="dense", n_threads=n), r1)
    copy = pickle.loads(pickle.dumps(sp))
    np.testing.assert_array_equal(copy.compute(X, learn=False, output="dense"), r1)


@pytest.mark.parametrize("bits", [4, 8, 12, 16])
def test_portable_and_simd_kernels_agree(bits):
    rng = np.random.default_rng(bits)
    X = (rng.random((200, 300)) < 0.1).astype(np.uint8)
    a = htmhw.SpatialPooler(arithmetic="fixed", hw=HardwareConfig(permanence_bits=bits), **MID)
    b = htmhw.SpatialPooler(arithmetic="fixed", hw=HardwareConfig(permanence_bits=bits), **MID)
    b.set_portable_kernels(True)
    initial = a.permanence_memory()[0].copy()
    for i in range(0, 200, 25):
        _assert_traces_equal(a.trace(X[i]), b.trace(X[i]), f"step {i}")
        ra = a.compute(X[i + 1:i + 25], learn=True, output="dense")
        rb = b.compute(X[i + 1:i + 25], learn=True, output="dense")
        np.testing.assert_array_equal(ra, rb)
    assert a == b
    assert not np.array_equal(a.permanence_memory()[0], initial)  # learning happened


def test_fast_and_portable_kernels_agree_and_threads_agree():
    # The anchor geometry: pools of 23 inputs, so at <= 8 bits each column fits the one-register
    # small-column update (MID's 180-input pools do not); 12 bits takes the 16-bit word path.
    rng = np.random.default_rng(2)
    X = (rng.random((150, 784)) < 0.15).astype(np.uint8)
    for bits in (4, 8, 12):
        a = htmhw.SpatialPooler(arithmetic="fixed", hw={"permanence_bits": bits}, **ANCHOR)
        b = htmhw.SpatialPooler(arithmetic="fixed", hw={"permanence_bits": bits}, **ANCHOR)
        b.set_portable_kernels(True)
        ra = a.compute(X[:100], learn=True, output="sparse")
        rb = b.compute(X[:100], learn=True, output="sparse")
        assert (ra != rb).nnz == 0 and a == b, bits
        one, two = (a.infer(X[100:], output="sparse", n_threads=n) for n in (1, 2))
        assert (one != two).nnz == 0


# ---------------------------------------------------------------------------------------------
# 11. configuration errors
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fields,name", [
    (dict(permanence_bits=1), "permanence_bits"),
    (dict(permanence_bits=17), "permanence_bits"),
    (dict(overlap_bits=17), "overlap_bits"),
    (dict(boost_int_bits=0), "boost_int_bits"),
    (dict(boost_int_bits=9), "boost_int_bits"),
    (dict(boost_frac_bits=17), "boost_frac_bits"),
    (dict(boost_frac_bits=4, boosted_frac_bits=5), "boosted_frac_bits"),
    (dict(duty_bits=3), "duty_bits"),
    (dict(duty_bits=17), "duty_bits"),
    (dict(boost_lut_bits=0), "boost_lut_bits"),
    (dict(boost_lut_bits=13), "boost_lut_bits"),
])
def test_invalid_hardware_config_raises_value_error(fields, name):
    with pytest.raises(ValueError, match=name):
        HardwareConfig(**fields)
    with pytest.raises(ValueError, match=name):
        htmhw.SpatialPooler(arithmetic="fixed", hw=fields, **BASE)


@pytest.mark.parametrize("value", [8.0, 8.5, "8", True, None])
def test_non_integer_hardware_config_raises_type_error(value):
    with pytest.raises(TypeError, match="permanence_bits"):
        HardwareConfig(permanence_bits=value)


def test_boosted_overlap_width_limit():
    # explicit overlap width: 16 + 8 + 1 = 25 > 24; the message states the bound
    with pytest.raises(ValueError, match=r"overlap_bits \+ boost_int_bits \+ boosted_frac_bits must be <= 24"):
        fixed(hw=dict(overlap_bits=16, boost_int_bits=8, boosted_frac_bits=1))
    fixed(hw=dict(overlap_bits=16, boost_int_bits=8, boosted_frac_bits=0))  # exactly 24 is fine
    # derived width: pools of 4096 -> bitlen 13; 13 + 8 + 4 = 25
    big = dict(BASE, input_dimensions=(4096,), column_dimensions=(2,), potential_radius=4096, local_area_density=0.5)
    with pytest.raises(ValueError, match="overlap_bits"):
        htmhw.SpatialPooler(arithmetic="fixed", hw=dict(boost_int_bits=8), **big)
    sp = htmhw.SpatialPooler(arithmetic="fixed", hw=dict(boost_int_bits=7), **big)  # 13 + 7 + 4 = 24
    assert sp.constants["overlap_bits"] == 13


def test_arithmetic_and_hw_arguments():
    with pytest.raises(ValueError, match="arithmetic"):
        htmhw.SpatialPooler(arithmetic="double", **BASE)
    with pytest.raises(ValueError, match="hw"):
        htmhw.SpatialPooler(arithmetic="float", hw=HardwareConfig(), **BASE)
    with pytest.raises(TypeError, match="unknown"):
        htmhw.SpatialPooler(arithmetic="fixed", hw=dict(permanence_width=8), **BASE)
    with pytest.raises(TypeError):
        htmhw.SpatialPooler(arithmetic="fixed", hw=8, **BASE)
    sp = htmhw.SpatialPooler(arithmetic="fixed", hw=dict(permanence_bits=6), **BASE)
    assert sp.hw == HardwareConfig(permanence_bits=6) and sp.arithmetic == "fixed"


# ---------------------------------------------------------------------------------------------
# 12. persistence
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bits", [8, 12])
def test_save_load_and_pickle_round_trip(tmp_path, bits):
    hw = HardwareConfig(permanence_bits=bits, boost_frac_bits=10, boosted_frac_bits=3, duty_bits=12,
                        boost_lut_bits=8)
    sp = htmhw.SpatialPooler(arithmetic="fixed", hw=hw, **MID)
    rng = np.random.default_rng(bits)
    sp.compute((rng.random((70, 300)) < 0.1).astype(np.uint8), learn=True)
    assert len(np.unique(sp.state_q()["boost"])) > 1
    path = tmp_path / "sp.htmhw"
    sp.save(path)
    loaded = htmhw.SpatialPooler.load(path)
    pickled = pickle.loads(pickle.dumps(sp))
    for other in (loaded, pickled):
        assert other == sp
        assert other.arithmetic == "fixed" and other.hw == hw
        assert other.constants == sp.constants
        np.testing.assert_array_equal(other.permanence_memory()[0], sp.permanence_memory()[0])
        np.testing.assert_array_equal(other.boost_lut(), sp.boost_lut())
        for k, v in sp.state_q().items():
            np.testing.assert_array_equal(other.state_q()[k], v)
    X = (rng.random((40, 300)) < 0.1).astype(np.uint8)
    for i, x in enumerate(X):
        t = sp.trace(x)
        _assert_traces_equal(loaded.trace(x), t, f"loaded, step {i}")
        _assert_traces_equal(pickled.trace(x), t, f"pickled, step {i}")
    assert loaded == sp and pickled == sp


def test_inference_step_changes_no_learning_state():
    sp = htmhw.SpatialPooler(arithmetic="fixed", **MID)
    rng = np.random.default_rng(8)
    sp.compute((rng.random((30, 300)) < 0.1).astype(np.uint8), learn=True)
    before = sp.state_q()
    words = sp.permanence_memory()[0].copy()
    t = sp.trace((rng.random(300) < 0.1).astype(np.uint8), learn=False)
    assert t["iteration_num"] == 31 and sp.iteration_learn_num == 30
    assert not t["permanence_delta"].any() and t["bumped_columns"].size == 0
    np.testing.assert_array_equal(sp.permanence_memory()[0], words)
    for k in ("overlap_duty", "active_duty", "min_overlap_duty", "boost"):
        np.testing.assert_array_equal(t[k], before[k])


# ---------------------------------------------------------------------------------------------
# the contract's control-plane formulas, written again from docs/datapath.md
# ---------------------------------------------------------------------------------------------

def doc_inhibition_radius(connected, input_dims, column_dims):
    """docs/datapath.md "Inhibition radius", from its text: pad to rank R, spans per padded
    input dimension, averages in double in the stated order, round half up, at least 1."""
    rank = max(len(input_dims), len(column_dims))
    ins = list(input_dims) + [1] * (rank - len(input_dims))
    cols = list(column_dims) + [1] * (rank - len(column_dims))
    total = 0.0
    for row in connected:
        idx = np.flatnonzero(row)
        if idx.size == 0:
            continue
        coords = np.unravel_index(idx, ins)
        s = 0.0
        for d in range(rank):
            s += float(coords[d].max() - coords[d].min() + 1)
        total += s / rank
    avg_span = total / connected.shape[0]
    cpi = 0.0
    for d in range(rank):
        cpi += cols[d] / ins[d]
    cpi /= rank
    return int(math.floor(max(1.0, (avg_span * cpi - 1.0) / 2.0) + 0.5))


@pytest.mark.parametrize("arithmetic", ["fixed", "float"])
@pytest.mark.parametrize("input_dims,column_dims,radius,wrap", [
    ((64,), (16,), 6, False), ((12, 10), (6, 5), 3, True), ((28, 28), (14, 14, 2), 4, False),
    ((9, 8, 3), (12,), 5, True), ((20,), (4, 5), 7, False)])
def test_inhibition_radius_follows_the_documented_formula(arithmetic, input_dims, column_dims, radius, wrap):
    # (28, 28) inputs with (14, 14, 2) columns: the input is padded to 28x28x1, whose third
    # dimension has span 1 and contributes 2/1 to the columns per input.
    params = dict(input_dimensions=input_dims, column_dimensions=column_dims, potential_radius=radius,
                  potential_pct=0.5, global_inhibition=False, local_area_density=0.3, stimulus_threshold=1,
                  syn_perm_connected=0.3, wrap_around=wrap, seed=5)
    sp = htmhw.SpatialPooler(arithmetic=arithmetic, **params)
    assert sp.inhibition_radius == doc_inhibition_radius(sp.connected(), input_dims, column_dims)
    rng = np.random.default_rng(4)
    n = int(np.prod(input_dims))
    sp.compute((rng.random((100, n)) < 0.3).astype(np.uint8), learn=True)  # two radius updates
    assert sp.inhibition_radius == doc_inhibition_radius(sp.connected(), input_dims, column_dims)


def doc_det_expf(x):
    """det_expf as docs/datapath.md "Boost lookup table" specifies it (float32 operations)."""
    f32 = np.float32

    def c(bits):
        return np.array([bits], np.uint32).view(np.float32)[0]

    x = np.asarray(x, np.float32)
    x = np.where(x >= f32(-86), x, f32(-86)).astype(np.float32)
    x = np.where(x <= f32(88), x, f32(88)).astype(np.float32)
    t = x * c(0x3FB8AA3B)
    kf = (t + f32(12582912)) - f32(12582912)
    r = (x - kf * c(0x3F318000)) - kf * c(0xB95E8083)
    p = np.full_like(r, c(0x39500D01))
    for k in (0x3AB60B61, 0x3C088889, 0x3D2AAAAB, 0x3E2AAAAB, 0x3F000000, 0x3F800000, 0x3F800000):
        p = p * r + c(k)
    scale = ((kf.astype(np.int32) + 127).astype(np.uint32) << np.uint32(23)).view(np.float32)
    return p * scale


def doc_boost_lut(duty_bits, lut_bits, int_bits, frac_bits, strength, exp=doc_det_expf):
    sh = duty_bits + 1 - lut_bits
    delta = (np.ldexp(np.arange(2 ** lut_bits, dtype=np.float64), sh) - 2.0 ** duty_bits) / (2 ** duty_bits - 1)
    e = exp((-delta * strength).astype(np.float32)).astype(np.float64)
    return np.minimum(np.floor(e * 2.0 ** frac_bits + 0.5), 2.0 ** (int_bits + frac_bits) - 1).astype(np.int64)


@pytest.mark.parametrize("duty_bits,lut_bits,int_bits,frac_bits", [(16, 10, 3, 8), (16, 12, 3, 16), (8, 9, 8, 16),
                                                                  (4, 3, 1, 0), (12, 5, 2, 12)])
def test_boost_lut_is_the_documented_det_expf_table(duty_bits, lut_bits, int_bits, frac_bits):
    hw = dict(duty_bits=duty_bits, boost_lut_bits=lut_bits, boost_int_bits=int_bits, boost_frac_bits=frac_bits,
              boosted_frac_bits=0)
    for strength in (0.06, 0.12, 0.7, 1.5, 2.0, 3.3, 10.0, 20.0, 97.0, 1e6):
        lut = fixed(hw=hw, boost_strength=strength).boost_lut().astype(np.int64)
        np.testing.assert_array_equal(lut, doc_boost_lut(duty_bits, lut_bits, int_bits, frac_bits, strength),
                                      err_msg=f"strength {strength}")


def test_a_correctly_rounded_exp_does_not_reproduce_every_table():
    # the documented counterexample: det_expf is 1 ulp above the correctly rounded exp at
    # x = 0.0733604953 and exp(x) * 2^16 = 70524.4956 lies between the two
    lut = fixed(hw=dict(boost_frac_bits=16, boosted_frac_bits=0), boost_strength=0.12).boost_lut().astype(np.int64)
    correctly_rounded = doc_boost_lut(16, 10, 3, 16, 0.12,
                                      exp=lambda x: np.exp(x.astype(np.float64)).astype(np.float32))
    assert lut[199] == 70525 and correctly_rounded[199] == 70524
    assert np.flatnonzero(lut != correctly_rounded).tolist() == [199]


MNIST256_LOCAL = dict(input_dimensions=(28, 28), column_dimensions=(16, 16), potential_radius=3, potential_pct=0.4,
                      global_inhibition=False, stimulus_threshold=2, seed=1)


@pytest.mark.parametrize("arithmetic", ["fixed", "float"])
def test_local_inhibition_without_winners_is_refused(arithmetic):
    # radius 3 here: the largest neighbourhood is 7x7 and int(0.5 + 0.01 * 49) = 0
    ok = htmhw.SpatialPooler(arithmetic=arithmetic, local_area_density=0.011, **MNIST256_LOCAL)
    assert ok.inhibition_radius == 3
    with pytest.raises(ValueError, match=r"local_area_density.*neighbourhood has at most 49 columns.*>= 0\.5 / 49"):
        htmhw.SpatialPooler(arithmetic=arithmetic, local_area_density=0.01, **MNIST256_LOCAL)
    with pytest.raises(ValueError, match=r"local_area_density"):
        ok.set_param("local_area_density", 0.01)
    assert ok.params["local_area_density"] == 0.011  # the refused setter changed nothing
    # numActiveColumnsPerInhArea = 1: density 1 / min(7^2, 256), int(0.5 + 49/49) = 1 winner per neighbourhood
    htmhw.SpatialPooler(arithmetic=arithmetic, local_area_density=-1.0, num_active_columns_per_inh_area=1,
                        **MNIST256_LOCAL)
    # the global equivalent is refused too: int(0.003 * 256) = 0
    with pytest.raises(ValueError, match=r"local_area_density"):
        htmhw.SpatialPooler(arithmetic=arithmetic, local_area_density=0.003,
                            **dict(MNIST256_LOCAL, global_inhibition=True))
    # the accepted configuration really has winners
    rng = np.random.default_rng(0)
    x = (rng.random((5, 784)) < 0.2).astype(np.uint8)
    assert all(len(w) > 0 for w in ok.compute(x, learn=False))
