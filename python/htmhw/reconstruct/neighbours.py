"""Reconstruction by lookup: the input of the best-overlapping training SDR (or the
overlap-weighted mean of the top k), and a SOM's prototypes."""
from __future__ import annotations


import numpy as np

from .. import _core
from .._validation import check_choice, check_fitted, check_int, check_threads
from ..sdr import _sdr_matrix, as_sdr_csr
from ._base import _Reconstructor, _sum_rows, _targets



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
    n_threads : int in [1, htmhw.MAX_THREADS], default 1

    Attributes: ``database_`` (packed training SDRs), ``targets_`` (n_train,
    n_inputs) float32, ``n_columns_``.
    """

    def __init__(self, k=1, weighting="overlap", algorithm="exact", n_threads=1):
        self.k = k
        self.weighting = weighting
        self.algorithm = algorithm
        self.n_threads = n_threads

    def _validate(self):
        check_int(self.k, "k", 1)
        check_choice(self.weighting, "weighting", ("overlap", "uniform"))
        check_choice(self.algorithm, "algorithm", ("exact", "pynndescent"))
        return check_threads(self.n_threads)

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
        check_fitted(self, "database_")
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
        check_fitted(self, "database_")
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
