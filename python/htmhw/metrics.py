"""Reconstruction quality: MSE, PSNR, SSIM, and bit precision/recall.

Every function takes the originals and the reconstructions as arrays of the
same shape: one sample (any shape) or a batch (n_samples, ...).

- ``mse``: mean of (x - y)^2 over every element of the batch.
- ``psnr``: 10 log10(data_range^2 / MSE) with the batch MSE (so one
  perfectly reconstructed sample does not make the mean infinite); inf when
  MSE is 0. ``per_sample=True`` gives one value per sample.
- ``ssim``: mean structural similarity of Wang et al. (2004) over the images.
  scikit-image's ``structural_similarity`` is used when it is installed,
  otherwise the implementation here, which computes the same quantity as
  scikit-image's defaults: 7x7 uniform windows, K1 = 0.01, K2 = 0.03,
  C1 = (K1 R)^2, C2 = (K2 R)^2 with R = data_range, sample (N - 1)
  (co)variances with N = 49, SSIM map
  ((2 mu_x mu_y + C1)(2 s_xy + C2)) / ((mu_x^2 + mu_y^2 + C1)(s_x^2 + s_y^2 + C2))
  averaged over the window centres at least 3 pixels from every border.
- ``bit_precision_recall``: for binary originals, the reconstruction is
  thresholded (``>= threshold``) and compared bit by bit, pooled over the
  batch. Precision = TP / (TP + FP), recall = TP / (TP + FN); a 0/0 ratio is
  NaN (nothing predicted, or nothing to find: undefined, not perfect).
- ``evaluate``: all of them; on an all-zero target (blank images, e.g. a
  binarization threshold above every pixel) PSNR and SSIM are NaN too, since a
  blank reconstruction of a blank image says nothing about the method.
- ``classification_accuracy``: test accuracy of the protocols' linear classifier
  (``protocol_classifier``: LogisticRegression(C=0.1, max_iter=300), docs/protocols.md).
"""
from __future__ import annotations

import numpy as np

from ._validation import check_finite, check_real_dtype

__all__ = ["mse", "psnr", "ssim", "bit_precision_recall", "evaluate", "protocol_classifier",
           "classification_accuracy"]

_WIN = 7
_K1, _K2 = 0.01, 0.03


def _pair(x, y):
    a, b = check_real_dtype(np.asarray(x), "x"), check_real_dtype(np.asarray(y), "y")
    if a.shape != b.shape:
        raise ValueError(f"x and y must have the same shape; got {a.shape} and {b.shape}")
    if a.size == 0:
        raise ValueError("x and y must not be empty")
    a, b = a.astype(np.float64), b.astype(np.float64)
    return check_finite(a, "x and y"), check_finite(b, "x and y")


def _data_range(data_range):
    if isinstance(data_range, (bool, np.bool_)) or not isinstance(data_range, (int, float, np.integer, np.floating)) \
            or not np.isfinite(data_range) or data_range <= 0:
        raise ValueError(f"data_range must be a finite number > 0; got {data_range!r}")
    return float(data_range)


def mse(x, y) -> float:
    """Mean squared error over every element."""
    a, b = _pair(x, y)
    return float(np.mean((a - b) ** 2))


def psnr(x, y, data_range=1.0, per_sample=False):
    """Peak signal-to-noise ratio in dB (see the module doc)."""
    r = _data_range(data_range)
    a, b = _pair(x, y)
    if per_sample:
        if a.ndim < 2:
            raise ValueError("per_sample=True needs a batch (n_samples, ...)")
        m = np.mean((a - b).reshape(a.shape[0], -1) ** 2, axis=1)
        with np.errstate(divide="ignore"):
            return np.where(m > 0, 10 * np.log10(r * r / np.where(m > 0, m, 1)), np.inf)
    m = float(np.mean((a - b) ** 2))
    return float("inf") if m == 0 else float(10 * np.log10(r * r / m))


def _images(a, image_shape):
    if image_shape is None:
        if a.ndim == 2:
            return a[None]
        if a.ndim == 3:
            return a
        raise ValueError("ssim needs images: a 2-D image, a (n, H, W) batch, or image_shape=(H, W)")
    h, w = (int(v) for v in image_shape)
    if a.size % (h * w):
        raise ValueError(f"image_shape {tuple(image_shape)} does not divide the data of shape {a.shape}")
    return a.reshape(-1, h, w)


