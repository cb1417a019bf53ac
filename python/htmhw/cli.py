"""The ``htmhw`` command line."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from ._param_table import HW


class _Parser(argparse.ArgumentParser):
    """Every parser of the command line: no prefix abbreviations (``--data`` must not be read
    as ``--dataset``), and each parser records itself in the namespace so that errors found
    after parsing print the usage of the subcommand that was given, not the top-level one."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self.set_defaults(_parser=self)


def mnist_dir_for_cli(directory):
    """The MNIST test-split directory for a command: --mnist-dir, else HTMHW_DATA, else the copy
    shipped with the package; errors say what to do in command-line terms."""
    from .datasets import find_mnist_dir

    found = find_mnist_dir(directory, option="--mnist-dir")
    if found is None:
        raise FileNotFoundError("MNIST not found (the copy shipped in the package is missing); "
                                "use --mnist-dir DIR or set HTMHW_DATA")
    return found


DEMO_DIGITS_HELD_OUT = 100  # test digits `htmhw demo` always keeps out of the 1,797


def run_demo(out_dir: Path, seed: int, n_train: int, epochs: int, quiet: bool) -> dict:
    from .configs import named_config
    from .datasets import load_digits_binary
    from .metrics import classification_accuracy
    from .sp import SpatialPooler

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


def run_som_demo(out_dir: Path, seed: int, dataset: str, mnist_dir, quiet: bool) -> dict:
    """The SOM study of docs/som.md on a small scale: MNIST (3,000 train / 1,000 test,
    20x20 maps) or the 8x8 digits (1,200 / 597, 16x16), rect and hex, 10 epochs."""
    from .som import run_study, study_markdown

    if seed < 0:
        raise ValueError(f"--seed must be >= 0; got {seed}")
    if dataset == "mnist":
        mnist_dir = mnist_dir_for_cli(mnist_dir)
        sizes = dict(n_train=3000, n_test=1000, n_rows=20, n_cols=20, n_active=12)
    else:
        sizes = dict(n_train=1200, n_test=597, n_rows=16, n_cols=16, n_active=8)
    result = run_study(out_dir, dataset=dataset, mnist_dir=mnist_dir, seed=seed, n_epochs=10, n_threads=2,
                       quiet=quiet, option="--mnist-dir", **sizes)
    result["markdown"] = study_markdown(result, f"htmhw demo som --out {out_dir} --seed {seed}")
    (Path(out_dir) / "som_demo.json").write_text(json.dumps(result, indent=2) + "\n")
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


