"""Reconstruct a spatial pooler's input from its SDR.

Six ways, each a scikit-learn-style object with ``fit`` and
``reconstruct(sdrs) -> (n_samples, n_inputs) float32``:

- :class:`BackProjection`: sum of the receptive fields (connected synapses, or
  permanences) of the active columns, normalized to the input range. Needs
  only the pooler.
- :class:`UnionRule`: the mHTM paper's rule, an input bit is on when at least
  ``threshold`` active columns have a connected synapse to it (1 = the plain
  union). ``threshold="fit"`` picks the vote count that maximizes the bit F1
  score on training pairs.
- :class:`RidgeDecoder`: ridge regression SDR -> input in closed form. The
  Gram matrix of the binary SDRs is computed with the popcount kernel; the
  system is solved in the primal (columns x columns) or the dual (samples x
  samples), whichever is smaller.
- :class:`NearestSDR`: keeps the (SDR, input) pairs of a training set and
  returns the input of the best-overlapping training SDR (exact search with
  the C++ popcount kernel; ``algorithm="pynndescent"`` for approximate search
  when pynndescent is installed), or the overlap-weighted average of the top k.
- :class:`SOMPrototypes`: wraps any object with ``inverse_transform`` (the SOM
  encoder's prototypes).
- :class:`MLPDecoder`: a multi-layer perceptron SDR -> input (scikit-learn's
  ``MLPRegressor``, fixed ``random_state``).

A baseline that is not an SDR decoder: :class:`MatchingPursuit`, a dictionary
(sparse-coding) encoder whose atoms are 7x7 patches of training digits in place;
``encode`` gives the sparse code, ``reconstruct`` the image from it.

``sdrs`` may be a scipy.sparse matrix, a dense 2-D (or single 1-D) array of
0/1, or a list of integer index arrays (what ``SpatialPooler.compute(...,
output="indices")`` returns). The pooler may be an :class:`htmhw.SpatialPooler`
(float or fixed-point), an :class:`htmhw.nupic.SpatialPooler` or a fitted
:class:`htmhw.SpatialPoolerTransformer`. Metrics: :mod:`htmhw.metrics`.
Measurements on MNIST: docs/reconstruction.md.
"""
from __future__ import annotations

import numbers

import numpy as np
import scipy.linalg
import scipy.sparse as sparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from . import _core
from ._validation import check_finite, check_real_dtype

__all__ = [
    "BackProjection", "UnionRule", "RidgeDecoder", "NearestSDR", "SOMPrototypes", "MLPDecoder", "MatchingPursuit",
    "as_sdr_csr", "pack_sdrs", "nearest_sdrs", "pairwise_overlaps",
]


# ---------------------------------------------------------------------------
# argument checks
def _check_int(value, name, lo, hi=None):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer in [{lo}, {hi if hi is not None else 'inf'}]; got {value!r}")
    if value < lo or (hi is not None and value > hi):
        raise ValueError(f"{name} must be in [{lo}, {hi if hi is not None else 'inf'}]; got {value}")
    return int(value)


def _check_real(value, name, lo, hi=None, lo_open=False):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    v = float(value)
    bad = not np.isfinite(v) or (v <= lo if lo_open else v < lo) or (hi is not None and v > hi)
    if bad:
        interval = f"{'(' if lo_open else '['}{lo}, {hi if hi is not None else 'inf'}{']' if hi is not None else ')'}"
        raise ValueError(f"{name} must be in {interval}; got {value!r}")
    return v


