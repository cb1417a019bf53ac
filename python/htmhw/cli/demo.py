"""`htmhw demo` (the SP on the embedded 8x8 digits), `htmhw demo mnist` (digit -> SDR -> digit)
and `htmhw demo som` (the SOM study, small): argument parsing and printing; the runs are in
:mod:`htmhw.demos`."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .._param_table import HW
from ..datasets import require_mnist_dir
from ..demos.digits import DEMO_DIGITS_HELD_OUT, run_demo
from ..demos.mnist import MNIST_DEMO_DEFAULTS, format_mnist_table, run_demo_mnist
from ._common import add_mnist_dir_argument, print_result


def run_som_demo(out_dir: Path, seed: int, dataset: str, mnist_dir, quiet: bool) -> dict:
    """The SOM studies of docs/som.md on a small scale: MNIST pixels (3,000 train / 1,000 test,
    20x20 maps) or the 8x8 digits (1,200 / 597, 16x16), rect and hex, 10 epochs; or dense
    embeddings of MNIST (mnist-pca, mnist-mlp: 64-d, 3,000 / 1,000, a 20x20 hex map)."""
    from ..demos.som_study import run_study, study_markdown

    if seed < 0:
        raise ValueError(f"--seed must be >= 0; got {seed}")
    if dataset in ("mnist-pca", "mnist-mlp"):
        from ..demos.embedding_study import embedding_study_markdown, run_embedding_study

        result = run_embedding_study(out_dir, method=dataset.split("-")[1], dims=64, n_train=3000, n_test=1000,
                                     n_rows=20, n_cols=20, n_active=12, seed=seed,
                                     mnist_dir=require_mnist_dir(mnist_dir))
        result["markdown"] = embedding_study_markdown(
            result, f"htmhw demo som --dataset {dataset} --out {out_dir} --seed {seed}")
        (Path(out_dir) / "som_demo.json").write_text(json.dumps(result, indent=2) + "\n")
        return result
    if dataset == "mnist":
        mnist_dir = require_mnist_dir(mnist_dir)
        sizes = dict(n_train=3000, n_test=1000, n_rows=20, n_cols=20, n_active=12)
    else:
        sizes = dict(n_train=1200, n_test=597, n_rows=16, n_cols=16, n_active=8)
    result = run_study(out_dir, dataset=dataset, mnist_dir=mnist_dir, seed=seed, n_epochs=10, n_threads=2,
                       quiet=quiet, option="--mnist-dir", **sizes)
    result["markdown"] = study_markdown(result, f"htmhw demo som --out {out_dir} --seed {seed}")
    (Path(out_dir) / "som_demo.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


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
                                "  htmhw demo som --dataset digits --out out/som-digits\n"
                                "  htmhw demo som --dataset mnist-pca --out out/som-embeddings")
    som.add_argument("--dataset", choices=("mnist", "digits", "mnist-pca", "mnist-mlp"), default="mnist",
                     help="mnist pixels (3,000 train / 1,000 test digits), the 8x8 digits, or dense 64-d "
                          "embeddings of MNIST (PCA, or an MLP's hidden layer: the embeddings study) "
                          "(default: mnist)")
    add_mnist_dir_argument(som, "--data")
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
    add_mnist_dir_argument(p, "--data")
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
    print_result(args, result, lambda: format_mnist_table(result))
    return 0


def add_parsers(sub) -> None:
    """`htmhw demo [mnist | som]`."""
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
    demo.set_defaults(func=main)


def main(args) -> int:
    if getattr(args, "demo_command", None) == "som":
        try:
            result = run_som_demo(args.out, args.seed, args.dataset, args.mnist_dir, args.quiet or args.json)
        except (ValueError, TypeError, FileNotFoundError) as e:
            print(f"htmhw demo som: error: {e}", file=sys.stderr)
            return 2
        print_result(args, result, lambda: result["markdown"] + f"wrote {', '.join(result['figures'])} and "
                      f"{args.out / 'som_demo.json'}")
        return 0
    if getattr(args, "demo_command", None) == "mnist":
        return _main_demo_mnist(args)
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
