"""The MNIST job (`htmhw demo mnist`, protocol mnist-10k of docs/protocols.md): digit -> SDR ->
digit by every reconstruction method, an SDR classifier, timings, figures."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .._param_table import HW
from .._validation import check_threads
from ..datasets import require_mnist_dir

# -- htmhw demo mnist: digit -> SDR -> digit by every reconstruction method, classifier, timings ----
# Protocol mnist-10k (docs/protocols.md): MNIST test split, pixels > 30, the `mnist` SP
# config, one learning pass over digits 0..n_train-1, evaluation on the next n_test digits.
MNIST_DEMO_DEFAULTS = dict(n_train=8000, n_test=2000, threshold=30, seed=4, n_show=10,
                           permanence_bits=HW["permanence_bits"].default)


def reconstruction_methods(sp, n_threads: int = 1):
    """[(key, label, reconstructor)] compared by `htmhw demo mnist`. The ridge alpha (100) and
    the top-k (10) were chosen on a validation split of the training digits (docs/reconstruction.md)."""
    from ..reconstruct import BackProjection, NearestSDR, RidgeDecoder, UnionRule

    t = n_threads
    return [
        ("back_projection", "back-projection (connected)", BackProjection(sp, n_threads=t)),
        ("back_projection_perm", "back-projection (permanences)", BackProjection(sp, weights="permanence",
                                                                                 n_threads=t)),
        ("union", "union rule (1 vote)", UnionRule(sp, threshold=1, n_threads=t)),
        ("union_fit", "union rule (fitted votes)", UnionRule(sp, threshold="fit", n_threads=t)),
        ("ridge", "ridge decoder (alpha 100)", RidgeDecoder(alpha=100.0, clip=(0.0, 1.0), n_threads=t)),
        ("nearest", "nearest SDR (k=1)", NearestSDR(k=1, n_threads=t)),
        ("nearest_top10", "nearest SDR (top-10 average)", NearestSDR(k=10, n_threads=t)),
    ]


def _check_demo_mnist_args(a) -> None:
    for name, lo in (("n_train", 10), ("n_test", 1), ("n_show", 1), ("threads", 1), ("seed", 0)):
        if getattr(a, name) < lo:
            raise ValueError(f"--{name.replace('_', '-')} must be >= {lo}; got {getattr(a, name)}")
    check_threads(a.threads, "--threads")
    if not HW["permanence_bits"].range.contains(a.permanence_bits):
        raise ValueError(f"--permanence-bits must be {HW['permanence_bits'].allowed}; got {a.permanence_bits}")
    # pixels are 0..255 and the rule is pixel > threshold: outside [0, 255) every image is blank
    # (or, below 0, every pixel on), and the metrics would score nothing.
    if not 0 <= a.threshold < 255:
        raise ValueError(f"--threshold must be in [0, 255) (pixels are 0..255, binarized as pixel > threshold); "
                         f"got {a.threshold:g}")


def run_demo_mnist(a, progress: bool = True) -> dict:
    """The `htmhw demo mnist` job; `a` holds the parsed options (see _add_demo_subparsers).
    Writes reconstruction.png, metrics.csv and demo_mnist.json to a.out; returns the result dict."""
    from .. import metrics as M
    from ..configs import named_config
    from ..datapath import HardwareConfig
    from ..datasets import binarize, load_mnist
    from ..sp import SpatialPooler

    _check_demo_mnist_args(a)
    images, labels = load_mnist(require_mnist_dir(a.mnist_dir))
    n_train, n_test = a.n_train, a.n_test
    if n_train + n_test > len(images):
        raise ValueError(f"--n-train + --n-test must be <= {len(images)} (the MNIST test split); "
                         f"got {n_train} + {n_test}")
    X = binarize(images[: n_train + n_test], a.threshold).reshape(n_train + n_test, -1)
    y = labels[: n_train + n_test]
    Xtr, Xte = X[:n_train], X[n_train:]
    params = dict(named_config("mnist"), seed=a.seed, boost_in_inference=True)
    hw = HardwareConfig(permanence_bits=a.permanence_bits) if a.arith == "fixed" else None
    sp = SpatialPooler(arithmetic=a.arith, hw=hw, **params)
    timings = {}

    t0 = time.perf_counter()
    chunks = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n_train, desc=f"learning ({a.arith})", unit="digit", leave=False)
    for s in range(0, n_train, 500):
        chunks.append(sp.compute(Xtr[s : s + 500], learn=True, output="sparse"))
        if bar is not None:
            bar.update(min(500, n_train - s))
    if bar is not None:
        bar.close()
    import scipy.sparse as sparse

    train_pass = sparse.vstack(chunks).tocsr()
    timings["learn_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    train_sdr = sp.infer(Xtr, output="sparse", n_threads=a.threads)
    test_sdr = sp.infer(Xte, output="sparse", n_threads=a.threads)
    timings["infer_s"] = time.perf_counter() - t0

    rows, recons = [], {}
    Ftr, Fte = Xtr.astype(np.float32), Xte.astype(np.float32)
    for key, label, method in reconstruction_methods(sp, a.threads):
        t0 = time.perf_counter()
        method.fit(train_sdr, Ftr)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        rec = method.reconstruct(test_sdr)
        rec_s = time.perf_counter() - t0
        recons[key] = rec
        ev = M.evaluate(Fte, rec, image_shape=(28, 28))
        row = {"method": key, "label": label, **{k: float(v) for k, v in ev.items()},
               "fit_s": fit_s, "reconstruct_s": rec_s}
        if hasattr(method, "threshold_") and isinstance(method.threshold, str):
            row["label"] = f"union rule ({method.threshold_} votes, fitted)"
        rows.append(row)
    if not a.no_som:
        # The SOM encoder's own SDR (32x32 units, K=16 best-matching units) decoded by its
        # prototypes: the topographic-encoder alternative to the SP, same digits.
        from ..reconstruct import SOMPrototypes
        from ..som import SOMEncoder

        t0 = time.perf_counter()
        som = SOMPrototypes(SOMEncoder(n_rows=32, n_cols=32, n_active=16, random_state=a.seed)).fit(Ftr)
        fit_s = time.perf_counter() - t0
        codes = som.som.transform(Fte)
        t0 = time.perf_counter()
        rec = som.reconstruct(codes)
        rec_s = time.perf_counter() - t0
        recons["som_prototypes"] = rec
        ev = M.evaluate(Fte, rec, image_shape=(28, 28))
        rows.append({"method": "som_prototypes", "label": "SOM prototypes (own SDR, K=16)",
                     **{k: float(v) for k, v in ev.items()}, "fit_s": fit_s, "reconstruct_s": rec_s})

    def accuracy(train_features, test_features):
        return M.classification_accuracy(train_features, y[:n_train], test_features, y[n_train:])

    t0 = time.perf_counter()
    acc = {
        "accuracy_sdr_learning_pass_features": accuracy(train_pass, test_sdr),
        "accuracy_sdr_learned_sp_features": accuracy(train_sdr, test_sdr),
        "accuracy_raw_pixels": accuracy(Xtr, Xte),
    }
    timings["classifiers_s"] = time.perf_counter() - t0

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    figure, csv_path, json_path = out / "reconstruction.png", out / "metrics.csv", out / "demo_mnist.json"
    show = min(a.n_show, n_test)
    _plot_reconstructions(Xte[:show], test_sdr[:show].toarray(), sp.params["column_dimensions"],
                          [(r["label"], recons[r["method"]][:show]) for r in rows], figure,
                          f"htmhw {a.arith} SP, MNIST digits {n_train}..{n_train + show - 1}: "
                          "original, SDR, reconstructions")
    _write_metrics_csv(rows, csv_path)
    active = np.diff(test_sdr.indptr)
    result = {
        "dataset": f"MNIST test split (t10k), pixels > {a.threshold:g}",
        "protocol": "mnist-10k" if (n_train, n_test) == (8000, 2000) else "mnist-10k subset",
        "arithmetic": a.arith,
        "hw": hw.to_dict() if hw is not None else None,
        "sp_config": f"mnist (docs/protocols.md), boost_in_inference=True, seed {a.seed:d}",
        "n_train": n_train, "n_test": n_test, "num_columns": sp.num_columns, "threads": a.threads,
        "mean_active_columns_test": float(active.mean()),
        **acc,
        "methods": rows,
        "timings_s": timings,
        "files": {"figure": str(figure), "metrics_csv": str(csv_path), "json": str(json_path)},
    }
    json_path.write_text(json.dumps(result, indent=2) + "\n")
    return result


def _write_metrics_csv(rows, path) -> None:
    import csv

    fields = ["method", "label", "mse", "psnr", "ssim", "bit_precision", "bit_recall", "fit_s", "reconstruct_s"]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})


def format_mnist_table(result) -> str:
    """The printed table of `htmhw demo mnist`."""
    lines = [f"htmhw demo mnist: {result['arithmetic']} SP, {result['sp_config']}",
             f"  {result['dataset']}; train {result['n_train']}, test {result['n_test']} "
             f"({result['protocol']}); {result['num_columns']} columns, "
             f"{result['mean_active_columns_test']:.0f} active per test digit",
             "",
             f"  {'method':34s} {'MSE':>7s} {'PSNR dB':>8s} {'SSIM':>6s} {'bit P':>6s} {'bit R':>6s} "
             f"{'fit s':>7s} {'recon s':>8s}"]
    for r in result["methods"]:
        lines.append(f"  {r['label']:34s} {r['mse']:7.4f} {r['psnr']:8.2f} {r['ssim']:6.3f} "
                     f"{r['bit_precision']:6.3f} {r['bit_recall']:6.3f} {r['fit_s']:7.2f} {r['reconstruct_s']:8.3f}")
    t = result["timings_s"]
    lines += ["",
              f"  accuracy, LogisticRegression(C=0.1): SDRs {result['accuracy_sdr_learned_sp_features']:.4f} "
              f"(learning-pass features {result['accuracy_sdr_learning_pass_features']:.4f}), "
              f"raw pixels {result['accuracy_raw_pixels']:.4f}",
              f"  learn {t['learn_s']:.2f} s, infer {t['infer_s']:.2f} s, classifiers {t['classifiers_s']:.1f} s "
              f"({result['threads']} thread(s) for inference and reconstruction)",
              f"  wrote {result['files']['figure']}, {result['files']['metrics_csv']}, {result['files']['json']}"]
    return "\n".join(lines)


def _sdr_image(sdr, column_dims):
    """A 2-D picture of one SDR: active columns per position of the first two column axes
    (summed over the others), or a near-square reshape of a 1-D column space."""
    dims = tuple(int(d) for d in column_dims if int(d) > 1) or (len(sdr),)
    if len(dims) >= 2:
        return sdr.reshape(dims).reshape(dims[0], dims[1], -1).sum(axis=2)
    n = dims[0]
    rows = max(r for r in range(1, int(np.sqrt(n)) + 1) if n % r == 0)
    return sdr.reshape(rows, n // rows)


def _plot_reconstructions(originals, sdrs, column_dims, recon_rows, path, title) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(originals)
    dims = tuple(int(d) for d in column_dims if int(d) > 1)
    sdr_depth = int(np.prod(dims[2:])) if len(dims) >= 2 else 1  # columns summed per pixel of the SDR row
    rows = [("original", originals, "gray_r", (0, 1)), ("SDR", sdrs, "viridis", None)]
    rows += [(label, rec, "gray_r", (0, 1)) for label, rec in recon_rows]
    fig, axes = plt.subplots(len(rows), n, figsize=(1.1 * n + 2.4, 1.15 * len(rows) + 0.5), squeeze=False)
    for r, (label, data, cmap, lim) in enumerate(rows):
        for j in range(n):
            ax = axes[r, j]
            img = _sdr_image(data[j], column_dims) if label == "SDR" else np.asarray(data[j]).reshape(28, 28)
            kw = {"vmin": lim[0], "vmax": lim[1]} if lim else {"vmin": 0, "vmax": sdr_depth}
            art = ax.imshow(img, cmap=cmap, interpolation="nearest", **kw)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
        if label == "SDR":
            bar = fig.colorbar(art, ax=list(axes[r]), fraction=0.02, pad=0.01)
            bar.set_label(f"active columns\nof {sdr_depth}", fontsize=7)
            bar.ax.tick_params(labelsize=6)
    fig.suptitle(title, fontsize=9)
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
