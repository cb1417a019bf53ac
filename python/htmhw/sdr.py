"""Operations on sparse distributed representations (SDRs).

An SDR is a binary vector. Functions accept a single SDR (1-D array of 0/1 or
bool) or a batch (2-D array, or a scipy.sparse matrix, one SDR per row) and
return a scalar or one value per row. Pairwise functions broadcast a single SDR
against a batch.

Batches for the C++ kernels: :func:`as_sdr_csr` converts any batch form (sparse
matrix, dense 0/1, list of index arrays) to CSR arrays; :func:`pack_sdrs` packs it to
64-bit words; :func:`nearest_sdrs` and :func:`pairwise_overlaps` search packed SDRs
by overlap (popcount), with identical results for any thread count.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sparse

from . import _core
from ._validation import check_int, check_threads


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
    return _switch_off_active(sdr, fraction, seed, move=True)


def drop_bits(sdr, fraction, seed=None):
    """Switch off ``fraction`` (in [0, 1]) of each SDR's active bits: round(fraction * active)
    of them, chosen with numpy's PCG64 seeded by ``seed`` (as :func:`add_noise`)."""
    return _switch_off_active(sdr, fraction, seed, move=False)


def _switch_off_active(sdr, fraction, seed, move):
    """add_noise (move=True: each bit switched off is switched on elsewhere, as many as there
    are inactive bits) and drop_bits (move=False), one draw order: the active bits, then the
    inactive ones."""
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
        k = int(round(float(fraction) * on.size))
        if move:
            k = min(k, off.size)
        if k == 0:
            continue
        row[rng.choice(on, size=k, replace=False)] = False
        if move:
            row[rng.choice(off, size=k, replace=False)] = True
    return batch[0] if single else batch


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
        width = check_int(width, "width", 1)
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


def nearest_sdrs(database, queries, k: int = 1, n_threads: int = 1):
    """Exact top-k by overlap: (indices, overlaps), each (n_queries, k) uint32.

    ``database`` and ``queries`` are packed SDRs (:func:`pack_sdrs`) of the same
    width. Overlaps are in decreasing order; among equal overlaps the lower
    database index comes first. Identical results for any ``n_threads``.
    """
    db, q = _packed(database, "database"), _packed(queries, "queries")
    k = check_int(k, "k", 1, db.shape[0])
    return _core.sdr_topk(db, q, k, check_threads(n_threads))


def pairwise_overlaps(database, queries, n_threads: int = 1) -> np.ndarray:
    """(n_queries, n_database) uint32 overlaps of packed SDRs."""
    return _core.sdr_overlaps(_packed(database, "database"), _packed(queries, "queries"), check_threads(n_threads))


def _packed(a, name):
    if not isinstance(a, np.ndarray) or a.dtype != np.uint64 or a.ndim != 2:
        raise TypeError(f"{name} must be packed SDRs: a 2-D uint64 array from pack_sdrs")
    return np.ascontiguousarray(a)



SDR_FILE_FORMAT = "htmhw-sdrs"


def save_sdrs(path, sdrs, width: int | None = None, **arrays) -> None:
    """Write a batch of SDRs to ``path`` (.npz, written atomically): CSR arrays ``indptr``,
    ``indices`` and ``shape`` (what :func:`as_sdr_csr` accepts; ``width`` as there), a
    ``format`` marker, and any extra named numpy arrays (e.g. ``bmu_distances``, ``grid``).
    Read it with :func:`load_sdrs`."""
    import io

    from ._fileformat import atomic_write_bytes

    indptr, indices, n, w = as_sdr_csr(sdrs, width)
    reserved = {"format", "indptr", "indices", "shape"} & set(arrays)
    if reserved:
        raise ValueError(f"extra arrays must not be named {sorted(reserved)} (the SDRs' own arrays)")
    buf = io.BytesIO()
    np.savez_compressed(buf, format=np.array(SDR_FILE_FORMAT), indptr=indptr, indices=indices,
                        shape=np.array([n, w], dtype=np.int64), **{k: np.asarray(v) for k, v in arrays.items()})
    atomic_write_bytes(path, buf.getvalue())


def load_sdrs(path) -> tuple[sparse.csr_matrix, dict]:
    """(SDRs as a CSR uint8 matrix, the file's extra arrays) from a file of :func:`save_sdrs`;
    a dense 0/1 ``.npy`` (n_samples, n_units) is accepted too. ValueError naming the file when
    it is missing, foreign or inconsistent."""
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path} is not a file")
    try:
        if path.suffix.lower() == ".npy":
            indptr, indices, n, w = as_sdr_csr(np.load(path, allow_pickle=False), name=str(path))
            extra = {}
        else:
            with np.load(path, allow_pickle=False) as z:
                if "format" not in z or str(z["format"]) != SDR_FILE_FORMAT:
                    raise ValueError(f"is not an SDR file (no format {SDR_FILE_FORMAT!r}; write it with "
                                     "htmhw.sdr.save_sdrs or `htmhw som encode`)")
                n, w = (int(v) for v in z["shape"])
                indptr, indices = z["indptr"].astype(np.int64), z["indices"].astype(np.int64)
                extra = {k: z[k] for k in z.keys() if k not in ("format", "indptr", "indices", "shape")}
            if indptr.shape != (n + 1,) or indptr[0] != 0 or np.any(np.diff(indptr) < 0) or \
                    indptr[-1] != indices.size or (indices.size and (indices.min() < 0 or indices.max() >= w)):
                raise ValueError("holds inconsistent CSR arrays")
    except (OSError, EOFError, KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{path}: {e}" if str(e).startswith(("is not", "holds")) else
                         f"{path}: not a readable SDR file ({e})") from None
    m = sparse.csr_matrix((np.ones(indices.size, dtype=np.uint8), indices, indptr), shape=(n, w))
    return m, extra


__all__ = ["sparsity", "overlap", "union", "intersection", "jaccard", "add_noise", "drop_bits", "as_sdr_csr",
           "pack_sdrs", "nearest_sdrs", "pairwise_overlaps", "save_sdrs", "load_sdrs", "SDR_FILE_FORMAT"]
