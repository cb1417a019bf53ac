"""SDR operations on hand-made vectors and batches."""
import numpy as np
import pytest
import scipy.sparse as sparse

from htmhw import sdr

#              0  1  2  3  4  5  6  7
A = np.array([1, 1, 0, 0, 1, 0, 0, 1], dtype=np.uint8)  # {0, 1, 4, 7}
B = np.array([1, 0, 0, 1, 1, 0, 1, 0], dtype=bool)  # {0, 3, 4, 6}
EMPTY = np.zeros(8, dtype=np.uint8)
BATCH = np.stack([A, B.astype(np.uint8), EMPTY, np.ones(8, dtype=np.uint8)])


def test_overlap():
    assert sdr.overlap(A, B) == 2  # {0, 4}
    assert sdr.overlap(A, A) == 4
    assert sdr.overlap(A, EMPTY) == 0
    assert sdr.overlap(BATCH, A).tolist() == [4, 2, 0, 4]
    assert sdr.overlap(A, BATCH).tolist() == [4, 2, 0, 4]
    assert sdr.overlap(BATCH, BATCH[::-1]).tolist() == [4, 0, 0, 4]  # row-wise
    assert sdr.overlap(sparse.csr_matrix(BATCH), A).tolist() == [4, 2, 0, 4]


def test_jaccard():
    assert sdr.jaccard(A, B) == pytest.approx(2 / 6)  # |{0,4}| / |{0,1,3,4,6,7}|
    assert sdr.jaccard(A, A) == 1.0
    assert sdr.jaccard(A, EMPTY) == 0.0
    assert sdr.jaccard(EMPTY, EMPTY) == 1.0  # both empty: defined as 1
    np.testing.assert_allclose(sdr.jaccard(BATCH, A), [1.0, 2 / 6, 0.0, 4 / 8])
    np.testing.assert_allclose(sdr.jaccard(BATCH, np.zeros((4, 8))), [0.0, 0.0, 1.0, 0.0])


def test_union_and_intersection():
    assert sdr.union(A, B).astype(int).tolist() == [1, 1, 0, 1, 1, 0, 1, 1]
    assert sdr.intersection(A, B).astype(int).tolist() == [1, 0, 0, 0, 1, 0, 0, 0]
    assert sdr.union(A, B).dtype == bool
    # reductions over the rows of one batch
    assert sdr.union(BATCH[:3]).astype(int).tolist() == [1, 1, 0, 1, 1, 0, 1, 1]
    assert sdr.intersection(BATCH[:2]).astype(int).tolist() == [1, 0, 0, 0, 1, 0, 0, 0]
    assert not sdr.intersection(BATCH).any()  # the empty row kills everything
    assert sdr.union(A).astype(int).tolist() == A.tolist()  # a single SDR is its own union
    # pairwise with broadcasting
    assert sdr.union(BATCH, A).sum(axis=1).tolist() == [4, 6, 4, 8]
    assert sdr.intersection(BATCH, B).sum(axis=1).tolist() == [2, 4, 0, 4]


def test_sparsity():
    assert sdr.sparsity(A) == pytest.approx(4 / 8)
    assert sdr.sparsity(EMPTY) == 0.0
    np.testing.assert_allclose(sdr.sparsity(BATCH), [0.5, 0.5, 0.0, 1.0])
    np.testing.assert_allclose(sdr.sparsity(sparse.csr_matrix(BATCH)), [0.5, 0.5, 0.0, 1.0])


def test_invalid_sdrs_are_refused():
    with pytest.raises(ValueError, match="width"):
        sdr.overlap(A, np.ones(7))
    with pytest.raises(ValueError, match="binary"):
        sdr.sparsity(np.array([0, 2, 1]))
    with pytest.raises(ValueError, match="binary"):
        sdr.jaccard(A, np.full(8, 0.5))
    with pytest.raises(ValueError, match="dimensions"):
        sdr.sparsity(np.zeros((2, 2, 2)))
    with pytest.raises(TypeError):
        sdr.overlap(np.array(["1"] * 8), A)


def one_hot(n, active):
    x = np.zeros(n, dtype=bool)
    x[list(active)] = True
    return x


@pytest.mark.parametrize("fraction,active,moved", [
    (0.0, 40, 0), (0.25, 40, 10), (0.5, 40, 20), (1.0, 40, 40),
    (0.3, 10, 3), (0.25, 10, 2),  # round(2.5) = 2 (round half to even)
    (0.35, 10, 4),  # round(3.5) = 4
    (0.05, 10, 0),  # round(0.5) = 0
])
def test_add_noise_moves_exact_number_of_bits(fraction, active, moved):
    x = one_hot(200, range(0, 2 * active, 2))
    noisy = sdr.add_noise(x, fraction, seed=3)
    assert noisy.dtype == bool and noisy.shape == x.shape
    assert noisy.sum() == active  # active count preserved
    assert sdr.overlap(x, noisy) == active - moved  # exactly `moved` bits switched off ...
    assert (noisy & ~x).sum() == moved  # ... and as many switched on elsewhere
    assert x.sum() == active  # the input is not modified


def test_add_noise_is_deterministic_for_a_seed():
    x = one_hot(300, range(0, 300, 10))
    a = sdr.add_noise(x, 0.5, seed=42)
    b = sdr.add_noise(x, 0.5, seed=42)
    np.testing.assert_array_equal(a, b)
    others = [sdr.add_noise(x, 0.5, seed=s) for s in range(43, 48)]
    assert any(not np.array_equal(a, o) for o in others)


def test_add_noise_on_batches_and_full_sdrs():
    batch = np.stack([one_hot(50, range(10)), one_hot(50, range(20, 25)), np.zeros(50, dtype=bool)])
    noisy = sdr.add_noise(batch, 0.4, seed=1)
    assert noisy.shape == (3, 50)
    assert noisy.sum(axis=1).tolist() == [10, 5, 0]
    assert sdr.overlap(noisy, batch).tolist() == [10 - 4, 5 - 2, 0]
    # an all-ones SDR has no inactive bit to move to: unchanged
    full = np.ones(6, dtype=bool)
    np.testing.assert_array_equal(sdr.add_noise(full, 1.0, seed=0), full)
    # 8 active of 10: round(0.5 * 8) = 4 to move but only 2 free places -> 2 moved
    x = one_hot(10, range(8))
    noisy = sdr.add_noise(x, 0.5, seed=0)
    assert noisy.sum() == 8 and sdr.overlap(x, noisy) == 6


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), True, [0.1], "x"])
def test_add_noise_rejects_fraction_outside_unit_interval(bad):
    with pytest.raises(ValueError, match="fraction"):
        sdr.add_noise(A, bad)


@pytest.mark.parametrize("fraction, active, dropped", [(0.0, 10, 0), (0.25, 8, 2), (0.5, 5, 2), (1.0, 7, 7)])
def test_drop_bits_switches_off_exactly_that_many_active_bits(fraction, active, dropped):
    x = np.zeros((3, 40), dtype=bool)
    x[:, 3:3 + active] = True
    y = sdr.drop_bits(x, fraction, seed=5)
    assert y.shape == x.shape and not np.any(y & ~x)           # nothing switched on
    assert (x.sum(axis=1) - y.sum(axis=1)).tolist() == [dropped] * 3
    assert np.array_equal(y, sdr.drop_bits(x, fraction, seed=5))
    assert sdr.drop_bits(x[0], fraction, seed=5).shape == (40,)
    with pytest.raises(ValueError, match="fraction must be a number in"):
        sdr.drop_bits(x, 1.5)
