"""Behaviour of the float spatial pooler against hand-computed NuPIC 1.0 semantics.

Every expected value below is worked out by hand (see the comments) or by a
small, independent numpy re-implementation of the NuPIC rule in this file;
nothing is copied from a run of the code under test.
"""
import itertools
import pickle

import numpy as np
import pytest

import htmhw
from htmhw import _core
from htmhw.nupic import SpatialPooler as NupicSP

F32 = np.float32

# A tiny pooler whose every column sees all 8 inputs (radius 8 >= input size,
# potential_pct 1), with global inhibition and exactly k = 2 winners:
# density = min(2 / min(4, (2 * 4 + 1) ** 1), 0.5) = 0.5 and int(0.5 * 4) = 2.
# No boosting, no weak-column bump (min_pct_overlap_duty_cycle = 0).
TINY = dict(
    input_dimensions=(8,),
    column_dimensions=(4,),
    potential_radius=8,
    potential_pct=1.0,
    global_inhibition=True,
    local_area_density=-1.0,
    num_active_columns_per_inh_area=2,
    stimulus_threshold=0,
    syn_perm_inactive_dec=0.01,
    syn_perm_active_inc=0.1,
    syn_perm_connected=0.2,
    min_pct_overlap_duty_cycle=0.0,
    duty_cycle_period=10,
    boost_strength=0.0,
    seed=7,
    wrap_around=False,
)


def make_tiny(perms, **overrides):
    sp = htmhw.SpatialPooler(**dict(TINY, **overrides))
    for c, row in enumerate(perms):
        sp.set_column_permanences(c, np.asarray(row, dtype=np.float32))
    return sp


def binary(*bits):
    return np.array(bits, dtype=np.uint8)


# -- independent reference implementations (numpy / plain Python) -------------------------


def ref_neighborhood(center, radius, dims, wrap):
    """NuPIC's (wrapping)Neighborhood as an ordered list of flat indices."""
    coords = np.unravel_index(center, dims)
    intervals = []
    for c, d in zip(coords, dims):
        c = int(c)
        if wrap:
            lo = c - radius
            hi = min(c + radius, lo + d - 1)
            intervals.append([v % d for v in range(lo, hi + 1)])
        else:
            intervals.append(list(range(max(0, c - radius), min(d - 1, c + radius) + 1)))
    return [int(np.ravel_multi_index(p, dims)) for p in itertools.product(*intervals)]


def ref_kwta_local(scores, dims, radius, density, threshold=-np.inf, wrap=True):
    """NuPIC 1.0 _inhibitColumnsLocal (columns visited in index order)."""
    scores = np.asarray(scores, dtype=np.float32)
    active = np.zeros(scores.size, dtype=bool)
    for c in range(scores.size):
        if not scores[c] >= threshold:
            continue
        nb = ref_neighborhood(c, radius, dims, wrap)
        bigger = sum(scores[j] > scores[c] for j in nb)
        ties_lost = sum(scores[j] == scores[c] and active[j] for j in nb)
        if bigger + ties_lost < int(0.5 + density * len(nb)):
            active[c] = True
    return np.flatnonzero(active).tolist()


def ref_kwta_global(scores, k, threshold=-np.inf):
    """k largest scores >= threshold, ties to the lower index, returned ascending."""
    eligible = [i for i in range(len(scores)) if scores[i] >= threshold]
    return sorted(sorted(eligible, key=lambda i: (-scores[i], i))[:k])


# -- overlap --------------------------------------------------------------------------------


def test_overlap_counts_connected_synapses_on_active_inputs():
    perms = [
        [0.2, 0.19999, 0.5, 0, 0, 1.0, 0, 0.3],  # connected (>= 0.2): {0, 2, 5, 7}; 0.19999 is not
        [0.9] * 8,  # all 8 connected
        [0.1, 0.1, 0.1, 0.1, 0.25, 0.25, 0.25, 0.25],  # {4, 5, 6, 7}
        [0.0] * 8,  # nothing connected
    ]
    sp = make_tiny(perms)
    x = binary(1, 1, 0, 0, 1, 1, 0, 1)  # active inputs {0, 1, 4, 5, 7}
    winners = sp.compute(x, learn=False)[0]
    # col0: {0,5,7} -> 3; col1: 5 active inputs -> 5; col2: {4,5,7} -> 3; col3: 0
    assert sp.overlaps().tolist() == [3, 5, 3, 0]
    assert sp.connected_counts().tolist() == [4, 8, 4, 0]
    # Without learning the "boosted" overlaps are the raw overlaps (NuPIC 1.0).
    assert sp.boosted_overlaps().tolist() == [3.0, 5.0, 3.0, 0.0]
    # k = 2: column 1 (5), then the 3-3 tie between columns 0 and 2 goes to column 0.
    assert winners.tolist() == [0, 1]


def test_set_column_permanences_trims_and_clips():
    sp = make_tiny([[0.04, 0.06, 1.5, -0.3, 0.2, 0.0, 0.7, 0.0999]])
    # trim threshold = syn_perm_active_inc / 2 = 0.05: 0.04 -> 0, -0.3 -> 0; 1.5 -> 1.0
    expected = np.array([0, 0.06, 1.0, 0, 0.2, 0, 0.7, 0.0999], dtype=np.float32)
    np.testing.assert_array_equal(sp.permanences()[0], expected)
    assert sp.connected()[0].tolist() == [0, 0, 1, 0, 1, 0, 1, 0]
    assert sp.potential()[0].tolist() == [1] * 8  # trimmed synapses stay potential


# -- inhibition -------------------------------------------------------------------------------


