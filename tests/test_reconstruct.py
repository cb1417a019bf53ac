"""htmhw.reconstruct (every decoder and the C++ SDR kernels): known-answer cases, references,
validation."""
import sys

import numpy as np
import pytest
import scipy.sparse as sparse
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge

import htmhw
from htmhw import metrics as M
from htmhw import reconstruct as R
from htmhw.configs import named_config
from htmhw.nupic import SpatialPooler as NupicSP
from htmhw.reconstruct import MatchingPursuit, MLPDecoder

ARITH = ["float", "fixed"]


def small_pooler(arithmetic):
    """6 inputs, 3 columns, every column's pool = the whole input; permanences set by hand:
    column 0 connected to inputs {0, 1}, column 1 to {1, 2, 3}, column 2 to {4, 5}."""
    kw = dict(hw=htmhw.HardwareConfig()) if arithmetic == "fixed" else {}
    sp = htmhw.SpatialPooler(arithmetic=arithmetic, input_dimensions=(6,), column_dimensions=(3,),
                             potential_radius=6, potential_pct=1.0, syn_perm_connected=0.5,
                             syn_perm_active_inc=0.1, seed=1, **kw)
    assert sp.potential().all()
    perms = np.array([[0.6, 0.8, 0.2, 0.0, 0.0, 0.0],
                      [0.0, 1.0, 0.6, 0.6, 0.4, 0.0],
                      [0.2, 0.0, 0.0, 0.0, 0.6, 0.8]], dtype=np.float32)
    for c in range(3):
        sp.set_column_permanences(c, perms[c])
    connected = np.array([[1, 1, 0, 0, 0, 0], [0, 1, 1, 1, 0, 0], [0, 0, 0, 0, 1, 1]], dtype=np.uint8)
    np.testing.assert_array_equal(sp.connected(), connected)
    return sp, perms, connected


# ---------------------------------------------------------------------------------------------
# the C++ kernels
def brute_topk(db_dense, q_dense, k):
    ov = q_dense.astype(np.int64) @ db_dense.T.astype(np.int64)
    idx = np.arange(db_dense.shape[0])
    order = np.array([np.lexsort((idx, -row))[:k] for row in ov])
    return order, np.take_along_axis(ov, order, 1)


def test_pack_layout():
    packed = R.pack_sdrs([np.array([0, 63, 64, 130])], width=131)
    assert packed.dtype == np.uint64 and packed.shape == (1, 3)
    assert packed[0].tolist() == [1 | (1 << 63), 1, 1 << 2]
    dense = np.zeros((2, 131), dtype=np.uint8)
    dense[0, [0, 63, 64, 130]] = 1
    np.testing.assert_array_equal(R.pack_sdrs(dense)[0], packed[0])
    assert not R.pack_sdrs(dense)[1].any()


@pytest.mark.parametrize("k", [1, 2, 5])
def test_topk_matches_brute_force_with_ties_and_any_thread_count(k):
    rng = np.random.default_rng(3)
    width = 70  # 2 words, few active bits: many equal overlaps
    db = (rng.random((61, width)) < 0.08).astype(np.uint8)
    db[10] = db[3]  # an exact duplicate: the lower index must come first
    q = (rng.random((23, width)) < 0.08).astype(np.uint8)
    q[0] = db[3]
    want_idx, want_ov = brute_topk(db, q, k)
    P, Q = R.pack_sdrs(db), R.pack_sdrs(q)
    for threads in (1, 2, 3, 7, 64):
        idx, ov = R.nearest_sdrs(P, Q, k=k, n_threads=threads)
        assert idx.shape == ov.shape == (23, k) and idx.dtype == np.uint32
        np.testing.assert_array_equal(idx, want_idx)
        np.testing.assert_array_equal(ov, want_ov)
    idx, ov = R.nearest_sdrs(P, Q[:1], k=1)
    assert idx[0, 0] == 3 and ov[0, 0] == db[3].sum()


