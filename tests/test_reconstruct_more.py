"""htmhw.reconstruct.MLPDecoder and MatchingPursuit: known answers and validation."""
import numpy as np
import pytest
import scipy.sparse as sparse
from sklearn.exceptions import NotFittedError

from htmhw.reconstruct import MatchingPursuit, MLPDecoder


# ---------------------------------------------------------------------------------------------
# matching pursuit
def block_atom(block, rng):
    """A 28x28 image that is non-zero only in 7x7 block `block` (0..15, row-major 4x4 grid)."""
    img = np.zeros((28, 28))
    r, c = divmod(block, 4)
    img[7 * r:7 * r + 7, 7 * c:7 * c + 7] = rng.random((7, 7)) + 0.1
    return img.ravel()


def disjoint_dictionary():
    """Atoms 0..9 on blocks 0..9 (mutually orthogonal); atoms 10..19 are random mixtures of
    blocks 10..15 (they overlap each other, never blocks 0..9)."""
    rng = np.random.default_rng(5)
    atoms = [block_atom(b, rng) for b in range(10)]
    for _ in range(10):
        atoms.append(sum(rng.random() * block_atom(b, rng) for b in range(10, 16)))
    D = np.array(atoms)
    return D / np.linalg.norm(D, axis=1, keepdims=True)


def test_mp_recovers_three_atoms_exactly():
    D = disjoint_dictionary()
    mp = MatchingPursuit(atoms=D, n_nonzero=10).fit()
    coefs = {2: 3.0, 5: -2.0, 7: 1.5}
    x = sum(a * D[j] for j, a in coefs.items())
    code = mp.encode(x)
    assert sparse.issparse(code) and code.shape == (1, 20)
    assert sorted(code.indices.tolist()) == [2, 5, 7]  # exactly three selections, then ||r|| ~ 0
    for j, a in coefs.items():
        assert code[0, j] == pytest.approx(a, abs=1e-5)
    np.testing.assert_allclose(mp.reconstruct(code)[0], x, atol=1e-5)
    # largest |coefficient| first: with budget 1 only atom 2 (3.0) is taken
    one = mp.encode(x, n_nonzero=1)
    assert one.indices.tolist() == [2] and one.data[0] == pytest.approx(3.0, abs=1e-5)


def test_mp_given_atoms_are_normalized_and_checked():
    D = disjoint_dictionary() * 3.0
    mp = MatchingPursuit(atoms=D).fit()
    np.testing.assert_allclose(np.linalg.norm(mp.components_, axis=1), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="all-zero"):
        MatchingPursuit(atoms=np.vstack([D, np.zeros(784)])).fit()
    with pytest.raises(ValueError, match="atoms must have shape"):
        MatchingPursuit(atoms=D[:, :100]).fit()


