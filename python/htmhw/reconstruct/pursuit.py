"""A sparse-coding baseline that is not an SDR decoder: matching pursuit over 7x7 patches
of training digits in place."""
from __future__ import annotations


import numpy as np
import scipy.sparse as sparse
from sklearn.base import BaseEstimator

from .. import _core
from .._validation import check_finite, check_fitted, check_int, check_real, check_real_dtype



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
        check_int(self.n_nonzero, "n_nonzero", 1)
        check_real(self.tol, "tol", 0.0, 1.0)
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
        n_atoms = check_int(self.n_atoms, "n_atoms", 1)
        p = check_int(self.patch_size, "patch_size", 1, min(rows, cols))
        seed = check_int(self.random_seed, "random_seed", 0, 2**64 - 1)
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
        check_fitted(self, "components_")
        rows, cols = self._shape()
        x = _images(X, rows, cols, "X").reshape(-1, rows * cols)
        n = x.shape[0]
        budget = self._budgets(n_nonzero, n)
        tol = check_real(self.tol, "tol", 0.0, 1.0)
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
            return np.full(n, check_int(self.n_nonzero, "n_nonzero", 1), dtype=np.int64)
        if np.ndim(n_nonzero) == 0:
            return np.full(n, check_int(n_nonzero, "n_nonzero", 1), dtype=np.int64)
        b = np.asarray(n_nonzero)
        if not np.issubdtype(b.dtype, np.integer) or b.shape != (n,):
            raise ValueError(f"n_nonzero must be an integer or an integer array of shape ({n},); "
                             f"got {b.dtype} {b.shape}")
        if np.any(b < 0):
            raise ValueError("n_nonzero must be >= 0 per sample")
        return b.astype(np.int64)

    def reconstruct(self, codes) -> np.ndarray:
        """Images from codes: codes @ atoms, (n_samples, n_pixels) float32."""
        check_fitted(self, "components_")
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