def test_topk_all_equal_overlaps_returns_lowest_indices():
    db = np.zeros((9, 5), dtype=np.uint8)  # every overlap is 0
    idx, ov = R.nearest_sdrs(R.pack_sdrs(db), R.pack_sdrs(np.ones((2, 5), np.uint8)), k=4)
    assert idx.tolist() == [[0, 1, 2, 3]] * 2 and not ov.any()


def test_pairwise_overlaps_and_row_sums_match_numpy():
    rng = np.random.default_rng(5)
    a = (rng.random((17, 200)) < 0.2).astype(np.uint8)
    b = (rng.random((9, 200)) < 0.2).astype(np.uint8)
    got = R.pairwise_overlaps(R.pack_sdrs(a), R.pack_sdrs(b), n_threads=3)
    np.testing.assert_array_equal(got, b.astype(np.int64) @ a.T.astype(np.int64))
    values = rng.standard_normal((200, 13)).astype(np.float32)
    m = sparse.csr_matrix(b)
    indptr, indices = m.indptr.astype(np.int64), m.indices.astype(np.uint32)
    ref = htmhw._core.sum_selected_rows(indptr, indices, None, values, 1)
    np.testing.assert_allclose(ref, b @ values, rtol=1e-5, atol=1e-5)
    w = rng.random(indices.size).astype(np.float32)
    one = htmhw._core.sum_selected_rows(indptr, indices, w, values, 1)
    for threads in (2, 5):  # bit-identical for any thread count
        assert np.array_equal(htmhw._core.sum_selected_rows(indptr, indices, w, values, threads), one)
    np.testing.assert_allclose(one, sparse.csr_matrix((w, indices, indptr), shape=m.shape) @ values, rtol=1e-5,
                               atol=1e-5)


def test_kernel_boundary_validation():
    core = htmhw._core
    P = R.pack_sdrs(np.eye(4, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"k must be in \[1, 4\]"):
        core.sdr_topk(P, P, 5, 1)
    with pytest.raises(ValueError, match="k must be"):
        core.sdr_topk(P, P, 0, 1)
    with pytest.raises(ValueError, match="n_threads"):
        core.sdr_topk(P, P, 1, 0)
    with pytest.raises(ValueError, match="words per row"):
        core.sdr_topk(P, np.zeros((1, 2), np.uint64), 1, 1)
    with pytest.raises(ValueError, match="at least one SDR"):
        core.sdr_topk(np.zeros((0, 1), np.uint64), P, 1, 1)
    with pytest.raises(ValueError, match="2-D"):
        core.sdr_overlaps(np.zeros(3, np.uint64), P, 1)
    with pytest.raises(TypeError):
        core.sdr_topk(P.astype(np.int64), P, 1, 1)  # no silent reinterpretation
    ip, ix = np.array([0, 2], np.int64), np.array([1, 9], np.uint32)
    with pytest.raises(ValueError, match="indices must be < width = 5"):
        core.sdr_pack(ip, ix, 5)
    with pytest.raises(ValueError, match="indptr"):
        core.sdr_pack(np.array([0, 3], np.int64), ix, 16)
    with pytest.raises(ValueError, match="non-decreasing"):
        core.sdr_pack(np.array([0, 2, 1, 2], np.int64), ix, 16)
    with pytest.raises(ValueError, match="width"):
        core.sdr_pack(ip, ix, 0)
    with pytest.raises(ValueError, match="weights"):
        core.sum_selected_rows(ip, np.array([1, 2], np.uint32), np.ones(3, np.float32), np.ones((4, 2), np.float32), 1)
    with pytest.raises(ValueError, match="rows of values"):
        core.sum_selected_rows(ip, ix, None, np.ones((4, 2), np.float32), 1)
    with pytest.raises(TypeError):
        R.nearest_sdrs(np.zeros((2, 2)), P)


# ---------------------------------------------------------------------------------------------
# back-projection and the union rule on a pooler with hand-set permanences
@pytest.mark.parametrize("arith", ARITH)
def test_back_projection_known_answer(arith):
    sp, perms, connected = small_pooler(arith)
    sdrs = np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=np.uint8)
    raw = R.BackProjection(sp, normalize="none").reconstruct(sdrs)
    np.testing.assert_array_equal(raw, [[1, 2, 1, 1, 0, 0], [0, 0, 0, 0, 1, 1], [0] * 6])
    np.testing.assert_array_equal(R.BackProjection(sp).reconstruct(sdrs),
                                  [[0.5, 1, 0.5, 0.5, 0, 0], [0, 0, 0, 0, 1, 1], [0] * 6])
    np.testing.assert_array_equal(R.BackProjection(sp, normalize="count").reconstruct(sdrs[:1]),
                                  [[0.5, 1, 0.5, 0.5, 0, 0]])
    np.testing.assert_array_equal(R.BackProjection(sp, input_range=(-1, 1)).reconstruct(sdrs[1:2]),
                                  [[-1, -1, -1, -1, 1, 1]])
    perm = R.BackProjection(sp, weights="permanence", normalize="none").reconstruct(sdrs[:1])
    tol = 0 if arith == "float" else 0.5 / 255  # fixed point: words of 1/255
    np.testing.assert_allclose(perm, [perms[0] + perms[1]], atol=tol + 1e-6)
    # every accepted SDR form gives the same answer
    for form in (sparse.csr_matrix(sdrs), sdrs.astype(bool), [np.array([0, 1]), np.array([2]), np.array([], int)]):
        np.testing.assert_array_equal(R.BackProjection(sp, normalize="none").reconstruct(form), raw)
    np.testing.assert_array_equal(R.BackProjection(sp, normalize="none").reconstruct(sdrs[0]), raw[:1])


