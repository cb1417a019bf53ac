"""k-winners-take-all on its own (the rule the spatial poolers use).

Tie-break everywhere in htmhw: among equal scores the lower column index wins.
"""
from __future__ import annotations

import numbers

import numpy as np

from . import _core


def _scores(scores):
    a = np.asarray(scores)
    if a.ndim != 1 or np.iscomplexobj(a) or not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
        raise ValueError("scores must be a 1-D array of real numbers")
    if np.isnan(a).any():
        raise ValueError("scores must not contain NaN")
    # The kernel compares float32: a finite score beyond float32's range would silently become inf.
    big = np.isfinite(a) & (np.abs(a) > np.finfo(np.float32).max)
    if big.any():
        raise ValueError(f"scores must be within the float32 range (|score| <= {np.finfo(np.float32).max:.6g}) "
                         f"or infinite; found {a[big][0]!r}")
    return np.ascontiguousarray(a, dtype=np.float32)


def kwta_global(scores, k: int, threshold: float = -np.inf) -> np.ndarray:
    """Indices (ascending) of the k highest scores among those >= threshold.

    k: integer >= 0 (more than len(scores) selects all eligible).
    """
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral) or k < 0:
        raise ValueError(f"k must be an integer >= 0; got {k!r}")
    return _core.kwta_global(_scores(scores), int(k), float(threshold)).astype(np.intp)


def kwta_local(scores, column_dimensions, radius: int, density: float, threshold: float = -np.inf,
               wrap: bool = True) -> np.ndarray:
    """NuPIC's local inhibition: a column wins when fewer than
    int(0.5 + density * |neighbourhood|) columns of its hypercube neighbourhood
    (radius >= 0, wrap-around optional) beat it, counting equal-score neighbours
    of lower index that already won. density in (0, 1]."""
    if not 0 < float(density) <= 1:
        raise ValueError(f"density must be in (0, 1]; got {density!r}")
    if isinstance(radius, (bool, np.bool_)) or not isinstance(radius, numbers.Integral) or radius < 0:
        raise ValueError(f"radius must be an integer >= 0; got {radius!r}")
    dims = [int(d) for d in np.atleast_1d(column_dimensions)]
    if not dims or min(dims) < 1:
        raise ValueError(f"column_dimensions must be sizes >= 1; got {column_dimensions!r}")
    return _core.kwta_local(_scores(scores), dims, int(radius), bool(wrap), float(density),
                            float(threshold)).astype(np.intp)


__all__ = ["kwta_global", "kwta_local"]