def digits(n=60, seed=1):
    """Stand-in 'digits': random strokes (rectangles) on 28x28."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n, 28, 28), dtype=np.float32)
    for img in X:
        for _ in range(3):
            r, c = rng.integers(0, 22, 2)
            img[r:r + rng.integers(2, 7), c:c + rng.integers(2, 7)] = 1
    return X.reshape(n, -1)


def test_mp_sampled_atoms_are_normalized_patches_in_place():
    X = digits()
    mp = MatchingPursuit(n_atoms=50, random_seed=3).fit(X)
    assert mp.components_.shape == (50, 784) and mp.positions_.shape == (50, 3)
    imgs = X.reshape(-1, 28, 28)
    for atom, (i, r, c) in zip(mp.components_, mp.positions_):
        expect = np.zeros((28, 28))
        expect[r:r + 7, c:c + 7] = imgs[i, r:r + 7, c:c + 7]
        np.testing.assert_allclose(atom, expect.ravel() / np.linalg.norm(expect), rtol=1e-6, atol=1e-7)
    assert len({tuple(p) for p in mp.positions_}) == 50  # without replacement
    again = MatchingPursuit(n_atoms=50, random_seed=3).fit(X)
    np.testing.assert_array_equal(again.components_, mp.components_)
    other = MatchingPursuit(n_atoms=50, random_seed=4).fit(X)
    assert not np.array_equal(other.positions_, mp.positions_)


def test_mp_error_falls_with_the_budget_and_respects_it():
    X = digits()
    mp = MatchingPursuit(n_atoms=200, random_seed=0).fit(X[:40])
    errors = []
    for budget in (1, 2, 4, 8, 16):
        code = mp.encode(X[40:], n_nonzero=budget)
        assert np.diff(code.indptr).max() <= budget
        errors.append(float(np.mean((mp.reconstruct(code) - X[40:]) ** 2)))
    assert all(b < a for a, b in zip(errors, errors[1:]))
    # budget 1: the coefficient is the largest |<atom, x>|
    code = mp.encode(X[40:41], n_nonzero=1)
    corr = mp.components_ @ X[40]
    assert code.data[0] == pytest.approx(corr[np.argmax(np.abs(corr))], rel=1e-5)
    per_sample = mp.encode(X[40:43], n_nonzero=np.array([1, 0, 3]))
    assert np.diff(per_sample.indptr).tolist()[1] == 0 and np.diff(per_sample.indptr).max() <= 3


def test_mp_validation():
    X = digits(10)
    with pytest.raises(ValueError, match="n_atoms must be at most"):
        MatchingPursuit(n_atoms=10 ** 6).fit(X)
    with pytest.raises(ValueError, match="patch_size"):
        MatchingPursuit(patch_size=29).fit(X)
    with pytest.raises(ValueError, match="needs training images"):
        MatchingPursuit().fit()
    with pytest.raises(ValueError, match="784 values per image"):
        MatchingPursuit(n_atoms=5).fit(X[:, :700])
    with pytest.raises(NotFittedError):
        MatchingPursuit().encode(X)
    mp = MatchingPursuit(n_atoms=5).fit(X)
    with pytest.raises(ValueError, match="n_nonzero"):
        mp.encode(X, n_nonzero=0)
    with pytest.raises(ValueError, match="n_nonzero"):
        mp.encode(X, n_nonzero=np.ones(3, dtype=int))
    with pytest.raises(ValueError, match="5 columns"):
        mp.reconstruct(np.zeros((1, 4)))


# ---------------------------------------------------------------------------------------------
# MLP decoder
def sdr_pairs(n=300, seed=0):
    """Four prototype SDRs (40 of 200 bits) with 10 % of their bits moved at random; each
    class decodes to its own 8x8 target pattern."""
    rng = np.random.default_rng(seed)
    protos = [rng.choice(200, 40, replace=False) for _ in range(4)]
    targets = (rng.random((4, 64)) > 0.5).astype(np.float32)
    y = rng.integers(0, 4, n)
    S = np.zeros((n, 200), dtype=np.uint8)
    for i, c in enumerate(y):
        keep = rng.choice(protos[c], 36, replace=False)
        S[i, keep] = 1
        S[i, rng.choice(np.setdiff1d(np.arange(200), protos[c]), 4, replace=False)] = 1
    return S, targets[y], y


def test_mlp_decoder_learns_the_class_targets_and_is_deterministic():
    S, Y, _ = sdr_pairs()
    dec = MLPDecoder(hidden_layer_sizes=(32,), max_iter=200, random_state=0).fit(S[:200], Y[:200])
    out = dec.reconstruct(S[200:])
    assert out.shape == (100, 64) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0  # clip (0, 1)
    mse = np.mean((out - Y[200:]) ** 2)
    baseline = np.mean((Y[:200].mean(axis=0) - Y[200:]) ** 2)  # predict the mean target
    assert mse < 0.1 * baseline
    again = MLPDecoder(hidden_layer_sizes=(32,), max_iter=200, random_state=0).fit(S[:200], Y[:200])
    np.testing.assert_array_equal(again.reconstruct(S[200:]), out)
    np.testing.assert_allclose(dec.reconstruct(sparse.csr_matrix(S[200:205])), out[:5], atol=1e-5)


@pytest.mark.parametrize("kw, exc, word", [
    (dict(hidden_layer_sizes=(0,)), ValueError, "hidden_layer_sizes"),
    (dict(hidden_layer_sizes=()), ValueError, "hidden_layer_sizes"),
    (dict(hidden_layer_sizes=5), TypeError, "hidden_layer_sizes"),
    (dict(alpha=-1.0), ValueError, "alpha"),
    (dict(max_iter=0), ValueError, "max_iter"),
    (dict(random_state=-1), ValueError, "random_state"),
    (dict(learning_rate_init=0.0), ValueError, "learning_rate_init"),
    (dict(clip=(1, 0)), ValueError, "input_range|low < high"),
])
def test_mlp_decoder_validation(kw, exc, word):
    S, Y, _ = sdr_pairs(20)
    with pytest.raises(exc, match=word):
        MLPDecoder(**kw).fit(S, Y)


def test_mlp_decoder_unfitted_and_width():
    S, Y, _ = sdr_pairs(40)
    with pytest.raises(NotFittedError):
        MLPDecoder().reconstruct(S)
    dec = MLPDecoder(hidden_layer_sizes=(4,), max_iter=2).fit(S, Y)
    with pytest.raises(ValueError, match="200 columns"):
        dec.reconstruct(S[:, :100])