@pytest.mark.parametrize("arith", ARITH)
def test_union_rule_known_answer(arith):
    sp, _, _ = small_pooler(arith)
    sdrs = np.array([[1, 1, 0], [1, 1, 1]], dtype=np.uint8)
    np.testing.assert_array_equal(R.UnionRule(sp).reconstruct(sdrs), [[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]])
    np.testing.assert_array_equal(R.UnionRule(sp, threshold=2).reconstruct(sdrs), [[0, 1, 0, 0, 0, 0]] * 2)
    np.testing.assert_array_equal(R.UnionRule(sp).votes(sdrs[:1]), [[1, 2, 1, 1, 0, 0]])
    # threshold="fit": the target is exactly the inputs with 2 votes, so 2 has F1 = 1
    u = R.UnionRule(sp, threshold="fit").fit(sdrs, [[0, 1, 0, 0, 0, 0]] * 2)
    assert u.threshold_ == 2
    np.testing.assert_array_equal(u.reconstruct(sdrs[:1]), [[0, 1, 0, 0, 0, 0]])
    # the plain union has F1 = 1 when the target is every connected input
    assert R.UnionRule(sp, threshold="fit").fit(sdrs, [[1, 1, 1, 1, 0, 0], [1] * 6]).threshold_ == 1


@pytest.mark.parametrize("arith", ARITH)
def test_fit_snapshots_the_pooler_and_wrappers_work(arith):
    sp, _, _ = small_pooler(arith)
    bp = R.BackProjection(sp, normalize="none").fit()
    sp.set_column_permanences(2, np.zeros(6, np.float32))
    assert bp.reconstruct([np.array([2])]).tolist() == [[0, 0, 0, 0, 1, 1]]  # the snapshot
    assert R.BackProjection(sp, normalize="none").reconstruct([np.array([2])]).tolist() == [[0] * 6]  # live state
    clone(bp)  # scikit-learn conventions: get_params / clone


def test_nupic_pooler_forum_recipe_equals_back_projection():
    sp = NupicSP(inputDimensions=(6,), columnDimensions=(3,), potentialRadius=6, potentialPct=1.0,
                 synPermConnected=0.5, synPermActiveInc=0.1, seed=1)
    sp.setPermanence(0, [0.6, 0.8, 0.2, 0, 0, 0])
    sp.setPermanence(1, [0, 1.0, 0.6, 0.6, 0.4, 0])
    active = np.array([1, 1, 0], dtype=np.uint32)
    manual = np.zeros(6)
    conn = np.zeros(6, dtype=np.uint32)
    for col in active.nonzero()[0]:
        sp.getConnectedSynapses(col, conn)
        manual += conn
    np.testing.assert_array_equal(R.BackProjection(sp, normalize="none").reconstruct(active), [manual])


