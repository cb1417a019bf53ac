"""The ``htmhw`` command line."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

# The demo's spatial pooler for the embedded 8x8 digits: 32x32 columns, each
# sampling 60 % of the whole 8x8 input, global kWTA with 10 % winners.
DIGITS_SP = dict(
    input_dimensions=(8, 8),
    column_dimensions=(32, 32),
    potential_radius=8,
    potential_pct=0.6,
    global_inhibition=True,
    local_area_density=0.1,
    stimulus_threshold=2,
    syn_perm_inactive_dec=0.005,
    syn_perm_active_inc=0.05,
    syn_perm_connected=0.2,
    min_pct_overlap_duty_cycle=0.01,
    duty_cycle_period=500,
    boost_strength=1.0,
    wrap_around=False,
)


def _classifier():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=0.1, max_iter=300)


def run_demo(out_dir: Path, seed: int, n_train: int, epochs: int, quiet: bool) -> dict:
    from .datasets import load_digits_binary
    from .sp import SpatialPooler

    X, y = load_digits_binary()
    n_train = min(n_train, len(X) - 100)
    flat = X.reshape(len(X), -1)
    sp = SpatialPooler(**DIGITS_SP, seed=seed)
    t0 = time.perf_counter()
    for _ in range(epochs):
        sp.compute(flat[:n_train], learn=True, output="sparse")
    learn_s = time.perf_counter() - t0
    train_sdr = sp.infer(flat[:n_train], output="sparse")
    t0 = time.perf_counter()
    test_sdr = sp.infer(flat[n_train:], output="sparse")
    infer_s = time.perf_counter() - t0
    sdr_acc = _classifier().fit(train_sdr, y[:n_train]).score(test_sdr, y[n_train:])
    raw_acc = _classifier().fit(flat[:n_train], y[:n_train]).score(flat[n_train:], y[n_train:])
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
    _plot_examples(flat[n_train : n_train + 6], test_sdr[:6].toarray(), (8, 8), (32, 32), figure)
    result["figure"] = str(figure)
    (out_dir / "demo.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def _plot_examples(inputs, sdrs, input_shape, sdr_shape, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(inputs)
    fig, axes = plt.subplots(2, n, figsize=(1.6 * n, 3.4))
    for i in range(n):
        axes[0, i].imshow(inputs[i].reshape(input_shape), cmap="gray_r")
        axes[1, i].imshow(sdrs[i].reshape(sdr_shape), cmap="gray_r", interpolation="nearest")
        for ax in axes[:, i]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel("input")
    axes[1, 0].set_ylabel("SDR")
    fig.suptitle("htmhw float spatial pooler: digits and their SDRs")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="htmhw",
        description="Spatial pooler models for HTM hardware design.",
        epilog="example: htmhw demo --out htmhw-demo",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="train the float spatial pooler on the embedded 8x8 digits and compare classifiers",
        epilog="example: htmhw demo --out htmhw-demo --seed 1",
    )
    demo.add_argument("--out", type=Path, default=Path("htmhw-demo"), help="output directory (default: htmhw-demo)")
    demo.add_argument("--seed", type=int, default=1, help="spatial pooler seed (default: 1)")
    demo.add_argument("--n-train", type=int, default=1200, help="training digits (default: 1200 of 1797)")
    demo.add_argument("--epochs", type=int, default=3, help="learning passes over the training digits (default: 3)")
    demo.add_argument("--json", action="store_true", help="print the result as JSON")
    demo.add_argument("--quiet", action="store_true", help="print nothing but errors")
    args = parser.parse_args(argv)
    if args.command == "demo":
        if args.n_train < 10:
            parser.error("--n-train must be >= 10")
        if args.seed < 0:
            parser.error("--seed must be >= 0")
        if args.epochs < 1:
            parser.error("--epochs must be >= 1")
        result = run_demo(args.out, args.seed, args.n_train, args.epochs, args.quiet)
        if args.json:
            print(json.dumps(result, indent=2))
        elif not args.quiet:
            print(f"htmhw demo: float spatial pooler on {result['dataset']}")
            print(f"  train/test digits      : {result['n_train']} / {result['n_test']} ({result['epochs']} learning passes)")
            print(f"  columns, SDR sparsity  : {result['num_columns']}, {result['sdr_sparsity']:.3f}")
            print(f"  accuracy on SDRs       : {result['accuracy_sdr']:.4f}  (LogisticRegression C=0.1)")
            print(f"  accuracy on raw pixels : {result['accuracy_raw_pixels']:.4f}")
            print(f"  learn / infer steps/s  : {result['learn_steps_per_s']:.0f} / {result['infer_steps_per_s']:.0f}")
            print(f"  wrote {result['figure']} and {args.out / 'demo.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
