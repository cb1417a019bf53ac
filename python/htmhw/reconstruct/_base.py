"""What every reconstruction method shares: pooler access (htmhw, NuPIC-style or scikit-learn
wrapper; float or fixed-point), receptive fields, the row-sum kernel and the training targets."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from .. import _core
from .._validation import check_fitted, check_real_dtype, check_finite


# ---------------------------------------------------------------------------
# pooler access (float or fixed-point; htmhw, nupic or sklearn wrappers)
def _pooler(sp):
    from ..estimator import SpatialPoolerTransformer
    from ..nupic import SpatialPooler as NupicSP
    from ..sp import SpatialPooler

    if isinstance(sp, SpatialPooler):
        return sp
    if isinstance(sp, NupicSP):
        return sp._pooler
    if isinstance(sp, SpatialPoolerTransformer):
        check_fitted(sp, "sp_")
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


def _targets(X, n) -> np.ndarray:
    x = check_real_dtype(np.asarray(X), "X")
    if x.ndim < 1 or x.shape[0] != n:
        raise ValueError(f"X must have one row per SDR ({n}); got shape {x.shape}")
    x = x.reshape(n, -1).astype(np.float64)
    if x.shape[1] < 1:
        raise ValueError("X must have at least one feature per sample")
    return check_finite(x, "X")