def test_sklearn_transformer_is_accepted():
    X = (np.random.default_rng(0).random((40, 16)) < 0.3).astype(np.uint8)
    t = htmhw.SpatialPoolerTransformer(n_columns=64, local_area_density=0.1).fit(X)
    np.testing.assert_array_equal(R.BackProjection(t, normalize="none").reconstruct(t.transform(X[:3])),
                                  t.transform(X[:3]).toarray().astype(np.float32) @ t.sp_.connected())
    with pytest.raises(NotFittedError):
        R.BackProjection(htmhw.SpatialPoolerTransformer()).reconstruct(np.zeros(4))


# ---------------------------------------------------------------------------------------------
# ridge decoder
def test_ridge_identity_sdrs_known_answer():
    X = np.arange(20, dtype=np.float64).reshape(5, 4) / 7
    S = np.eye(5, dtype=np.uint8)
    for solver in ("primal", "dual", "auto"):
        d = R.RidgeDecoder(alpha=0.5, fit_intercept=False, solver=solver).fit(S, X)
        np.testing.assert_allclose(d.coef_, X / 1.5, rtol=1e-6)  # (I + alpha I)^-1 X
        np.testing.assert_allclose(d.reconstruct(S), X / 1.5, rtol=1e-6)
        assert not d.intercept_.any()
    # tiny alpha: the identity code is decoded back to its input exactly (to rounding)
    d = R.RidgeDecoder(alpha=1e-9).fit(S, X)
    np.testing.assert_allclose(d.reconstruct(S), X, atol=1e-6)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("shape", [(60, 25), (25, 60)])  # more samples than columns, and fewer
def test_ridge_primal_and_dual_match_sklearn(shape, fit_intercept):
    rng = np.random.default_rng(1)
    n, m = shape
    S = (rng.random((n, m)) < 0.2).astype(np.uint8)
    S[:, 3] = 0  # a column never active: zero weights
    X = rng.random((n, 7))
    ref = Ridge(alpha=2.0, fit_intercept=fit_intercept, solver="cholesky").fit(S.astype(float), X)
    Snew = (rng.random((9, m)) < 0.2).astype(np.uint8)
    for solver in ("primal", "dual"):
        d = R.RidgeDecoder(alpha=2.0, fit_intercept=fit_intercept, solver=solver, n_threads=2).fit(
            sparse.csr_matrix(S), X)
        assert d.solver_ == solver
        np.testing.assert_allclose(d.coef_, ref.coef_.T, atol=2e-5)
        np.testing.assert_allclose(d.intercept_, ref.intercept_ if fit_intercept else 0, atol=2e-5)
        np.testing.assert_allclose(d.reconstruct(Snew), ref.predict(Snew.astype(float)), atol=5e-5)
        assert not d.coef_[3].any()
    assert R.RidgeDecoder().fit(S, X).solver_ == ("primal" if m <= n else "dual")
    clipped = R.RidgeDecoder(alpha=2.0, clip=(0.2, 0.8)).fit(S, X).reconstruct(Snew)
    assert clipped.min() >= 0.2 and clipped.max() <= 0.8


# ---------------------------------------------------------------------------------------------
# nearest SDR
def test_nearest_exact_match_retrieval():
    rng = np.random.default_rng(2)
    S = np.zeros((50, 300), dtype=np.uint8)
    for i in range(50):
        S[i, rng.choice(300, 15, replace=False)] = 1
    X = rng.random((50, 11)).astype(np.float32)
    nn = R.NearestSDR(n_threads=2).fit(sparse.csr_matrix(S), X)
    np.testing.assert_array_equal(nn.reconstruct(S), X)  # every training SDR finds itself
    idx, ov = nn.kneighbors(S)
    assert idx[:, 0].tolist() == list(range(50)) and (ov[:, 0] == 15).all()
    S[7] = S[4]  # duplicated SDR: the lower training index wins
    np.testing.assert_array_equal(R.NearestSDR().fit(S, X).reconstruct(S[7]), X[4:5])


