"""Operations on sparse distributed representations (SDRs).

An SDR is a binary vector. Functions accept a single SDR (1-D array of 0/1 or
bool) or a batch (2-D array, or a scipy.sparse matrix, one SDR per row) and
return a scalar or one value per row. Pairwise functions broadcast a single SDR
against a batch.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sparse


def _as_bool(x, name):
    if sparse.issparse(x):
        x = x.toarray()
    a = np.asarray(x)
    if a.ndim not in (1, 2):
        raise ValueError(f"{name} must be a 1-D SDR or a 2-D batch of SDRs; got {a.ndim} dimensions")
    if a.dtype != np.bool_:
        if not np.issubdtype(a.dtype, np.number) or np.issubdtype(a.dtype, np.complexfloating):
            raise TypeError(f"{name} must be a binary numeric or bool array; got dtype {a.dtype}")
        if np.any((a != 0) & (a != 1)):
            raise ValueError(f"{name} must be binary (0 or 1)")
        a = a.astype(bool)
    return a


def _pair(a, b):
    a, b = _as_bool(a, "a"), _as_bool(b, "b")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"a and b must have the same SDR width; got {a.shape[-1]} and {b.shape[-1]}")
    return a, b


def sparsity(sdr):
    """Fraction of active bits (per row for a batch)."""
    a = _as_bool(sdr, "sdr")
    return a.mean(axis=-1)


def overlap(a, b):
    """Number of bits active in both."""
    a, b = _pair(a, b)
    return np.logical_and(a, b).sum(axis=-1)


def union(a, b=None):
    """Bitwise OR of two SDRs/batches, or of all rows of one batch when b is None."""
    if b is None:
        a = _as_bool(a, "a")
        return a.any(axis=0) if a.ndim == 2 else a.copy()
    a, b = _pair(a, b)
    return np.logical_or(a, b)


def intersection(a, b=None):
    """Bitwise AND of two SDRs/batches, or of all rows of one batch when b is None."""
    if b is None:
        a = _as_bool(a, "a")
        return a.all(axis=0) if a.ndim == 2 else a.copy()
    a, b = _pair(a, b)
    return np.logical_and(a, b)


def jaccard(a, b):
    """|a AND b| / |a OR b|; defined as 1.0 when both are empty."""
    a, b = _pair(a, b)
    inter = np.logical_and(a, b).sum(axis=-1)
    uni = np.logical_or(a, b).sum(axis=-1)
    return np.where(uni == 0, 1.0, inter / np.maximum(uni, 1))


def add_noise(sdr, fraction, seed=None):
    """Move `fraction` (in [0, 1]) of each SDR's active bits to inactive positions.

    The number of active bits is preserved: round(fraction * active) active bits
    are switched off and the same number of previously inactive bits switched on
    (capped by the number of inactive bits). Uses numpy's PCG64 seeded by `seed`.
    """
    is_number = (isinstance(fraction, (int, float, np.integer, np.floating))
                 and not isinstance(fraction, (bool, np.bool_)))
    if not is_number or not 0.0 <= float(fraction) <= 1.0:
        raise ValueError(f"fraction must be a number in [0, 1]; got {fraction!r}")
    a = _as_bool(sdr, "sdr")
    single = a.ndim == 1
    batch = np.atleast_2d(a).copy()
    rng = np.random.default_rng(seed)
    for row in batch:
        on = np.flatnonzero(row)
        off = np.flatnonzero(~row)
        k = min(int(round(float(fraction) * on.size)), off.size)
        if k == 0:
            continue
        row[rng.choice(on, size=k, replace=False)] = False
        row[rng.choice(off, size=k, replace=False)] = True
    return batch[0] if single else batch


__all__ = ["sparsity", "overlap", "union", "intersection", "jaccard", "add_noise"]
