"""htmhw.metrics (MSE, PSNR, SSIM, bit precision/recall, evaluate) against hand-computed values."""
import numpy as np
import pytest

from htmhw import metrics as M


def test_mse_psnr_hand_values():
    assert M.mse([0, 1, 1, 0], [1, 1, 1, 1]) == 0.5
    x, y = np.zeros((2, 4)), np.full((2, 4), 0.1)
    assert M.psnr(x, y) == pytest.approx(20.0)  # MSE 0.01 -> 10 log10(1 / 0.01)
    assert M.psnr(x, y, data_range=255) == pytest.approx(10 * np.log10(255 ** 2 / 0.01))
    assert M.psnr(x, x) == float("inf")
    y[0] = 0
    np.testing.assert_allclose(M.psnr(x, y, per_sample=True), [np.inf, 20.0])
    assert M.psnr(x, y) == pytest.approx(10 * np.log10(1 / 0.005))  # pooled MSE 0.005


def test_bit_precision_recall_hand_values():
    true = np.array([[1, 1, 0, 0], [1, 0, 0, 0]])
    rec = np.array([[0.9, 0.2, 0.7, 0.0], [0.5, 0.0, 0.0, 0.4]])
    # >= 0.5: predicted (0,0) (0,2) (1,0): TP 2, FP 1, FN 1
    assert M.bit_precision_recall(true, rec) == (2 / 3, 2 / 3)
    precision, recall = M.bit_precision_recall(true, np.zeros((2, 4)))
    assert np.isnan(precision) and recall == 0.0  # 0/0 precision (nothing predicted) is undefined
    blank = M.evaluate(np.zeros((2, 8, 8)), np.zeros((2, 8, 8)))
    assert blank["mse"] == 0.0 and all(np.isnan(blank[k]) for k in ("psnr", "ssim", "bit_precision", "bit_recall"))
    with pytest.raises(ValueError, match="binary"):
        M.bit_precision_recall(rec, true)


def _ssim_one_window(x, y, r=1.0):
    """SSIM of a 7x7 pair by the formula with global statistics (one window)."""
    x, y = x.astype(float).ravel(), y.astype(float).ravel()
    c1, c2 = (0.01 * r) ** 2, (0.03 * r) ** 2
    mx, my = x.mean(), y.mean()
    vx, vy = x.var(ddof=1), y.var(ddof=1)
    cxy = ((x - mx) * (y - my)).sum() / (x.size - 1)
    return (2 * mx * my + c1) * (2 * cxy + c2) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))


@pytest.mark.parametrize("impl", ["htmhw", "auto"])
def test_ssim_hand_values(impl):
    a = np.zeros((9, 9))
    b = np.full((9, 9), 0.1)
    # constant images: SSIM = C1 / (0.1^2 + C1) = 1e-4 / 0.0101 at every window centre
    assert M.ssim(a, b, implementation=impl) == pytest.approx(1e-4 / 0.0101, rel=1e-9)
    assert M.ssim(b, b, implementation=impl) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    x, y = rng.random((7, 7)), rng.random((7, 7))  # 7x7: a single window centre
    assert M.ssim(x, y, implementation=impl) == pytest.approx(_ssim_one_window(x, y), rel=1e-9)
    assert M.ssim(x, y, data_range=2.0, implementation=impl) == pytest.approx(_ssim_one_window(x, y, 2.0), rel=1e-9)
    batch = M.ssim(np.stack([x, b[:7, :7]]), np.stack([y, b[:7, :7]]), implementation=impl, per_sample=True)
    np.testing.assert_allclose(batch, [_ssim_one_window(x, y), 1.0], rtol=1e-9)
    flat = M.ssim(x.reshape(1, 49), y.reshape(1, 49), image_shape=(7, 7), implementation=impl)
    assert flat == pytest.approx(_ssim_one_window(x, y), rel=1e-9)


def test_metric_errors():
    with pytest.raises(ValueError, match="same shape"):
        M.mse(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="data_range"):
        M.psnr(np.zeros(3), np.zeros(3), data_range=0)
    with pytest.raises(ValueError, match="at least 7x7"):
        M.ssim(np.zeros((5, 5)), np.zeros((5, 5)))
    with pytest.raises(ValueError, match="implementation"):
        M.ssim(np.zeros((7, 7)), np.zeros((7, 7)), implementation="fast")
    # A blank target makes PSNR, SSIM and bit precision/recall undefined (NaN), not perfect;
    # a reconstruction equal to a non-blank target is perfect.
    ev = M.evaluate(np.zeros((2, 64)), np.zeros((2, 64)), image_shape=(8, 8))
    assert ev["mse"] == 0.0 and all(np.isnan(ev[k]) for k in ("psnr", "ssim", "bit_precision", "bit_recall"))
    x = np.zeros((2, 64))
    x[:, 3] = 1
    assert M.evaluate(x, x, image_shape=(8, 8)) == {"mse": 0.0, "psnr": float("inf"), "ssim": 1.0,
                                                     "bit_precision": 1.0, "bit_recall": 1.0}
