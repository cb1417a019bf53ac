"""Input checks shared by every Python entry point."""
from __future__ import annotations

import numbers

import numpy as np
from sklearn.exceptions import NotFittedError

from . import _core


def as_binary_matrix(x, num_inputs: int, name: str = "inputs") -> np.ndarray:
    """Return x as a C-contiguous (n, num_inputs) uint8 array of 0/1.

    Accepts a single input (any shape with num_inputs elements, e.g. the input
    dimensions) or a batch (n, ...) whose trailing axes hold num_inputs
    elements. bool, integer and float arrays are accepted when every value is
    exactly 0 or 1; anything else raises ValueError/TypeError naming `name`.
    """
    a = np.asarray(x)
    if a.dtype == object or not (a.dtype == np.bool_ or np.issubdtype(a.dtype, np.number)):
        raise TypeError(f"{name} must be a numeric or bool array; got dtype {a.dtype}")
    if np.issubdtype(a.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real-valued; got dtype {a.dtype}")
    if a.ndim >= 1 and a.size == num_inputs:
        a = a.reshape(1, num_inputs)
    elif a.ndim >= 2 and int(np.prod(a.shape[1:])) == num_inputs:
        a = a.reshape(a.shape[0], num_inputs)
    else:
        raise ValueError(
            f"{name} must have {num_inputs} values per sample (shape ({num_inputs},) or (n_samples, {num_inputs})); "
            f"got shape {np.shape(x)}"
        )
    if a.dtype == np.bool_:
        return np.ascontiguousarray(a, dtype=np.uint8)
    if np.issubdtype(a.dtype, np.floating) and not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinity; it must be binary (0 or 1)")
    bad = (a != 0) & (a != 1)
    if np.any(bad):
        idx = np.argwhere(bad)[0]
        raise ValueError(f"{name} must be binary (0 or 1); found {a[tuple(idx)]!r} "
                         f"at index {tuple(int(i) for i in idx)}")
    return np.ascontiguousarray(a, dtype=np.uint8)


def check_index(value, upper: int, name: str) -> int:
    """An integer in [0, upper) or ValueError/TypeError naming `name`."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer; got {value!r}")
    if not 0 <= int(value) < upper:
        raise ValueError(f"{name} must be in [0, {upper}); got {value}")
    return int(value)


def check_real_dtype(a: np.ndarray, name: str) -> np.ndarray:
    """``a`` itself if its dtype is real numeric or bool, else TypeError naming ``name``."""
    if a.dtype == object or not (a.dtype == np.bool_ or np.issubdtype(a.dtype, np.number)) \
            or np.issubdtype(a.dtype, np.complexfloating):
        raise TypeError(f"{name} must be a real numeric array; got dtype {a.dtype}")
    return a


def check_finite(a: np.ndarray, name: str) -> np.ndarray:
    """``a`` itself if every value is finite, else ValueError naming ``name``."""
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must not contain NaN or infinity")
    return a


# ---------------------------------------------------------------------------
# argument checks
def check_int(value, name, lo, hi=None):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer in [{lo}, {hi if hi is not None else 'inf'}]; got {value!r}")
    if value < lo or (hi is not None and value > hi):
        raise ValueError(f"{name} must be in [{lo}, {hi if hi is not None else 'inf'}]; got {value}")
    return int(value)


def check_real(value, name, lo, hi=None, lo_open=False):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    v = float(value)
    bad = not np.isfinite(v) or (v <= lo if lo_open else v < lo) or (hi is not None and v > hi)
    if bad:
        interval = f"{'(' if lo_open else '['}{lo}, {hi if hi is not None else 'inf'}{']' if hi is not None else ')'}"
        raise ValueError(f"{name} must be in {interval}; got {value!r}")
    return v


def check_choice(value, name, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {choices}; got {value!r}")
    return value


def check_fitted(obj, attr):
    if not hasattr(obj, attr):
        raise NotFittedError(f"This {type(obj).__name__} instance is not fitted yet; call fit first")


def check_range(input_range):
    try:
        lo, hi = (float(v) for v in input_range)
    except (TypeError, ValueError):
        raise TypeError(f"input_range must be a pair of numbers (low, high); got {input_range!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"input_range must be finite with low < high; got {input_range!r}")
    return lo, hi


def check_threads(n_threads, name: str = "n_threads") -> int:
    """A thread count in [1, htmhw._core.MAX_THREADS] (the C++ core's own limit)."""
    return check_int(n_threads, name, 1, _core.MAX_THREADS)