def _parse_assignments(items, what: str) -> dict:
    """KEY=VALUE strings -> dict, values parsed as JSON when possible (numbers, bools, lists)."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--{what} expects KEY=VALUE; got {item!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def _read_config_file(path: Path) -> dict:
    text = path.read_text()
    if path.suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise ValueError(f"{path}: reading YAML needs PyYAML (pip install pyyaml), or use JSON") from None
        data = yaml.safe_load(text)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(data, dict) or not set(data) <= {"sp", "hw"}:
        raise ValueError(f"{path}: expected an object with keys 'sp' (SpatialPooler parameters) and 'hw' "
                         f"(HardwareConfig fields)")
    return data


def golden_stimulus(source: str, steps: int, num_inputs: int, seed: int, active_fraction: float, mnist_dir=None):
    """(inputs, description) for `htmhw golden export --source`."""
    from .configs import RANDOM_ACTIVE_FRACTION  # noqa: F401  (documents the default)
    from .golden import random_inputs

    if source == "random":
        if not 0.0 <= active_fraction <= 1.0:
            raise ValueError(f"--active-fraction must be in [0, 1]; got {active_fraction}")
        active = int(round(active_fraction * num_inputs))
        return random_inputs(steps, num_inputs, active, seed), {"source": "random", "seed": seed,
                                                                 "num_active": active}
    if source in ("mnist", "digits"):
        if source == "mnist":
            from .datasets import load_mnist

            images, _ = load_mnist(mnist_dir_for_cli(mnist_dir))
            flat = (images.reshape(len(images), -1) > 30).astype(np.uint8)
            desc = {"source": "mnist", "split": "test", "binarize": "pixel > 30", "first": 0}
        else:
            from .datasets import load_digits_binary

            X, _ = load_digits_binary()
            flat = X.reshape(len(X), -1).astype(np.uint8)
            desc = {"source": "sklearn digits 8x8", "binarize": "pixel > 7", "first": 0}
        if flat.shape[1] != num_inputs:
            raise ValueError(f"--source {source} gives {flat.shape[1]} inputs but the configuration has {num_inputs}")
        reps = -(-steps // len(flat))
        return np.tile(flat, (reps, 1))[:steps], dict(desc, cycled=reps > 1)
    path = Path(source)
    if path.suffix != ".npy" or not path.is_file():
        raise ValueError(f"--source must be random, mnist, digits or an existing .npy file; got {source!r}")
    with open(path, "rb") as f:
        if f.read(6) != b"\x93NUMPY":
            raise ValueError(f"{path}: not a .npy file (it does not start with the NumPy magic bytes)")
    try:
        x = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise ValueError(f"{path}: not a readable .npy array ({e})") from None
    if x.ndim != 2 or x.shape[1] != num_inputs:
        raise ValueError(f"{path}: expected shape (n, {num_inputs}); got {x.shape}")
    return x[:steps], {"source": path.name}


def _pooler_and_stimulus(args):
    """(fixed-point pooler, inputs, stimulus description) from the shared run options."""
    from .configs import NAMES, named_config
    from .sp import SpatialPooler

    if args.steps < 1:
        raise ValueError(f"--steps must be >= 1; got {args.steps}")
    if args.config in NAMES:
        sp_params, hw = named_config(args.config), {}
    else:
        path = Path(args.config)
        if not path.is_file():
            raise ValueError(f"--config must be one of {', '.join(NAMES)} or a JSON/YAML file; got {args.config!r}")
        cfg = _read_config_file(path)
        sp_params, hw = dict(cfg.get("sp", {})), dict(cfg.get("hw", {}))
    sp_params.update(_parse_assignments(args.sp, "sp"))
    hw.update(_parse_assignments(args.hw, "hw"))
    sp = SpatialPooler(arithmetic="fixed", hw=hw, **sp_params)
    x, desc = golden_stimulus(args.source, args.steps, sp.num_inputs, args.seed, args.active_fraction,
                              args.mnist_dir)
    return sp, x, desc


GOLDEN_SIZE_LIMIT = 1e9  # bytes `htmhw golden export` writes without --force


def run_golden_export(args, announce=print) -> dict:
    """Export, after ``announce``-ing the expected size; refuses more than GOLDEN_SIZE_LIMIT
    bytes without --force (10,000 learning steps of the mnist config are about 2.7 GB)."""
    from .golden import estimate_bytes, export, learn_schedule

    sp, x, desc = _pooler_and_stimulus(args)
    expected = estimate_bytes(sp, len(x), int(learn_schedule(args.learn, len(x)).sum()))
    if expected > GOLDEN_SIZE_LIMIT and not args.force:
        raise ValueError(f"--steps {args.steps} would write about {expected / 1e9:.1f} GB to {args.out_dir} "
                         f"(more than {GOLDEN_SIZE_LIMIT / 1e9:g} GB); use fewer --steps, or --force to write it")
    announce(f"writing about {expected / 1e6:.1f} MB to {args.out_dir} ({len(x)} steps)")
    t0 = time.perf_counter()
    manifest = export(args.out_dir, sp, x, args.learn, stimulus=desc, overwrite=args.force)
    seconds = time.perf_counter() - t0
    sizes = manifest["sizes"]
    return {"out_dir": str(args.out_dir), "seconds": round(seconds, 3), **sizes,
            "bytes": sum((Path(args.out_dir) / f).stat().st_size for f in manifest["files"])}


def _add_run_arguments(parser) -> None:
    """Options shared by the commands that run a fixed-point pooler on a stimulus."""
    from .configs import NAMES

    parser.add_argument("--config", default="tiny",
                        help=f"a named configuration ({', '.join(NAMES)}) or a JSON/YAML "
                             "file {\"sp\": {...}, \"hw\": {...}} (default: tiny)")
    parser.add_argument("--sp", action="append", metavar="KEY=VALUE", help="override a SpatialPooler parameter")
    parser.add_argument("--hw", action="append", metavar="KEY=VALUE", help="override a HardwareConfig field")
    parser.add_argument("--source", default="random",
                        help="random (project PRNG), mnist, digits (sklearn 8x8) or a .npy file (default: random)")
    parser.add_argument("--steps", type=int, default=1000, help="number of steps (default: 1000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random stimulus (default: 1)")
    parser.add_argument("--active-fraction", type=float, default=0.1,
                        help="active input fraction of the random stimulus (default: 0.1)")
    parser.add_argument("--learn", default="all", help="learn schedule: all, none, first:N, every:K (default: all)")
    _add_mnist_dir_argument(parser)


def _add_mnist_dir_argument(parser, *aliases) -> None:
    """--mnist-dir DIR, the one flag of every command that reads MNIST."""
    parser.add_argument("--mnist-dir", *aliases, dest="mnist_dir", type=Path, default=None, metavar="DIR",
                        help="directory with t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz] "
                             "(default: $HTMHW_DATA/mnist or $HTMHW_DATA when set, else the MNIST test split "
                             "shipped with htmhw)")


# -- htmhw demo mnist: digit -> SDR -> digit by every reconstruction method, classifier, timings ----
# Protocol mnist-10k (docs/protocols.md): MNIST test split, pixels > 30, the `mnist` SP
# config, one learning pass over digits 0..n_train-1, evaluation on the next n_test digits.
MNIST_DEMO_DEFAULTS = dict(n_train=8000, n_test=2000, threshold=30, seed=4, n_show=10,
                           permanence_bits=HW["permanence_bits"].default)


def reconstruction_methods(sp, n_threads: int = 1):
    """[(key, label, reconstructor)] compared by `htmhw demo mnist`. The ridge alpha (100) and
    the top-k (10) were chosen on a validation split of the training digits (docs/reconstruction.md)."""
    from .reconstruct import BackProjection, NearestSDR, RidgeDecoder, UnionRule

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
    if a.threads > 1024:
        raise ValueError(f"--threads must be in [1, 1024]; got {a.threads}")
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
    from . import metrics as M
    from .configs import named_config
    from .datapath import HardwareConfig
    from .datasets import binarize, load_mnist
    from .sp import SpatialPooler

    _check_demo_mnist_args(a)
    images, labels = load_mnist(mnist_dir_for_cli(a.mnist_dir))
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
        from .reconstruct import SOMPrototypes
        from .som import SOMEncoder

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


def _add_demo_subparsers(demo) -> None:
    """`htmhw demo mnist` and `htmhw demo som` (their options go after the word mnist / som)."""
    d = MNIST_DEMO_DEFAULTS
    sub = demo.add_subparsers(dest="demo_command", metavar="{mnist,som}",
                              help="mnist: the MNIST job; som: the SOM encoder study "
                                   "(without either: the SP on the embedded 8x8 digits)")
    som = sub.add_parser("som", help="SOM encoder study on MNIST or the 8x8 digits, small scale",
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         epilog="examples:\n"
                                "  htmhw demo som                       # MNIST, writes htmhw-som-demo/\n"
                                "  htmhw demo som --dataset digits --out out/som-digits")
    som.add_argument("--dataset", choices=("mnist", "digits"), default="mnist",
                     help="mnist (3,000 train / 1,000 test digits) or the 8x8 digits (default: mnist)")
    _add_mnist_dir_argument(som, "--data")
    som.add_argument("--out", type=Path, default=Path("htmhw-som-demo"),
                     help="output directory (default: htmhw-som-demo)")
    som.add_argument("--seed", type=int, default=1, help="SOM seed (default: 1)")
    som.add_argument("--json", action="store_true", help="print the result as JSON")
    som.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p = sub.add_parser(
        "mnist", help="MNIST digit -> SDR -> digit with every reconstruction method, classifier, timings",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  htmhw demo mnist --n-train 1000 --n-test 200   # a quick subset (protocol: 8000 / 2000)\n"
               "  htmhw demo mnist --arith fixed --permanence-bits 6 --n-train 1000 --n-test 200 --out out/fixed6\n"
               "MNIST is read from --mnist-dir (alias --data), else $HTMHW_DATA/mnist or $HTMHW_DATA,\n"
               "else the test split shipped with htmhw. Writes into --out (default htmhw-demo-mnist/).")
    _add_mnist_dir_argument(p, "--data")
    p.add_argument("--arith", choices=("float", "fixed"), default="float",
                   help="float reference or fixed-point datapath (default: float)")
    p.add_argument("--permanence-bits", dest="permanence_bits", type=int, default=d["permanence_bits"],
                   help=f"fixed point: permanence width in bits, {HW['permanence_bits'].allowed} "
                        f"(default: {d['permanence_bits']})")
    p.add_argument("--n-train", dest="n_train", type=int, default=d["n_train"],
                   help=f"training digits, learned in one pass (default: {d['n_train']})")
    p.add_argument("--n-test", dest="n_test", type=int, default=d["n_test"],
                   help=f"test digits, the ones after the training digits (default: {d['n_test']})")
    p.add_argument("--threshold", type=float, default=d["threshold"],
                   help=f"binarization: pixel > threshold (default: {d['threshold']})")
    p.add_argument("--seed", dest="seed", type=int, default=d["seed"], help=f"SP seed (default: {d['seed']})")
    p.add_argument("--threads", type=int, default=1, help="threads for inference and reconstruction (default: 1)")
    p.add_argument("--n-show", dest="n_show", type=int, default=d["n_show"],
                   help=f"test digits in the figure (default: {d['n_show']})")
    p.add_argument("--no-som", dest="no_som", action="store_true",
                   help="leave out the SOM encoder row (its own SDR decoded by its prototypes)")
    p.add_argument("--out", dest="out", type=Path, default=Path("htmhw-demo-mnist"),
                   help="output directory (default: htmhw-demo-mnist)")
    p.add_argument("--json", dest="json", action="store_true", help="print the result as JSON")
    p.add_argument("--quiet", dest="quiet", action="store_true", help="print nothing but errors")


def _main_demo_mnist(args) -> int:
    try:
        result = run_demo_mnist(args, progress=not (args.quiet or args.json))
    except (ValueError, TypeError, FileNotFoundError, OSError) as e:
        print(f"htmhw demo mnist: error: {e}", file=sys.stderr)
        return 2
    _print_result(args, result, lambda: format_mnist_table(result))
    return 0


def _print_result(args, result, text) -> None:
    """The one output rule of every command: --json prints ``result`` as JSON, --quiet
    nothing, otherwise ``text()`` (a callable, so that nothing is formatted for --json)."""
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    elif not getattr(args, "quiet", False):
        print(text())


# -- htmhw sweep run | resume | report ---------------------------------------------------------------

def _add_sweep_parsers(sub) -> None:
    sw = sub.add_parser(
        "sweep", help="design-space sweeps on dask.distributed: run, resume, report (docs/sweeps.md)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  htmhw sweep run docs/sweeps/quick.json --out sweeps/quick --workers 2\n"
               "  htmhw sweep resume sweeps/quick          # after an interruption: only missing rows run\n"
               "  htmhw sweep report sweeps/quick --json   # summary, Pareto fronts, results.csv, plots\n"
               "On a running dask cluster: htmhw sweep run SPEC --out DIR --scheduler tcp://HOST:8786.")
    ssub = sw.add_subparsers(dest="sweep_command", required=True, metavar="{run,resume,report}")
    examples = {
        "run": "examples:\n"
               "  htmhw sweep run docs/sweeps/quick.json --out sweeps/quick --workers 2\n"
               "  htmhw sweep run docs/sweeps/quick.json --out sweeps/quick-serial --workers 0 --quiet\n"
               "A spec whose configurations cannot run is refused before anything runs (docs/sweeps.md).",
        "resume": "examples:\n"
                  "  htmhw sweep resume sweeps/quick                  # only the missing rows run\n"
                  "  htmhw sweep resume sweeps/quick --retry-failed --workers 0",
    }
    for name, helptext in (("run", "start a sweep from a spec file (JSON or YAML) into --out"),
                           ("resume", "continue an interrupted sweep (finished rows are kept)")):
        p = ssub.add_parser(name, help=helptext, epilog=examples[name],
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        if name == "run":
            p.add_argument("spec", type=Path, help="sweep spec (.json, .yaml)")
            p.add_argument("--out", type=Path, required=True, help="output directory (rows/, results.csv, plots)")
        else:
            p.add_argument("out", type=Path, help="the sweep's output directory")
        p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="a running dask scheduler (tcp://host:port); default: a LocalCluster")
        p.add_argument("--workers", type=int, default=2,
                       help="LocalCluster worker processes (default 2; 0 = run in this process)")
        p.add_argument("--threads-per-worker", type=int, default=1, help="threads per worker (default 1)")
        p.add_argument("--retry-failed", action="store_true", help="rerun the tasks that failed before")
        p.add_argument("--no-plots", action="store_true", help="do not write the Pareto plots")
        p.add_argument("--json", action="store_true", help="print the summary as JSON")
        p.add_argument("--quiet", action="store_true", help="print nothing but errors (no progress bar)")
        p.set_defaults(func=_main_sweep)
    p = ssub.add_parser("report", help="summary, Pareto fronts (accuracy vs energy, vs area), plots, results.csv",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        epilog="examples:\n"
                               "  htmhw sweep report sweeps/quick\n"
                               "  htmhw sweep report sweeps/quick --json --png-dir out/quick-plots")
    p.add_argument("out", type=Path, help="the sweep's output directory")
    p.add_argument("--png-dir", type=Path, default=None, help="where to write the plots (default: the sweep directory)")
    p.add_argument("--no-plots", action="store_true", help="do not write the Pareto plots")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=_main_sweep)


def _main_sweep(args) -> int:
    from . import sweep as S

    cmd = args.sweep_command
    try:
        if cmd == "report":
            s = S.report(args.out, png_dir=args.png_dir, plots=not args.no_plots)
        else:
            kw = dict(scheduler=args.scheduler, n_workers=args.workers, threads_per_worker=args.threads_per_worker,
                      progress=not (args.quiet or args.json), retry_failed=args.retry_failed,
                      plots=not args.no_plots)
            s = S.run(args.spec, args.out, **kw) if cmd == "run" else S.resume(args.out, **kw)
    except (ValueError, TypeError, FileNotFoundError, OSError) as e:
        print(f"htmhw sweep {cmd}: error: {e}", file=sys.stderr)
        return 2
    _print_result(args, s, lambda: S.format_summary(s))
    return 1 if s["failed"] else 0


# -- htmhw bench --------------------------------------------------------------------------------------

def _add_bench_parser(sub) -> None:
    p = sub.add_parser(
        "bench", help="quick throughput of the float and fixed-point poolers on this machine",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  htmhw bench --config mnist --source mnist --steps 200\n"
               "  htmhw bench --config random --threads 2 --json\n"
               "The C++ benchmark executables (cpp/bench/, -DHTMHW_BUILD_BENCH=ON) and benchmarks/*.py give the\n"
               "figures of docs/performance.md; this command is a quick check of an installed package.")
    _add_run_arguments(p)
    p.add_argument("--threads", type=int, default=1, help="threads for batch inference, 1..1024 (default 1)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=_main_bench, config="mnist", source="random")


def run_bench(args) -> dict:
    from .sp import SpatialPooler

    if isinstance(args.threads, bool) or not 1 <= args.threads <= 1024:
        raise ValueError(f"--threads must be in [1, 1024]; got {args.threads}")
    fixed, x, desc = _pooler_and_stimulus(args)
    out = {"config": args.config, "stimulus": desc, "steps": int(len(x)), "num_columns": fixed.num_columns,
           "num_inputs": fixed.num_inputs, "threads": args.threads}
    for arith, sp in (("float", SpatialPooler(**fixed.params)), ("fixed", fixed)):
        t0 = time.perf_counter()
        sp.compute(x, learn=True, output="sparse")
        learn_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        sp.infer(x, output="sparse", n_threads=args.threads)
        infer_s = time.perf_counter() - t0
        out[arith] = {"learn_steps_per_s": round(len(x) / learn_s, 1),
                      "infer_steps_per_s": round(len(x) / infer_s, 1)}
    return out


def _main_bench(args) -> int:
    try:
        r = run_bench(args)
    except (ValueError, TypeError, FileNotFoundError) as e:
        print(f"htmhw bench: error: {e}", file=sys.stderr)
        return 2
    def text():
        lines = [f"htmhw bench: {r['config']} ({r['num_inputs']} inputs, {r['num_columns']} columns), "
                 f"{r['steps']} steps of {r['stimulus'].get('source', '?')} input, {r['threads']} inference thread(s)"]
        lines += [f"  {a:5s}: learn {r[a]['learn_steps_per_s']:>10.1f} steps/s   "
                  f"infer {r[a]['infer_steps_per_s']:>10.1f} steps/s" for a in ("float", "fixed")]
        return "\n".join(lines)

    _print_result(args, r, text)
    return 0


def _add_lane_arguments(p) -> None:
    p.add_argument("--column-lanes", type=int, default=1,
                   help="sp_top's COLUMN_LANES: columns processed together, a power of two (default 1)")
    p.add_argument("--kwta-lanes", type=int, default=None,
                   help="sp_top's KWTA_LANES: scores per kWTA cycle, column lanes times a power of two "
                        "(default: the column lanes)")


def _add_hdl_implement_parser(hsub) -> None:
    himp = hsub.add_parser(
        "implement", help="place and route hdl_ref/ for a golden directory's configuration (yowasp yosys + "
                          "nextpnr) and compare its steps/s at fmax with the C++ model's",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples (a small design, about a minute once the tools are compiled):\n"
               "  htmhw golden export out/impl --config tiny-stress --hw boost_lut_bits=5 --steps 200\n"
               "  htmhw hdl implement out/impl --family ecp5 --device 25k\n"
               "needs pip install 'htmhw[fpga]'; exit 1 when the design does not fit or the time limit ends it;\n"
               "larger configurations and their run times: docs/hardware.md")
    himp.add_argument("golden_dir", type=Path)
    himp.add_argument("--family", choices=("ecp5", "ice40"), default="ecp5", help="FPGA family (default ecp5)")
    himp.add_argument("--device", default=None,
                      help="ecp5: 25k, 45k, 85k; ice40: up5k, hx8k (default: the family's largest)")
    himp.add_argument("--lanes", type=int, default=1, help="sp_top's SYN_LANES: synapse slots per row (default 1)")
    _add_lane_arguments(himp)
    himp.add_argument("--freq", type=float, default=100.0,
                      help="clock constraint for nextpnr in MHz (default 100); fmax is measured, not this")
    himp.add_argument("--timeout", type=float, default=3600.0,
                      help="limit on synthesis plus place and route, seconds (default 3600)")
    himp.add_argument("--repeats", type=int, default=5, help="C++ model timing repeats (default 5)")
    himp.add_argument("--work-dir", type=Path, default=None, help="keep the tool logs, netlist and report here")
    himp.add_argument("--json", action="store_true", help="print the result as JSON")
    himp.add_argument("--quiet", action="store_true", help="print nothing but errors (no progress lines)")
    himp.set_defaults(func=_main_hdl_implement)


def _main_hdl_implement(args) -> int:
    from . import fpga

    device = args.device or {"ecp5": "85k", "ice40": "hx8k"}[args.family]
    try:
        r = fpga.implement(args.golden_dir, args.family, device, synapse_lanes=args.lanes, freq_mhz=args.freq,
                           column_lanes=args.column_lanes, kwta_lanes=args.kwta_lanes,
                           timeout=args.timeout, repeats=args.repeats, work_dir=args.work_dir,
                           progress=not (args.quiet or args.json))
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as e:
        print(f"htmhw hdl implement: error: {e}", file=sys.stderr)
        return 2
    _print_result(args, r, lambda: fpga.format_report(r))
    return 0 if r["status"] == "ok" else 1


def build_parser() -> argparse.ArgumentParser:
    """The whole command line (every subcommand's parser hangs below this one)."""
    parser = _Parser(
        prog="htmhw",
        description="Spatial pooler models for HTM hardware design.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  htmhw demo                                   # the SP on the embedded 8x8 digits\n"
               "  htmhw demo mnist --n-train 1000 --n-test 200 # digit -> SDR -> digit, classifier\n"
               "  htmhw golden export out/tiny --config tiny --steps 1000\n"
               "  htmhw hdl verify out/tiny                    # Verilog reference vs golden vectors\n"
               "  htmhw crossbar report --preset mnsim2-default --config mnist --source mnist --steps 200\n"
               "  htmhw sweep run docs/sweeps/quick.json --out sweeps/quick --workers 2\n"
               "  htmhw bench --config mnist --steps 200\n"
               "MNIST: the commands that read it take --mnist-dir DIR (else $HTMHW_DATA, else the test\n"
               "split shipped with htmhw).\n"
               "Every command takes --help, and --json / --quiet for scripts. Exit codes: 0 success,\n"
               "1 finished but found failures (mismatching HDL words, failed sweep configurations),\n"
               "2 invalid arguments or input.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="train the float spatial pooler on the embedded 8x8 digits and compare classifiers "
             "(`htmhw demo mnist`: the MNIST job; `htmhw demo som`: the SOM encoder study)",
        epilog="examples:\n"
               "  htmhw demo                       # writes htmhw-demo/digits_sdrs.png and demo.json\n"
               "  htmhw demo --out out/demo --seed 2 --n-train 1000\n"
               "  htmhw demo mnist --n-train 1000 --n-test 200\n"
               "  htmhw demo som --dataset digits --out out/som-digits",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument("--out", type=Path, default=Path("htmhw-demo"), help="output directory (default: htmhw-demo)")
    demo.add_argument("--seed", type=int, default=1, help="spatial pooler seed (default: 1)")
    demo.add_argument("--n-train", type=int, default=1200,
                      help=f"training digits, 10..{1797 - DEMO_DIGITS_HELD_OUT} (default: 1200 of 1797; the "
                           "digits after them are the test set)")
    demo.add_argument("--epochs", type=int, default=3, help="learning passes over the training digits (default: 3)")
    demo.add_argument("--json", action="store_true", help="print the result as JSON")
    demo.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _add_demo_subparsers(demo)
    golden = sub.add_parser("golden", help="golden test vectors of the fixed-point datapath (docs/golden.md)",
                            formatter_class=argparse.RawDescriptionHelpFormatter,
                            epilog="examples:\n  htmhw golden export out/tiny --config tiny --steps 1000\n"
                                   "  htmhw golden check out/tiny")
    gsub = golden.add_subparsers(dest="golden_command", required=True)
    gexp = gsub.add_parser(
        "export",
        help="run the fixed-point model and write a golden-vector directory",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  htmhw golden export out/tiny7 --config tiny --steps 1000 --seed 7\n"
        "  htmhw golden export out/mnist --config mnist --source mnist --steps 100\n"
        "  htmhw golden export out/p4 --config mnist-256 --hw permanence_bits=4 --learn every:2 --steps 200\n"
        "A config file holds {\"sp\": {...}, \"hw\": {...}} (--config my_sp.json); --source also takes an (n,\n"
        "num_inputs) .npy file of 0/1 inputs. The size is printed before writing; more than\n"
        f"{GOLDEN_SIZE_LIMIT / 1e9:g} GB needs --force.",
    )
    gexp.add_argument("out_dir", type=Path, help="directory to create")
    _add_run_arguments(gexp)
    gexp.add_argument("--force", action="store_true",
                      help=f"replace out_dir if it exists, and write more than {GOLDEN_SIZE_LIMIT / 1e9:g} GB")
    gexp.add_argument("--json", action="store_true", help="print the result as JSON")
    gexp.add_argument("--quiet", action="store_true", help="print nothing but errors")
    gchk = gsub.add_parser("check", help="check a golden directory's manifest and checksums",
                           epilog="example: htmhw golden check out/tiny")
    gchk.add_argument("golden_dir", type=Path)
    hdl = sub.add_parser("hdl", help="the Verilog reference (hdl_ref/): verification and resource estimates",
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         epilog="examples:\n  htmhw hdl verify out/tiny\n  htmhw hdl resources out/tiny --target ice40")
    hsub = hdl.add_subparsers(dest="hdl_command", required=True)
    import textwrap

    from .hdl import RTL_LOOKUP

    hver = hsub.add_parser(
        "verify", help="simulate hdl_ref/ on a golden directory and compare every field",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=textwrap.fill(
            "Simulate the RTL on a golden directory and compare every expected word; print the RTL directory "
            "and the SHA-256 of its files. Exit status 0: every simulator compared exactly the words the "
            "directory promises, all equal, and the simulated cycles equal the C++ cycle model's; 1: any of "
            "these fails or a simulator produced no result; 2: bad input or a missing tool.", 90) + "\n\n" +
        textwrap.fill(RTL_LOOKUP[0].upper() + RTL_LOOKUP[1:], 90),
        epilog="examples:\n  htmhw golden export out/tiny --config tiny --steps 1000\n"
               "  htmhw hdl verify out/tiny\n  htmhw hdl verify out/tiny --simulator icarus --json\n"
               "  htmhw hdl verify out/tiny --rtl hdl_ref/rtl --simulator icarus"
               "   # this RTL directory (e.g. your edited copy)")
    hver.add_argument("golden_dir", type=Path)
    hver.add_argument("--rtl", type=Path, default=None, metavar="DIR",
                      help="directory of the RTL files to verify (default: see the lookup order above)")
    hver.add_argument("--simulator", action="append", choices=("icarus", "verilator", "cocotb"),
                      help="simulator(s) to run (default: all three)")
    hver.add_argument("--lanes", type=int, default=1, help="sp_top's SYN_LANES: synapse slots per row (default 1)")
    _add_lane_arguments(hver)
    hver.add_argument("--json", action="store_true", help="print the result as JSON")
    hver.add_argument("--quiet", action="store_true", help="print nothing but errors")
    hres = hsub.add_parser(
        "resources", help="synthesize hdl_ref/ for a golden directory's configuration with yosys",
        epilog="example: htmhw hdl resources out/tiny --target ice40")
    hres.add_argument("golden_dir", type=Path)
    hres.add_argument("--target", choices=("generic", "ice40", "xc7"), default="generic")
    hres.add_argument("--lanes", type=int, default=1, help="sp_top's SYN_LANES: synapse slots per row (default 1)")
    _add_lane_arguments(hres)
    hres.add_argument("--json", action="store_true", help="print the result as JSON")
    hres.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _add_hdl_implement_parser(hsub)
    xb = sub.add_parser("crossbar", help="memristor-crossbar cost estimates (docs/crossbar.md)",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        epilog="example:\n"
                               "  htmhw crossbar report --preset zyarah-htm --config tiny --learn first:500 --json")
    xsub = xb.add_subparsers(dest="crossbar_command", required=True)
    xrep = xsub.add_parser(
        "report", help="run a fixed-point pooler on a stimulus and print its crossbar costs",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  htmhw crossbar report --preset mnsim2-default --config mnist --source mnist"
               " --steps 300 --learn first:200\n"
               "  htmhw crossbar report --preset zyarah-htm --config tiny --learn first:500 --json")
    xrep.add_argument("--preset", default="mnsim2-default", help="crossbar preset (default: mnsim2-default)")
    _add_run_arguments(xrep)
    xrep.add_argument("--input-rate", type=float, default=None, help="inputs per second, for the average power")
    xrep.add_argument("--plot", type=Path, default=None, help="write the energy/area stacked-bar plot here")
    xrep.add_argument("--json", action="store_true", help="print the result as JSON")
    xrep.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _add_sweep_parsers(sub)
    _add_bench_parser(sub)
    return parser


def main(argv=None) -> int:
    args, extra = build_parser().parse_known_args(argv)
    if extra:  # reported by the subcommand that was given, with its usage
        args._parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if hasattr(args, "func"):
        return args.func(args)
    if args.command == "crossbar":
        from . import crossbar as _xb

        try:
            sp, x, _ = _pooler_and_stimulus(args)
            report = _xb.estimate(sp, x, args.learn, preset_name=args.preset,
                                  input_rate_hz=args.input_rate)
            if args.plot is not None:
                report.plot(args.plot)
        except (ValueError, TypeError, FileNotFoundError) as e:
            print(f"htmhw crossbar report: error: {e}", file=sys.stderr)
            return 2
        _print_result(args, report.to_dict(), report.table)
        return 0
    if args.command == "hdl":
        from . import hdl as _hdl

        try:
            if args.hdl_command == "verify":
                sims = tuple(args.simulator) if args.simulator else ("icarus", "verilator", "cocotb")
                result = _hdl.verify(args.golden_dir, simulators=sims, quiet=args.quiet or args.json,
                                     rtl_dir=args.rtl, synapse_lanes=args.lanes,
                                     column_lanes=args.column_lanes, kwta_lanes=args.kwta_lanes)
                failed = not result["ok"]
            else:
                result = _hdl.resources(args.golden_dir, target=args.target, synapse_lanes=args.lanes,
                                        column_lanes=args.column_lanes, kwta_lanes=args.kwta_lanes)
                failed = 0
        except (ValueError, TypeError, FileNotFoundError, RuntimeError) as e:
            print(f"htmhw hdl {args.hdl_command}: error: {e}", file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps(result, indent=2, default=str))
        elif args.hdl_command == "verify" and not args.quiet:
            rtl = result["rtl"]
            print(f"RTL: {rtl['dir']} ({rtl['found_by']})\nRTL sha256: {rtl['sha256']}\n"
                  f"testbenches: {result['testbench_dir']}\ncycles: {result['cycles_checked']}")
            for name, r in result["simulators"].items():
                match = {True: ", cycles = model", False: ", cycles DIFFER from the model"}.get(
                    r.get("cycles_match_model"), "")
                if r.get("cycles_per_step_mean") is not None:
                    print(f"  {name}: {r['cycles_per_step_mean']} cycles/step{match}")
                for line in r.get("first_mismatches", []):
                    print(f"    {line}")
            if result["ok"]:
                print(f"hdl_ref is bit-exact on every field: {result['expected_words']} words per simulator")
            else:
                print("verification FAILED:\n" + "\n".join(f"  {p}" for p in result["problems"]))
        elif args.hdl_command == "resources" and not args.quiet:
            print(f"yosys {result['target']} synthesis ({result['seconds']} s): {result['num_cells']} cells")
            for cell, n in sorted(result["cells"].items(), key=lambda kv: -kv[1]):
                print(f"  {cell:24s} {n}")
        return 1 if failed else 0
    if args.command == "golden":
        try:
            if args.golden_command == "export":
                result = run_golden_export(args, announce=(lambda m: None) if args.json or args.quiet
                                           else (lambda m: print(m, flush=True)))
                if args.json:
                    print(json.dumps(result, indent=2))
                elif not args.quiet:
                    print(f"wrote {result['out_dir']}: {result['num_steps']} steps ({result['num_learn_steps']} "
                          f"learning), {result['num_columns']} columns x {result['num_inputs']} inputs, "
                          f"{result['num_synapses']} synapses, {result['bytes'] / 1e6:.1f} MB in "
                          f"{result['seconds']:.2f} s")
            else:
                from .golden import load

                manifest, _ = load(args.golden_dir)
                print(f"{args.golden_dir}: format {manifest['format']} v{manifest['format_version']}, "
                      f"{len(manifest['files'])} files, checksums OK")
        except (ValueError, TypeError, FileNotFoundError) as e:
            print(f"htmhw golden {args.golden_command}: error: {e}", file=sys.stderr)
            return 2
        return 0
    if args.command == "demo" and getattr(args, "demo_command", None) == "som":
        try:
            result = run_som_demo(args.out, args.seed, args.dataset, args.mnist_dir, args.quiet or args.json)
        except (ValueError, TypeError, FileNotFoundError) as e:
            print(f"htmhw demo som: error: {e}", file=sys.stderr)
            return 2
        _print_result(args, result, lambda: result["markdown"] + f"wrote {', '.join(result['figures'])} and "
                      f"{args.out / 'som_demo.json'}")
        return 0
    if args.command == "demo" and getattr(args, "demo_command", None) == "mnist":
        return _main_demo_mnist(args)
    if args.command == "demo":
        if args.seed < 0:
            args._parser.error("--seed must be >= 0")
        if args.epochs < 1:
            args._parser.error("--epochs must be >= 1")
        try:
            result = run_demo(args.out, args.seed, args.n_train, args.epochs, args.quiet)
        except ValueError as e:
            args._parser.error(str(e))
        if args.json:
            print(json.dumps(result, indent=2))
        elif not args.quiet:
            print(f"htmhw demo: float spatial pooler on {result['dataset']}")
            print(f"  train/test digits      : {result['n_train']} / {result['n_test']} "
                  f"({result['epochs']} learning passes)")
            print(f"  columns, SDR sparsity  : {result['num_columns']}, {result['sdr_sparsity']:.3f}")
            print(f"  accuracy on SDRs       : {result['accuracy_sdr']:.4f}  (LogisticRegression C=0.1)")
            print(f"  accuracy on raw pixels : {result['accuracy_raw_pixels']:.4f}")
            print(f"  learn / infer steps/s  : {result['learn_steps_per_s']:.0f} / {result['infer_steps_per_s']:.0f}")
            print(f"  wrote {result['figure']} and {args.out / 'demo.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