def test_nearest_topk_weighted_average_known_answer():
    db = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1]], np.uint8)
    X = np.array([[1.0, 0], [0, 1.0], [2.0, 2.0], [9.0, 9.0]])
    q = np.array([[1, 1, 1, 0, 0, 0]], np.uint8)  # overlaps 3, 2, 1, 0
    np.testing.assert_allclose(R.NearestSDR(k=2).fit(db, X).reconstruct(q), [[3 / 5, 2 / 5]], rtol=1e-6)
    np.testing.assert_allclose(R.NearestSDR(k=3).fit(db, X).reconstruct(q), [[(3 + 2) / 6, (2 + 2) / 6]],
                               rtol=1e-6)
    np.testing.assert_allclose(R.NearestSDR(k=2, weighting="uniform").fit(db, X).reconstruct(q), [[0.5, 0.5]])
    # no overlap with anything: the k lowest indices, averaged uniformly
    np.testing.assert_allclose(R.NearestSDR(k=2).fit(db, X).reconstruct([[0, 0, 0, 1, 0, 0]]), [[0.5, 0.5]])


def test_pynndescent_backend_says_what_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynndescent", None)  # as if not installed
    with pytest.raises(ImportError, match="pip install pynndescent"):
        R.NearestSDR(algorithm="pynndescent").fit(np.eye(3, dtype=np.uint8), np.eye(3))


# ---------------------------------------------------------------------------------------------
# SOM hook (a stand-in with inverse_transform: PCA keeping every component is lossless)
def test_som_prototypes_hook_uses_inverse_transform():
    X = np.random.default_rng(4).random((30, 6))
    pca = PCA(n_components=6)
    rec = R.SOMPrototypes(pca).fit(X).reconstruct(pca.transform(X))
    assert rec.dtype == np.float32 and rec.shape == X.shape
    np.testing.assert_allclose(rec, X, atol=1e-5)
    with pytest.raises(TypeError, match="inverse_transform"):
        R.SOMPrototypes(object()).reconstruct(X)


# ---------------------------------------------------------------------------------------------
# validation
@pytest.mark.parametrize("make,exc,match", [
    (lambda sp: R.BackProjection(sp, weights="both"), ValueError, "weights must be one of"),
    (lambda sp: R.BackProjection(sp, normalize="l2"), ValueError, "normalize must be one of"),
    (lambda sp: R.BackProjection(sp, input_range=(1, 0)), ValueError, "input_range"),
    (lambda sp: R.BackProjection(sp, n_threads=0), ValueError, r"n_threads must be in \[1, 1024\]"),
    (lambda sp: R.BackProjection(sp, n_threads=1.5), TypeError, "n_threads must be an integer"),
    (lambda sp: R.UnionRule(sp, threshold=0), ValueError, r"threshold must be in \[1, inf\]"),
    (lambda sp: R.UnionRule(sp, threshold="auto"), TypeError, "threshold must be an integer"),
    (lambda sp: R.BackProjection("not a pooler"), TypeError, "sp must be an htmhw.SpatialPooler"),
])
def test_parameter_errors_name_the_parameter(make, exc, match):
    sp, _, _ = small_pooler("float")
    with pytest.raises(exc, match=match):
        make(sp).reconstruct(np.zeros(3, np.uint8))