def test_global_inhibition_ties_go_to_the_lower_index():
    perms = [[0.3, 0, 0, 0, 0, 0, 0, 0], [0.3, 0.3, 0, 0, 0, 0, 0, 0],
             [0.3, 0.3, 0, 0, 0, 0, 0, 0], [0.3, 0.3, 0, 0, 0, 0, 0, 0]]
    sp = make_tiny(perms)
    x = binary(1, 1, 0, 0, 0, 0, 0, 0)
    # overlaps 1, 2, 2, 2 and k = 2: columns 1 and 2 (column 3 loses the tie)
    assert sp.compute(x, learn=False)[0].tolist() == [1, 2]
    assert sp.overlaps().tolist() == [1, 2, 2, 2]
    # all four tie at 1 -> the two lowest indices
    assert sp.compute(binary(1, 0, 0, 0, 0, 0, 0, 0), learn=False)[0].tolist() == [0, 1]
    # the same while learning (boost factors are all 1 here)
    assert make_tiny(perms).compute(x, learn=True)[0].tolist() == [1, 2]


def test_global_inhibition_ties_with_boosted_scores():
    perms = [[0.3, 0, 0, 0, 0, 0, 0, 0], [0.3, 0.3, 0, 0, 0, 0, 0, 0],
             [0.3, 0.3, 0, 0, 0, 0, 0, 0], [0.3, 0.3, 0, 0, 0, 0, 0, 0]]
    x = binary(1, 1, 0, 0, 0, 0, 0, 0)  # overlaps 1, 2, 2, 2
    sp = NupicSP(inputDimensions=(8,), columnDimensions=(4,), potentialRadius=8, potentialPct=1.0,
                 globalInhibition=True, localAreaDensity=-1.0, numActiveColumnsPerInhArea=2,
                 synPermInactiveDec=0.01, synPermActiveInc=0.1, synPermConnected=0.2,
                 minPctOverlapDutyCycle=0.0, seed=7, wrapAround=False)
    for c, row in enumerate(perms):
        sp.setPermanence(c, np.array(row, dtype=np.float32))
    # Uniform non-unit boost keeps the ties: boosted 3, 6, 6, 6 -> columns 1, 2.
    sp.setBoostFactors(np.full(4, 3.0, dtype=np.float32))
    active = np.zeros(4, dtype=np.uint32)
    sp.compute(x, True, active)
    assert active.tolist() == [0, 1, 1, 0]
    np.testing.assert_array_equal(sp.getBoostedOverlaps(), F32([3, 6, 6, 6]))
    # A larger boost on column 3 breaks the tie in its favour: 1*1, 1*2, 1*2, 1.5*2.
    for c, row in enumerate(perms):
        sp.setPermanence(c, np.array(row, dtype=np.float32))
    sp.setBoostFactors(F32([1, 1, 1, 1.5]))
    sp.compute(x, True, active)
    assert active.tolist() == [0, 1, 0, 1]


def test_stimulus_threshold_excludes_low_overlaps():
    perms = [[0.3, 0, 0, 0, 0, 0, 0, 0], [0.3, 0.3, 0, 0, 0, 0, 0, 0],
             [0.3, 0.3, 0.3, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0.3]]
    x = binary(1, 1, 1, 0, 0, 0, 0, 0)  # overlaps 1, 2, 3, 0
    assert make_tiny(perms).compute(x)[0].tolist() == [1, 2]
    # threshold 3: only column 2 is eligible, so fewer than k columns win
    assert make_tiny(perms, stimulus_threshold=3).compute(x)[0].tolist() == [2]
    # NuPIC compares overlap >= threshold, so 1.5 admits overlap 2 but not 1
    sp = make_tiny(perms, stimulus_threshold=1.5)
    assert sp.compute(binary(1, 1, 0, 0, 0, 0, 0, 0))[0].tolist() == [1, 2]  # overlaps 1, 2, 2, 0
    sp.set_param("stimulus_threshold", 4)
    assert sp.compute(x)[0].tolist() == []


def test_kwta_global_on_explicit_scores():
    s = np.array([2.5, 7, 7, 1, 7, 2.5], dtype=np.float32)
    assert htmhw.kwta_global(s, 0).tolist() == []
    assert htmhw.kwta_global(s, 1).tolist() == [1]
    assert htmhw.kwta_global(s, 2).tolist() == [1, 2]  # three 7s tie, lower indices win
    assert htmhw.kwta_global(s, 4).tolist() == [0, 1, 2, 4]  # the 2.5 tie: index 0 beats 5
    assert htmhw.kwta_global(s, 5).tolist() == [0, 1, 2, 4, 5]
    assert htmhw.kwta_global(s, 100).tolist() == [0, 1, 2, 3, 4, 5]
    assert htmhw.kwta_global(s, 5, threshold=3).tolist() == [1, 2, 4]
    assert htmhw.kwta_global(s, 2, threshold=2.5).tolist() == [1, 2]
    assert htmhw.kwta_global(s, 6, threshold=2.5).tolist() == [0, 1, 2, 4, 5]  # >= threshold
    assert htmhw.kwta_global(s, 3, threshold=8).tolist() == []
    # negative scores; -0.0 and +0.0 are equal, so the lower index wins the tie
    assert htmhw.kwta_global(np.array([-1.0, -0.0, 0.0, -2.0]), 1).tolist() == [1]
    assert htmhw.kwta_global(np.array([-1.0, -0.0, 0.0, -2.0]), 3).tolist() == [0, 1, 2]


def test_kwta_global_matches_reference_on_random_tied_scores():
    rng = np.random.default_rng(11)
    for _ in range(150):
        n = int(rng.integers(1, 200))
        s = (rng.integers(0, 8, n) * rng.choice([1.0, 0.25, -0.5], n)).astype(np.float32)
        k = int(rng.integers(0, n + 3))
        threshold = float(rng.choice([-np.inf, 0.0, 1.0, 2.5]))
        assert htmhw.kwta_global(s, k, threshold).tolist() == ref_kwta_global(s, k, threshold)


