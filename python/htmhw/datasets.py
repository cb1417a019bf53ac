"""Datasets: the embedded 8x8 digits and an MNIST (IDX) reader.

MNIST is looked up, in order, in the ``directory`` argument, in
``$HTMHW_DATA/mnist`` and in ``$HTMHW_DATA`` (HTMHW_DATA names a data root).
"""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

MNIST_FILES = {
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
}


def load_digits_binary(threshold: float = 7.0):
    """scikit-learn's bundled 8x8 digits (1,797 samples, values 0..16), binarized
    as ``pixel > threshold``. Returns (X uint8 (n, 8, 8), y int)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.images > threshold).astype(np.uint8), d.target.astype(np.int64)


def read_idx(path) -> np.ndarray:
    """Read an IDX file (optionally .gz). Raises ValueError on a bad magic or size."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise ValueError(f"{path}: cannot read IDX file ({e})") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (bad magic)")
    ndim = data[3]
    if ndim < 1 or len(data) < 4 + 4 * ndim:
        raise ValueError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    count = int(np.prod(shape, dtype=np.int64))
    body = data[4 + 4 * ndim :]
    if len(body) != count:
        raise ValueError(f"{path}: expected {count} data bytes for shape {shape}, found {len(body)} (truncated?)")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def find_mnist_dir(directory=None):
    """The directory holding the MNIST IDX files, or None if none is found."""
    candidates = []
    if directory is not None:
        candidates.append(Path(directory))
    root = os.environ.get("HTMHW_DATA")
    if root:
        candidates += [Path(root) / "mnist", Path(root)]
    for c in candidates:
        if any((c / (name + ext)).exists() for name in MNIST_FILES["test"][:1] for ext in ("", ".gz")):
            return c
    return None


def load_mnist(directory=None, split: str = "test"):
    """MNIST images (n, 28, 28) uint8 and labels (n,) from IDX files.

    split: "test" (t10k files) or "train". Raises FileNotFoundError naming the
    places searched when no files are found.
    """
    if split not in MNIST_FILES:
        raise ValueError(f"split must be 'test' or 'train'; got {split!r}")
    d = find_mnist_dir(directory)
    if d is None:
        raise FileNotFoundError(
            f"MNIST not found (looked in directory={directory!r} and $HTMHW_DATA={os.environ.get('HTMHW_DATA')!r})"
        )
    arrays = []
    for name in MNIST_FILES[split]:
        path = d / name
        if not path.exists():
            path = d / (name + ".gz")
        arrays.append(read_idx(path))
    images, labels = arrays
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"{d}: MNIST images {images.shape} and labels {labels.shape} do not match")
    return images, labels.astype(np.int64)


__all__ = ["load_digits_binary", "load_mnist", "read_idx", "find_mnist_dir"]