def test_sdr_and_target_errors():
    sp, _, _ = small_pooler("float")
    bp = R.BackProjection(sp)
    with pytest.raises(ValueError, match="must have 3 columns"):
        bp.reconstruct(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="binary"):
        bp.reconstruct(np.array([[0, 2, 0]]))
    with pytest.raises(ValueError, match="binary"):
        bp.reconstruct(sparse.csr_matrix(np.array([[0, 0.5, 0]])))
    with pytest.raises(ValueError, match=r"active indices must be in \[0, 3\)"):
        bp.reconstruct([np.array([0, 3])])
    with pytest.raises(ValueError, match="same active column twice"):
        bp.reconstruct([np.array([1, 1])])
    with pytest.raises(ValueError, match="needs the SDR width"):
        R.as_sdr_csr([np.array([1])])
    with pytest.raises(TypeError, match="dtype"):
        bp.reconstruct(np.array([["a", "b", "c"]]))
    with pytest.raises(ValueError, match="NaN"):
        bp.reconstruct(np.array([[0, np.nan, 1]]))
    S = np.eye(4, dtype=np.uint8)
    for bad, exc, match in [(dict(alpha=0), ValueError, r"alpha must be in \(0.0, inf\)"),
                            (dict(alpha="x"), TypeError, "alpha must be a real number"),
                            (dict(solver="qr"), ValueError, "solver must be one of"),
                            (dict(fit_intercept=1), TypeError, "fit_intercept must be a bool"),
                            (dict(clip=(1, 1)), ValueError, "clip|input_range")]:
        with pytest.raises(exc, match=match):
            R.RidgeDecoder(**bad).fit(S, np.ones((4, 2)))
    with pytest.raises(ValueError, match="one row per SDR"):
        R.RidgeDecoder().fit(S, np.ones((3, 2)))
    with pytest.raises(ValueError, match="NaN"):
        R.RidgeDecoder().fit(S, np.full((4, 2), np.nan))
    with pytest.raises(ValueError, match=r"k must be in \[1, 4\]"):
        R.NearestSDR(k=5).fit(S, np.ones((4, 2)))
    with pytest.raises(ValueError, match="weighting must be one of"):
        R.NearestSDR(weighting="softmax").fit(S, np.ones((4, 2)))
    with pytest.raises(NotFittedError):
        R.NearestSDR().reconstruct(S)
    with pytest.raises(NotFittedError):
        R.RidgeDecoder().reconstruct(S)
    with pytest.raises(ValueError, match="must have 4 columns"):
        R.NearestSDR().fit(S, np.ones((4, 2))).reconstruct(np.zeros((1, 5)))
    with pytest.raises(ValueError, match="fit\\(sdrs, X\\)"):
        R.UnionRule(sp, threshold="fit").fit()
    with pytest.raises(ValueError, match="binary"):
        R.UnionRule(sp, threshold="fit").fit(np.eye(3), np.full((3, 6), 0.5))


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


# ---------------------------------------------------------------------------------------------
# real digits, anchor config, float and fixed point (small subset; full protocol: docs/reconstruction.md)
@pytest.mark.heavy
@pytest.mark.mnist
@pytest.mark.parametrize("arith", ARITH)
def test_mnist_learned_methods_beat_back_projection(mnist_dir, arith):
    images, _ = htmhw.datasets.load_mnist(mnist_dir)
    X = (images[:4000] > 30).reshape(4000, -1).astype(np.uint8)
    kw = dict(hw=htmhw.HardwareConfig(permanence_bits=8)) if arith == "fixed" else {}
    sp = htmhw.SpatialPooler(arithmetic=arith, **named_config("mnist"), boost_in_inference=True, **kw)
    sp.compute(X[:3000], learn=True, output="sparse")
    train, test = sp.infer(X[:3000], output="sparse", n_threads=2), sp.infer(X[3000:], output="sparse", n_threads=2)
    Xtr, Xte = X[:3000].astype(np.float32), X[3000:].astype(np.float32)
    psnr = {name: M.psnr(Xte, m.fit(train, Xtr).reconstruct(test)) for name, m in {
        "back": R.BackProjection(sp), "ridge": R.RidgeDecoder(alpha=100, clip=(0, 1)),
        "nearest10": R.NearestSDR(k=10), "union": R.UnionRule(sp, threshold="fit")}.items()}
    assert psnr["ridge"] > psnr["back"] + 3, psnr
    assert psnr["nearest10"] > psnr["back"] + 1, psnr
    assert 8 < psnr["back"] < 16 and 8 < psnr["union"], psnr
