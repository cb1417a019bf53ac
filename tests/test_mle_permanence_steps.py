"""htmhw.params.mle_permanence_steps (MLE permanence steps, docs/theory.md): known answers
computed by hand, the fixed-point mapping, and the float SP's update as an affine function of
the MLE."""
import numpy as np
import pytest

import htmhw
from htmhw.params import PermanenceSteps, mle_permanence_steps


def test_mle_steps_small_dataset_by_hand():
    # 4 samples x 10 inputs with 2, 3, 3, 4 active bits: 12 active of 40.
    X = np.zeros((4, 10), dtype=np.uint8)
    for i, k in enumerate([2, 3, 3, 4]):
        X[i, 10 - k:] = 1
    r = mle_permanence_steps(X)
    assert r.active_fraction == pytest.approx(0.3)
    assert r.scale == pytest.approx(1 / 3)  # mean active bits = 3
    assert r.syn_perm_active_inc == pytest.approx((1 / 3) / 0.3)   # 1.1111
    assert r.syn_perm_inactive_dec == pytest.approx((1 / 3) / 0.7)  # 0.47619
    inc, dec = r
    assert (inc, dec) == (r[0], r[1]) and len(r) == 2
    assert r.inc_q is None and r.inc_rounds_to_zero is None


def quarter_density(n=200, width=400, seed=0):
    """Every row has exactly 100 of 400 bits on: a = 0.25, s = 1/100."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n, width), dtype=bool)
    for row in X:
        row[rng.choice(width, 100, replace=False)] = True
    return X


def test_mle_steps_known_density_and_balance():
    r = mle_permanence_steps(quarter_density())
    assert r.active_fraction == pytest.approx(0.25)
    assert r.scale == pytest.approx(0.01)
    assert r.syn_perm_active_inc == pytest.approx(0.04)
    assert r.syn_perm_inactive_dec == pytest.approx(0.01 / 0.75)
    # inc * a == dec * (1 - a) == s: zero expected drift for an input at the base rate
    assert r.syn_perm_active_inc * 0.25 == pytest.approx(r.syn_perm_inactive_dec * 0.75)


@pytest.mark.parametrize("bits, inc_q, dec_q, inc_zero, dec_zero", [
    (8, 10, 3, False, False),   # M 255: 0.04 * 255 = 10.2, 0.01333 * 255 = 3.4
    (4, 1, 1, False, True),     # M 15: 0.6 -> 1; 0.2 -> nearest 0, datapath keeps 1 LSB
    (2, 1, 1, True, True),      # M 3: 0.12 and 0.04 both round to 0
    (16, 2621, 874, False, False),  # M 65535: 2621.4, 873.8
])
def test_mle_steps_fixed_point_mapping(bits, inc_q, dec_q, inc_zero, dec_zero):
    r = mle_permanence_steps(quarter_density(), permanence_bits=bits)
    assert r.perm_max == 2 ** bits - 1
    assert (r.inc_q, r.dec_q) == (inc_q, dec_q)
    assert (r.inc_rounds_to_zero, r.dec_rounds_to_zero) == (inc_zero, dec_zero)
    assert r.inc_effective == pytest.approx(inc_q / (2 ** bits - 1))


def test_mle_steps_match_the_datapath_constants():
    # The integer steps are the ones a fixed-point pooler built with the float steps uses.
    r = mle_permanence_steps(quarter_density(), permanence_bits=6)
    sp = htmhw.SpatialPooler("fixed", hw=htmhw.HardwareConfig(permanence_bits=6), input_dimensions=(16,),
                             column_dimensions=(8,), syn_perm_active_inc=r.syn_perm_active_inc,
                             syn_perm_inactive_dec=r.syn_perm_inactive_dec, seed=2)
    assert (sp.constants["inc_q"], sp.constants["dec_q"]) == (r.inc_q, r.dec_q)


def test_mle_steps_step_above_one_maps_to_full_range():
    X = np.zeros((2, 10), dtype=np.uint8)
    X[:, 0] = 1  # a = 0.1, s = 1: inc = 10
    r = mle_permanence_steps(X, permanence_bits=8)
    assert r.syn_perm_active_inc == pytest.approx(10.0)
    assert r.inc_q == 255


@pytest.mark.parametrize("X, exc, words", [
    (np.ones(5), ValueError, "2-D"),
    (np.zeros((0, 4)), ValueError, "non-empty"),
    (np.zeros((3, 4)), ValueError, "no active bit"),
    (np.ones((3, 4)), ValueError, "every bit active"),
    (np.array([[0, 2], [1, 0]]), ValueError, "binary"),
    (np.array([[0, np.nan], [1, 0]]), ValueError, "NaN"),
    (np.array([["a", "b"]]), TypeError, "X must"),
])
def test_mle_steps_rejects_bad_data(X, exc, words):
    with pytest.raises(exc, match=words):
        mle_permanence_steps(X)


@pytest.mark.parametrize("bits, exc", [(1, ValueError), (17, ValueError), (True, TypeError), (8.0, TypeError)])
def test_mle_steps_rejects_bad_bits(bits, exc):
    with pytest.raises(exc, match="permanence_bits"):
        mle_permanence_steps(quarter_density(20), permanence_bits=bits)


def test_params_module_exported():
    assert htmhw.params.mle_permanence_steps is mle_permanence_steps
    assert isinstance(mle_permanence_steps(quarter_density(20)), PermanenceSteps)


def test_sp_update_is_affine_in_the_mle_and_selects_above_the_base_rate():
    """docs/theory.md, eq. (1)-(2) on the float SP: a column that wins T inputs ends with
    psi_j = psi_0 + T [(inc + dec) p_hat_j - dec], p_hat_j = N_j / T, and with the MLE steps
    its permanence rises exactly for the inputs with p_hat_j above the base rate a."""
    rng = np.random.default_rng(11)
    T, n = 8, 400
    X = np.zeros((T, n), dtype=np.uint8)
    X[:, :50] = 1  # always on: p_hat = 1
    for row in X:
        row[50 + rng.choice(350, 50, replace=False)] = 1  # 100 of 400 on: a = 0.25 exactly
    inc, dec = mle_permanence_steps(X)
    assert (inc, dec) == (pytest.approx(0.04), pytest.approx(0.01 / 0.75))
    # two columns, k = 1 (NuPIC caps the density at 0.5); column 1 has no permanence, so
    # column 0 wins every input
    sp = htmhw.SpatialPooler(input_dimensions=(n,), column_dimensions=(2,), potential_radius=n, potential_pct=1.0,
                             global_inhibition=True, local_area_density=-1.0, num_active_columns_per_inh_area=1,
                             stimulus_threshold=0, syn_perm_active_inc=inc, syn_perm_inactive_dec=dec,
                             syn_perm_connected=0.5, min_pct_overlap_duty_cycle=0.0, boost_strength=0.0, seed=1)
    sp.set_column_permanences(0, np.full(n, 0.6))
    sp.set_column_permanences(1, np.zeros(n))
    winners = sp.compute(X, learn=True)
    assert all(w.tolist() == [0] for w in winners)  # the column wins all T inputs
    p_hat = X.mean(axis=0)
    expected = 0.6 + T * ((inc + dec) * p_hat - dec)  # no value reaches the clip bounds here
    assert expected.max() < 1 and expected.min() > 0
    psi = sp.permanences()[0]
    np.testing.assert_allclose(psi, expected, atol=2e-6)
    np.testing.assert_array_equal(psi > 0.6 + 1e-6, p_hat > 0.25)
