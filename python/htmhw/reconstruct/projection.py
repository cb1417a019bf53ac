"""Reconstruction from the pooler alone: back-projection of the active columns' receptive
fields, and the mHTM union rule (votes of connected synapses)."""
from __future__ import annotations


import numpy as np

from .._validation import check_choice, check_fitted, check_int, check_range, check_threads
from ..sdr import as_sdr_csr
from ._base import _Reconstructor, _receptive_fields, _sum_rows



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
    n_threads : int in [1, htmhw.MAX_THREADS], default 1

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
        check_choice(self.weights, "weights", ("connected", "permanence"))
        check_choice(self.normalize, "normalize", ("max", "count", "none"))
        check_threads(self.n_threads)
        return check_range(self.input_range)

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
    n_threads : int in [1, htmhw.MAX_THREADS], default 1

    Output values are 0.0 / 1.0 (float32).
    """

    def __init__(self, sp=None, threshold=1, n_threads=1):
        self.sp = sp
        self.threshold = threshold
        self.n_threads = n_threads

    def _validate(self):
        if not (isinstance(self.threshold, str) and self.threshold == "fit"):
            check_int(self.threshold, "threshold", 1)
        check_threads(self.n_threads)

    def votes(self, sdrs, fields=None) -> np.ndarray:
        """(n_samples, n_inputs) float32: number of active columns connected to each input."""
        check_threads(self.n_threads)
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
            check_fitted(self, "threshold_")
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
