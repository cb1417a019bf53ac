"""Self-organizing map encoder: grid geometry by hand, training against numpy,
determinism across threads / SIMD levels / kernel paths, top-K ties, validation,
sklearn conventions, pickling, MNIST quality."""
import pickle
import struct

import numpy as np
import pytest
import scipy.sparse as sparse
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.utils.estimator_checks import parametrize_with_checks

import htmhw
from htmhw import SOMEncoder, _core
from htmhw import som as somlib

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SQ3 = np.sqrt(3.0)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float64), y


def d2(rows, cols, lattice, topology):
    return _core.som_grid_distance2_matrix(rows, cols, lattice, topology)


# ------------------------------------------------------------- geometry ----

def test_hex_distances_by_hand():
    D2 = d2(4, 4, "hex", "planar")
    # unit (r, c) = r * 4 + c at x = c + 0.5 (r odd), y = r sqrt(3)/2
    assert D2[0, 1] == 1.0
    assert D2[0, 4] == 1.0  # (0, 0) -> (1, 0) at (0.5, sqrt3/2)
    assert D2[0, 5] == 3.0  # (1.5)^2 + 3/4
    assert D2[0, 8] == 3.0  # (0, sqrt3): straight down two rows
    assert D2[0, 3] == 9.0
    assert D2[0, 15] == 19.0  # (3.5)^2 + (3 sqrt3/2)^2 = 12.25 + 6.75
    assert D2[5, 12] == 4.0  # (1.5, sqrt3/2) -> (3, 0) at (0.5, 3 sqrt3/2): 1 + 3
    assert D2[5, 14] == 4.0  # -> (3, 2) at (2.5, 3 sqrt3/2): 1 + 3
    assert D2[4, 11] == 7.0  # (0.5, sqrt3/2) -> (2, 3) at (3, sqrt3): 6.25 + 0.75


def test_hex_neighbours_by_hand():
    D = np.sqrt(d2(4, 4, "hex", "planar"))
    # odd row 1, unit 5 at (1.5, sqrt3/2): row 0 units 1, 2 (x 1, 2), row 2 units 9, 10, same row 4, 6
    assert sorted(np.flatnonzero(D[5] == 1.0).tolist()) == [1, 2, 4, 6, 9, 10]
    # even row 2, unit 9 at (1, sqrt3): rows 1 and 3 (odd, x = c + 0.5) units 4, 5 and 12, 13
    assert sorted(np.flatnonzero(D[9] == 1.0).tolist()) == [4, 5, 8, 10, 12, 13]
    # corner 0 has 3 neighbours; no pair is closer than 1
    assert sorted(np.flatnonzero(D[0] == 1.0).tolist()) == [1, 4]
    off = D[~np.eye(16, dtype=bool)]
    assert off.min() == 1.0
    # toroidal: unit 0's six neighbours wrap around both seams
    Dt = np.sqrt(d2(4, 4, "hex", "toroidal"))
    assert sorted(np.flatnonzero(Dt[0] == 1.0).tolist()) == [1, 3, 4, 7, 12, 15]
    # every unit of a torus has exactly six neighbours at distance exactly 1
    Dt6 = np.sqrt(d2(6, 8, "hex", "toroidal"))
    assert ((Dt6 == 1.0).sum(axis=1) == 6).all()
    np.testing.assert_array_equal(Dt6, Dt6.T)


def test_hex_matches_coordinates_and_adjacency():
    for rows, cols in [(5, 7), (6, 4)]:
        xy = _core.som_unit_coordinates(rows, cols, "hex", "planar")
        assert xy[cols + 2].tolist() == [2.5, SQ3 / 2]  # (1, 2): odd row shifted by 0.5
        ref = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)
        np.testing.assert_allclose(d2(rows, cols, "hex", "planar"), ref, rtol=1e-12, atol=1e-12)
        nb = somlib.adjacency(rows, cols, "hex", "planar")
        D = np.sqrt(d2(rows, cols, "hex", "planar"))
        for u in range(rows * cols):
            assert nb[u].tolist() == np.flatnonzero(D[u] == 1.0).tolist()


def test_rect_and_toroidal_distances():
    P = np.sqrt(d2(5, 5, "rect", "planar"))
    T = np.sqrt(d2(5, 5, "rect", "toroidal"))
    assert P[0, 4] == 4.0 and T[0, 4] == 1.0
    assert P[0, 24] == np.sqrt(32) and T[0, 24] == np.sqrt(2)
    assert P[6, 18] == np.sqrt(8) and T[6, 18] == np.sqrt(8)
    assert T[0, 12] == np.sqrt(8)  # (2, 2) is the farthest a 5-torus allows
    assert T.max() == np.sqrt(8)
    # rect adjacency: 8 around an interior unit, 3 in a corner, 8 everywhere on a torus
    nb = somlib.adjacency(5, 5, "rect", "planar")
    assert nb[12].tolist() == [6, 7, 8, 11, 13, 16, 17, 18]
    assert nb[0].tolist() == [1, 5, 6]
    assert all(len(n) == 8 for n in somlib.adjacency(5, 5, "rect", "toroidal"))
    # 2-wide torus: the wrapped neighbour is the same unit as the direct one (listed once, never itself)
    nb2 = somlib.adjacency(2, 3, "rect", "toroidal")
    assert nb2[0].tolist() == [1, 2, 3, 4, 5]