def _check_choice(value, name, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {choices}; got {value!r}")
    return value


def _check_fitted(obj, attr):
    if not hasattr(obj, attr):
        raise NotFittedError(f"This {type(obj).__name__} instance is not fitted yet; call fit first")


def _check_range(input_range):
    try:
        lo, hi = (float(v) for v in input_range)
    except (TypeError, ValueError):
        raise TypeError(f"input_range must be a pair of numbers (low, high); got {input_range!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"input_range must be finite with low < high; got {input_range!r}")
    return lo, hi


# ---------------------------------------------------------------------------
# SDR conversion
def as_sdr_csr(sdrs, width: int | None = None, name: str = "sdrs"):
    """(indptr int64, indices uint32, n_samples, width) of a batch of SDRs.

    Accepts a scipy.sparse matrix (entries 0/1), a dense 2-D array (or one
    1-D SDR) of 0/1/bool, or a list/tuple of integer numpy arrays of active
    indices. ``width`` (the number of columns) is checked when given; index
    lists need it. Raises TypeError/ValueError naming ``name``.
    """
    if width is not None:
        width = _check_int(width, "width", 1)
    if isinstance(sdrs, (list, tuple)) and len(sdrs) > 0 and all(
            isinstance(r, np.ndarray) and r.ndim == 1 and np.issubdtype(r.dtype, np.integer) for r in sdrs):
        if width is None:
            raise ValueError(f"{name}: a list of index arrays needs the SDR width")
        lengths = np.fromiter((r.size for r in sdrs), dtype=np.int64, count=len(sdrs))
        indptr = np.zeros(len(sdrs) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        indices = np.concatenate(sdrs).astype(np.int64, copy=False)
        if indices.size and (indices.min() < 0 or indices.max() >= width):
            raise ValueError(f"{name}: active indices must be in [0, {width}); got values in "
                             f"[{indices.min()}, {indices.max()}]")
        m = _sdr_matrix(indptr, indices, len(sdrs), width, np.int32)
        m.sum_duplicates()
        if m.nnz and m.data.max() > 1:
            raise ValueError(f"{name}: an index array lists the same active column twice")
        return m.indptr.astype(np.int64), m.indices.astype(np.uint32), len(sdrs), width
    if sparse.issparse(sdrs):
        m = sparse.csr_matrix(sdrs)
        if m.ndim != 2:
            raise ValueError(f"{name} must be 2-D; got shape {m.shape}")
        m.sum_duplicates()
        m.eliminate_zeros()
        data = m.data
        if data.dtype != np.bool_ and np.any(data != 1):
            raise ValueError(f"{name} must be binary (0 or 1)")
        n, w = m.shape
    else:
        a = np.asarray(sdrs)
        if a.dtype == object or not (a.dtype == np.bool_ or np.issubdtype(a.dtype, np.number)) \
                or np.issubdtype(a.dtype, np.complexfloating):
            raise TypeError(f"{name} must be a binary array, a scipy.sparse matrix or a list of index arrays; "
                            f"got dtype {a.dtype}")
        if a.ndim == 1:
            a = a[None, :]
        if a.ndim != 2:
            raise ValueError(f"{name} must be 1-D (one SDR) or 2-D (n_samples, n_columns); got shape {a.shape}")
        if a.dtype != np.bool_:
            if np.issubdtype(a.dtype, np.floating) and not np.all(np.isfinite(a)):
                raise ValueError(f"{name} must be binary (0 or 1); found NaN or infinity")
            if np.any((a != 0) & (a != 1)):
                raise ValueError(f"{name} must be binary (0 or 1)")
        m = sparse.csr_matrix(a.astype(bool))
        n, w = m.shape
    if width is not None and w != width:
        raise ValueError(f"{name} must have {width} columns (the SDR width); got {w}")
    if n == 0:
        raise ValueError(f"{name} must hold at least one SDR")
    m.sort_indices()
    return m.indptr.astype(np.int64), m.indices.astype(np.uint32), n, w



def _sdr_matrix(indptr, indices, n, width, dtype) -> sparse.csr_matrix:
    """The (n, width) CSR matrix of ones of ``dtype`` from :func:`as_sdr_csr`'s arrays."""
    return sparse.csr_matrix((np.ones(indices.size, dtype=dtype), indices, indptr), shape=(n, width))

def pack_sdrs(sdrs, width: int | None = None) -> np.ndarray:
    """Bit-packed SDRs: (n_samples, ceil(width / 64)) uint64, bit i in word i // 64 at position i % 64."""
    indptr, indices, _, w = as_sdr_csr(sdrs, width)
    return _core.sdr_pack(indptr, indices, w)


def _check_threads(n_threads):
    return _check_int(n_threads, "n_threads", 1, 1024)


def nearest_sdrs(database, queries, k: int = 1, n_threads: int = 1):
    """Exact top-k by overlap: (indices, overlaps), each (n_queries, k) uint32.

    ``database`` and ``queries`` are packed SDRs (:func:`pack_sdrs`) of the same
    width. Overlaps are in decreasing order; among equal overlaps the lower
    database index comes first. Identical results for any ``n_threads``.
    """
    db, q = _packed(database, "database"), _packed(queries, "queries")
    k = _check_int(k, "k", 1, db.shape[0])
    return _core.sdr_topk(db, q, k, _check_threads(n_threads))


def pairwise_overlaps(database, queries, n_threads: int = 1) -> np.ndarray:
    """(n_queries, n_database) uint32 overlaps of packed SDRs."""
    return _core.sdr_overlaps(_packed(database, "database"), _packed(queries, "queries"), _check_threads(n_threads))


def _packed(a, name):
    if not isinstance(a, np.ndarray) or a.dtype != np.uint64 or a.ndim != 2:
        raise TypeError(f"{name} must be packed SDRs: a 2-D uint64 array from pack_sdrs")
    return np.ascontiguousarray(a)


# ---------------------------------------------------------------------------
# pooler access (float or fixed-point; htmhw, nupic or sklearn wrappers)
def _pooler(sp):
    from .estimator import SpatialPoolerTransformer
    from .nupic import SpatialPooler as NupicSP
    from .sp import SpatialPooler

    if isinstance(sp, SpatialPooler):
        return sp
    if isinstance(sp, NupicSP):
        return sp._pooler
    if isinstance(sp, SpatialPoolerTransformer):
        _check_fitted(sp, "sp_")
        return sp.sp_
    raise TypeError("sp must be an htmhw.SpatialPooler (float or fixed), an htmhw.nupic.SpatialPooler or a fitted "
                    f"htmhw.SpatialPoolerTransformer; got {type(sp).__name__}")


def _receptive_fields(sp, kind) -> np.ndarray:
    """(num_columns, num_inputs) float32: connected synapses (0/1) or permanences."""
    p = _pooler(sp)
    m = p.connected() if kind == "connected" else p.permanences()
    return np.ascontiguousarray(m, dtype=np.float32)


def _sum_rows(indptr, indices, values, weights=None, n_threads=1):
    return _core.sum_selected_rows(indptr, indices, weights, values, n_threads)


class _Reconstructor(BaseEstimator):
    def fit_reconstruct(self, sdrs, X=None):
        """fit, then reconstruct the same SDRs."""
        return self.fit(sdrs, X).reconstruct(sdrs)


# ---------------------------------------------------------------------------
class BackProjection(_Reconstructor):
    """Sum of the receptive fields of the active columns.

    Parameters
    ----------
    sp : the spatial pooler (float or fixed-point; see module doc).
    weights : {"connected", "permanence"}, default "connected"
        Sum the 0/1 connected-synapse rows (the forum recipe) or the permanences.
    normalize : {"max", "count", "none"}, default "max"
        "max": divide each reconstruction by its largest value, then map [0, 1]
        to ``input_range``; "count": divide by the number of active columns
        (the mean receptive field, mapped the same way); "none": the raw sum.
    input_range : (low, high), default (0.0, 1.0)
    n_threads : int in [1, 1024], default 1

    ``fit()`` snapshots the pooler's receptive fields into ``components_``
    (num_columns x num_inputs); an unfitted object reads the pooler's current
    state at every ``reconstruct`` call. Nothing is learned from data.
    """

    def __init__(self, sp=None, weights="connected", normalize="max", input_range=(0.0, 1.0), n_threads=1):
        self.sp = sp
        self.weights = weights
        self.normalize = normalize
        self.input_range = input_range
        self.n_threads = n_threads

    def _validate(self):
        _check_choice(self.weights, "weights", ("connected", "permanence"))
        _check_choice(self.normalize, "normalize", ("max", "count", "none"))
        _check_threads(self.n_threads)
        return _check_range(self.input_range)

    def fit(self, sdrs=None, X=None):
        """Snapshot the receptive fields (sdrs and X are ignored)."""
        self._validate()
        self.components_ = _receptive_fields(self.sp, self.weights)
        return self

    def _fields(self):
        return self.components_ if hasattr(self, "components_") else _receptive_fields(self.sp, self.weights)

    def reconstruct(self, sdrs) -> np.ndarray:
        lo, hi = self._validate()
        fields = self._fields()
        indptr, indices, n, _ = as_sdr_csr(sdrs, fields.shape[0])
        out = _sum_rows(indptr, indices, fields, n_threads=self.n_threads)
        if self.normalize == "none":
            return out
        if self.normalize == "max":
            scale = out.max(axis=1)
        else:
            scale = np.diff(indptr).astype(np.float32)
        scale = np.where(scale > 0, scale, 1).astype(np.float32)
        out /= scale[:, None]
        return (lo + (hi - lo) * out).astype(np.float32)


class UnionRule(_Reconstructor):
    """The mHTM union rule: input bit i is 1 when at least ``threshold`` active
    columns have a connected synapse to it.

    Parameters
    ----------
    sp : the spatial pooler.
    threshold : int >= 1 or "fit", default 1
        Vote count; 1 is the plain union. "fit" chooses, on the training pairs
        given to ``fit(sdrs, X)`` (X binary), the vote count with the highest bit
        F1 score (ties: the lower count); it is kept in ``threshold_``.
    n_threads : int in [1, 1024], default 1

    Output values are 0.0 / 1.0 (float32).
    """

    def __init__(self, sp=None, threshold=1, n_threads=1):
        self.sp = sp
        self.threshold = threshold
        self.n_threads = n_threads

    def _validate(self):
        if not (isinstance(self.threshold, str) and self.threshold == "fit"):
            _check_int(self.threshold, "threshold", 1)
        _check_threads(self.n_threads)

    def votes(self, sdrs, fields=None) -> np.ndarray:
        """(n_samples, n_inputs) float32: number of active columns connected to each input."""
        _check_threads(self.n_threads)
        fields = self._fields() if fields is None else fields
        indptr, indices, _, _ = as_sdr_csr(sdrs, fields.shape[0])
        return _sum_rows(indptr, indices, fields, n_threads=self.n_threads)

    def _fields(self):
        return self.components_ if hasattr(self, "components_") else _receptive_fields(self.sp, "connected")

    def fit(self, sdrs=None, X=None):
        """Snapshot the connected synapses; with threshold="fit", choose the vote count on (sdrs, X)."""
        self._validate()
        self.components_ = _receptive_fields(self.sp, "connected")
        if isinstance(self.threshold, str):
            if sdrs is None or X is None:
                raise ValueError("threshold='fit' needs training pairs: fit(sdrs, X)")
            votes = self.votes(sdrs).astype(np.int64)
            x = _binary_targets(X, votes.shape, "X")
            self.threshold_ = _best_f1_threshold(votes, x)
        else:
            self.threshold_ = int(self.threshold)
        return self

    def reconstruct(self, sdrs) -> np.ndarray:
        self._validate()
        if isinstance(self.threshold, str):
            _check_fitted(self, "threshold_")
        t = getattr(self, "threshold_", None) if isinstance(self.threshold, str) else int(self.threshold)
        return (self.votes(sdrs) >= t).astype(np.float32)


def _binary_targets(X, shape, name):
    x = np.asarray(X)
    if x.dtype == object or not (x.dtype == np.bool_ or np.issubdtype(x.dtype, np.number)):
        raise TypeError(f"{name} must be a numeric array; got dtype {x.dtype}")
    x = x.reshape(x.shape[0], -1) if x.ndim > 1 else x.reshape(1, -1)
    if x.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)} (n_samples, n_inputs); got {x.shape}")
    if np.any((x != 0) & (x != 1)):
        raise ValueError(f"{name} must be binary (0 or 1) for threshold='fit'")
    return x.astype(bool)


def _best_f1_threshold(votes, x) -> int:
    top = int(votes.max()) if votes.size else 0
    if top < 1:
        return 1
    pos = np.bincount(votes[x], minlength=top + 1)[: top + 1]
    neg = np.bincount(votes[~x], minlength=top + 1)[: top + 1]
    tp = np.cumsum(pos[::-1])[::-1]  # tp[t] = positives with votes >= t
    fp = np.cumsum(neg[::-1])[::-1]
    fn = pos.sum() - tp
    f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    return int(1 + np.argmax(f1[1:]))


# ---------------------------------------------------------------------------
class RidgeDecoder(_Reconstructor):
    """Linear decoder SDR -> input, ridge regression in closed form.

    Minimizes ``||S W + 1 b^T - X||^2 + alpha ||W||^2`` (b only with
    ``fit_intercept``). Columns never active in the training SDRs get zero
    weights and are left out of the solve. The Gram matrix of the binary SDRs
    is exact integer overlaps from the popcount kernel; the solve is a
    Cholesky factorization in float64, in the primal (active columns x active
    columns) or the dual (samples x samples), whichever is smaller
    (``solver="auto"``). Both give the same W up to rounding.

    Parameters
    ----------
    alpha : float > 0, default 1.0
    fit_intercept : bool, default True
    solver : {"auto", "primal", "dual"}, default "auto"
    clip : None or (low, high), default None
        Clip reconstructions to this range (e.g. (0, 1) for binary inputs).
    n_threads : int in [1, 1024], default 1

    Attributes: ``coef_`` (n_columns, n_inputs) float32, ``intercept_``
    (n_inputs,) float32, ``solver_`` ("primal" or "dual"), ``n_columns_``.
    """

    def __init__(self, alpha=1.0, fit_intercept=True, solver="auto", clip=None, n_threads=1):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.clip = clip
        self.n_threads = n_threads

    def fit(self, sdrs, X):
        alpha = _check_real(self.alpha, "alpha", 0.0, lo_open=True)
        if not isinstance(self.fit_intercept, (bool, np.bool_)):
            raise TypeError(f"fit_intercept must be a bool; got {self.fit_intercept!r}")
        _check_choice(self.solver, "solver", ("auto", "primal", "dual"))
        if self.clip is not None:
            _check_range(self.clip)
        threads = _check_threads(self.n_threads)
        indptr, indices, n, width = as_sdr_csr(sdrs)
        Y = _targets(X, n)
        S = _sdr_matrix(indptr, indices, n, width, np.float64)
        active = np.flatnonzero(np.bincount(indices, minlength=width))
        Sa = S[:, active].tocsr()
        m = active.size
        solver = self.solver if self.solver != "auto" else ("primal" if m <= n else "dual")
        s_mean = np.asarray(Sa.mean(axis=0)).ravel() if self.fit_intercept else np.zeros(m)
        y_mean = Y.mean(axis=0) if self.fit_intercept else np.zeros(Y.shape[1])
        coef = np.zeros((width, Y.shape[1]), dtype=np.float64)
        if m > 0:
            if solver == "primal":
                # G = Sa^T Sa (overlaps of the columns' sample-bit vectors), centered.
                St = Sa.T.tocsr()
                cols = _core.sdr_pack(St.indptr.astype(np.int64), St.indices.astype(np.uint32), n)
                G = _core.sdr_overlaps(cols, cols, threads).astype(np.float64)
                G -= n * np.outer(s_mean, s_mean)
                G[np.diag_indices_from(G)] += alpha
                R = np.asarray(Sa.T @ Y) - n * np.outer(s_mean, y_mean)
                W = scipy.linalg.cho_solve(scipy.linalg.cho_factor(G, overwrite_a=True, check_finite=False), R,
                                           overwrite_b=True, check_finite=False)
            else:
                rows = _core.sdr_pack(Sa.indptr.astype(np.int64), Sa.indices.astype(np.uint32), m)
                K = _core.sdr_overlaps(rows, rows, threads).astype(np.float64)
                u = np.asarray(Sa @ s_mean).ravel()  # S s_mean
                K -= u[:, None]
                K -= u[None, :]
                K += float(s_mean @ s_mean)
                K[np.diag_indices_from(K)] += alpha
                A = scipy.linalg.cho_solve(scipy.linalg.cho_factor(K, overwrite_a=True, check_finite=False),
                                           Y - y_mean, check_finite=False)
                W = np.asarray(Sa.T @ A) - np.outer(s_mean, A.sum(axis=0))
            coef[active] = W
        self.coef_ = coef.astype(np.float32)
        self.intercept_ = (y_mean - s_mean @ coef[active]).astype(np.float32) if m > 0 else y_mean.astype(np.float32)
        self.solver_ = solver
        self.n_columns_ = width
        return self

    def reconstruct(self, sdrs) -> np.ndarray:
        _check_fitted(self, "coef_")
        indptr, indices, _, _ = as_sdr_csr(sdrs, self.n_columns_)
        out = _sum_rows(indptr, indices, self.coef_, n_threads=_check_threads(self.n_threads))
        out += self.intercept_
        if self.clip is not None:
            lo, hi = _check_range(self.clip)
            np.clip(out, lo, hi, out=out)
        return out


def _targets(X, n) -> np.ndarray:
    x = check_real_dtype(np.asarray(X), "X")
    if x.ndim < 1 or x.shape[0] != n:
        raise ValueError(f"X must have one row per SDR ({n}); got shape {x.shape}")
    x = x.reshape(n, -1).astype(np.float64)
    if x.shape[1] < 1:
        raise ValueError("X must have at least one feature per sample")
    return check_finite(x, "X")


# ---------------------------------------------------------------------------
class NearestSDR(_Reconstructor):
    """Input of the best-overlapping training SDR (or a weighted top-k average).

    Parameters
    ----------
    k : int >= 1, default 1
        Neighbours per query (at most the training-set size).
    weighting : {"overlap", "uniform"}, default "overlap"
        Top-k average weighted by overlap (uniform when every overlap is 0) or plain.
    algorithm : {"exact", "pynndescent"}, default "exact"
        "exact": the C++ popcount kernel over packed SDRs (overlaps decreasing,
        ties to the lower training index). "pynndescent": approximate search with
        pynndescent (not a dependency; ImportError when missing) under the
        Jaccard distance, which ranks like the overlap when all SDRs have the
        same number of active bits; the returned overlaps are exact.
    n_threads : int in [1, 1024], default 1

    Attributes: ``database_`` (packed training SDRs), ``targets_`` (n_train,
    n_inputs) float32, ``n_columns_``.
    """

    def __init__(self, k=1, weighting="overlap", algorithm="exact", n_threads=1):
        self.k = k
        self.weighting = weighting
        self.algorithm = algorithm
        self.n_threads = n_threads

    def _validate(self):
        _check_int(self.k, "k", 1)
        _check_choice(self.weighting, "weighting", ("overlap", "uniform"))
        _check_choice(self.algorithm, "algorithm", ("exact", "pynndescent"))
        return _check_threads(self.n_threads)

    def fit(self, sdrs, X):
        threads = self._validate()
        indptr, indices, n, width = as_sdr_csr(sdrs)
        if self.k > n:
            raise ValueError(f"k must be in [1, {n}] (the number of training SDRs); got {self.k}")
        self.targets_ = np.ascontiguousarray(_targets(X, n), dtype=np.float32)
        self.database_ = _core.sdr_pack(indptr, indices, width)
        self.n_columns_ = width
        if self.algorithm == "pynndescent":
            try:
                import pynndescent
            except ImportError:
                raise ImportError("algorithm='pynndescent' needs the pynndescent package (pip install pynndescent); "
                                  "algorithm='exact' needs nothing") from None
            dense = _sdr_matrix(indptr, indices, n, width, bool).toarray()
            self.index_ = pynndescent.NNDescent(dense, metric="jaccard", n_jobs=threads, random_state=0)
        return self

    def kneighbors(self, sdrs):
        """(indices, overlaps), each (n_queries, k) uint32, overlaps decreasing."""
        threads = self._validate()
        _check_fitted(self, "database_")
        indptr, indices, n, _ = as_sdr_csr(sdrs, self.n_columns_)
        queries = _core.sdr_pack(indptr, indices, self.n_columns_)
        if self.algorithm == "exact":
            return _core.sdr_topk(self.database_, queries, self.k, threads)
        dense = _sdr_matrix(indptr, indices, n, self.n_columns_, bool).toarray()
        idx, _ = self.index_.query(dense, k=self.k)
        idx = idx.astype(np.uint32)
        ov = np.empty_like(idx)
        for j in range(self.k):  # exact overlaps of the returned neighbours, then the same order as "exact"
            ov[:, j] = [_core.sdr_overlaps(self.database_[i : i + 1], queries[r : r + 1], 1)[0, 0]
                        for r, i in enumerate(idx[:, j])]
        order = np.lexsort((idx, -ov.astype(np.int64)), axis=1)
        return np.take_along_axis(idx, order, 1), np.take_along_axis(ov, order, 1)

    def reconstruct(self, sdrs) -> np.ndarray:
        threads = self._validate()
        _check_fitted(self, "database_")
        idx, ov = self.kneighbors(sdrs)
        n, k = idx.shape
        if k == 1:
            return self.targets_[idx[:, 0]]
        if self.weighting == "overlap":
            w = ov.astype(np.float64)
            tot = w.sum(axis=1, keepdims=True)
            w = np.where(tot > 0, w / np.where(tot > 0, tot, 1), 1.0 / k)
        else:
            w = np.full((n, k), 1.0 / k)
        indptr = np.arange(0, n * k + 1, k, dtype=np.int64)
        return _sum_rows(indptr, np.ascontiguousarray(idx.ravel()), self.targets_,
                         np.ascontiguousarray(w.ravel(), dtype=np.float32), threads)


# ---------------------------------------------------------------------------
class SOMPrototypes(_Reconstructor):
    """Reconstruction through an encoder's own ``inverse_transform``.

    The hook for the SOM encoder (its best-matching units' prototypes): any
    object with ``inverse_transform(codes)`` works. ``fit(X)`` fits the wrapped
    object on X when X is given; ``reconstruct(codes)`` returns
    ``inverse_transform(codes)`` as a (n_samples, n_inputs) float32 array.
    """

    def __init__(self, som=None):
        self.som = som

    def _check(self):
        if not callable(getattr(self.som, "inverse_transform", None)):
            raise TypeError(f"som must have an inverse_transform method; got {type(self.som).__name__}")

    def fit(self, X=None, y=None):
        self._check()
        if X is not None:
            self.som.fit(X)
        return self

    def reconstruct(self, codes) -> np.ndarray:
        self._check()
        out = np.asarray(self.som.inverse_transform(codes), dtype=np.float32)
        return out.reshape(out.shape[0], -1) if out.ndim > 1 else out.reshape(1, -1)


# ---------------------------------------------------------------------------
class MLPDecoder(_Reconstructor):
    """Non-linear decoder SDR -> input: scikit-learn's ``MLPRegressor`` on the
    binary SDRs (kept sparse), identity output, squared loss.

    Parameters
    ----------
    hidden_layer_sizes : tuple of ints >= 1, default (256,)
    alpha : float >= 0, default 1e-4
        L2 penalty.
    max_iter : int >= 1, default 30
        Epochs of the adam solver.
    batch_size : int >= 1, default 200
    learning_rate_init : float > 0, default 1e-3
    random_state : int >= 0, default 0
        Weight initialization and batch order: the same fit for the same data.
    clip : None or (low, high), default (0.0, 1.0)
        Clip reconstructions to this range.

    Attributes: ``mlp_`` (the fitted MLPRegressor), ``n_columns_``.
    Convergence warnings of a short ``max_iter`` are silenced: the epoch budget
    is a deliberate choice, not a failure.
    """

    def __init__(self, hidden_layer_sizes=(256,), alpha=1e-4, max_iter=30, batch_size=200,
                 learning_rate_init=1e-3, random_state=0, clip=(0.0, 1.0)):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.alpha = alpha
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.random_state = random_state
        self.clip = clip

    def _validate(self):
        try:
            sizes = tuple(self.hidden_layer_sizes)
        except TypeError:
            raise TypeError("hidden_layer_sizes must be a tuple of integers >= 1; "
                            f"got {self.hidden_layer_sizes!r}") from None
        if not sizes:
            raise ValueError("hidden_layer_sizes must name at least one layer")
        for s in sizes:
            _check_int(s, "hidden_layer_sizes", 1)
        _check_real(self.alpha, "alpha", 0.0)
        _check_int(self.max_iter, "max_iter", 1)
        _check_int(self.batch_size, "batch_size", 1)
        _check_real(self.learning_rate_init, "learning_rate_init", 0.0, lo_open=True)
        _check_int(self.random_state, "random_state", 0, 2**32 - 1)
        if self.clip is not None:
            _check_range(self.clip)
        return sizes

    def fit(self, sdrs, X):
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPRegressor

        sizes = self._validate()
        indptr, indices, n, width = as_sdr_csr(sdrs)
        Y = _targets(X, n).astype(np.float32)
        S = _sdr_matrix(indptr, indices, n, width, np.float32)
        self.mlp_ = MLPRegressor(hidden_layer_sizes=sizes, alpha=float(self.alpha), max_iter=int(self.max_iter),
                                 batch_size=min(int(self.batch_size), n), solver="adam",
                                 learning_rate_init=float(self.learning_rate_init),
                                 random_state=int(self.random_state), shuffle=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.mlp_.fit(S, Y)
        self.n_columns_ = width
        return self

    def reconstruct(self, sdrs) -> np.ndarray:
        self._validate()
        _check_fitted(self, "mlp_")
        indptr, indices, n, _ = as_sdr_csr(sdrs, self.n_columns_)
        S = _sdr_matrix(indptr, indices, n, self.n_columns_, np.float32)
        out = np.asarray(self.mlp_.predict(S), dtype=np.float32).reshape(n, -1)
        if self.clip is not None:
            lo, hi = _check_range(self.clip)
            np.clip(out, lo, hi, out=out)
        return out


# ---------------------------------------------------------------------------
class MatchingPursuit(BaseEstimator):
    """Dictionary encoder baseline: greedy matching pursuit over positioned image patches.

    Atoms: ``n_atoms`` patches of ``patch_size`` x ``patch_size`` pixels cut from the
    training images and kept **at their position** in the image (zero elsewhere),
    each scaled to unit Euclidean norm. They are drawn uniformly without
    replacement among all (image, position) pairs whose patch is not all zero,
    with the project's PRNG (``random_seed``; docs/rng.md), so a seed gives the
    same dictionary on every platform.

    Encoding (plain matching pursuit): start with residual r = x; repeat: pick the
    atom d_j with the largest |<d_j, r>| (ties: the lower atom index), add
    <d_j, r> to its coefficient, subtract <d_j, r> d_j from r; stop after
    ``n_nonzero`` selections or when ||r|| <= ``tol`` ||x||. An atom may be picked
    again, so a code has at most ``n_nonzero`` non-zero coefficients. The
    correlations are updated through the atoms' Gram matrix, and all samples of a
    batch advance together.

    Parameters
    ----------
    n_atoms : int >= 1, default 1024
    patch_size : int >= 1, default 7 (at most the image side)
    image_shape : (rows, cols), default (28, 28)
    n_nonzero : int >= 1, default 32
        Atom budget per sample (selections).
    tol : float in [0, 1), default 1e-4
        Relative residual norm at which a sample stops early.
    random_seed : int in [0, 2**64), default 0
    atoms : None or array (n_atoms, rows * cols), default None
        Use this dictionary instead of sampling one (rows are unit-normalized;
        an all-zero row is rejected); ``fit`` then needs no data.

    Attributes: ``components_`` (n_atoms, n_pixels) float32 unit-norm atoms,
    ``positions_`` (n_atoms, 3) int: (training image, top row, left column) of
    each sampled atom (-1 for given atoms).
    """

    def __init__(self, n_atoms=1024, patch_size=7, image_shape=(28, 28), n_nonzero=32, tol=1e-4, random_seed=0,
                 atoms=None):
        self.n_atoms = n_atoms
        self.patch_size = patch_size
        self.image_shape = image_shape
        self.n_nonzero = n_nonzero
        self.tol = tol
        self.random_seed = random_seed
        self.atoms = atoms

    def _shape(self):
        try:
            rows, cols = (int(v) for v in self.image_shape)
        except (TypeError, ValueError):
            raise TypeError(f"image_shape must be a pair of integers (rows, cols); got {self.image_shape!r}") from None
        if rows < 1 or cols < 1:
            raise ValueError(f"image_shape must be positive; got {self.image_shape!r}")
        return rows, cols

    def fit(self, X=None, y=None):
        """Sample the dictionary from training images X ((n, rows * cols) or (n, rows, cols)),
        or take ``atoms``."""
        rows, cols = self._shape()
        _check_int(self.n_nonzero, "n_nonzero", 1)
        _check_real(self.tol, "tol", 0.0, 1.0)
        if self.atoms is not None:
            D = np.array(self.atoms, dtype=np.float64)
            if D.ndim != 2 or D.shape[0] < 1 or D.shape[1] != rows * cols:
                raise ValueError(f"atoms must have shape (n_atoms, {rows * cols}); got {D.shape}")
            check_finite(D, "atoms")
            norms = np.linalg.norm(D, axis=1)
            if np.any(norms == 0):
                raise ValueError("atoms must not contain an all-zero row")
            self.components_ = (D / norms[:, None]).astype(np.float32)
            self.positions_ = np.full((D.shape[0], 3), -1, dtype=np.int64)
        else:
            if X is None:
                raise ValueError("fit needs training images X (or pass atoms=...)")
            self.components_, self.positions_ = self._sample_atoms(_images(X, rows, cols, "X"), rows, cols)
        gram = self.components_.astype(np.float64) @ self.components_.T.astype(np.float64)
        self.gram_ = gram.astype(np.float32)
        return self

    def _sample_atoms(self, imgs, rows, cols):
        n_atoms = _check_int(self.n_atoms, "n_atoms", 1)
        p = _check_int(self.patch_size, "patch_size", 1, min(rows, cols))
        seed = _check_int(self.random_seed, "random_seed", 0, 2**64 - 1)
        # Patch sums for every top-left corner from a summed-area table: an empty patch
        # would be a zero atom (no direction to normalize).
        sat = np.zeros((imgs.shape[0], rows + 1, cols + 1))
        sat[:, 1:, 1:] = np.abs(imgs).cumsum(axis=1).cumsum(axis=2)
        sums = sat[:, p:, p:] - sat[:, :-p, p:] - sat[:, p:, :-p] + sat[:, :-p, :-p]
        candidates = np.flatnonzero(sums.reshape(-1) > 0)
        if candidates.size < n_atoms:
            raise ValueError(f"n_atoms must be at most the number of non-empty {p}x{p} patches in X "
                             f"({candidates.size}); got {n_atoms}")
        pick = np.flatnonzero(_core.random_sdrs(1, candidates.size, n_atoms, seed)[0])
        img, corner = np.divmod(candidates[pick], sums.shape[1] * sums.shape[2])
        top, left = np.divmod(corner, sums.shape[2])
        D = np.zeros((n_atoms, rows, cols), dtype=np.float64)
        for a, (i, r, c) in enumerate(zip(img, top, left)):
            D[a, r:r + p, c:c + p] = imgs[i, r:r + p, c:c + p]
        D = D.reshape(n_atoms, -1)
        D /= np.linalg.norm(D, axis=1, keepdims=True)
        return D.astype(np.float32), np.stack([img, top, left], axis=1).astype(np.int64)

    def encode(self, X, n_nonzero=None):
        """Sparse codes: scipy.sparse CSR (n_samples, n_atoms) float32 coefficients.
        ``n_nonzero`` overrides the atom budget: an int >= 1 for every sample, or a
        (n_samples,) array of per-sample budgets (e.g. each digit's SDR size)."""
        _check_fitted(self, "components_")
        rows, cols = self._shape()
        x = _images(X, rows, cols, "X").reshape(-1, rows * cols)
        n = x.shape[0]
        budget = self._budgets(n_nonzero, n)
        tol = _check_real(self.tol, "tol", 0.0, 1.0)
        D, G = self.components_, self.gram_
        corr = x @ D.T  # <d_j, r> for r = x
        energy = np.einsum("ij,ij->i", x, x).astype(np.float64)
        stop = (tol * tol) * energy
        coef = np.zeros((n, D.shape[0]), dtype=np.float32)
        active = np.flatnonzero((budget > 0) & (energy > stop) & (energy > 0))
        step = 0
        while active.size:
            c = corr[active]
            j = np.argmax(np.abs(c), axis=1)
            a = c[np.arange(active.size), j]
            coef[active, j] += a
            # <d_k, r - a d_j> = <d_k, r> - a G[j, k]; ||r - a d_j||^2 = ||r||^2 - a^2
            corr[active] = c - a[:, None] * G[j]
            energy[active] -= a.astype(np.float64) ** 2
            step += 1
            active = active[(step < budget[active]) & (energy[active] > stop[active])]
        return sparse.csr_matrix(coef)

    def _budgets(self, n_nonzero, n):
        if n_nonzero is None:
            return np.full(n, _check_int(self.n_nonzero, "n_nonzero", 1), dtype=np.int64)
        if np.ndim(n_nonzero) == 0:
            return np.full(n, _check_int(n_nonzero, "n_nonzero", 1), dtype=np.int64)
        b = np.asarray(n_nonzero)
        if not np.issubdtype(b.dtype, np.integer) or b.shape != (n,):
            raise ValueError(f"n_nonzero must be an integer or an integer array of shape ({n},); "
                             f"got {b.dtype} {b.shape}")
        if np.any(b < 0):
            raise ValueError("n_nonzero must be >= 0 per sample")
        return b.astype(np.int64)

    def reconstruct(self, codes) -> np.ndarray:
        """Images from codes: codes @ atoms, (n_samples, n_pixels) float32."""
        _check_fitted(self, "components_")
        c = codes if sparse.issparse(codes) else np.atleast_2d(np.asarray(codes, dtype=np.float32))
        if c.shape[1] != self.components_.shape[0]:
            raise ValueError(f"codes must have {self.components_.shape[0]} columns (one per atom); got {c.shape[1]}")
        return np.asarray(c @ self.components_, dtype=np.float32)

    transform = encode
    inverse_transform = reconstruct


def _images(X, rows, cols, name) -> np.ndarray:
    a = check_real_dtype(np.asarray(X), name)
    if a.ndim == 1:
        a = a[None]
    if a.size == 0 or a[0].size != rows * cols:
        raise ValueError(f"{name} must have {rows * cols} values per image (image_shape {rows}x{cols}); "
                         f"got shape {np.shape(X)}")
    return check_finite(a.reshape(-1, rows, cols).astype(np.float32), name)
