"""Spatial pooler throughput on the anchor configs (docs/protocols.md).

Builds and runs the C++ benchmark (cpp/bench/sp_bench) and times the Python
batch API on the same protocol (500 warm-up learning steps, then 5,000 learn and
5,000 infer steps, single thread), then prints a Markdown table next to
htm.core's anchor figures.

    python benchmarks/bench_sp.py [--mnist-dir DIR] [--repeats 3] [--json out.json]
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
HTM_CORE = {  # docs/protocols.md: C++ learn, C++ infer, Python learn, Python infer, init s
    "random": (1915, 14122, 1544, 9786, 3.4),
    "random-boost": (1162, 14320, 925, 9538, 3.5),
    "mnist": (2272, 6792, 1759, 5778, 1.1),
}
from htmhw.configs import named_config  # noqa: E402  (light import; no extension needed)

ANCHOR_SP = {name: named_config(name) for name in ("random", "random-boost", "mnist")}  # docs/protocols.md


def build_bench() -> Path:
    build = ROOT / "build" / "bench"
    subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", str(build), "--target", "sp_bench"], check=True, stdout=subprocess.DEVNULL)
    return build / "sp_bench"


def python_bench(config: str, inputs: np.ndarray, steps: int, warmup: int, arith: str = "float") -> dict:
    import htmhw

    t0 = time.perf_counter()
    sp = htmhw.SpatialPooler(arithmetic=arith, **ANCHOR_SP[config])
    init_s = time.perf_counter() - t0
    n = len(inputs)
    rows = np.arange(warmup + 2 * steps) % n
    sp.compute(inputs[rows[:warmup]], learn=True, output="sparse")
    learn = inputs[rows[warmup : warmup + steps]]
    infer = inputs[rows[warmup + steps :]]
    t0 = time.perf_counter()
    sp.compute(learn, learn=True, output="sparse")
    learn_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sp.infer(infer, output="sparse")
    infer_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sp.infer(infer, output="sparse", n_threads=2)
    infer2_s = time.perf_counter() - t0
    return {"init_s": init_s, "learn_steps_per_s": steps / learn_s, "infer_steps_per_s": steps / infer_s,
            "infer2_steps_per_s": steps / infer2_s}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist-dir", default=os.environ.get("HTMHW_DATA", str(ROOT.parent / "shared" / "data")) + "/mnist")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    bench = build_bench()
    from htmhw.datasets import load_mnist

    images, _ = load_mnist(args.mnist_dir)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "images.idx"
        with gzip.open(Path(args.mnist_dir) / "t10k-images-idx3-ubyte.gz") as src:
            raw.write_bytes(src.read())
        mnist_bits = (images.reshape(len(images), -1) > 30).astype(np.uint8)
        rng = np.random.default_rng(7)
        random_bits = np.zeros((args.warmup + 2 * args.steps, 1024), dtype=np.uint8)
        for row in random_bits:
            row[rng.choice(1024, 102, replace=False)] = 1
        results = {}
        for arith in ("float", "fixed"):
            for config in ("random", "random-boost", "mnist"):
                cpp_runs, cpp2_runs, py_runs = [], [], []
                for _ in range(args.repeats):
                    cmd = [str(bench), "--config", config, "--arith", arith, "--steps", str(args.steps),
                           "--warmup", str(args.warmup)]
                    if config == "mnist":
                        cmd += ["--mnist-images", str(raw)]
                    run = lambda extra, cmd=cmd: json.loads(  # noqa: E731
                        subprocess.run(cmd + extra, check=True, capture_output=True, text=True).stdout)
                    cpp_runs.append(run([]))
                    cpp2_runs.append(run(["--threads", "2"]))
                    inputs = mnist_bits if config == "mnist" else random_bits
                    py_runs.append(python_bench(config, inputs, args.steps, args.warmup, arith))
                med = lambda runs, key: statistics.median(r[key] for r in runs)  # noqa: E731
                results[f"{config} {arith}"] = {
                    "config": config, "arith": arith,
                    "cpp_learn": med(cpp_runs, "learn_steps_per_s"),
                    "cpp_infer": med(cpp_runs, "infer_steps_per_s"),
                    "cpp_infer_2threads": med(cpp2_runs, "infer_steps_per_s"),
                    "py_learn": med(py_runs, "learn_steps_per_s"),
                    "py_infer": med(py_runs, "infer_steps_per_s"),
                    "py_infer_2threads": med(py_runs, "infer2_steps_per_s"),
                    "init_s": med(cpp_runs, "init_s"),
                    "py_init_s": med(py_runs, "init_s"),
                    "state_bytes_per_synapse": cpp_runs[0]["state_bytes_per_synapse"],
                }
    print("| config | arith | C++ learn/s (x htm.core) | C++ infer/s (x) | C++ infer 2 threads/s | Python learn/s (x) "
          "| Python infer/s (x) | init s (htm.core) | state B/synapse |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results.values():
        h = HTM_CORE[r["config"]]
        print(
            f"| {r['config']} | {r['arith']} | {r['cpp_learn']:,.0f} ({r['cpp_learn'] / h[0]:.1f}x) | "
            f"{r['cpp_infer']:,.0f} ({r['cpp_infer'] / h[1]:.1f}x) | {r['cpp_infer_2threads']:,.0f} | "
            f"{r['py_learn']:,.0f} ({r['py_learn'] / h[2]:.1f}x) | {r['py_infer']:,.0f} ({r['py_infer'] / h[3]:.1f}x) | "
            f"{r['init_s']:.3f} ({h[4]}) | {r['state_bytes_per_synapse']:.2f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