def test_kwta_local_hand_computed():
    s = np.array([4, 4, 2, 4, 1, 3], dtype=np.float32)
    # radius 1, density 0.34, no wrap: quota int(0.5 + 0.34 * |nb|) = 1 for |nb| = 2 or 3
    #   c0 nb {0,1}: bigger 0, tied winners 0 -> win
    #   c1 nb {0,1,2}: bigger 0, tied winner c0 -> 1, lose
    #   c2 nb {1,2,3}: bigger 2 -> lose;  c3 nb {2,3,4}: 0 -> win
    #   c4 nb {3,4,5}: bigger 2 -> lose;  c5 nb {4,5}: 0 -> win
    assert htmhw.kwta_local(s, (6,), 1, 0.34, wrap=False).tolist() == [0, 3, 5]
    # with wrap c5's neighbourhood is {4,5,0} and c0 (4) beats it
    assert htmhw.kwta_local(s, (6,), 1, 0.34, wrap=True).tolist() == [0, 3]
    # threshold 3.5 excludes c5 (score 3)
    assert htmhw.kwta_local(s, (6,), 1, 0.34, threshold=3.5, wrap=False).tolist() == [0, 3]
    # density 0.5: quota 1 at the edges (|nb| = 2), 2 inside (int(0.5 + 1.5))
    #   c1: 1 tied winner < 2 -> win;  c2: 2 bigger -> lose;  c4: 2 bigger -> lose;  c5: 0 < 1 -> win
    assert htmhw.kwta_local(s, (6,), 1, 0.5, wrap=False).tolist() == [0, 1, 3, 5]
    # radius 0: every column is alone in its neighbourhood, quota int(0.5 + 0.34) = 0 -> nobody wins
    assert htmhw.kwta_local(s, (6,), 0, 0.34, wrap=False).tolist() == []
    assert htmhw.kwta_local(s, (6,), 0, 0.5, wrap=False).tolist() == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("dims,trials", [((17,), 40), ((5, 6), 40), ((4, 5, 3), 10)])  # 3-D: big neighbourhoods
@pytest.mark.parametrize("wrap", [False, True])
def test_kwta_local_matches_reference(dims, trials, wrap):
    rng = np.random.default_rng(sum(dims) + wrap)
    n = int(np.prod(dims))
    for _ in range(trials):
        s = rng.integers(0, 5, n).astype(np.float32)
        radius = int(rng.integers(0, 4))
        density = float(rng.choice([0.1, 0.2, 0.34, 0.5]))
        threshold = float(rng.choice([-np.inf, 1.0, 2.0]))
        got = htmhw.kwta_local(s, dims, radius, density, threshold=threshold, wrap=wrap).tolist()
        assert got == ref_kwta_local(s, dims, radius, density, threshold, wrap)


@pytest.mark.parametrize("wrap", [False, True])
def test_local_inhibition_in_the_pooler_follows_nupic_rule(wrap):
    sp = NupicSP(inputDimensions=(24,), columnDimensions=(12,), potentialRadius=8, potentialPct=1.0,
                 globalInhibition=False, localAreaDensity=-1.0, numActiveColumnsPerInhArea=2, seed=5,
                 wrapAround=wrap)
    radius = sp.getInhibitionRadius()
    assert 2 <= radius <= 12  # local inhibition applies (radius not above max(columnDimensions))
    # NuPIC's density from numActiveColumnsPerInhArea: 2 / min(12, (2r + 1) ** 1), capped at 0.5
    density = min(2 / min(12, 2 * radius + 1), 0.5)
    rng = np.random.default_rng(8)
    active = np.zeros(12, dtype=np.uint8)
    for _ in range(20):
        x = (rng.random(24) < 0.4).astype(np.uint8)
        sp.compute(x, False, active)
        expected = ref_kwta_local(sp.getOverlaps(), (12,), radius, density, 0.0, wrap)
        assert np.flatnonzero(active).tolist() == expected


# -- learning -------------------------------------------------------------------------------


def test_one_learning_step_adapts_winners_only():
    perms = np.array([
        [0.3, 0.055, 0.95, 0.2, 0.06, 0.0, 0.5, 0.25],
        [0.25] * 8,
        [0.06] * 8,
        [0.21, 0, 0, 0, 0.21, 0, 0, 0],
    ], dtype=np.float32)
    sp = make_tiny(perms)
    before = sp.permanences()
    np.testing.assert_array_equal(before, perms)  # all values >= trim 0.05 survive set_column_permanences
    x = binary(1, 1, 1, 0, 0, 0, 1, 0)  # active inputs {0, 1, 2, 6}
    winners = sp.compute(x, learn=True)[0]
    # overlaps: c0 connected {0,2,3,6,7} & x = {0,2,6} -> 3; c1 -> 4; c2 -> 0; c3 {0,4} & x -> 1
    assert sp.overlaps().tolist() == [3, 4, 0, 1]
    assert winners.tolist() == [0, 1]

    inc, dec, trim = F32(0.1), F32(0.01), F32(0.1 / 2)
    expected = before.copy()
    for c in (0, 1):
        row = np.where(x == 1, before[c] + inc, before[c] - dec).astype(np.float32)
        row[row < trim] = 0
        expected[c] = np.clip(row, F32(0), F32(1))
    after = sp.permanences()
    np.testing.assert_array_equal(after, expected)
    # some entries spelled out: 0.95 + 0.1 clips to 1; 0.0 - 0.01 trims to 0;
    # 0.2 - 0.01 = 0.19 drops below the connected threshold; non-winners untouched
    assert after[0, 2] == 1.0 and after[0, 5] == 0.0
    assert after[0, 3] == F32(0.2) - F32(0.01) and after[0, 0] == F32(0.3) + F32(0.1)
    np.testing.assert_array_equal(after[2:], perms[2:])
    # connections follow: c0 now connected to {0 (0.4), 2 (1.0), 6 (0.6), 7 (0.24)}
    assert sp.connected()[0].tolist() == [1, 0, 1, 0, 0, 0, 1, 1]
    assert sp.connected_counts().tolist() == [4, 8, 0, 2]
    assert sp.potential().sum() == 32  # trimmed synapses stay in the pools
    assert sp.iteration_num == 1 and sp.iteration_learn_num == 1


