"""Novelty detection from SDRs.

:class:`OverlapNoveltyDetector` stores the SDRs of known (training) inputs and
scores a new SDR by how well it overlaps them: a novel input activates
columns that no stored input activated together. The overlaps are exact
(popcount of AND over bit-packed SDRs, the C++ top-k kernel also used by
:class:`htmhw.reconstruct.NearestSDR`). :func:`roc_auc` scores a detector
(scikit-learn's ``roc_auc_score``). The MNIST held-out-class study is in
benchmarks/robustness.py and docs/robustness.md.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.metrics import roc_auc_score

from . import _core
from ._validation import check_choice, check_finite, check_fitted, check_int, check_real_dtype, check_threads
from .sdr import as_sdr_csr

__all__ = ["OverlapNoveltyDetector", "roc_auc"]


class OverlapNoveltyDetector(BaseEstimator):
    """Familiarity of an SDR = its best overlap with the stored training SDRs.

    Parameters
    ----------
    k : int >= 1, default 1
        Average the k largest overlaps (at most the number of stored SDRs).
    normalize : {"query", "none"}, default "query"
        "query": divide by the query's number of active bits, so scores are in
        [0, 1] (1 = some stored SDR contains every active bit of the query);
        a query with no active bit scores 0. "none": raw overlap counts.
    n_threads : int in [1, htmhw.MAX_THREADS], default 1

    ``score_samples`` follows scikit-learn's outlier detectors: higher = more
    normal. ``novelty_scores`` is its negation (higher = more novel), the
    orientation :func:`roc_auc` expects.

    Attributes: ``database_`` (packed SDRs), ``n_columns_``, ``n_stored_``.
    """

    def __init__(self, k=1, normalize="query", n_threads=1):
        self.k = k
        self.normalize = normalize
        self.n_threads = n_threads

    def _validate(self):
        check_int(self.k, "k", 1)
        check_choice(self.normalize, "normalize", ("query", "none"))
        return check_threads(self.n_threads)

    def fit(self, sdrs, y=None):
        """Store the SDRs of the known inputs (any form accepted by htmhw.reconstruct)."""
        self._validate()
        indptr, indices, n, width = as_sdr_csr(sdrs)
        if self.k > n:
            raise ValueError(f"k must be in [1, {n}] (the number of stored SDRs); got {self.k}")
        self.database_ = _core.sdr_pack(indptr, indices, width)
        self.n_columns_ = width
        self.n_stored_ = n
        return self

    def score_samples(self, sdrs) -> np.ndarray:
        """(n_samples,) float64 familiarity: mean of the k best overlaps (normalized per ``normalize``)."""
        threads = self._validate()
        check_fitted(self, "database_")
        indptr, indices, _, _ = as_sdr_csr(sdrs, self.n_columns_)
        queries = _core.sdr_pack(indptr, indices, self.n_columns_)
        _, overlaps = _core.sdr_topk(self.database_, queries, self.k, threads)
        score = overlaps.astype(np.float64).mean(axis=1)
        if self.normalize == "query":
            active = np.diff(indptr).astype(np.float64)
            score = np.divide(score, active, out=np.zeros_like(score), where=active > 0)
        return score

    def novelty_scores(self, sdrs) -> np.ndarray:
        """-score_samples: higher = more novel."""
        return -self.score_samples(sdrs)


def roc_auc(scores_known, scores_novel) -> float:
    """ROC AUC of a novelty score (higher = more novel) separating novel from known samples.

    1.0: every novel sample scores above every known one; 0.5: no better than
    chance (also when every score is equal); 0.0: perfectly reversed. Computed by
    scikit-learn's ``roc_auc_score`` with novel = positive class.
    """
    known = _scores(scores_known, "scores_known")
    novel = _scores(scores_novel, "scores_novel")
    y = np.concatenate([np.zeros(known.size, dtype=np.int8), np.ones(novel.size, dtype=np.int8)])
    return float(roc_auc_score(y, np.concatenate([known, novel])))


def _scores(values, name) -> np.ndarray:
    a = check_real_dtype(np.asarray(values), name).astype(np.float64).reshape(-1)
    if a.size == 0:
        raise ValueError(f"{name} must hold at least one score")
    return check_finite(a, name)
