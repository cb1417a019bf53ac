"""SOM training and encoding throughput: the MNIST anchor (default) and the dense suite.

32x32 map, the 10,000 MNIST test digits (784-d, pixels/255), batch training with the
somoclu-like schedule (10 epochs, radius 16 -> 1 linear, Gaussian sigma = 0.5 radius),
2 threads. Runs the C++ benchmark (cpp/bench/som_bench), times the Python API
(htmhw.SOMEncoder) on the same protocol, and a plain numpy batch-SOM sketch (float32
GEMM distances, scatter sums, separable smoothing) on the same machine in the same
conditions; prints a Markdown table next to the anchor figures.

    python benchmarks/bench_som.py [--mnist-dir DIR] [--repeats 3] [--bench-exe PATH] [--json out.json]

samples/s = 10,000 digits x 10 epochs / seconds (initialization included).

Dense suite (issue 23, docs/performance.md "SOM on dense embeddings"):

    python benchmarks/bench_som.py --suite dense [--repeats 3] [--no-peers] [--json out.json]

10,000 unit-norm rows of a 20-cluster Gaussian mixture in 512 and 64 dimensions (mixture()),
plus the MNIST pixels (sparse, ~19 % non-zero) when found: htmhw.SOMEncoder vs a numpy/BLAS
batch sketch (sketch_train / sketch_encode), same schedule and random-sample init, train and
top-16 encode, 1 and 2 threads (BLAS threads via threadpoolctl), medians of --repeats runs with
the two alternating; then the installed peers (somoclu, MiniSom, torchsom CPU) once each on a
shorter run (their samples/s: sample-epochs, or MiniSom's online steps, per second). Prints JSON.
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
import scipy.sparse as sparse

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


# ------------------------------------------------------------- dense suite ----
DENSE_DIMS = (512, 64)
N_DENSE, N_CLUSTERS, NOISE, K_ENCODE = 10_000, 20, 0.6, 16


def mixture(dim: int, n: int = N_DENSE, seed: int = 0) -> np.ndarray:
    """Unit-norm rows of a 20-cluster Gaussian mixture: centre ~ N(0, I), row = centre + 0.6 N(0, I), / |row|."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((N_CLUSTERS, dim))
    X = centres[rng.integers(0, N_CLUSTERS, n)] + NOISE * rng.standard_normal((n, dim))
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)


