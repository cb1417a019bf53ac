"""`htmhw som embeddings | fit | encode`: dense embeddings of MNIST made offline, a SOM encoder
trained on an embedding file, and the SDRs of an embedding file (docs/som.md, "From embedding
files")."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from .._param_table import SOM
from ..datasets import EMBEDDING_METHODS
from ._common import add_mnist_dir_argument, add_output_flags, command_error, print_result

_ERRORS = (ValueError, TypeError, FileNotFoundError, MemoryError)


def add_parsers(sub) -> None:
    som = sub.add_parser(
        "som", help="SOM encoder on embedding files: fit a map, encode embeddings as SDRs (docs/som.md)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  htmhw som embeddings --method pca --dims 64 --out emb.npy --labels-out labels.npy\n"
               "  htmhw som fit emb.npy --rows 32 --cols 32 --lattice hex --out som.htmhw\n"
               "  htmhw som encode som.htmhw emb.npy --k 16 --out sdrs.npz\n"
               "  htmhw sdr show sdrs.npz --labels labels.npy --out sdrs.png")
    ssub = som.add_subparsers(dest="som_command", required=True, metavar="{embeddings,fit,encode}")
    emb = ssub.add_parser(
        "embeddings", help="dense embeddings of the MNIST test digits, made offline (PCA or an MLP's hidden layer)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  htmhw som embeddings --method pca --dims 64 --out emb.npy --labels-out labels.npy\n"
               "  htmhw som embeddings --method mlp --dims 32 --n-fit 2000 --out emb-mlp.csv\n"
               "Rows are scaled to unit L2 norm; the digits after --n-fit were not seen by the embedding.")
    emb.add_argument("--method", choices=EMBEDDING_METHODS, default="pca",
                     help="pca: principal components of the pixels; mlp: hidden layer of an MLP classifier "
                          "(default pca)")
    emb.add_argument("--dims", type=int, default=64, help="embedding dimensions, 2..784 (default 64)")
    emb.add_argument("--n-fit", type=int, default=8000,
                     help="digits the PCA / MLP is fitted on, 100..10000 (default 8000: the first 8,000)")
    emb.add_argument("--seed", type=int, default=0, help="MLP seed (default 0)")
    emb.add_argument("--out", type=Path, required=True, help="embeddings file to write: .npy, .npz or .csv")
    emb.add_argument("--labels-out", type=Path, default=None, help="also write the digits' labels (.npy)")
    add_mnist_dir_argument(emb)
    add_output_flags(emb)
    emb.set_defaults(func=main)
    fit = ssub.add_parser(
        "fit", help="train a SOM encoder on an embedding file (.npy, .npz, .csv; float32/float64)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  htmhw som fit emb.npy --rows 32 --cols 32 --lattice hex --out som.htmhw\n"
               "  htmhw som fit emb-mlp.csv --rows 16 --cols 16 --epochs 20 --threads 2 --out small.htmhw --json\n"
               "Prints the quantization and topographic errors on the training embeddings.")
    fit.add_argument("embeddings", type=Path, help="(n_samples, n_features) embeddings: .npy, .npz or .csv")
    fit.add_argument("--out", type=Path, required=True, help="the encoder file to write (e.g. som.htmhw)")
    fit.add_argument("--rows", type=int, default=32, help=f"map rows, {SOM['n_rows'].allowed} (default 32)")
    fit.add_argument("--cols", type=int, default=32, help=f"map columns, {SOM['n_cols'].allowed} (default 32)")
    fit.add_argument("--lattice", choices=SOM["lattice"].choices, default="rect", help="unit layout (default rect)")
    fit.add_argument("--topology", choices=SOM["topology"].choices, default="planar",
                     help="planar or toroidal (default planar)")
    fit.add_argument("--method", choices=SOM["method"].choices, default="batch", help="training (default batch)")
    fit.add_argument("--epochs", type=int, default=10, help=f"training epochs, {SOM['n_epochs'].allowed} (default 10)")
    fit.add_argument("--radius-start", type=float, default=None,
                     help="neighbourhood radius of the first epoch (default max(rows, cols) / 2)")
    fit.add_argument("--radius-end", type=float, default=1.0, help="radius of the last epoch (default 1)")
    fit.add_argument("--k", type=int, default=16, help="active units per SDR, stored as the encoder's default (16)")
    fit.add_argument("--init", choices=("pca", "sample"), default="pca", help="initial prototypes (default pca)")
    fit.add_argument("--seed", type=int, default=0, help="seed of the initialization (default 0)")
    fit.add_argument("--threads", type=int, default=1,
                     help=f"threads, {SOM['n_threads'].allowed}; results are identical for any count (default 1)")
    add_output_flags(fit)
    fit.set_defaults(func=main)
    enc = ssub.add_parser(
        "encode", help="the SDRs (K best-matching units) of an embedding file, as CSR in an .npz",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  htmhw som encode som.htmhw emb.npy --k 16 --out sdrs.npz\n"
               "The .npz holds the SDRs (indptr, indices, shape; htmhw.sdr.load_sdrs reads it), bmu_units and\n"
               "bmu_distances (n_samples, k; nearest first), and the map's grid and lattice for `htmhw sdr show`.")
    enc.add_argument("encoder", type=Path, help="an encoder file of `htmhw som fit` (SOMEncoder.save)")
    enc.add_argument("embeddings", type=Path, help="(n_samples, n_features) embeddings: .npy, .npz or .csv")
    enc.add_argument("--out", type=Path, required=True, help="the .npz to write")
    enc.add_argument("--k", type=int, default=None, help="active units per SDR (default: the encoder's)")
    enc.add_argument("--threads", type=int, default=1, help="threads (default 1)")
    add_output_flags(enc)
    enc.set_defaults(func=main)


def run_embeddings(args) -> dict:
    import io

    import numpy as np

    from .._fileformat import atomic_write_bytes
    from ..datasets import mnist_embeddings

    suffix = args.out.suffix.lower()
    if suffix not in (".npy", ".npz", ".csv"):
        raise ValueError(f"--out must end in .npy, .npz or .csv; got {args.out}")
    t0 = time.perf_counter()
    X, labels, what = mnist_embeddings(args.method, args.dims, args.n_fit, args.seed, args.mnist_dir)
    buf = io.BytesIO()
    if suffix == ".npy":
        np.save(buf, X)
    elif suffix == ".npz":
        np.savez_compressed(buf, X=X, labels=labels)
    else:
        np.savetxt(buf, X, delimiter=",", fmt="%.9g")
    atomic_write_bytes(args.out, buf.getvalue())
    if args.labels_out is not None:
        buf = io.BytesIO()
        np.save(buf, labels)
        atomic_write_bytes(args.labels_out, buf.getvalue())
    return {"out": str(args.out), "labels_out": None if args.labels_out is None else str(args.labels_out),
            "shape": list(X.shape), "embedding": what, "seconds": round(time.perf_counter() - t0, 3)}


def run_fit(args) -> dict:
    from ..datasets import load_embeddings
    from ..som import SOMEncoder

    X = load_embeddings(args.embeddings)
    encoder = SOMEncoder(n_rows=args.rows, n_cols=args.cols, lattice=args.lattice, topology=args.topology,
                         method=args.method, n_epochs=args.epochs, radius_start=args.radius_start,
                         radius_end=args.radius_end, n_active=args.k, init=args.init, random_state=args.seed,
                         n_threads=args.threads)
    t0 = time.perf_counter()
    encoder.fit(X, progress=not (args.quiet or args.json))
    seconds = time.perf_counter() - t0
    encoder.save(args.out)
    return {"out": str(args.out), "n_samples": int(X.shape[0]), "n_features": int(X.shape[1]),
            "n_units": int(encoder.n_units_), "grid": [args.rows, args.cols], "lattice": args.lattice,
            "quantization_error": encoder.quantization_error_, "topographic_error": encoder.topographic_error_,
            "train_seconds": round(seconds, 3), "samples_per_s": round(X.shape[0] * args.epochs / seconds, 1)}


def run_encode(args) -> dict:
    import numpy as np

    from ..datasets import load_embeddings
    from ..sdr import save_sdrs
    from ..som import SOMEncoder

    encoder = SOMEncoder.load(args.encoder)
    encoder.set_params(n_threads=args.threads)
    X = load_embeddings(args.embeddings)
    if X.shape[1] != encoder.n_features_in_:
        raise ValueError(f"{args.embeddings} has {X.shape[1]} features; the encoder was fitted on "
                         f"{encoder.n_features_in_}")
    t0 = time.perf_counter()
    units, dist = encoder.encode(X, args.k)
    seconds = time.perf_counter() - t0
    k = units.shape[1]
    save_sdrs(args.out, [np.sort(row) for row in units], encoder.n_units_, bmu_units=units,
              bmu_distances=dist, grid=np.array([encoder.n_rows, encoder.n_cols], dtype=np.int64),
              lattice=np.array(encoder.lattice))
    return {"out": str(args.out), "n_samples": int(X.shape[0]), "k": int(k), "n_units": int(encoder.n_units_),
            "mean_bmu_distance": float(np.mean(dist[:, 0], dtype=np.float64)),
            "encode_seconds": round(seconds, 3), "samples_per_s": round(X.shape[0] / seconds, 1)}


def main(args) -> int:
    cmd = args.som_command
    try:
        r = {"embeddings": run_embeddings, "fit": run_fit, "encode": run_encode}[cmd](args)
    except _ERRORS as e:
        return command_error(f"som {cmd}", e)
    if cmd == "embeddings":
        text = (f"wrote {r['shape'][0]} x {r['shape'][1]} embeddings to {r['out']}"
                + (f" and their labels to {r['labels_out']}" if r["labels_out"] else "") + f"\n  {r['embedding']}")
    elif cmd == "fit":
        text = (f"fitted a {r['grid'][0]}x{r['grid'][1]} {r['lattice']} map on {r['n_samples']} x {r['n_features']} "
                f"embeddings in {r['train_seconds']} s ({r['samples_per_s']:.0f} samples/s)\n"
                f"  quantization error {r['quantization_error']:.4f}, topographic error "
                f"{r['topographic_error']:.4f}\n  wrote {r['out']}")
    else:
        text = (f"encoded {r['n_samples']} embeddings as {r['k']}-of-{r['n_units']} SDRs in {r['encode_seconds']} s "
                f"(mean distance to the best-matching unit {r['mean_bmu_distance']:.4f})\n  wrote {r['out']}")
    print_result(args, r, lambda: text)
    return 0