def test_neighborhood_weights_against_numpy():
    r, sc = 2.5, 0.5
    sigma = sc * r
    for lattice in ("rect", "hex"):
        for topology in ("planar", "toroidal"):
            D2 = d2(6, 5 if lattice == "rect" else 6, lattice, topology)
            Hg = _core.som_neighborhood_matrix(6, D2.shape[0] // 6, lattice, topology, "gaussian", r, sc)
            np.testing.assert_allclose(Hg, np.exp(-D2 / (2 * sigma**2)), rtol=2e-6, atol=1e-13)
            Hb = _core.som_neighborhood_matrix(6, D2.shape[0] // 6, lattice, topology, "bubble", r, sc)
            np.testing.assert_array_equal(Hb, (D2 <= r * r).astype(np.float32))
    # weights with d^2 / (2 sigma^2) > 32 are exactly 0 (hex: no per-axis product)
    H = _core.som_neighborhood_matrix(1, 40, "hex", "planar", "gaussian", 1.0, 0.5)
    q = np.arange(40) ** 2 / (2 * 0.25)
    assert (H[0][q > 32] == 0).all() and (H[0][q <= 32] > 0).all()
    assert H[0, 0] == 1.0


def test_schedules():
    assert _core.som_schedule("linear", 16.0, 1.0, 0, 10) == 16.0
    assert _core.som_schedule("linear", 16.0, 1.0, 9, 10) == 1.0
    assert _core.som_schedule("linear", 16.0, 1.0, 3, 10) == pytest.approx(11.0)
    assert _core.som_schedule("exponential", 16.0, 1.0, 9, 10) == pytest.approx(1.0)
    assert _core.som_schedule("exponential", 16.0, 1.0, 3, 9) == pytest.approx(16 * (1 / 16) ** (3 / 8))
    assert _core.som_schedule("linear", 5.0, 1.0, 0, 1) == 5.0
    with pytest.raises(ValueError, match="exponential"):
        _core.som_schedule("exponential", 0.0, 1.0, 0, 3)
    with pytest.raises(ValueError, match="decay"):
        _core.som_schedule("cosine", 1.0, 1.0, 0, 3)


# ---------------------------------------------------- training vs numpy ----

def np_bmu(X, W):
    d = ((X[:, None, :].astype(np.float64) - W[None, :, :].astype(np.float64)) ** 2).sum(-1)
    return np.argmin(d, axis=1)  # first minimum: lower unit wins


def np_weights(rows, cols, lattice, topology, neighborhood, radius, std_coeff):
    xy = _core.som_unit_coordinates(rows, cols, lattice, "planar")
    diff = np.abs(xy[:, None, :] - xy[None, :, :])
    if topology == "toroidal":
        period = np.array([cols, rows * (SQ3 / 2 if lattice == "hex" else 1.0)])
        diff = np.minimum(diff, period - diff)
    dist2 = (diff**2).sum(-1)
    if neighborhood == "bubble":
        return (dist2 <= radius**2 + 1e-9).astype(np.float64)
    return np.exp(-dist2 / (2 * (std_coeff * radius) ** 2))


def np_batch_epoch(X, W, H):
    b = np_bmu(X, W)
    U = len(W)
    S = np.zeros((U, X.shape[1]))
    np.add.at(S, b, X)
    N = np.bincount(b, minlength=U).astype(np.float64)
    num, den = H @ S, H @ N
    out = W.astype(np.float64).copy()
    out[den > 0] = num[den > 0] / den[den > 0, None]
    return out


@pytest.mark.parametrize("lattice,topology,neighborhood", [
    ("rect", "planar", "gaussian"),  # separable smoothing
    ("rect", "toroidal", "gaussian"),
    ("rect", "planar", "bubble"),
    ("hex", "planar", "gaussian"),
    ("hex", "toroidal", "bubble"),
])
def test_batch_steps_match_numpy(lattice, topology, neighborhood):
    rng = np.random.default_rng(5)
    rows, cols, dim = 4, 6, 7
    X = rng.random((60, dim)).astype(np.float32)
    X[X < 0.4] = 0  # some zeros: the sparse kernel runs too
    W0 = rng.random((rows * cols, dim)).astype(np.float32)
    radii = [2.0, 1.5, 1.0]  # 3 epochs, linear 2 -> 1
    got = _core.som_train(rows, cols, lattice, topology, W0, X, "batch", neighborhood, 3, 2.0, 1.0, "linear",
                          0.5, 0.01, "linear", 0.5, 0, 1)
    W = W0.astype(np.float64)
    for r in radii:
        W = np_batch_epoch(X, W.astype(np.float32), np_weights(rows, cols, lattice, topology, neighborhood, r, 0.5))
    np.testing.assert_allclose(got, W, rtol=2e-5, atol=2e-6)
    # the smoothing step on its own: numerator and denominator
    S = rng.random((rows * cols, dim)).astype(np.float32)
    N = rng.integers(0, 3, rows * cols).astype(np.float32)
    S[N == 0] = 0
    num, den = _core.som_smooth(rows, cols, lattice, topology, neighborhood, 1.7, 0.5, S, N)
    H = np_weights(rows, cols, lattice, topology, neighborhood, 1.7, 0.5)
    np.testing.assert_allclose(num, H @ S, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(den, H @ N, rtol=1e-5, atol=1e-6)


def test_online_step_matches_numpy():
    rng = np.random.default_rng(2)
    rows, cols, dim = 3, 4, 5
    W0 = rng.random((rows * cols, dim)).astype(np.float32)
    x = rng.random((1, dim)).astype(np.float32)
    for lattice in ("rect", "hex"):
        got = _core.som_train(rows, cols, lattice, "planar", W0, x, "online", "gaussian", 1, 1.5, 1.0, "linear",
                              0.3, 0.01, "linear", 0.5, 0, 1)
        b = np_bmu(x, W0)[0]
        h = np_weights(rows, cols, lattice, "planar", "gaussian", 1.5, 0.5)[b]
        ref = W0 + 0.3 * h[:, None] * (x - W0)
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)


def test_topk_against_numpy_and_sample_init(digits):
    X, _ = digits
    X32 = X[:300].astype(np.float32)
    W = _core.som_init(5, 6, "rect", "planar", X32, "sample", 7, 1)
    # sample init: every prototype is a distinct training sample
    rows = [np.flatnonzero((X32 == w).all(axis=1)) for w in W]
    assert all(len(r) >= 1 for r in rows) and len({int(r[0]) for r in rows}) == 30
    W = _core.som_train(5, 6, "rect", "planar", W, X32, "batch", "gaussian", 3, 3.0, 1.0, "linear", 0.5, 0.01,
                        "linear", 0.5, 0, 1)
    units, dist = _core.som_topk(5, 6, "rect", "planar", W, X32, 5, 1)
    dd = ((X32[:, None, :].astype(np.float64) - W[None].astype(np.float64)) ** 2).sum(-1)
    ref = np.argsort(dd, axis=1, kind="stable")[:, :5]
    agree = (units == ref).all(axis=1).mean()
    assert agree > 0.97  # float32 expanded form vs float64: only near-ties may swap
    np.testing.assert_allclose(dist, np.sqrt(np.take_along_axis(dd, units.astype(np.int64), 1)), rtol=1e-5)
    # pca init: the prototypes span a plane through the mean (rank 2 after centring)
    Wp = _core.som_init(5, 6, "rect", "planar", X32, "pca", 7, 1)
    sv = np.linalg.svd(Wp - Wp.mean(axis=0), compute_uv=False)
    assert sv[2] < 1e-4 * sv[0]
    np.testing.assert_allclose(Wp.mean(axis=0), X32.mean(axis=0), atol=1e-4)
    # its first axis is the data's first principal component
    pc1 = np.linalg.svd(X32 - X32.mean(axis=0), full_matrices=False)[2][0]
    axis = Wp[5] - Wp[0]  # along a row: the longer (x) axis of a 5 x 6 grid
    assert abs(np.dot(axis / np.linalg.norm(axis), pc1)) > 0.99


# --------------------------------------------------------- determinism ----

def _train(X32, threads, lattice="rect", method="batch", topology="planar"):
    W = _core.som_init(8, 8, lattice, topology, X32, "pca", 3, threads)
    W = _core.som_train(8, 8, lattice, topology, W, X32, method, "gaussian", 2, 4.0, 1.0, "linear", 0.5, 0.01,
                        "linear", 0.5, 3, threads)
    return W, _core.som_topk(8, 8, lattice, topology, W, X32, 6, threads)


def test_identical_bits_for_any_thread_count(digits):
    X32 = digits[0][:700].astype(np.float32)
    for lattice in ("rect", "hex"):
        W1, (u1, d1) = _train(X32, 1, lattice)
        for t in (2, 3):
            Wt, (ut, dt) = _train(X32, t, lattice)
            assert Wt.tobytes() == W1.tobytes()
            assert ut.tobytes() == u1.tobytes() and dt.tobytes() == d1.tobytes()


def test_identical_bits_for_any_simd_level_and_kernel_path(digits):
    X = digits[0][:400].astype(np.float32)
    X[::3] = np.where(X[::3] == 0, 0.01, X[::3])  # a third of the rows dense: the 4-row dense kernel runs
    top = _core.som_simd_level()
    try:
        ref = _train(X, 2)
        Wo_ref = None
        for level in range(top + 1):
            assert _core.som_set_simd_level(level) == level
            for path in (0, 1, 2, 3):
                _core.som_set_cross_path(path)
                W, (u, d) = _train(X, 2)
                assert W.tobytes() == ref[0].tobytes(), (level, path)
                assert u.tobytes() == ref[1][0].tobytes() and d.tobytes() == ref[1][1].tobytes()
            Wo = _train(X[:100], 1, method="online")[0]
            assert level == 0 or Wo.tobytes() == Wo_ref.tobytes()
            Wo_ref = Wo
    finally:
        _core.som_set_simd_level(top)
        _core.som_set_cross_path(0)


def _mixture(n, dim, seed, clusters=6):
    """Unit-norm rows of a Gaussian mixture: dense embeddings, the prefilter's case."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((clusters, dim))[rng.integers(0, clusters, n)] + 0.5 * rng.standard_normal((n, dim))
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)


def _cpu_has_avx512bw():
    try:
        with open("/proc/cpuinfo") as f:
            return any(line.startswith("flags") and " avx512bw" in line for line in f)
    except OSError:
        return False


@pytest.mark.parametrize("dim", [47, 130])  # odd: a padded last int16 pair; > 128: several words per panel row
def test_dense_prefilter_identical_bits_for_threads_and_paths(dim):
    """Dense embeddings: the prefilter (path 2 forces it also for top-K below 192 dimensions,
    path 0 is the default choice) and the full dense kernel (path 3) give the same bits for 1, 2
    and 3 threads, for training (BMUs) and top-K encoding, on rect and hex maps.
    (256 units: most samples are pruned to a few 16-unit chunks, some take the full kernel.)"""
    X = _mixture(900, dim, dim)
    if _cpu_has_avx512bw() and _core.som_simd_level() == 2:
        assert _core.som_prefilter_available()  # so the comparison below really compares two paths
    results = {}
    try:
        for path in (0, 2, 3):
            _core.som_set_cross_path(path)
            for threads in (1, 2, 3):
                for lattice in ("rect", "hex"):
                    W = _core.som_init(16, 16, lattice, "planar", X, "sample", 2, threads)
                    W = _core.som_train(16, 16, lattice, "planar", W, X, "batch", "gaussian", 4, 8.0, 1.0, "linear",
                                        0.5, 0.01, "linear", 0.5, 0, threads)
                    u, d = _core.som_topk(16, 16, lattice, "planar", W, X, 9, threads)
                    results[(path, threads, lattice)] = (W.tobytes(), u.tobytes(), d.tobytes())
    finally:
        _core.som_set_cross_path(0)
    for lattice in ("rect", "hex"):
        assert len({v for k, v in results.items() if k[2] == lattice}) == 1, lattice
    # and the ranking is the float64 one except where keys nearly tie
    W = np.frombuffer(results[(0, 1, "rect")][0], dtype=np.float32).reshape(256, dim).astype(np.float64)
    u = np.frombuffer(results[(0, 1, "rect")][1], dtype=np.uint32).reshape(-1, 9)
    dd = ((X.astype(np.float64)[:, None, :] - W[None]) ** 2).sum(-1)
    ref = np.argsort(dd, axis=1, kind="stable")[:, :9]
    assert (u[:, 0] == ref[:, 0]).mean() > 0.99 and (u == ref).all(axis=1).mean() > 0.9


def test_dense_prefilter_keeps_exact_ties_and_lower_unit_first():
    """Identical prototypes far apart on the map tie exactly: the prefilter keeps every tied unit
    and the lower index ranks first, for the BMU in training and for top-K."""
    dim, U = 40, 64
    rng = np.random.default_rng(8)
    W = rng.standard_normal((U, dim)).astype(np.float32) * 3
    x = rng.standard_normal((1, dim)).astype(np.float32)
    W[[50, 3, 33]] = x[0] + 0.01  # three exact ties, the nearest units
    W[20] = x[0] + 0.02
    for path in (0, 2, 3):
        _core.som_set_cross_path(path)
        try:
            units, dist = _core.som_topk(8, 8, "rect", "planar", W, x, 4, 1)
        finally:
            _core.som_set_cross_path(0)
        assert units.tolist() == [[3, 33, 50, 20]], path
        assert dist[0, 0] == dist[0, 1] == dist[0, 2] < dist[0, 3]
    # training: with a tiny radius only the BMU (the lowest of the tied units) moves towards x
    X = np.repeat(x, 2, axis=0)
    got = _core.som_train(8, 8, "rect", "planar", W, X, "batch", "gaussian", 1, 0.05, 0.05, "linear", 0.5, 0.01,
                          "linear", 0.5, 0, 2)
    assert np.array_equal(got[3], x[0]) and np.array_equal(got[50], W[50]) and np.array_equal(got[33], W[33])


def test_estimator_deterministic_and_seeded(digits):
    X, _ = digits
    a = SOMEncoder(n_rows=6, n_cols=7, init="sample", random_state=4).fit(X[:400])
    b = SOMEncoder(n_rows=6, n_cols=7, init="sample", random_state=4, n_threads=2).fit(X[:400])
    c = SOMEncoder(n_rows=6, n_cols=7, init="sample", random_state=5).fit(X[:400])
    assert a.weights_.tobytes() == b.weights_.tobytes()
    assert a.weights_.tobytes() != c.weights_.tobytes()
    o1 = SOMEncoder(n_rows=5, n_cols=5, method="online", n_epochs=1, random_state=1).fit(X[:200])
    o2 = SOMEncoder(n_rows=5, n_cols=5, method="online", n_epochs=1, random_state=2).fit(X[:200])
    assert o1.weights_.tobytes() != o2.weights_.tobytes()  # the sample order follows the seed


# ---------------------------------------------------------- top-K ties ----

def test_topk_ties_go_to_the_lower_unit():
    dim = 4
    W = np.ones((12, dim), dtype=np.float32)
    x = np.ones((1, dim), dtype=np.float32)
    units, dist = _core.som_topk(3, 4, "rect", "planar", W, x, 5, 1)
    assert units.tolist() == [[0, 1, 2, 3, 4]] and dist.tolist() == [[0.0] * 5]
    W = np.zeros((12, dim), dtype=np.float32)
    W[[9, 3, 7]] = 1.0  # three exact matches
    W[5] = 0.5
    units, _ = _core.som_topk(3, 4, "rect", "planar", W, x, 4, 1)
    assert units.tolist() == [[3, 7, 9, 5]]
    enc = SOMEncoder(n_rows=3, n_cols=4, n_active=2, init=W, n_epochs=1, radius_start=1e-3, radius_end=1e-3)
    enc.fit(np.vstack([x, x]))
    assert enc.encode(x)[0].tolist() == [[3, 7]]


# ---------------------------------------------------------- validation ----

def test_input_validation(digits):
    X, _ = digits
    enc = SOMEncoder(n_rows=4, n_cols=4, n_active=3).fit(X[:100])
    bad = X[:3].copy()
    bad[1, 5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        enc.transform(bad)
    with pytest.raises(ValueError, match="NaN"):
        clone(enc).fit(bad)
    bad[1, 5] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        enc.transform(bad)
    with pytest.raises(ValueError, match="finite"):
        enc.transform(np.full((2, 64), 1e300))
    with pytest.raises(ValueError, match="1e15|finite"):
        _core.som_topk(4, 4, "rect", "planar", enc.weights_, np.full((1, 64), 1e20, dtype=np.float32), 3, 1)
    with pytest.raises(ValueError, match="64 features"):
        enc.transform(X[:3, :10])
    with pytest.raises(ValueError, match="2D array|2-D"):
        enc.transform(X[0])
    with pytest.raises(ValueError, match=r"n_active must be in \[1, 16\]"):
        SOMEncoder(n_rows=4, n_cols=4, n_active=17).fit(X[:50])
    with pytest.raises(ValueError, match=r"n_active must be in \[1, 16\]"):
        enc.encode(X[:2], n_active=20)
    with pytest.raises(ValueError, match="n_rows"):
        SOMEncoder(n_rows=0).fit(X[:50])
    with pytest.raises(ValueError, match="n_cols"):
        SOMEncoder(n_cols=-3).fit(X[:50])
    with pytest.raises(ValueError, match="even"):
        SOMEncoder(n_rows=5, n_cols=4, lattice="hex", topology="toroidal", n_active=3).fit(X[:50])
    with pytest.raises(ValueError, match="lattice"):
        SOMEncoder(lattice="triangle").fit(X[:50])
    with pytest.raises(ValueError, match="radius_end"):
        SOMEncoder(n_rows=4, n_cols=4, n_active=3, radius_end=0).fit(X[:50])
    with pytest.raises(ValueError, match=r"init array must have shape \(n_units, n_features\) = \(16, 64\)"):
        SOMEncoder(n_rows=4, n_cols=4, n_active=3, init=np.zeros((16, 3))).fit(X[:50])
    with pytest.raises(ValueError, match="n_threads"):
        SOMEncoder(n_rows=4, n_cols=4, n_active=3, n_threads=0).fit(X[:50])
    with pytest.raises(TypeError):
        SOMEncoder(n_rows=4.5).fit(X[:50])
    with pytest.raises(ValueError, match="at least 1 sample|minimum of 1"):
        SOMEncoder(n_rows=4, n_cols=4, n_active=3).fit(np.zeros((0, 5)))


def test_core_validation():
    W = np.zeros((6, 3), dtype=np.float32)
    x = np.zeros((2, 3), dtype=np.float32)
    with pytest.raises(ValueError, match=r"k \(active units\) must be in \[1, 6\]"):
        _core.som_topk(2, 3, "rect", "planar", W, x, 0, 1)
    with pytest.raises(ValueError, match=r"k \(active units\) must be in \[1, 6\]"):
        _core.som_topk(2, 3, "rect", "planar", W, x, 7, 1)
    with pytest.raises(ValueError, match="3 features"):
        _core.som_topk(2, 3, "rect", "planar", W, np.zeros((2, 4), dtype=np.float32), 1, 1)
    with pytest.raises(ValueError, match="one row per unit"):
        _core.som_topk(3, 3, "rect", "planar", W, x, 1, 1)
    with pytest.raises(TypeError):
        _core.som_topk(2, 3, "rect", "planar", W, x.astype(np.float64), 1, 1)  # no silent conversion
    with pytest.raises(ValueError, match="n_threads"):
        _core.som_topk(2, 3, "rect", "planar", W, x, 1, 0)
    with pytest.raises(ValueError, match="even number of rows"):
        _core.som_grid_distance2_matrix(3, 4, "hex", "toroidal")
    with pytest.raises(ValueError, match="grid shape"):
        _core.som_unit_coordinates(0, 4, "rect", "planar")
    with pytest.raises(ValueError, match="topology must be one of 'planar', 'toroidal'"):
        _core.som_unit_coordinates(2, 4, "rect", "sphere")
    with pytest.raises(ValueError, match="radius_start"):
        _core.som_train(2, 3, "rect", "planar", W, x, "batch", "gaussian", 1, -1.0, 1.0, "linear", 0.5, 0.1,
                        "linear", 0.5, 0, 1)
    with pytest.raises(ValueError, match="learning_rate_start"):
        _core.som_train(2, 3, "rect", "planar", W, x, "online", "gaussian", 1, 1.0, 1.0, "linear", 1.5, 0.1,
                        "linear", 0.5, 0, 1)
    with pytest.raises(ValueError, match="method"):
        _core.som_train(2, 3, "rect", "planar", W, x, "mini-batch", "gaussian", 1, 1.0, 1.0, "linear", 0.5, 0.1,
                        "linear", 0.5, 0, 1)
    Wn = W.copy()
    Wn[2, 1] = np.nan
    with pytest.raises(ValueError, match="weights must be finite"):
        _core.som_topk(2, 3, "rect", "planar", Wn, x, 1, 1)
    with pytest.raises(ValueError, match="units must be a unit index in"):
        _core.som_dispersion(2, 3, "rect", "planar", np.array([[0, 6]], dtype=np.uint32), 1)


# ---------------------------------------------- quality and novelty ----

def test_quality_measures_against_numpy(digits):
    X, _ = digits
    enc = SOMEncoder(n_rows=5, n_cols=6, lattice="hex", n_active=4, random_state=0).fit(X[:500])
    W = enc.weights_.astype(np.float64)
    dd = ((X[500:800, None, :] - W[None]) ** 2).sum(-1)
    order = np.argsort(dd, axis=1, kind="stable")
    assert enc.quantization_error(X[500:800]) == pytest.approx(np.sqrt(dd.min(axis=1)).mean(), rel=1e-5)
    D = np.sqrt(d2(5, 6, "hex", "planar"))
    te = np.mean(D[order[:, 0], order[:, 1]] != 1.0)
    assert enc.topographic_error(X[500:800]) == pytest.approx(te, abs=0.01)
    assert enc.quantization_error_ == pytest.approx(enc.quantization_error(X[:500]))
    hits = enc.hit_map(X[500:800])
    assert hits.shape == (5, 6) and hits.sum() == 300
    np.testing.assert_array_equal(hits.ravel(), np.bincount(order[:, 0], minlength=30))
    um = enc.u_matrix()
    ref = [np.mean([np.linalg.norm(W[u] - W[v]) for v in np.flatnonzero(D[u] == 1.0)]) for u in range(30)]
    np.testing.assert_allclose(um.ravel(), ref, rtol=1e-6)


def test_dispersion_by_hand():
    units = np.array([[0, 8, 8], [0, 1, 4], [0, 2, 6], [4, 4, 4]], dtype=np.uint32)
    mean, blobs = _core.som_dispersion(3, 3, "rect", "planar", units, 1)
    np.testing.assert_allclose(mean, [(2 * np.sqrt(8) + 0) / 3, (1 + np.sqrt(2) + 1) / 3, (2 + 2 + np.sqrt(8)) / 3, 0])
    assert blobs.tolist() == [2, 1, 3, 1]  # rect adjacency includes diagonals: 0-4 touch; 0, 2, 6 do not
    # hex: (0, 0) and (1, 1) are not neighbours (distance sqrt 3), (0, 0) and (1, 0) are
    mean, blobs = _core.som_dispersion(3, 3, "hex", "planar", np.array([[0, 4], [0, 3]], dtype=np.uint32), 2)
    np.testing.assert_allclose(mean, [np.sqrt(3), 1.0])
    assert blobs.tolist() == [2, 1]
    # torus: opposite edges touch
    _, blobs = _core.som_dispersion(3, 3, "rect", "toroidal", np.array([[0, 2, 8]], dtype=np.uint32), 1)
    assert blobs.tolist() == [1]


def test_novelty_scores_separate_noise(digits):
    X, _ = digits
    enc = SOMEncoder(n_rows=10, n_cols=10, n_active=8, random_state=1).fit(X[:1200])
    rng = np.random.default_rng(0)
    s_in = enc.novelty_scores(X[1200:1500])
    s_out = enc.novelty_scores(rng.random((300, 64)))
    assert set(s_in) == {"bmu_distance", "mean_pairwise_distance", "n_blobs"}
    assert s_out["bmu_distance"].min() > np.median(s_in["bmu_distance"])
    assert s_in["n_blobs"].min() >= 1 and s_in["n_blobs"].max() <= 8
    units, dist = enc.encode(X[1200:1500])
    np.testing.assert_allclose(s_in["bmu_distance"], dist[:, 0])


# ------------------------------------------------ transformer behaviour ----

def test_transform_outputs_and_weighting(digits):
    X, _ = digits
    enc = SOMEncoder(n_rows=6, n_cols=6, n_active=5, random_state=0).fit(X[:300])
    Z = enc.transform(X[:20])
    assert sparse.isspmatrix_csr(Z) and Z.shape == (20, 36) and Z.dtype == np.float32
    assert np.asarray(Z.sum(axis=1)).ravel().tolist() == [5.0] * 20 and Z.has_sorted_indices
    units, dist = enc.encode(X[:20])
    assert (np.sort(units, axis=1) == Z.indices.reshape(20, 5)).all()
    assert (np.diff(dist, axis=1) >= 0).all()
    dense = clone(enc).set_params(output="dense").fit(X[:300]).transform(X[:20])
    np.testing.assert_array_equal(dense, Z.toarray())
    idx = clone(enc).set_params(output="indices").fit(X[:300]).transform(X[:20])
    np.testing.assert_array_equal(idx, units)
    rank = clone(enc).set_params(weighting="rank").fit(X[:300]).transform(X[:20]).toarray()
    np.testing.assert_allclose(rank[np.arange(20)[:, None], units], np.tile([1.0, 0.8, 0.6, 0.4, 0.2], (20, 1)))
    dw = clone(enc).set_params(weighting="distance").fit(X[:300]).transform(X[:20]).toarray()
    np.testing.assert_allclose(dw[np.arange(20)[:, None], units], (dist[:, :1] + 1e-12) / (dist + 1e-12), rtol=1e-6)
    # inverse_transform: the SDR-weighted mean of the active prototypes
    W = enc.weights_.astype(np.float64)
    np.testing.assert_allclose(enc.inverse_transform(Z), W[units].mean(axis=1), rtol=1e-6)
    wr = np.array([1.0, 0.8, 0.6, 0.4, 0.2])
    est_r = clone(enc).set_params(weighting="rank").fit(X[:300])
    rec = est_r.inverse_transform(est_r.transform(X[:20]))
    np.testing.assert_allclose(rec, (W[units] * wr[None, :, None]).sum(1) / wr.sum(), rtol=1e-5)
    np.testing.assert_allclose(enc.inverse_transform(sparse.csr_matrix((3, 36))), 0.0)
    with pytest.raises(ValueError, match="n_units=36"):
        enc.inverse_transform(np.zeros((2, 35)))
    # on average the reconstruction is much closer to its own digit than to other digits
    err = ((enc.inverse_transform(Z) - X[:20]) ** 2).sum(1)
    other = ((enc.inverse_transform(Z) - X[20:40]) ** 2).sum(1)
    assert err.mean() < 0.7 * other.mean()


def test_pickle_clone_params(digits):
    X, _ = digits
    enc = SOMEncoder(n_rows=5, n_cols=4, lattice="hex", n_active=3, n_epochs=3, random_state=9).fit(X[:200])
    back = pickle.loads(pickle.dumps(enc))
    assert back.weights_.tobytes() == enc.weights_.tobytes()
    assert (back.transform(X[:50]) != enc.transform(X[:50])).nnz == 0
    c = clone(enc)
    assert not hasattr(c, "weights_") and c.get_params() == enc.get_params()
    c.set_params(n_rows=6, weighting="rank")
    assert c.n_rows == 6 and c.weighting == "rank"
    # an array init clones and pickles too
    e2 = SOMEncoder(n_rows=5, n_cols=4, n_active=3, init=enc.weights_.copy(), n_epochs=1, radius_start=1.0)
    e2.fit(X[:200])
    assert pickle.loads(pickle.dumps(e2)).weights_.tobytes() == e2.weights_.tobytes()
    assert clone(e2).get_params()["init"].tobytes() == enc.weights_.tobytes()


def test_pipeline_classifies_digits(digits):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X, y = digits
    pipe = make_pipeline(SOMEncoder(n_rows=12, n_cols=12, n_active=10, random_state=0),
                         LogisticRegression(C=1.0, max_iter=300))
    acc = pipe.fit(X[:1200], y[:1200]).score(X[1200:], y[1200:])
    assert acc > 0.85  # 10 classes: chance 0.1


@parametrize_with_checks([SOMEncoder(n_rows=4, n_cols=5, n_active=3, n_epochs=3)])
def test_som_encoder_sklearn_checks(estimator, check, run_sklearn_check):
    run_sklearn_check(estimator, check)


# ----------------------------------------------------------------- plots ----

def test_plots_write_pngs(tmp_path, digits):
    X, y = digits
    plt = somlib._pyplot()
    for lattice in ("rect", "hex"):
        enc = SOMEncoder(n_rows=6, n_cols=8, lattice=lattice, n_active=5, random_state=0).fit(X[:300])
        fig, axes = plt.subplots(1, 3, figsize=(9, 3))
        somlib.plot_sdr(enc, enc.transform(X[:1]), ax=axes[0], title="SDR")
        somlib.plot_u_matrix(enc, ax=axes[1])
        somlib.plot_hit_map(enc, X[:300], ax=axes[2])
        path = tmp_path / f"{lattice}.png"
        fig.savefig(path)
        plt.close(fig)
        somlib.plot_class_averages(enc, X[:300], y[:300], path=tmp_path / f"{lattice}_classes.png")
        for p in (path, tmp_path / f"{lattice}_classes.png"):
            png = p.read_bytes()
            assert png[:8] == PNG_MAGIC and struct.unpack(">II", png[16:24])[0] > 100


# ----------------------------------------------------------------- MNIST ----

@pytest.mark.heavy
@pytest.mark.mnist
def test_mnist_anchor_schedule_quality(mnist_dir):
    images, _ = htmhw.datasets.load_mnist(mnist_dir)
    X = (images.reshape(len(images), -1) / 255.0).astype(np.float32)
    enc = SOMEncoder(n_rows=32, n_cols=32, n_epochs=10, radius_start=16, radius_end=1, n_threads=2,
                     random_state=1).fit(X)
    # the anchors: somoclu QE 4.54 / TE 0.150, numpy GEMM sketch 4.55 / 0.146 (same schedule)
    assert enc.quantization_error_ <= 4.6
    assert enc.topographic_error_ < 0.2
    one = SOMEncoder(n_rows=32, n_cols=32, n_epochs=2, radius_start=16, radius_end=1, n_threads=1,
                     random_state=1).fit(X[:2000])
    two = clone(one).set_params(n_threads=2).fit(X[:2000])
    assert one.weights_.tobytes() == two.weights_.tobytes()


@pytest.mark.heavy
def test_cli_demo_som_json(tmp_path):
    import json
    import subprocess
    import sys

    out = tmp_path / "som"
    proc = subprocess.run([sys.executable, "-m", "htmhw.cli", "demo", "som", "--dataset", "digits", "--out", str(out),
                           "--json", "--seed", "2"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["dataset"].startswith("scikit-learn") and result["n_train"] == 1200
    assert set(result["maps"]) == {"rect", "hex"}
    for r in result["maps"].values():
        assert 0 < r["qe_test"] < 3 and 0 <= r["te_test"] <= 1
        assert r["overlap_same_class"] > 5 * r["overlap_different_class"]
        assert r["nn_accuracy_sdr_overlap"] > 0.8
        assert r["novelty_auc"]["uniform noise"]["bmu_distance"] > 0.95
    for f in result["figures"]:
        assert (out / f.split("/")[-1]).read_bytes()[:8] == PNG_MAGIC
    assert json.loads((out / "som_demo.json").read_text())["maps"] == result["maps"]
    bad = subprocess.run([sys.executable, "-m", "htmhw.cli", "demo", "som", "--seed", "-1", "--out", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "--seed" in bad.stderr


@pytest.mark.parametrize("method", ["batch", "online"])
def test_training_epoch_by_epoch_for_a_progress_bar_gives_the_same_prototypes(method, capsys):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(150, 12)).astype(np.float32)
    kw = dict(n_rows=5, n_cols=6, method=method, n_epochs=4, n_active=3, random_state=9, n_threads=2)
    whole = SOMEncoder(**kw).fit(X)
    stepped = SOMEncoder(**kw).fit(X, progress=True)
    assert np.array_equal(whole.weights_, stepped.weights_)
    assert whole.quantization_error_ == stepped.quantization_error_
    assert "SOM training" in capsys.readouterr().err
    # ranges are checked in the core: begin below end, end within the schedule
    w0 = whole.weights_
    args = (5, 6, "rect", "planar", w0, X, method, "gaussian", 4, 3.0, 1.0, "linear", 0.5, 0.01, "linear", 0.5, 9, 1)
    with pytest.raises(ValueError, match="epoch_begin"):
        _core.som_train(*args, 3, 3)
    with pytest.raises(ValueError, match="epoch_end"):
        _core.som_train(*args, 0, 5)
    # two halves equal one call
    half = _core.som_train(*args, 0, 2)
    assert np.array_equal(_core.som_train(*args[:4], half, *args[5:], 2, 4), _core.som_train(*args))