def quality(X: np.ndarray, W: np.ndarray, cols: int = 32) -> dict:
    """QE (mean distance to the BMU, float64) and TE (two nearest units not 8-adjacent), one rule for all."""
    X64, W64 = X.astype(np.float64), W.astype(np.float64)
    qe, te = 0.0, 0
    for i in range(0, len(X), 2000):
        d2 = np.maximum((X64[i:i + 2000] ** 2).sum(1)[:, None] + (W64**2).sum(1)[None] - 2 * X64[i:i + 2000] @ W64.T, 0)
        two = np.argsort(d2, axis=1, kind="stable")[:, :2]
        qe += np.sqrt(np.take_along_axis(d2, two[:, :1], 1)).sum()
        a, b = two[:, 0], two[:, 1]
        te += int(np.sum(~((np.abs(a // cols - b // cols) <= 1) & (np.abs(a % cols - b % cols) <= 1))))
    return {"quantization_error": qe / len(X), "topographic_error": te / len(X)}


def sketch_train(X: np.ndarray, rows: int = 32, cols: int = 32) -> np.ndarray:
    """A plain numpy batch SOM (the issue's "numpy GEMM batch sketch"), written for speed: float32
    BLAS GEMM for X W^T, in-place keys, argmin, per-unit sums as a sparse one-hot product,
    separable Gaussian smoothing as two small GEMMs. Random-sample init (seed 0), same schedule."""
    n, dim = X.shape
    U = rows * cols
    W = X[np.random.default_rng(0).choice(n, U, replace=False)].copy()
    pos_r, pos_c = np.arange(rows), np.arange(cols)
    sample_ids = np.arange(n)
    ones = np.ones(n, dtype=np.float32)
    for e in range(EPOCHS):
        sigma = 0.5 * (R0 + (RN - R0) * e / (EPOCHS - 1))
        keys = X @ W.T
        keys *= -2.0
        keys += np.einsum("ij,ij->i", W, W)[None, :]
        bmu = keys.argmin(axis=1)
        S = np.asarray(sparse.csr_matrix((ones, (bmu, sample_ids)), shape=(U, n)) @ X, dtype=np.float32)
        N = np.bincount(bmu, minlength=U).astype(np.float32)
        gy = np.exp(-((pos_r[:, None] - pos_r[None]) ** 2) / (2 * sigma**2)).astype(np.float32)
        gx = np.exp(-((pos_c[:, None] - pos_c[None]) ** 2) / (2 * sigma**2)).astype(np.float32)
        T = (gy @ S.reshape(rows, cols * dim)).reshape(rows, cols, dim)
        num = np.matmul(gx[None], T).reshape(U, dim)
        den = (gy @ N.reshape(rows, cols) @ gx.T).ravel()
        ok = den > 0
        W[ok] = num[ok] / den[ok, None]
    return W


def sketch_encode(X: np.ndarray, W: np.ndarray, k: int = K_ENCODE, block: int = 2048):
    """Top-k units per row (expanded-form keys, argpartition, then sorted) and Euclidean distances."""
    w2 = np.einsum("ij,ij->i", W, W)
    units = np.empty((len(X), k), dtype=np.int64)
    dist = np.empty((len(X), k), dtype=np.float32)
    for i in range(0, len(X), block):
        xb = X[i:i + block]
        keys = xb @ W.T
        keys *= -2.0
        keys += w2[None, :]
        idx = np.argpartition(keys, k - 1, axis=1)[:, :k]
        kk = np.take_along_axis(keys, idx, 1)
        order = np.argsort(kk, axis=1, kind="stable")
        units[i:i + block] = np.take_along_axis(idx, order, 1)
        d2 = np.take_along_axis(kk, order, 1) + np.einsum("ij,ij->i", xb, xb)[:, None]
        dist[i:i + block] = np.sqrt(np.maximum(d2, 0))
    return units, dist


def run_htmhw(X: np.ndarray, threads: int) -> dict:
    import htmhw

    enc = htmhw.SOMEncoder(n_rows=32, n_cols=32, n_epochs=EPOCHS, radius_start=R0, radius_end=RN, n_active=K_ENCODE,
                           init="sample", n_threads=threads, random_state=1)
    t0 = time.perf_counter()
    enc.fit(X)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    enc.encode(X)
    enc_s = time.perf_counter() - t0
    return {"train_samples_per_s": len(X) * EPOCHS / fit_s, "encode_samples_per_s": len(X) / enc_s,
            "weights": enc.weights_}


def run_sketch(X: np.ndarray, threads: int) -> dict:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads):
        t0 = time.perf_counter()
        W = sketch_train(X)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        sketch_encode(X, W)
        enc_s = time.perf_counter() - t0
    return {"train_samples_per_s": len(X) * EPOCHS / fit_s, "encode_samples_per_s": len(X) / enc_s, "weights": W}


PEER_SCRIPT = r"""
import json, sys, time
import numpy as np
peer, path, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
X = np.load(path)
n, dim = X.shape
t0 = time.perf_counter()
if peer == "somoclu":
    import somoclu
    som = somoclu.Somoclu(32, 32, kerneltype=0, maptype="planar", gridtype="rectangular", compactsupport=False,
                          neighborhood="gaussian", std_coeff=0.5, initialization="random")
    som.train(X, epochs=epochs, radius0=16, radiusN=1, radiuscooling="linear", scale0=0.1, scaleN=0.01)
    W = som.codebook.reshape(32 * 32, dim)
    work = n * epochs
elif peer == "minisom":
    from minisom import MiniSom
    som = MiniSom(32, 32, dim, sigma=8.0, learning_rate=0.5, neighborhood_function="gaussian", random_seed=0)
    som.random_weights_init(X)
    som.train_random(X, epochs)
    W = som.get_weights().reshape(32 * 32, dim)
    work = epochs
else:
    import os
    import torch
    from torchsom.core import SOM
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    torch.manual_seed(0)
    som = SOM(x=32, y=32, num_features=dim, epochs=epochs, batch_size=32, sigma=16.0, learning_rate=0.5,
              neighborhood_function="gaussian", device="cpu", random_seed=0)
    som.initialize_weights(data=torch.from_numpy(X), mode="random")
    som.fit(torch.from_numpy(X), verbose=False)
    W = som.weights.detach().numpy().reshape(32 * 32, dim)
    work = n * epochs
seconds = time.perf_counter() - t0
np.save(path + ".w.npy", np.ascontiguousarray(W, dtype=np.float32))
print(json.dumps({"train_samples_per_s": work / seconds, "seconds": seconds, "work": work}))
"""
# (peer, version module, threads it runs on, work: epochs over the 10,000 rows, or online steps for MiniSom)
PEERS = [("somoclu", "somoclu", (1, 2), 2), ("minisom", "minisom", (1,), 2000), ("torchsom", "torchsom", (1, 2), 1)]


def run_peer(peer: str, X: np.ndarray, threads: int, work: int, tmp: Path) -> dict | None:
    path = tmp / f"x{X.shape[1]}.npy"
    if not path.exists():
        np.save(path, X)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    proc = subprocess.run([sys.executable, "-c", PEER_SCRIPT, peer, str(path), str(work)], capture_output=True,
                          text=True, env=env, timeout=1800)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    return r | quality(X, np.load(str(path) + ".w.npy"))


def peer_version(module: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(module)
    except metadata.PackageNotFoundError:
        return None


def dense_suite(repeats: int, with_peers: bool, mnist_dir: str | None) -> dict:
    """htmhw SOMEncoder vs the numpy sketch, alternating, medians of `repeats`, on the dense mixtures
    (and MNIST pixels when available), 1 and 2 threads; peers once each."""
    import htmhw

    datasets = {f"dense{d}": mixture(d) for d in DENSE_DIMS}
    if mnist_dir:
        from htmhw.datasets import load_mnist

        images, _ = load_mnist(mnist_dir)
        datasets["mnist"] = (images.reshape(len(images), -1) / 255.0).astype(np.float32)
    out = {"machine": {"cpus": os.cpu_count(), "loadavg_start": os.getloadavg()[0],
                       "simd_level": htmhw._core.som_simd_level(), "numpy": np.__version__},
           "protocol": f"32x32 rect map, batch, {EPOCHS} epochs, radius {R0:g} -> {RN:g} linear, Gaussian sigma = "
                       f"0.5 radius, random-sample init; encode = top-{K_ENCODE}; medians of {repeats}, "
                       "htmhw and the sketch alternating", "results": {}}
    digests: dict = {}
    for name, X in datasets.items():
        for threads in (1, 2):
            runs = {"htmhw": [], "numpy_sketch": []}
            for r in range(repeats):
                order = ("htmhw", "numpy_sketch") if r % 2 == 0 else ("numpy_sketch", "htmhw")
                for who in order:
                    runs[who].append((run_htmhw if who == "htmhw" else run_sketch)(X, threads))
            row = {}
            for who, rs in runs.items():
                row[who] = {key: statistics.median(x[key] for x in rs)
                            for key in ("train_samples_per_s", "encode_samples_per_s")} | quality(X, rs[0]["weights"])
                row[who]["train_runs"] = [round(x["train_samples_per_s"]) for x in rs]
                row[who]["encode_runs"] = [round(x["encode_samples_per_s"]) for x in rs]
            assert len({x["weights"].tobytes() for x in runs["htmhw"]}) == 1  # same bits every run
            digests.setdefault(name, set()).add(runs["htmhw"][0]["weights"].tobytes())
            row["ratio_train"] = row["htmhw"]["train_samples_per_s"] / row["numpy_sketch"]["train_samples_per_s"]
            row["ratio_encode"] = row["htmhw"]["encode_samples_per_s"] / row["numpy_sketch"]["encode_samples_per_s"]
            out["results"][f"{name}/{threads}t"] = row
            print(f"{name} {threads}t: train x{row['ratio_train']:.2f}, encode x{row['ratio_encode']:.2f}",
                  file=sys.stderr)
    # The determinism contract, checked on every benchmark run: 1 and 2 threads give the same weights.
    out["htmhw_weights_identical_for_1_and_2_threads"] = {name: len(d) == 1 for name, d in digests.items()}
    if with_peers:
        with tempfile.TemporaryDirectory() as tmp:
            for name, X in datasets.items():
                if name == "mnist":
                    continue
                for peer, module, thread_counts, work in PEERS:
                    version = peer_version(module)
                    for threads in thread_counts:
                        key = f"{name}/{threads}t"
                        if version is None:
                            out["results"][key][peer] = {"error": "not installed"}
                            continue
                        r = run_peer(peer, X, threads, work, Path(tmp))
                        out["results"][key][peer] = (r or {}) | {"version": version, "work": work}
                        print(f"{name} {threads}t {peer}: {r}", file=sys.stderr)
    out["machine"]["loadavg_end"] = os.getloadavg()[0]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist-dir", default=os.environ.get("HTMHW_DATA", str(ROOT.parent / "shared" / "data")) + "/mnist")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bench-exe", type=Path, default=None, help="a built som_bench (default: build it)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--suite", choices=("mnist", "dense"), default="mnist")
    parser.add_argument("--no-peers", action="store_true", help="dense suite: skip somoclu, MiniSom, torchsom")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    if args.suite == "dense":
        mnist = args.mnist_dir if (Path(args.mnist_dir) / "t10k-images-idx3-ubyte.gz").exists() else None
        result = dense_suite(args.repeats, not args.no_peers, mnist)
        text = json.dumps(result, indent=2)
        print(text)
        if args.json:
            args.json.write_text(text + "\n")
        return 0

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