def _ssim_htmhw(a, b, r):
    from scipy.ndimage import uniform_filter

    n_px = _WIN * _WIN
    cov_norm = n_px / (n_px - 1)
    c1, c2 = (_K1 * r) ** 2, (_K2 * r) ** 2
    pad = (_WIN - 1) // 2
    out = np.empty(a.shape[0])
    for i in range(a.shape[0]):
        x, y = a[i], b[i]
        f = lambda z: uniform_filter(z, size=_WIN)  # noqa: E731
        ux, uy = f(x), f(y)
        vx = cov_norm * (f(x * x) - ux * ux)
        vy = cov_norm * (f(y * y) - uy * uy)
        vxy = cov_norm * (f(x * y) - ux * uy)
        s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
        out[i] = s[pad:-pad, pad:-pad].mean()
    return out


def ssim(x, y, image_shape=None, data_range=1.0, implementation="auto", per_sample=False):
    """Mean SSIM over images (see the module doc).

    implementation: "auto" (scikit-image when importable, else "htmhw"),
    "skimage" or "htmhw". Images must be at least 7 x 7.
    """
    r = _data_range(data_range)
    if implementation not in ("auto", "skimage", "htmhw"):
        raise ValueError(f"implementation must be 'auto', 'skimage' or 'htmhw'; got {implementation!r}")
    a, b = _pair(x, y)
    a, b = _images(a, image_shape), _images(b, image_shape)
    if min(a.shape[1:]) < _WIN:
        raise ValueError(f"ssim needs images of at least {_WIN}x{_WIN}; got {a.shape[1:]}")
    fn = None
    if implementation in ("auto", "skimage"):
        try:
            from skimage.metrics import structural_similarity as fn
        except ImportError:
            if implementation == "skimage":
                raise ImportError("implementation='skimage' needs scikit-image (pip install scikit-image)") from None
    if fn is not None:
        vals = np.array([fn(a[i], b[i], data_range=r) for i in range(a.shape[0])])
    else:
        vals = _ssim_htmhw(a, b, r)
    return vals if per_sample else float(vals.mean())


def bit_precision_recall(x_true, x_rec, threshold=0.5):
    """(precision, recall) of the bits of binary originals, pooled over the batch."""
    a, b = _pair(x_true, x_rec)
    if np.any((a != 0) & (a != 1)):
        raise ValueError("x_true must be binary (0 or 1) for bit precision/recall")
    if not np.isfinite(threshold):
        raise ValueError(f"threshold must be finite; got {threshold!r}")
    t, p = a.astype(bool), b >= threshold
    tp = int(np.count_nonzero(t & p))
    fp = int(np.count_nonzero(~t & p))
    fn = int(np.count_nonzero(t & ~p))
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    return precision, recall


def evaluate(x_true, x_rec, image_shape=None, data_range=1.0, threshold=0.5) -> dict:
    """mse, psnr, ssim (when images: image_shape given or (n, H, W) data) and,
    for binary originals, bit_precision / bit_recall. An all-zero x_true gives NaN PSNR and SSIM."""
    a, b = _pair(x_true, x_rec)
    blank = not np.any(a)
    out = {"mse": mse(a, b), "psnr": float("nan") if blank else psnr(a, b, data_range)}
    if image_shape is not None or a.ndim == 3:
        out["ssim"] = float("nan") if blank else ssim(a, b, image_shape, data_range)
    if np.all((a == 0) | (a == 1)):
        out["bit_precision"], out["bit_recall"] = bit_precision_recall(a, b, threshold)
    return out


def protocol_classifier():
    """The linear classifier of the protocols (docs/protocols.md): a fresh
    ``LogisticRegression(C=0.1, max_iter=300)``."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=0.1, max_iter=300)


def classification_accuracy(train_features, train_labels, test_features, test_labels) -> float:
    """Accuracy on the test rows of ``protocol_classifier()`` fitted on the training rows
    (features: dense arrays or scipy sparse matrices, e.g. SDRs or raw pixels)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits  # a scikit-learn dependency

    # One BLAS thread: the same floating-point reduction order wherever this runs (a sweep's
    # worker, a test, the demo), and lbfgs was many times slower with 2 threads on a busy
    # 2-core machine (4.9 s instead of 0.15 s on 600 digits).
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        # max_iter=300 is part of the protocol; lbfgs not converging is expected on raw pixels.
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = protocol_classifier().fit(train_features, train_labels)
    return float(clf.score(test_features, test_labels))

