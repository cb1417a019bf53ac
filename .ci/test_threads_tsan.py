"""Every multi-threaded batch entry point of the C++ core, small and fast, for the
ThreadSanitizer job (``bash .ci/sanitize thread``, docs/sanitizers.md).

The suite's own threaded tests cover most of these; the one that covers threaded
*float* inference (tests/test_reconstruct.py MNIST, ~1 min under TSan) is too slow for
the CI budget, so this file calls each threaded path once on small data with 1, 2 and 3
threads and checks that the results are identical. It also runs in a normal build
(``python3 -m pytest .ci/test_threads_tsan.py``).
"""
import numpy as np
import scipy.sparse as sparse

import htmhw
from htmhw import _core
from htmhw import reconstruct as R
from htmhw.reconstruct._base import _sum_rows
from htmhw.som import SOMEncoder

SP = dict(input_dimensions=(14, 14), column_dimensions=(12, 12), potential_radius=5, potential_pct=0.5,
          global_inhibition=True, local_area_density=0.08, stimulus_threshold=1, syn_perm_inactive_dec=0.01,
          syn_perm_active_inc=0.05, syn_perm_connected=0.2, min_pct_overlap_duty_cycle=0.1,
          duty_cycle_period=50, boost_strength=1.5, seed=3)


def _inputs(n, seed=0):
    return (np.random.default_rng(seed).random((n, 196)) < 0.15).astype(np.uint8)


def test_infer_batch_float_and_fixed_any_thread_count():
    X = _inputs(90)
    for arith in ("float", "fixed"):
        sp = htmhw.SpatialPooler(arithmetic=arith, boost_in_inference=True, **SP)
        sp.compute(X[:40], learn=True)
        one = sp.infer(X[40:], output="dense", n_threads=1)
        for n in (2, 3):
            np.testing.assert_array_equal(sp.infer(X[40:], output="dense", n_threads=n), one, err_msg=arith)


def test_sdr_search_and_row_sums_any_thread_count():
    rng = np.random.default_rng(1)
    db, q = (rng.random((50, 130)) < 0.1).astype(np.uint8), (rng.random((31, 130)) < 0.1).astype(np.uint8)
    P, Q = R.pack_sdrs(db), R.pack_sdrs(q)
    idx1, ov1 = R.nearest_sdrs(P, Q, k=3, n_threads=1)
    ovl1 = R.pairwise_overlaps(P, Q, n_threads=1)
    m = sparse.csr_matrix(q)
    values = rng.standard_normal((130, 7)).astype(np.float32)
    sums1 = _sum_rows(m.indptr.astype(np.int64), m.indices.astype(np.uint32), values, n_threads=1)
    for n in (2, 3):
        idx, ov = R.nearest_sdrs(P, Q, k=3, n_threads=n)
        np.testing.assert_array_equal(idx, idx1)
        np.testing.assert_array_equal(ov, ov1)
        np.testing.assert_array_equal(R.pairwise_overlaps(P, Q, n_threads=n), ovl1)
        sums = _sum_rows(m.indptr.astype(np.int64), m.indices.astype(np.uint32), values, n_threads=n)
        np.testing.assert_array_equal(sums, sums1)


def test_som_fit_encode_and_scores_any_thread_count():
    X = np.random.default_rng(2).random((120, 10)).astype(np.float32)
    for method, lattice in (("batch", "rect"), ("online", "hex")):
        kw = dict(n_rows=6, n_cols=8, lattice=lattice, method=method, n_epochs=2, random_state=4)
        ref = SOMEncoder(n_threads=1, **kw).fit(X)
        for n in (2, 3):
            enc = SOMEncoder(n_threads=n, **kw).fit(X)
            assert enc.weights_.tobytes() == ref.weights_.tobytes(), (method, n)
            assert (enc.transform(X) != ref.transform(X)).nnz == 0
            a, b = enc.novelty_scores(X), ref.novelty_scores(X)
            assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
            assert enc.topographic_error(X) == ref.topographic_error(X)
    W = ref.weights_
    units1, d1 = _core.som_topk(6, 8, "hex", "planar", W, X, 4, 1)
    sums = np.random.default_rng(3).random((48, 10)).astype(np.float32)
    counts = np.random.default_rng(4).integers(0, 5, 48).astype(np.float32)
    num1, den1 = _core.som_smooth(6, 8, "rect", "toroidal", "gaussian", 1.7, 0.5, sums, counts, 1)
    for n in (2, 3):
        units, d = _core.som_topk(6, 8, "hex", "planar", W, X, 4, n)
        assert units.tobytes() == units1.tobytes() and d.tobytes() == d1.tobytes()
        num, den = _core.som_smooth(6, 8, "rect", "toroidal", "gaussian", 1.7, 0.5, sums, counts, n)
        assert num.tobytes() == num1.tobytes() and den.tobytes() == den1.tobytes()