def test_learn_false_changes_no_permanence():
    perms = np.array([[0.3] * 8, [0.25] * 8, [0.06] * 8, [0.21] * 8], dtype=np.float32)
    sp = make_tiny(perms)
    sp.compute(binary(1, 1, 1, 0, 0, 0, 1, 0), learn=False)
    np.testing.assert_array_equal(sp.permanences(), perms)
    np.testing.assert_array_equal(sp.active_duty_cycles(), F32([0, 0, 0, 0]))
    assert sp.iteration_num == 1 and sp.iteration_learn_num == 0


def test_weak_columns_are_bumped_by_a_tenth_of_syn_perm_connected():
    perms = np.array([[0.3] * 8, [0.25] * 8, [0.06] * 8, [0, 0, 0, 0, 0, 0, 0, 0.21]], dtype=np.float32)
    sp = NupicSP(inputDimensions=(8,), columnDimensions=(4,), potentialRadius=8, potentialPct=1.0,
                 globalInhibition=True, localAreaDensity=-1.0, numActiveColumnsPerInhArea=2,
                 synPermInactiveDec=0.01, synPermActiveInc=0.1, synPermConnected=0.2,
                 minPctOverlapDutyCycle=0.0, seed=7, wrapAround=False)
    for c in range(4):
        sp.setPermanence(c, perms[c])
    sp.setMinOverlapDutyCycles(np.full(4, 0.5, dtype=np.float32))
    active = np.zeros(4, dtype=np.uint8)
    x = binary(1, 1, 1, 0, 0, 0, 0, 0)
    sp.compute(x, True, active)
    # overlaps 3, 3, 0, 0 -> winners 0, 1. After step 1 the overlap duty cycle is 1 for
    # columns with overlap > 0 and 0 otherwise; columns 2 and 3 are below 0.5 and every
    # synapse in their pools gains synPermConnected / 10 = 0.02 (then trim, clip).
    assert active.tolist() == [1, 1, 0, 0]
    np.testing.assert_array_equal(sp.getOverlapDutyCycles(), F32([1, 1, 0, 0]))
    bump = F32(0.2 / 10)
    expected2 = perms[2] + bump  # 0.06 + 0.02
    expected3 = perms[3] + bump
    expected3[expected3 < F32(0.05)] = 0  # 0 + 0.02 is below the trim threshold
    np.testing.assert_array_equal(sp.getPermanence(2), expected2)
    np.testing.assert_array_equal(sp.getPermanence(3), expected3)
    assert sp.getPermanence(3).tolist()[:7] == [0.0] * 7


def test_initial_permanences_are_raised_to_the_stimulus_threshold():
    # syn_perm_active_inc = 0 makes the trim threshold 0, so the stimulus-threshold-0
    # pooler exposes the raw initial permanences; the same seed draws the same values.
    base = dict(input_dimensions=(10,), column_dimensions=(30,), potential_radius=10, potential_pct=1.0,
                global_inhibition=True, local_area_density=0.1, syn_perm_active_inc=0.0,
                syn_perm_connected=0.3, seed=21)
    raw = htmhw.SpatialPooler(**base, stimulus_threshold=0).permanences()
    sp = htmhw.SpatialPooler(**base, stimulus_threshold=6)
    conn = F32(0.3 - 0.000001)
    assert (np.sum(raw > conn, axis=1) < 6).any()  # some columns really need raising
    expected = raw.copy()
    for c in range(30):
        while np.sum(expected[c] > conn) < 6:  # NuPIC's _raisePermanenceToThreshold
            expected[c] = expected[c] + F32(0.3 / 10)
    np.testing.assert_array_equal(sp.permanences(), np.clip(expected, F32(0), F32(1)))
    assert (sp.connected_counts() >= 6).all()


def test_boost_factors_follow_the_global_formula():
    for density, num_active, target in [(0.25, 0, 0.25), (-1.0, 3, 3 / 16)]:
        # with numActiveColumnsPerInhArea the target is 3 / min(16, (2 * 16 + 1) ** 1)
        sp = htmhw.SpatialPooler(input_dimensions=(32,), column_dimensions=(16,), potential_radius=32,
                                 potential_pct=0.5, global_inhibition=True, local_area_density=density,
                                 num_active_columns_per_inh_area=num_active, boost_strength=3.0,
                                 duty_cycle_period=20, seed=2)
        rng = np.random.default_rng(4)
        for _ in range(6):
            prev_boost = sp.boost_factors()
            x = (rng.random(32) < 0.3).astype(np.uint8)
            winners = sp.compute(x, learn=True)[0]
            # the scores used for inhibition while learning: boost * overlap in float32
            boosted = prev_boost * sp.overlaps().astype(np.float32)
            np.testing.assert_array_equal(sp.boosted_overlaps(), boosted)
            assert winners.tolist() == ref_kwta_global(boosted, int(target * 16 + 1e-9))
            duty = sp.active_duty_cycles().astype(np.float64)
            np.testing.assert_allclose(sp.boost_factors(), np.exp((target - duty) * 3.0), rtol=1e-6)
        assert not np.all(sp.boost_factors() == 1.0)


def test_boost_strength_zero_keeps_unit_boost():
    sp = htmhw.SpatialPooler(input_dimensions=(32,), column_dimensions=(16,), potential_radius=32,
                             global_inhibition=True, local_area_density=0.25, boost_strength=0.0, seed=2)
    sp.compute((np.random.default_rng(0).random((5, 32)) < 0.3).astype(np.uint8), learn=True)
    np.testing.assert_array_equal(sp.boost_factors(), np.ones(16, dtype=np.float32))


