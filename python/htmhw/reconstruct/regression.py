"""Learned decoders SDR -> input: ridge regression in closed form (popcount Gram matrix,
primal or dual) and a multi-layer perceptron."""
from __future__ import annotations


import numpy as np
import scipy.linalg

from .. import _core
from .._validation import check_choice, check_fitted, check_int, check_range, check_real, check_threads
from ..sdr import _sdr_matrix, as_sdr_csr
from ._base import _Reconstructor, _sum_rows, _targets



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
    n_threads : int in [1, htmhw.MAX_THREADS], default 1

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
        alpha = check_real(self.alpha, "alpha", 0.0, lo_open=True)
        if not isinstance(self.fit_intercept, (bool, np.bool_)):
            raise TypeError(f"fit_intercept must be a bool; got {self.fit_intercept!r}")
        check_choice(self.solver, "solver", ("auto", "primal", "dual"))
        if self.clip is not None:
            check_range(self.clip)
        threads = check_threads(self.n_threads)
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
        check_fitted(self, "coef_")
        indptr, indices, _, _ = as_sdr_csr(sdrs, self.n_columns_)
        out = _sum_rows(indptr, indices, self.coef_, n_threads=check_threads(self.n_threads))
        out += self.intercept_
        if self.clip is not None:
            lo, hi = check_range(self.clip)
            np.clip(out, lo, hi, out=out)
        return out


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
            check_int(s, "hidden_layer_sizes", 1)
        check_real(self.alpha, "alpha", 0.0)
        check_int(self.max_iter, "max_iter", 1)
        check_int(self.batch_size, "batch_size", 1)
        check_real(self.learning_rate_init, "learning_rate_init", 0.0, lo_open=True)
        check_int(self.random_state, "random_state", 0, 2**32 - 1)
        if self.clip is not None:
            check_range(self.clip)
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
        check_fitted(self, "mlp_")
        indptr, indices, n, _ = as_sdr_csr(sdrs, self.n_columns_)
        S = _sdr_matrix(indptr, indices, n, self.n_columns_, np.float32)
        out = np.asarray(self.mlp_.predict(S), dtype=np.float32).reshape(n, -1)
        if self.clip is not None:
            lo, hi = check_range(self.clip)
            np.clip(out, lo, hi, out=out)
        return out
