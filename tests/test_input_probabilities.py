"""The SP's feature mapping (input_probabilities, selected_inputs, transform_prob,
reduce_dimensions), float and fixed point: known answers computed by hand, cache invalidation."""
import pickle

import numpy as np
import pytest

import htmhw
from htmhw.nupic import SpatialPooler as NupicSP

ARITH = ["float", "fixed"]


PERMS = np.array([[0.6, 0.8, 0.2, 0.0, 0.0, 0.0],
                  [0.0, 1.0, 0.3, 0.45, 0.4, 0.0],
                  [0.2, 0.0, 0.0, 0.0, 0.55, 0.9]], dtype=np.float32)
# column-wise max of PERMS, worked out by hand
P_FLOAT = np.array([0.6, 1.0, 0.3, 0.45, 0.55, 0.9], dtype=np.float32)
# 8-bit words RND(x * 255) of the float32 values: 153, 255, 77 (76.5), 115 (114.75),
# 140 (140.25), 229 (0.9 is 0.89999998 in float32: 229.49999)
P_FIXED = np.array([153, 255, 77, 115, 140, 229]) / 255
KEEP = np.array([1, 1, 0, 0, 1, 1], dtype=bool)  # >= 0.5 (float), >= conn_q 128 (fixed)


def hand_pooler(arithmetic):
    kw = dict(hw=htmhw.HardwareConfig(permanence_bits=8)) if arithmetic == "fixed" else {}
    sp = htmhw.SpatialPooler(arithmetic=arithmetic, input_dimensions=(6,), column_dimensions=(3,),
                             potential_radius=6, potential_pct=1.0, syn_perm_connected=0.5,
                             syn_perm_active_inc=0.1, syn_perm_inactive_dec=0.05,
                             num_active_columns_per_inh_area=1, local_area_density=-1.0, seed=1, **kw)
    assert sp.potential().all()
    for c in range(3):
        sp.set_column_permanences(c, PERMS[c])
    return sp


def expected_p(arithmetic):
    return P_FIXED if arithmetic == "fixed" else P_FLOAT


@pytest.mark.parametrize("arith", ARITH)
def test_input_probabilities_hand_set(arith):
    sp = hand_pooler(arith)
    np.testing.assert_allclose(sp.input_probabilities(), expected_p(arith), atol=1e-7)
    np.testing.assert_array_equal(sp.selected_inputs(), KEEP)
    # an input is kept exactly when some column has a connected synapse to it
    np.testing.assert_array_equal(sp.selected_inputs(), sp.connected().any(axis=0))


@pytest.mark.parametrize("arith", ARITH)
def test_transform_prob_and_reduce_dimensions(arith):
    sp = hand_pooler(arith)
    X = np.array([[1, 0, 1, 1, 0, 1], [0, 1, 0, 0, 1, 0]], dtype=np.uint8)
    p = expected_p(arith)
    np.testing.assert_allclose(sp.transform_prob(X), X * p[None, :], atol=1e-7)
    np.testing.assert_allclose(sp.transform_prob(X[0]), X[:1] * p[None, :], atol=1e-7)
    np.testing.assert_array_equal(sp.reduce_dimensions(X), [[1, 0, 0, 1], [0, 1, 1, 0]])
    with pytest.raises(ValueError, match="X must have 6 values"):
        sp.reduce_dimensions(np.ones((2, 5)))
    with pytest.raises(ValueError, match="X must be binary"):
        sp.transform_prob(np.full(6, 0.5))


@pytest.mark.parametrize("arith", ARITH)
def test_probabilities_follow_hand_edits(arith):
    sp = hand_pooler(arith)
    before = sp.input_probabilities()
    assert sp._probabilities_q() is sp._probabilities_q()  # cached between calls
    sp.set_column_permanences(2, [0.2, 0.0, 0.0, 0.0, 0.55, 0.3])  # input 5: 0.9 -> 0.3
    after = sp.input_probabilities()
    assert after[5] == pytest.approx(0.3 if arith == "float" else 77 / 255)
    np.testing.assert_array_equal(after[:5], before[:5])
    assert not sp.selected_inputs()[5]


def test_probabilities_follow_fixed_word_edits():
    sp = hand_pooler("fixed")
    sp.set_column_permanences_q(0, np.array([255, 0, 0, 0, 0, 0]))
    assert sp.input_probabilities()[0] == pytest.approx(1.0)
    assert sp.input_probabilities()[1] == pytest.approx(1.0)  # column 1 still has 1.0 on input 1


@pytest.mark.parametrize("arith", ARITH)
def test_probabilities_follow_learning(arith):
    # mHTM computed the probabilities once and kept them while learning went on.
    sp = hand_pooler(arith)
    before = sp.input_probabilities()
    x = np.array([0, 0, 1, 1, 1, 0], dtype=np.uint8)
    sp.compute(np.repeat(x[None], 5, axis=0), learn=True)
    after = sp.input_probabilities()
    np.testing.assert_allclose(after, sp.permanences().max(axis=0), atol=1e-7)
    assert not np.allclose(after, before)


def test_probabilities_follow_nupic_learning_and_set_permanence():
    nsp = NupicSP(inputDimensions=(6,), columnDimensions=(3,), potentialRadius=6, potentialPct=1.0,
                  synPermConnected=0.5, synPermActiveInc=0.1, synPermInactiveDec=0.05,
                  numActiveColumnsPerInhArea=1, localAreaDensity=-1.0, seed=1)
    for c in range(3):
        nsp.setPermanence(c, PERMS[c])
    sp = nsp._pooler
    np.testing.assert_allclose(sp.input_probabilities(), P_FLOAT)
    active = np.zeros(3, dtype=np.uint32)
    for _ in range(4):
        nsp.compute(np.array([0, 0, 1, 1, 1, 0]), True, active)
    np.testing.assert_allclose(sp.input_probabilities(), sp.permanences().max(axis=0), atol=1e-7)
    nsp.setPermanence(1, np.zeros(6))
    np.testing.assert_allclose(sp.input_probabilities(), sp.permanences().max(axis=0), atol=1e-7)


@pytest.mark.parametrize("arith", ARITH)
def test_probabilities_after_restore(arith, tmp_path):
    sp = hand_pooler(arith)
    sp.input_probabilities()
    other = hand_pooler(arith)
    other.set_column_permanences(1, np.zeros(6))
    sp.__setstate__(other.__getstate__())  # same learn count, different permanences
    np.testing.assert_allclose(sp.input_probabilities(), other.permanences().max(axis=0), atol=1e-7)
    clone = pickle.loads(pickle.dumps(other))
    np.testing.assert_array_equal(clone.input_probabilities(), other.input_probabilities())
    other.save(tmp_path / "sp.htm")
    np.testing.assert_array_equal(htmhw.SpatialPooler.load(tmp_path / "sp.htm").input_probabilities(),
                                  other.input_probabilities())


def test_input_outside_every_pool_has_probability_zero():
    sp = htmhw.SpatialPooler(input_dimensions=(40,), column_dimensions=(4,), potential_radius=2,
                             potential_pct=1.0, global_inhibition=True, seed=3)
    pot = sp.potential().any(axis=0)
    assert not pot.all()  # 4 columns with radius 2 cannot cover 40 inputs
    p = sp.input_probabilities()
    assert np.all(p[~pot] == 0) and p[pot].max() > 0
