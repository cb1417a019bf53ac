"""Accuracy cost of stuck-at crossbar cells on protocol mnist-10k, with and without boosting.

Protocol mnist-10k (shared/docs/anchors.md, as benchmarks/fixed_vs_float.py): the
10,000 MNIST test digits binarized as pixel > 30, anchor `mnist` config (seed 4),
fixed point with 8-bit permanences, one learning pass over digits 0..7999, test on
8000..9999 with learning off, LogisticRegression(C=0.1, max_iter=300) on the SDRs
(training features: the SDRs of the learning pass). The crossbar is faulty from the
start: `htmhw.crossbar.attach_device(sp, Device(levels=256, stuck_on_rate=rate/2,
stuck_off_rate=rate/2), seed=1)` makes `rate` of every
column's cells stuck, half stuck on (read as connected), half stuck off. Boosting on =
the anchor's boostStrength 2.0, off = 0.0; inference with boosting (htm.core's rule).

    python benchmarks/crossbar_faults.py [--mnist-dir DIR] [--rates 0 0.01 0.05 0.1 0.2]
        [--out-json FILE] [--out-png docs/crossbar_faults.png]

Prints a Markdown table (paste it into docs/crossbar.md) and writes the plot.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

import htmhw
from htmhw.crossbar import Device, attach_device

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixed_vs_float import ANCHOR, N_TRAIN, accuracy  # noqa: E402  (one protocol definition)

BOOST_ON = 2.0


def run(X, labels, rate, boost_strength, seed=1):
    params = dict(ANCHOR, boost_strength=boost_strength, boost_in_inference=True)
    sp = htmhw.SpatialPooler(arithmetic="fixed", hw=htmhw.HardwareConfig(permanence_bits=8), **params)
    attach_device(sp, Device(levels=256, stuck_on_rate=rate / 2, stuck_off_rate=rate - rate / 2), seed)
    t0 = time.perf_counter()
    train = sp.compute(X[:N_TRAIN], learn=True, output="sparse")
    test = sp.infer(X[N_TRAIN:], output="sparse", n_threads=2)
    seconds = time.perf_counter() - t0
    acc = accuracy(train, labels[:N_TRAIN], test, labels[N_TRAIN:])
    ever_active = np.asarray((train.sum(axis=0) + test.sum(axis=0)) > 0).ravel().mean()
    return {"rate": rate, "boost_strength": boost_strength, "accuracy": acc,
            "columns_ever_active": float(ever_active), "sp_seconds": round(seconds, 1)}


def main(argv=None):
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mnist-dir", default=os.path.join(os.environ.get("HTMHW_DATA", root.parent / "shared" / "data"),
                                                            "mnist"))
    parser.add_argument("--rates", type=float, nargs="+", default=[0.0, 0.01, 0.05, 0.1, 0.2])
    parser.add_argument("--out-json", default=None)
    parser.add_argument("--out-png", default=str(root / "docs" / "crossbar_faults.png"))
    args = parser.parse_args(argv)
    images, labels = htmhw.datasets.load_mnist(args.mnist_dir)
    X = (images > 30).reshape(len(images), -1).astype(np.uint8)
    start = time.perf_counter()
    results = []
    for boost in (BOOST_ON, 0.0):
        for rate in args.rates:
            r = run(X, labels, rate, boost)
            results.append(r)
            print(f"boost {boost}, stuck-at {rate:.0%}: accuracy {r['accuracy']:.4f}", flush=True)
    lines = ["| stuck-at cells | accuracy, boosting on (2.0) | loss vs 0 % | accuracy, boosting off | loss vs 0 % |",
             "|---|---|---|---|---|"]
    by = {(r["boost_strength"], r["rate"]): r["accuracy"] for r in results}
    for rate in args.rates:
        on, off = by[(BOOST_ON, rate)], by[(0.0, rate)]
        lines.append(f"| {rate:.0%} | {on:.2%} | {(by[(BOOST_ON, args.rates[0])] - on) * 100:.2f} pt | {off:.2%} | "
                     f"{(by[(0.0, args.rates[0])] - off) * 100:.2f} pt |")
    print("\n".join(lines))
    print(f"total {time.perf_counter() - start:.0f} s")
    if args.out_json:
        Path(args.out_json).write_text(json.dumps(results, indent=1))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.4))
    for boost, label in ((BOOST_ON, "boosting on (2.0)"), (0.0, "boosting off")):
        ax.plot([r * 100 for r in args.rates], [by[(boost, r)] * 100 for r in args.rates], "o-", label=label)
    ax.set_xlabel("stuck-at cells (%)")
    ax.set_ylabel("accuracy (%)")
    ax.set_title("mnist-10k, 8-bit fixed point, faulty crossbar read")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out_png, dpi=120)


if __name__ == "__main__":
    main()
