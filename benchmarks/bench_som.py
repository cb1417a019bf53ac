"""SOM training and encoding throughput on the anchor configuration (docs/protocols.md).

32x32 map, the 10,000 MNIST test digits (784-d, pixels/255), batch training with the
somoclu-like schedule (10 epochs, radius 16 -> 1 linear, Gaussian sigma = 0.5 radius),
2 threads. Runs the C++ benchmark (cpp/bench/som_bench), times the Python API
(htmhw.SOMEncoder) on the same protocol, and a plain numpy batch-SOM sketch (float32
GEMM distances, scatter sums, separable smoothing) on the same machine in the same
conditions; prints a Markdown table next to the anchor figures.

    python benchmarks/bench_som.py [--mnist-dir DIR] [--repeats 3] [--bench-exe PATH] [--json out.json]

samples/s = 10,000 digits x 10 epochs / seconds (initialization included).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ANCHORS = [  # docs/protocols.md: library, method, samples/s, QE, TE
    ("MiniSom 2.3.6", "online, 10k steps", 451, 5.23, 0.016),
    ("MiniSom (numba batch)", "10 epochs", 1232, 5.20, 0.017),
    ("somoclu 1.7.6 (C++/OpenMP)", "batch, 10 epochs, radius 16 -> 1", 2260, 4.54, 0.150),
    ("numpy GEMM batch sketch", "same schedule as somoclu", 48300, 4.55, 0.146),
]
EPOCHS, R0, RN = 10, 16.0, 1.0


def build_bench() -> Path:
    build = ROOT / "build" / "bench"
    subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", str(build), "--target", "som_bench"], check=True, stdout=subprocess.DEVNULL)
    return build / "som_bench"


def numpy_sketch(X: np.ndarray, rows=32, cols=32) -> dict:
    """Plain numpy batch SOM with the same schedule (random-sample init, seed 0)."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    W = X[rng.choice(len(X), rows * cols, replace=False)].copy()
    r_idx, c_idx = np.arange(rows), np.arange(cols)
    x2 = None
    for e in range(EPOCHS):
        radius = R0 + (RN - R0) * e / (EPOCHS - 1)
        sigma = 0.5 * radius
        cross = X @ W.T  # float32 GEMM
        bmu = np.argmin((W * W).sum(1)[None, :] - 2 * cross, axis=1)
        S = np.zeros_like(W)
        np.add.at(S, bmu, X)
        N = np.bincount(bmu, minlength=rows * cols).astype(np.float32)
        gy = np.exp(-((r_idx[:, None] - r_idx[None]) ** 2) / (2 * sigma**2)).astype(np.float32)
        gx = np.exp(-((c_idx[:, None] - c_idx[None]) ** 2) / (2 * sigma**2)).astype(np.float32)
        num = np.einsum("ab,bcd->acd", gy, np.einsum("cd,bdk->bck", gx, S.reshape(rows, cols, -1)))
        den = gy @ N.reshape(rows, cols) @ gx.T
        num, den = num.reshape(rows * cols, -1), den.ravel()
        ok = den > 0
        W[ok] = num[ok] / den[ok, None]
    seconds = time.perf_counter() - t0
    x2 = (X * X).sum(1)
    d2 = np.maximum(x2[:, None] + (W * W).sum(1)[None] - 2 * X @ W.T, 0)
    order = np.argsort(d2, axis=1)[:, :2]
    qe = float(np.sqrt(np.take_along_axis(d2, order[:, :1], 1)).mean())
    a, b = order[:, 0], order[:, 1]
    te = float(np.mean(~((np.abs(a // cols - b // cols) <= 1) & (np.abs(a % cols - b % cols) <= 1))))
    return {"train_samples_per_s": len(X) * EPOCHS / seconds, "quantization_error": qe, "topographic_error": te}


def python_bench(X: np.ndarray, threads: int) -> dict:
    import htmhw

    enc = htmhw.SOMEncoder(n_rows=32, n_cols=32, n_epochs=EPOCHS, radius_start=R0, radius_end=RN, n_active=16,
                           n_threads=threads, random_state=1)
    t0 = time.perf_counter()
    enc.fit(X)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    enc.transform(X)
    enc_s = time.perf_counter() - t0
    return {"train_samples_per_s": len(X) * EPOCHS / fit_s, "encode_samples_per_s": len(X) / enc_s,
            "quantization_error": enc.quantization_error_, "topographic_error": enc.topographic_error_}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist-dir", default=os.environ.get("HTMHW_DATA", str(ROOT.parent / "shared" / "data")) + "/mnist")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bench-exe", type=Path, default=None, help="a built som_bench (default: build it)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    bench = args.bench_exe or build_bench()
    from htmhw.datasets import load_mnist

    images, _ = load_mnist(args.mnist_dir)
    X = (images.reshape(len(images), -1) / 255.0).astype(np.float32)
    med = lambda runs, key: statistics.median(r[key] for r in runs)  # noqa: E731
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "images.idx"
        with gzip.open(Path(args.mnist_dir) / "t10k-images-idx3-ubyte.gz") as src:
            raw.write_bytes(src.read())
        for threads in (1, 2):
            runs = [json.loads(subprocess.run([str(bench), "--mnist-images", str(raw), "--threads", str(threads)],
                                              check=True, capture_output=True, text=True).stdout)
                    for _ in range(args.repeats)]
            assert len({r["weights_fnv1a"] for r in runs}) == 1
            rows[f"htmhw C++, {threads} thread{'s' if threads > 1 else ''}"] = {
                k: med(runs, k) for k in ("train_samples_per_s", "encode_samples_per_s", "quantization_error",
                                          "topographic_error", "init_s", "train_s")} | {
                "weights_fnv1a": runs[0]["weights_fnv1a"]}
    for threads in (1, 2):
        runs = [python_bench(X, threads) for _ in range(args.repeats)]
        rows[f"htmhw Python SOMEncoder, {threads} thread{'s' if threads > 1 else ''}"] = {
            k: med(runs, k) for k in runs[0]}
    runs = [numpy_sketch(X) for _ in range(args.repeats)]
    rows["numpy sketch, measured here (this run)"] = {k: med(runs, k) for k in runs[0]}

    print("| implementation | samples/s (x somoclu) | encode samples/s (K=16) | QE | TE |")
    print("|---|---|---|---|---|")
    somoclu = ANCHORS[2][2]
    for name, method, sps, qe, te in ANCHORS:
        print(f"| {name} ({method}; anchor) | {sps:,} ({sps / somoclu:.2f}x) | - | {qe:.2f} | {te:.3f} |")
    for name, r in rows.items():
        enc = f"{r['encode_samples_per_s']:,.0f}" if "encode_samples_per_s" in r else "-"
        print(f"| {name} | {r['train_samples_per_s']:,.0f} ({r['train_samples_per_s'] / somoclu:.1f}x) | {enc} "
              f"| {r['quantization_error']:.3f} | {r['topographic_error']:.3f} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
