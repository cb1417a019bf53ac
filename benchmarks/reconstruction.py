"""Reconstruction of MNIST digits from SDRs, protocol mnist-10k, float and fixed-point SP.

Protocol mnist-10k (docs/protocols.md): MNIST test split binarized as pixel > 30,
anchor `mnist` SP config (seed 4, boost_in_inference=True), one learning pass over digits
0..7999; every method of htmhw.reconstruct (as compared by `htmhw demo mnist`) is fitted on
the 8,000 training SDRs / binarized digits (SDRs of the learned SP) and reconstructs the
2,000 test digits 8000..9999 from their SDRs.

For each arithmetic (float; fixed with HardwareConfig(permanence_bits=8)) it runs
`htmhw demo mnist` once (quality table, classifier accuracy, figure), then times
`reconstruct` of the 2,000 test SDRs for every method on 1 and 2 threads, median of
--repeats runs (SDRs as a CSR matrix, output a dense float32 (2000, 784) array).

    python benchmarks/reconstruction.py [--mnist-dir DIR] [--out-dir DIR] [--json FILE]
        [--out-png docs/reconstruction.png]

With --extra it runs only the decoders and the baseline added with the analysis tools, on
the same protocol and SDRs: MLPDecoder (SDR -> pixels) and the MatchingPursuit dictionary
encoder (atoms: 7x7 patches of the training digits in place; 6,272 atoms = the SDR width),
at equal code size (each test digit gets as many atom selections as its SDR has active
columns) and at smaller budgets. MP reconstructions are clipped to [0, 1] like the ridge
decoder's.

    python benchmarks/reconstruction.py --extra [--mnist-dir DIR] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time
from pathlib import Path

import numpy as np

import htmhw
from htmhw.demos.mnist import MNIST_DEMO_DEFAULTS, reconstruction_methods, run_demo_mnist
from htmhw.configs import named_config

TARGET_S = 2.0  # target: reconstruction of 2,000 test digits by any method < 2 s


def demo_args(arith, out, mnist_dir, threads=1):
    d = MNIST_DEMO_DEFAULTS
    return argparse.Namespace(data=mnist_dir, download=False, arith=arith, permanence_bits=d["permanence_bits"],
                              n_train=d["n_train"], n_test=d["n_test"], threshold=d["threshold"], seed=d["seed"],
                              threads=threads, n_show=d["n_show"], out=out)


def time_methods(arith, X, repeats):
    n_train = MNIST_DEMO_DEFAULTS["n_train"]
    hw = htmhw.HardwareConfig(permanence_bits=MNIST_DEMO_DEFAULTS["permanence_bits"]) if arith == "fixed" else None
    sp = htmhw.SpatialPooler(arithmetic=arith, hw=hw, **named_config("mnist"), boost_in_inference=True)
    sp.compute(X[:n_train], learn=True, output="sparse")
    train, test = sp.infer(X[:n_train], output="sparse"), sp.infer(X[n_train:], output="sparse")
    Xtr = X[:n_train].astype(np.float32)
    out = {}
    for threads in (1, 2):
        for key, _, method in reconstruction_methods(sp, threads):
            method.fit(train, Xtr)
            runs = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                rec = method.reconstruct(test)
                runs.append(time.perf_counter() - t0)
            assert rec.shape == (X.shape[0] - n_train, 784)
            out.setdefault(key, {})[f"reconstruct_s_{threads}t"] = statistics.median(runs)
    return out


MP_BUDGETS = (8, 16, 32, 64, 128)


def extra_methods(arith, X):
    """MLPDecoder on the SDRs and MatchingPursuit on the pixels: quality rows (and the MP code sizes)."""
    from htmhw import metrics as M
    from htmhw.reconstruct import MatchingPursuit, MLPDecoder

    n_train = MNIST_DEMO_DEFAULTS["n_train"]
    hw = htmhw.HardwareConfig(permanence_bits=MNIST_DEMO_DEFAULTS["permanence_bits"]) if arith == "fixed" else None
    sp = htmhw.SpatialPooler(arithmetic=arith, hw=hw, **named_config("mnist"), boost_in_inference=True)
    sp.compute(X[:n_train], learn=True, output="sparse")
    train, test = sp.infer(X[:n_train], output="sparse"), sp.infer(X[n_train:], output="sparse")
    Ftr, Fte = X[:n_train].astype(np.float32), X[n_train:].astype(np.float32)
    active = np.diff(test.indptr)
    rows = []

    def row(label, rec, fit_s, rec_s, l0):
        ev = M.evaluate(Fte, np.clip(rec, 0.0, 1.0), image_shape=(28, 28))
        rows.append({"label": label, "arith": arith, **{k: float(v) for k, v in ev.items()}, "fit_s": fit_s,
                     "reconstruct_s": rec_s, "mean_code_l0": float(l0)})
        print(f"  {arith} {label}: PSNR {ev['psnr']:.2f} dB, SSIM {ev['ssim']:.3f}, fit {fit_s:.1f} s", flush=True)

    t0 = time.perf_counter()
    mlp = MLPDecoder(**MLP_CHOSEN).fit(train, Ftr)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    rec = mlp.reconstruct(test)
    row("MLP decoder (1024 hidden, alpha 3, 30 epochs)", rec, fit_s, time.perf_counter() - t0, active.mean())
    if arith != "float":
        return rows, float(active.mean())
    t0 = time.perf_counter()
    mp = MatchingPursuit(n_atoms=sp.num_columns, n_nonzero=max(MP_BUDGETS)).fit(Ftr)
    fit_s = time.perf_counter() - t0
    for budget in (active.astype(np.int64),) + MP_BUDGETS:
        t0 = time.perf_counter()
        code = mp.encode(Fte, n_nonzero=budget)
        rec = mp.reconstruct(code)
        label = ("matching pursuit, budget = the digit's SDR size" if isinstance(budget, np.ndarray)
                 else f"matching pursuit, budget {budget}")
        row(label, rec, fit_s, time.perf_counter() - t0, np.diff(code.indptr).mean())
    return rows, float(active.mean())


MLP_CANDIDATES = ({"alpha": 1e-4}, {"alpha": 1e-1}, {"alpha": 1.0}, {"alpha": 3.0}, {"alpha": 10.0},
                  {"alpha": 30.0}, {"alpha": 1e-1, "hidden_layer_sizes": (512,)},
                  {"alpha": 3.0, "hidden_layer_sizes": (512,)}, {"alpha": 3.0, "max_iter": 100},
                  {"alpha": 10.0, "hidden_layer_sizes": (512,)}, {"alpha": 3.0, "hidden_layer_sizes": (1024,)})


MLP_CHOSEN = {"alpha": 3.0, "hidden_layer_sizes": (1024,)}  # best validation PSNR of MLP_CANDIDATES


def tune_mlp(X):
    """Validation split of the training digits only (as for the ridge alpha): SP learned on
    0..7999, MLPDecoder fitted on 0..6999 and scored (PSNR) on 7000..7999."""
    from htmhw import metrics as M
    from htmhw.reconstruct import MLPDecoder

    n_train = MNIST_DEMO_DEFAULTS["n_train"]
    sp = htmhw.SpatialPooler(**named_config("mnist"), boost_in_inference=True)
    sp.compute(X[:n_train], learn=True, output="sparse")
    S = sp.infer(X[:n_train], output="sparse")
    F = X[:n_train].astype(np.float32)
    for kw in MLP_CANDIDATES:
        t0 = time.perf_counter()
        rec = MLPDecoder(**kw).fit(S[:7000], F[:7000]).reconstruct(S[7000:])
        print(f"  MLPDecoder({kw}): validation PSNR {M.psnr(F[7000:], rec):.2f} dB "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)


def main_extra(args, X):
    rows = []
    for arith in ("float", "fixed"):
        r, mean_active = extra_methods(arith, X)
        rows += r
        print(f"  {arith}: mean active columns per test digit {mean_active:.0f}")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    print("| method | arith | mean code L0 | MSE | PSNR dB | SSIM | bit precision | bit recall | fit s | "
          "reconstruct 2,000 s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for m in rows:
        print(f"| {m['label']} | {m['arith']} | {m['mean_code_l0']:.0f} | {m['mse']:.4f} | {m['psnr']:.2f} | "
              f"{m['ssim']:.3f} | {m['bit_precision']:.3f} | {m['bit_recall']:.3f} | {m['fit_s']:.2f} | "
              f"{m['reconstruct_s']:.2f} |")


def main():
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser()
    parser.add_argument("--mnist-dir", default=os.path.join(os.environ.get("HTMHW_DATA", root.parent / "shared" / "data"),
                                                            "mnist"))
    parser.add_argument("--out-dir", type=Path, default=Path("reconstruction-bench"))
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--out-png", type=Path, default=None, help="copy the float run's figure here")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--extra", action="store_true", help="only the MLP decoder and the matching-pursuit baseline")
    parser.add_argument("--tune-mlp", action="store_true", help="validation PSNR of MLPDecoder settings (training digits)")
    args = parser.parse_args()
    images, _ = htmhw.datasets.load_mnist(args.mnist_dir)
    X = htmhw.datasets.binarize(images, 30).reshape(len(images), -1)
    if args.tune_mlp:
        return tune_mlp(X)
    if args.extra:
        return main_extra(args, X)
    results = {}
    for arith in ("float", "fixed"):
        demo = run_demo_mnist(demo_args(arith, args.out_dir / arith, args.mnist_dir), progress=False)
        timing = time_methods(arith, X, args.repeats)
        for m in demo["methods"]:
            m.update(timing[m["method"]])
        results[arith] = demo
    if args.out_png is not None:
        shutil.copyfile(results["float"]["files"]["figure"], args.out_png)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")

    print("| method | arith | MSE | PSNR dB | SSIM | bit precision | bit recall | fit s | reconstruct 2,000 s (1 thread) | (2 threads) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    worst = 0.0
    for arith, r in results.items():
        for m in r["methods"]:
            worst = max(worst, m["reconstruct_s_1t"])
            print(f"| {m['label']} | {arith} | {m['mse']:.4f} | {m['psnr']:.2f} | {m['ssim']:.3f} | "
                  f"{m['bit_precision']:.3f} | {m['bit_recall']:.3f} | {m['fit_s']:.2f} | "
                  f"{m['reconstruct_s_1t']:.3f} | {m['reconstruct_s_2t']:.3f} |")
    print()
    print("| arith | accuracy, SDRs of the learned SP | SDRs of the learning pass | raw pixels | learn s | mean active columns |")
    print("|---|---|---|---|---|---|")
    for arith, r in results.items():
        print(f"| {arith} | {100 * r['accuracy_sdr_learned_sp_features']:.2f} % | "
              f"{100 * r['accuracy_sdr_learning_pass_features']:.2f} % | {100 * r['accuracy_raw_pixels']:.2f} % | "
              f"{r['timings_s']['learn_s']:.2f} | {r['mean_active_columns_test']:.0f} |")
    print(f"\nslowest reconstruction of 2,000 digits on 1 thread: {worst:.3f} s "
          f"(target < {TARGET_S} s: {'met' if worst < TARGET_S else 'NOT met'})")


if __name__ == "__main__":
    main()