def test_duty_cycles_follow_the_float32_recurrence():
    sp = htmhw.SpatialPooler(input_dimensions=(32,), column_dimensions=(16,), potential_radius=32,
                             potential_pct=0.5, global_inhibition=True, local_area_density=0.25,
                             boost_strength=1.0, duty_cycle_period=5, stimulus_threshold=2, seed=9)
    rng = np.random.default_rng(6)
    active_duty = np.zeros(16, dtype=np.float32)
    overlap_duty = np.zeros(16, dtype=np.float32)
    for t in range(1, 14):
        x = (rng.random(32) < 0.2).astype(np.uint8)
        winners = sp.compute(x, learn=True)[0]
        a = np.zeros(16, dtype=np.float32)
        a[winners] = 1
        o = (sp.overlaps() > 0).astype(np.float32)
        p = min(5, t)  # min(duty_cycle_period, iteration_num)
        active_duty = (active_duty * F32(p - 1) + a) / F32(p)
        overlap_duty = (overlap_duty * F32(p - 1) + o) / F32(p)
        np.testing.assert_array_equal(sp.active_duty_cycles(), active_duty)
        np.testing.assert_array_equal(sp.overlap_duty_cycles(), overlap_duty)
    assert 0 < active_duty.max() < 1  # the case exercised both regimes of p and real averaging


def test_inhibition_radius_follows_connected_spans():
    # No permanence ever changes: increments 0, no stimulus raise, no weak-column bump.
    p = dict(input_dimensions=(16,), column_dimensions=(8,), potential_radius=16, potential_pct=1.0,
             global_inhibition=False, local_area_density=-1.0, num_active_columns_per_inh_area=1,
             syn_perm_active_inc=0.0, syn_perm_inactive_dec=0.0, syn_perm_connected=0.2,
             min_pct_overlap_duty_cycle=0.0, seed=3, wrap_around=False)
    sp = htmhw.SpatialPooler(**p)

    def expected_radius(connected):
        # NuPIC _updateInhibitionRadius (1-D): mean connected span over ALL columns
        # (0 for a column without connections) * columns per input, then
        # max(1, (diameter - 1) / 2), rounded as int(r + 0.5)
        spans = [(np.flatnonzero(r).max() - np.flatnonzero(r).min() + 1) if r.any() else 0 for r in connected]
        diameter = np.mean(spans) * (8 / 16)
        return int(max(1.0, (diameter - 1) / 2) + 0.5)

    assert sp.inhibition_radius == expected_radius(sp.connected())
    perms = np.zeros((8, 16), dtype=np.float32)
    perms[:7, 0] = perms[:7, 15] = 0.5  # seven columns span 16 inputs, column 7 has no connection
    for c in range(8):
        sp.set_column_permanences(c, perms[c])
    # mean span = 7 * 16 / 8 = 14 -> diameter 7 -> radius 3 -> int(3.5) = 3
    # (averaging only over connected columns would give 16 -> 8 -> 3.5 -> 4)
    x = (np.random.default_rng(1).random((50, 16)) < 0.5).astype(np.uint8)
    sp.compute(x[:49], learn=True)
    sp.compute(x[49], learn=True)  # iteration 50: radius and min duty cycles are refreshed
    np.testing.assert_array_equal(sp.permanences(), perms)
    assert sp.inhibition_radius == 3


# -- topology of the potential pools ------------------------------------------------------------


def pool(sp, column):
    return set(np.flatnonzero(sp.potential()[column]).tolist())


def topo_sp(inp, cols, radius, wrap, pct=1.0):
    return htmhw.SpatialPooler(input_dimensions=inp, column_dimensions=cols, potential_radius=radius,
                               potential_pct=pct, global_inhibition=True, local_area_density=0.5,
                               wrap_around=wrap, seed=1)


def test_potential_pools_1d():
    # input (10,), columns (5,): column c maps to floor(10 * (2c + 1) / 10) = 2c + 1
    clipped, wrapped = topo_sp((10,), (5,), 2, False), topo_sp((10,), (5,), 2, True)
    assert pool(clipped, 0) == {0, 1, 2, 3}  # centre 1, [-1, 3] clipped
    assert pool(wrapped, 0) == {9, 0, 1, 2, 3}  # [-1, 3] wrapped
    assert pool(clipped, 2) == pool(wrapped, 2) == {3, 4, 5, 6, 7}  # centre 5
    assert pool(clipped, 4) == {7, 8, 9}  # centre 9
    assert pool(wrapped, 4) == {7, 8, 9, 0, 1}


def test_potential_pools_2d():
    # input (6, 6), columns (3, 3): column (r, c) maps to input (2r + 1, 2c + 1)
    clipped, wrapped = topo_sp((6, 6), (3, 3), 1, False), topo_sp((6, 6), (3, 3), 1, True)
    # column 0 = (0, 0) -> (1, 1): rows 0..2 x cols 0..2
    assert pool(clipped, 0) == pool(wrapped, 0) == {0, 1, 2, 6, 7, 8, 12, 13, 14}
    # column 8 = (2, 2) -> (5, 5): clipped rows/cols 4..5; wrapped rows/cols {4, 5, 0}
    assert pool(clipped, 8) == {28, 29, 34, 35}
    assert pool(wrapped, 8) == {28, 29, 24, 34, 35, 30, 4, 5, 0}
    # column 5 = (1, 2) -> (3, 5): rows 2..4 x cols 4..5 (clipped) or cols {4, 5, 0}
    assert pool(clipped, 5) == {16, 17, 22, 23, 28, 29}
    assert pool(wrapped, 5) == {16, 17, 12, 22, 23, 18, 28, 29, 24}


