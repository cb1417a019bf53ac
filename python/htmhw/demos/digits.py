"""The SP on the embedded 8x8 digits (`htmhw demo`): train, SDR classifier vs raw pixels,
throughput, a figure of digits and their SDRs."""
from __future__ import annotations

import json
import time
from pathlib import Path

DEMO_DIGITS_HELD_OUT = 100  # test digits `htmhw demo` always keeps out of the 1,797


def run_demo(out_dir: Path, seed: int, n_train: int, epochs: int, quiet: bool) -> dict:
    from ..configs import named_config
    from ..datasets import load_digits_binary
    from ..metrics import classification_accuracy
    from ..sp import SpatialPooler

    X, y = load_digits_binary()
    if not 10 <= n_train <= len(X) - DEMO_DIGITS_HELD_OUT:
        raise ValueError(f"--n-train must be in [10, {len(X) - DEMO_DIGITS_HELD_OUT}] (the {len(X)} digits less "
                         f"{DEMO_DIGITS_HELD_OUT} held out for testing); got {n_train}")
    flat = X.reshape(len(X), -1)
    sp = SpatialPooler(**dict(named_config("digits"), seed=seed))
    t0 = time.perf_counter()
    for _ in range(epochs):
        sp.compute(flat[:n_train], learn=True, output="sparse")
    learn_s = time.perf_counter() - t0
    train_sdr = sp.infer(flat[:n_train], output="sparse")
    t0 = time.perf_counter()
    test_sdr = sp.infer(flat[n_train:], output="sparse")
    infer_s = time.perf_counter() - t0
    sdr_acc = classification_accuracy(train_sdr, y[:n_train], test_sdr, y[n_train:])
    raw_acc = classification_accuracy(flat[:n_train], y[:n_train], flat[n_train:], y[n_train:])
    sparsity = float(test_sdr.sum() / (test_sdr.shape[0] * sp.num_columns))
    result = {
        "dataset": "sklearn digits 8x8 (binarized > 7)",
        "n_train": int(n_train),
        "n_test": int(len(X) - n_train),
        "num_columns": sp.num_columns,
        "sdr_sparsity": round(sparsity, 4),
        "accuracy_sdr": round(float(sdr_acc), 4),
        "accuracy_raw_pixels": round(float(raw_acc), 4),
        "epochs": int(epochs),
        "learn_steps_per_s": round(epochs * n_train / learn_s, 1),
        "infer_steps_per_s": round((len(X) - n_train) / infer_s, 1),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    figure = out_dir / "digits_sdrs.png"
    _plot_examples(flat[n_train : n_train + 6], test_sdr[:6].toarray(), (8, 8), (32, 32), figure,
                   y[n_train : n_train + 6])
    result["figure"] = str(figure)
    (out_dir / "demo.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def _plot_examples(inputs, sdrs, input_shape, sdr_shape, path, labels):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(inputs)
    fig, axes = plt.subplots(2, n, figsize=(1.6 * n, 3.4))
    for i in range(n):
        axes[0, i].imshow(inputs[i].reshape(input_shape), cmap="gray_r")
        axes[1, i].imshow(sdrs[i].reshape(sdr_shape), cmap="gray_r", interpolation="nearest")
        axes[0, i].set_title(f"digit {labels[i]}", fontsize=9)
        for ax in axes[:, i]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel("input")
    axes[1, 0].set_ylabel("SDR")
    fig.suptitle("htmhw float spatial pooler: test digits and their SDRs (32x32 columns, black = active)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