def test_all_pools_match_reference_neighbourhoods():
    for inp, cols, radius in [((10,), (5,), 2), ((6, 6), (3, 3), 1), ((7, 5), (3, 4), 2), ((9,), (4,), 20)]:
        for wrap in (False, True):
            sp = topo_sp(inp, cols, radius, wrap)
            for c in range(int(np.prod(cols))):
                centre = [(i * (2 * k + 1)) // (2 * n) for i, k, n in zip(inp, np.unravel_index(c, cols), cols)]
                expected = set(ref_neighborhood(int(np.ravel_multi_index(centre, inp)), min(radius, int(np.prod(inp))),
                                                inp, wrap))
                assert pool(sp, c) == expected, (inp, cols, radius, wrap, c)


def test_column_to_input_mapping_and_rank_padding():
    # radius 0 and potential_pct 1: each pool is exactly the mapped centre
    sp = topo_sp((7,), (3,), 0, False)
    # floor(7 * (2c + 1) / 6) = 1, 3, 5
    assert [pool(sp, c) for c in range(3)] == [{1}, {3}, {5}]
    # input (4, 4) padded to (4, 4, 1) for columns (2, 2, 3): column (r, c, k) -> (2r + 1, 2c + 1, 0)
    sp = topo_sp((4, 4), (2, 2, 3), 0, False)
    expected = [{5}] * 3 + [{7}] * 3 + [{13}] * 3 + [{15}] * 3
    assert [pool(sp, c) for c in range(12)] == expected
    # columns (4,) padded to (4, 1) for input (4, 6): column c -> (c, floor(6 * 1 / 2) = 3)
    sp = topo_sp((4, 6), (4,), 0, False)
    assert [pool(sp, c) for c in range(4)] == [{3}, {9}, {15}, {21}]


def test_core_neighborhood():
    assert _core.neighborhood(0, 1, [5], True).tolist() == [4, 0, 1]
    assert _core.neighborhood(0, 1, [5], False).tolist() == [0, 1]
    assert _core.neighborhood(0, 3, [5], True).tolist() == [2, 3, 4, 0, 1]  # capped at the size, no repeats
    assert _core.neighborhood(2, 9, [5], False).tolist() == [0, 1, 2, 3, 4]
    assert _core.neighborhood(3, 0, [5], True).tolist() == [3]
    # (5, 5) in 6x6: rows {4, 5, 0} x cols {4, 5, 0}, row-major
    assert _core.neighborhood(35, 1, [6, 6], True).tolist() == [28, 29, 24, 34, 35, 30, 4, 5, 0]
    assert _core.neighborhood(35, 1, [6, 6], False).tolist() == [28, 29, 34, 35]
    assert _core.neighborhood(7, 1, [3, 4, 2], False).tolist() == ref_neighborhood(7, 1, (3, 4, 2), False)
    assert _core.neighborhood(7, 1, [3, 4, 2], True).tolist() == ref_neighborhood(7, 1, (3, 4, 2), True)


def test_pool_size_is_rounded_fraction_of_the_neighbourhood():
    # (10,) / (5,), radius 2, clipped: neighbourhood sizes 4, 5, 5, 5, 3;
    # int(n * 0.6 + 0.5) = int(2.9), int(3.5), .., int(2.3) = 2, 3, 3, 3, 2
    sp = topo_sp((10,), (5,), 2, False, pct=0.6)
    assert sp.potential().sum(axis=1).tolist() == [2, 3, 3, 3, 2]
    ref = topo_sp((10,), (5,), 2, False)
    assert (sp.potential() <= ref.potential()).all()  # sampled inside the neighbourhood
    # wrapped: all neighbourhoods have 5 inputs -> int(5 * 0.75 + 0.5) = int(4.25) = 4
    assert topo_sp((10,), (5,), 2, True, pct=0.75).potential().sum(axis=1).tolist() == [4] * 5
    # 2-D: input (20, 20), columns (4, 4), radius 3, clipped: centres 2, 7, 12, 17 per axis
    # give intervals of 6, 7, 7, 6 -> int(rows * cols * 0.3 + 0.5)
    sp = topo_sp((20, 20), (4, 4), 3, False, pct=0.3)
    lens = [6, 7, 7, 6]
    expected = [int(lens[r] * lens[c] * 0.3 + 0.5) for r in range(4) for c in range(4)]
    assert expected[:2] == [11, 13] and expected[5] == 15  # 10.8 -> 11, 12.6 -> 13, 14.7 -> 15
    assert sp.potential().sum(axis=1).tolist() == expected
    # the sampled pools differ between columns (not one fixed pattern)
    assert len({tuple(np.flatnonzero(r) % 20) for r in sp.potential()}) > 1


# -- NuPIC API --------------------------------------------------------------------------------------


def nupic_sp(**kw):
    args = dict(inputDimensions=(16,), columnDimensions=(32,), potentialRadius=16, potentialPct=0.5,
                globalInhibition=True, localAreaDensity=0.125, synPermConnected=0.1, seed=3)
    args.update(kw)
    return NupicSP(**args)


def test_nupic_compute_fills_active_array_in_place():
    sp = nupic_sp()
    active = np.ones(32, dtype=np.uint32)  # stale content must be cleared
    x = (np.arange(16) % 3 == 0).astype(np.uint32)
    returned = sp.compute(x, True, active)
    assert returned is active
    assert set(np.unique(active).tolist()) <= {0, 1}
    assert active.sum() == int(0.125 * 32)  # 4 winners
    # a 2-D activeArray is filled through its flat view
    active2 = np.zeros((4, 8), dtype=np.int8)
    sp.compute(x, False, active2)
    assert active2.sum() == 4
    assert sp.getIterationNum() == 2 and sp.getIterationLearnNum() == 1
    with pytest.raises(ValueError, match="activeArray"):
        sp.compute(x, True, np.zeros(31))


def test_nupic_getters_fill_arrays_and_are_consistent():
    sp = nupic_sp()
    rng = np.random.default_rng(0)
    active = np.zeros(32, dtype=np.uint32)
    for _ in range(5):
        sp.compute((rng.random(16) < 0.3).astype(np.uint8), True, active)
    assert sp.getNumColumns() == 32 and sp.getNumInputs() == 16
    assert sp.getColumnDimensions().tolist() == [32] and sp.getInputDimensions().tolist() == [16]
    assert sp.getIterationNum() == 5 and sp.getIterationLearnNum() == 5
    assert sp.getInhibitionRadius() == 32  # global inhibition: max(columnDimensions)

    counts = np.zeros(32, dtype=np.uint32)
    assert sp.getConnectedCounts(counts) is counts
    conn_threshold = F32(0.1 - 0.000001)
    for c in range(32):
        conn = np.zeros(16, dtype=np.uint32)
        perm = np.zeros(16, dtype=np.float32)
        pot = np.zeros(16, dtype=np.uint32)
        assert sp.getConnectedSynapses(c, conn) is conn
        assert sp.getPermanence(c, perm) is perm
        assert sp.getPotential(c, pot) is pot
        assert pot.sum() == int(16 * 0.5 + 0.5)
        assert conn.sum() == counts[c]
        assert np.array_equal(conn.astype(bool), (perm >= conn_threshold) & (pot == 1))
        assert not perm[pot == 0].any()  # no permanence outside the pool
    for getter in ("getBoostFactors", "getActiveDutyCycles", "getOverlapDutyCycles", "getMinOverlapDutyCycles"):
        out = np.full(32, -1.0, dtype=np.float32)
        assert getattr(sp, getter)(out) is out
        assert np.array_equal(out, getattr(sp, getter)())
        assert (out >= 0).all()
    # overlaps of the last step: recompute from the connected synapses
    x = (rng.random(16) < 0.3).astype(np.uint8)
    sp.compute(x, False, active)
    connected = np.array([sp.getConnectedSynapses(c) for c in range(32)])
    np.testing.assert_array_equal(sp.getOverlaps(), (connected @ x).astype(np.float32))
    np.testing.assert_array_equal(sp.getBoostedOverlaps(), sp.getOverlaps())
    with pytest.raises(ValueError, match="columnIndex"):
        sp.getPermanence(32)
    with pytest.raises(ValueError, match="columnIndex"):
        sp.getConnectedSynapses(-1)


def test_nupic_setters_round_trip():
    sp = nupic_sp(potentialPct=1.0)
    perm = np.linspace(0, 0.9, 16).astype(np.float32)
    perm[1] = 0.02  # below the trim threshold synPermActiveInc / 2 = 0.025 -> 0
    sp.setPermanence(4, perm)
    expected = perm.copy()
    expected[1] = 0
    np.testing.assert_array_equal(sp.getPermanence(4), expected)
    assert sp.getConnectedSynapses(4).tolist() == (expected >= F32(0.1 - 1e-6)).astype(int).tolist()

    for name, values in [("BoostFactors", np.linspace(0.5, 3, 32)), ("ActiveDutyCycles", np.linspace(0, 1, 32)),
                         ("OverlapDutyCycles", np.linspace(1, 0, 32)), ("MinOverlapDutyCycles", np.full(32, 0.01))]:
        getattr(sp, "set" + name)(values)
        np.testing.assert_array_equal(getattr(sp, "get" + name)(), values.astype(np.float32))

    for name, value in [("SynPermActiveInc", 0.07), ("SynPermInactiveDec", 0.003), ("StimulusThreshold", 2.0),
                        ("DutyCyclePeriod", 77), ("BoostStrength", 1.5), ("MinPctOverlapDutyCycles", 0.05),
                        ("GlobalInhibition", False),
                        ("SpVerbosity", 1), ("WrapAround", False)]:
        getattr(sp, "set" + name)(value)
        assert getattr(sp, "get" + name)() == value, name
    # parameters that only shape initialization are refused after construction
    # (docs/sp_float.md), so params always describe the pooler that exists
    for name, value in [("PotentialRadius", 5), ("PotentialPct", 0.3), ("Seed", 9)]:
        with pytest.raises(ValueError, match="construction"):
            getattr(sp, "set" + name)(value)
    with pytest.raises(ValueError, match="stimulus_threshold"):
        sp.setStimulusThreshold(17)  # pools hold 16 inputs
    assert sp.getStimulusThreshold() == 2.0
    sp.setLocalAreaDensity(0.25)  # NuPIC: invalidates numActiveColumnsPerInhArea
    assert sp.getLocalAreaDensity() == 0.25 and sp.getNumActiveColumnsPerInhArea() == 0
    sp.setNumActiveColumnsPerInhArea(3)  # ... and the reverse
    assert sp.getNumActiveColumnsPerInhArea() == 3 and sp.getLocalAreaDensity() == 0
    sp.setIterationNum(40)
    sp.setIterationLearnNum(30)
    assert sp.getIterationNum() == 40 and sp.getIterationLearnNum() == 30


def test_nupic_parameter_setters_change_behaviour():
    sp = nupic_sp(potentialPct=1.0, synPermConnected=0.5)
    x = np.ones(16, dtype=np.uint8)
    active = np.zeros(32, dtype=np.uint8)
    sp.setNumActiveColumnsPerInhArea(3)  # global: 3 / min(32, 65) -> int(3 / 32 * 32) = 3 winners
    sp.compute(x, False, active)
    assert active.sum() == 3
    sp.setLocalAreaDensity(0.25)
    sp.compute(x, False, active)
    assert active.sum() == 8
    # synPermConnected applies to every column at once
    perm = np.array([0.3] * 8 + [0.6] * 8, dtype=np.float32)
    sp.setPermanence(0, perm)
    assert sp.getConnectedSynapses(0).sum() == 8
    sp.setSynPermConnected(0.25)
    assert sp.getConnectedSynapses(0).sum() == 16
    assert sp.getConnectedCounts()[0] == 16
    # stimulus threshold above every overlap (15 active inputs, threshold 16): nobody wins
    sp.setStimulusThreshold(16)
    x15 = x.copy()
    x15[0] = 0
    sp.compute(x15, False, active)
    assert active.sum() == 0


def test_nupic_set_potential_keeps_surviving_permanences():
    sp = nupic_sp(potentialPct=1.0)
    perm = np.full(16, 0.4, dtype=np.float32)
    sp.setPermanence(2, perm)
    new_pool = np.zeros(16, dtype=np.uint8)
    new_pool[[1, 3, 5]] = 1
    sp.setPotential(2, new_pool)
    assert sp.getPotential(2).tolist() == new_pool.tolist()
    expected = np.zeros(16, dtype=np.float32)
    expected[[1, 3, 5]] = 0.4
    np.testing.assert_array_equal(sp.getPermanence(2), expected)
    assert sp.getConnectedCounts()[2] == 3
    # enlarging the pool: new synapses start at 0
    bigger = new_pool.copy()
    bigger[[0, 15]] = 1
    sp.setPotential(2, bigger)
    expected_big = expected.copy()  # inputs 0 and 15 join with permanence 0
    np.testing.assert_array_equal(sp.getPermanence(2), expected_big)
    assert sp.getPotential(2).sum() == 5


# -- batch / single / infer ------------------------------------------------------------------------


BATCH_PARAMS = dict(input_dimensions=(8, 8), column_dimensions=(12, 12), potential_radius=3, potential_pct=0.6,
                    global_inhibition=True, local_area_density=0.05, stimulus_threshold=1, boost_strength=1.5,
                    duty_cycle_period=20, min_pct_overlap_duty_cycle=0.1, seed=13)


@pytest.mark.parametrize("learn", [True, False])
def test_batch_equals_repeated_single_compute(learn):
    X = (np.random.default_rng(3).random((60, 8, 8)) < 0.25).astype(np.uint8)
    batch_sp, single_sp = htmhw.SpatialPooler(**BATCH_PARAMS), htmhw.SpatialPooler(**BATCH_PARAMS)
    batch = batch_sp.compute(X, learn=learn)
    single = [single_sp.compute(x, learn=learn)[0] for x in X]
    assert len(batch) == 60
    assert all(np.array_equal(a, b) for a, b in zip(batch, single))
    assert batch_sp == single_sp
    assert batch_sp.iteration_num == 60 and batch_sp.iteration_learn_num == (60 if learn else 0)
    # the NuPIC class (same seed) gives the same winners step by step
    nupic = NupicSP(inputDimensions=(8, 8), columnDimensions=(12, 12), potentialRadius=3, potentialPct=0.6,
                    globalInhibition=True, localAreaDensity=0.05, stimulusThreshold=1, boostStrength=1.5,
                    dutyCyclePeriod=20, minPctOverlapDutyCycle=0.1, seed=13)
    active = np.zeros(144, dtype=np.uint8)
    for x, expected in zip(X, batch):
        nupic.compute(x, learn, active)
        assert np.flatnonzero(active).tolist() == expected.tolist()
    # output formats agree
    dense = htmhw.SpatialPooler(**BATCH_PARAMS).compute(X, learn=learn, output="dense")
    sparse_ = htmhw.SpatialPooler(**BATCH_PARAMS).compute(X, learn=learn, output="sparse")
    assert dense.dtype == np.uint8 and dense.shape == (60, 144)
    assert sparse_.dtype == bool and np.array_equal(sparse_.toarray(), dense.astype(bool))
    assert [np.flatnonzero(r).tolist() for r in dense] == [b.tolist() for b in batch]


def test_infer_is_pure_and_equals_compute_without_learning():
    sp = htmhw.SpatialPooler(**BATCH_PARAMS)
    X = (np.random.default_rng(7).random((40, 64)) < 0.25).astype(np.uint8)
    sp.compute(X[:30], learn=True)
    state, snapshot = sp.__getstate__(), pickle.dumps(sp)
    overlaps = sp.overlaps()
    inferred = sp.infer(X)
    inferred_one = sp.infer(X[5])
    assert pickle.dumps(sp) == snapshot
    after = sp.__getstate__()
    assert state.keys() == after.keys()
    for key in state:
        if isinstance(state[key], np.ndarray):
            assert np.array_equal(state[key], after[key]), key
        else:
            assert state[key] == after[key], key
    np.testing.assert_array_equal(sp.overlaps(), overlaps)
    assert sp.iteration_num == 30
    twin = pickle.loads(snapshot)
    computed = twin.compute(X, learn=False)
    assert all(np.array_equal(a, b) for a, b in zip(inferred, computed))
    assert inferred_one[0].tolist() == inferred[5].tolist()
    assert twin.iteration_num == 70  # compute(learn=False) still counts iterations, as NuPIC does


@pytest.mark.parametrize("boost_in_inference", [False, True])
def test_boost_in_inference_switch(boost_in_inference):
    # NuPIC 1.0 ignores the boost factors when not learning; boost_in_inference=True uses them
    # (htm.core). Both infer and compute(learn=False) follow the switch.
    sp = htmhw.SpatialPooler(input_dimensions=(64,), column_dimensions=(128,), potential_radius=64,
                             potential_pct=0.5, global_inhibition=True, local_area_density=0.1,
                             stimulus_threshold=1, boost_strength=5.0, seed=6, boost_in_inference=boost_in_inference)
    X = (np.random.default_rng(8).random((60, 64)) < 0.15).astype(np.uint8)
    sp.compute(X[:50], learn=True)
    boost = sp.boost_factors()
    assert boost.min() < 1 < boost.max()  # boosting is really in play
    conn = sp.connected().astype(np.int64)
    rules_differ = 0
    for x in X[50:]:
        overlaps = (conn @ x).astype(np.float32)
        boosted = overlaps * boost  # float32 product, as in the core
        expected = ref_kwta_global(boosted if boost_in_inference else overlaps, int(0.1 * 128), threshold=1)
        other = ref_kwta_global(overlaps if boost_in_inference else boosted, int(0.1 * 128), threshold=1)
        rules_differ += expected != other
        assert sp.infer(x)[0].tolist() == expected
        assert sp.compute(x, learn=False)[0].tolist() == expected
    assert rules_differ > 0  # these inputs tell the two rules apart
