"""Datasets: the embedded 8x8 digits, an IDX reader and MNIST (shipped, local or downloaded).

The package ships the MNIST test split (t10k, 10,000 digits; CC BY-SA 3.0,
Y. LeCun and C. Cortes; ``htmhw/data/mnist/README.md``), checked against its
SHA-256 on every load. MNIST is looked up, in order, in the ``directory``
argument, in ``$HTMHW_DATA/mnist`` or ``$HTMHW_DATA`` (HTMHW_DATA names a data
root), in the shipped copy (test split) and in the download cache
(:func:`mnist_cache_dir`). A place that was named (``directory``,
``HTMHW_DATA``) and holds no MNIST is an error, never skipped. With
``download=True`` (:func:`load_mnist`) or :func:`download_mnist`, the official
files are fetched into the cache (or a given directory) and checked against
their published SHA-256 sums before use (the training split is not shipped).
"""
from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.request
import zlib
from pathlib import Path

import numpy as np

MNIST_FILES = {
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
}
# SHA-256 of the official gzip files (the same bytes on every mirror below).
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
# SHA-256 of the decoded IDX files (the digests published for the original data): they
# identify the digits whatever gzip container carries them.
MNIST_IDX_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
# The test split shipped with the package, and the SHA-256 of its two files (checked on load).
# The shipped .gz files were recompressed (their gzip headers differ from the official
# downloads', so these digests differ from MNIST_SHA256); the IDX bytes inside are the
# official ones (MNIST_IDX_SHA256, checked by the test suite).
SHIPPED_MNIST_DIR = Path(__file__).resolve().parent / "data" / "mnist"
SHIPPED_MNIST_SHA256 = {
    "t10k-images-idx3-ubyte.gz": "167310007f03058885c7e95e6c0b19c20de5c7fd3031f4cbdadc9014a523d80b",
    "t10k-labels-idx1-ubyte.gz": "fc607395669ec21321ea83e4b82c0544b7e8e63ff5b34337c06bc0a17cc0da3c",
}
MNIST_MIRRORS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)

# IDX type codes -> big-endian numpy dtypes.
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_BINARIZE = ("threshold", "mean")


def load_digits_binary(threshold: float = 7.0):
    """scikit-learn's bundled 8x8 digits (1,797 samples, values 0..16), binarized
    as ``pixel > threshold``. Returns (X uint8 (n, 8, 8), y int)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.images > threshold).astype(np.uint8), d.target.astype(np.int64)


def read_idx(path) -> np.ndarray:
    """Read an IDX file, raw or gzip-compressed (detected from its first bytes).

    Returns an array of the file's shape and type (native byte order; uint8 for
    MNIST). Raises ValueError naming the file when it cannot be read, is not an
    IDX file (bad magic or type code), or its size does not match its header
    (truncated or with trailing bytes).
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{path}: cannot read IDX file ({e})") from None
    if len(data) < 4:
        raise ValueError(f"{path}: not an IDX file (only {len(data)} bytes)")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic {data[:4].hex()}; expected 0000 then type and rank)")
    if data[2] not in _IDX_TYPES:
        raise ValueError(f"{path}: unknown IDX type code 0x{data[2]:02x} (bad magic)")
    dtype = np.dtype(_IDX_TYPES[data[2]])
    ndim = data[3]
    if ndim < 1 or len(data) < 4 + 4 * ndim:
        raise ValueError(f"{path}: truncated IDX header (rank {ndim}, {len(data)} bytes)")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    count = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    body = data[4 + 4 * ndim :]
    if len(body) != count:
        what = "truncated" if len(body) < count else "trailing bytes"
        raise ValueError(f"{path}: expected {count} data bytes for shape {shape}, found {len(body)} ({what})")
    return np.frombuffer(body, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array) -> None:
    """Write an array as an IDX file (gzip-compressed when path ends in .gz)."""
    a = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in _IDX_TYPES.items()}
    key = a.dtype.newbyteorder("=")
    if key not in codes:
        raise TypeError(f"array dtype {a.dtype} has no IDX type (uint8, int8, int16, int32, float32, float64)")
    if not 1 <= a.ndim <= 255:
        raise ValueError(f"array must have 1..255 dimensions; got {a.ndim}")
    header = bytes([0, 0, codes[key], a.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in a.shape)
    data = header + a.astype(_IDX_TYPES[codes[key]]).tobytes()
    path = Path(path)
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)


def binarize(images, threshold: float = 30, method: str = "threshold") -> np.ndarray:
    """0/1 uint8 images: ``pixel > threshold`` (method "threshold", the protocols'
    MNIST rule with threshold 30, docs/protocols.md) or ``pixel > mean of its image`` (method "mean";
    threshold unused)."""
    if method not in _BINARIZE:
        raise ValueError(f"method must be one of {_BINARIZE}; got {method!r}")
    a = np.asarray(images)
    if a.dtype == object or not (a.dtype == np.bool_ or np.issubdtype(a.dtype, np.number)):
        raise TypeError(f"images must be a numeric array; got dtype {a.dtype}")
    if method == "threshold":
        if isinstance(threshold, (bool, np.bool_)) or not np.isscalar(threshold) or not np.isfinite(threshold):
            raise ValueError(f"threshold must be a finite number; got {threshold!r}")
        return (a > threshold).astype(np.uint8)
    if a.ndim < 2:
        raise ValueError("method='mean' needs a batch of images (n_samples, ...)")
    means = a.reshape(a.shape[0], -1).mean(axis=1).reshape((-1,) + (1,) * (a.ndim - 1))
    return (a > means).astype(np.uint8)


def mnist_cache_dir() -> Path:
    """Where downloaded MNIST files go: ``$HTMHW_CACHE/mnist``, else
    ``$XDG_CACHE_HOME/htmhw/mnist``, else ``~/.cache/htmhw/mnist``."""
    if os.environ.get("HTMHW_CACHE"):
        return Path(os.environ["HTMHW_CACHE"]) / "mnist"
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    return Path(base) / "htmhw" / "mnist"


def _has_split(directory: Path, split: str = "test") -> bool:
    name = MNIST_FILES[split][0]
    return any((directory / (name + ext)).is_file() for ext in ("", ".gz"))


def find_mnist_dir(directory=None, split: str = "test", option: str = "directory"):
    """The directory holding the MNIST IDX files of ``split``.

    ``directory`` when given; else ``$HTMHW_DATA/mnist`` or ``$HTMHW_DATA`` when
    HTMHW_DATA is set; else the shipped copy (test split); else the download
    cache. A named place without the files raises FileNotFoundError naming it
    (``option`` is how the message names ``directory``, e.g. ``--mnist-dir``).
    Returns None when nothing was named and no copy was found (the training
    split before it is downloaded).
    """
    if split not in MNIST_FILES:
        raise ValueError(f"split must be 'test' or 'train'; got {split!r}")
    expected = " and ".join(f"{n}[.gz]" for n in MNIST_FILES[split])
    if directory is not None:
        if _has_split(Path(directory), split):
            return Path(directory)
        raise FileNotFoundError(f"{option} {directory}: no MNIST {split} files there (expected {expected})")
    root = os.environ.get("HTMHW_DATA")
    if root:
        for c in (Path(root) / "mnist", Path(root)):
            if _has_split(c, split):
                return c
        raise FileNotFoundError(f"HTMHW_DATA={root}: no MNIST {split} files in {Path(root) / 'mnist'} or {root} "
                                f"(expected {expected})")
    for c in ((SHIPPED_MNIST_DIR,) if split == "test" else ()) + (mnist_cache_dir(),):
        if _has_split(c, split):
            return c
    return None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download_mnist(directory=None, split: str = "test", mirrors=MNIST_MIRRORS, sha256=None,
                   timeout_s: float = 60.0, quiet: bool = True) -> Path:
    """Download one split's two gzip files (if not already there and valid) and
    return the directory holding them (default: :func:`mnist_cache_dir`).

    Every file is checked against ``sha256`` (file name -> hex digest; default
    the official :data:`MNIST_SHA256`) before it is moved into place; a file
    already present with the right digest is not fetched again. Mirrors are
    tried in order. Raises ValueError on a digest mismatch (the bad download is
    deleted) and OSError when no mirror can be reached.
    """
    if split not in MNIST_FILES:
        raise ValueError(f"split must be 'test' or 'train'; got {split!r}")
    if isinstance(mirrors, str):
        mirrors = (mirrors,)
    if not mirrors:
        raise ValueError("mirrors must name at least one base URL")
    sums = dict(MNIST_SHA256 if sha256 is None else sha256)
    target = Path(directory) if directory is not None else mnist_cache_dir()
    target.mkdir(parents=True, exist_ok=True)
    for name in MNIST_FILES[split]:
        fname = name + ".gz"
        if fname not in sums:
            raise ValueError(f"sha256 has no digest for {fname}")
        dest = target / fname
        if dest.is_file() and _sha256(dest) == sums[fname]:
            continue
        errors = []
        for base in mirrors:
            url = base.rstrip("/") + "/" + fname
            fd, tmp = tempfile.mkstemp(dir=target, prefix=fname + ".", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout_s) as resp:
                    while True:
                        block = resp.read(1 << 20)
                        if not block:
                            break
                        out.write(block)
            except OSError as e:  # urllib.error.URLError is an OSError
                os.unlink(tmp)
                errors.append(f"{url}: {e}")
                continue
            got = _sha256(Path(tmp))
            if got != sums[fname]:
                os.unlink(tmp)
                raise ValueError(f"{url}: SHA-256 mismatch for {fname} (expected {sums[fname]}, got {got}); "
                                 "the download was deleted")
            os.replace(tmp, dest)
            if not quiet:
                print(f"downloaded {url} -> {dest}")
            break
        else:
            raise OSError(f"could not download {fname}: " + "; ".join(errors))
    return target


def load_mnist(directory=None, split: str = "test", binarize_threshold=None, download: bool = False):
    """MNIST images (n, 28, 28) uint8 and labels (n,) int64 from IDX files.

    split: "test" (t10k files) or "train". ``binarize_threshold``: None keeps
    the 0..255 pixels; a number returns ``pixel > threshold`` as 0/1 (the
    protocols use 30). ``directory`` None: see :func:`find_mnist_dir` (the
    shipped test split by default). ``download=True`` fetches the official files
    into the cache when they are not found (see :func:`download_mnist`). Raises
    FileNotFoundError naming the place when a named place holds no files, and
    ValueError naming the file when a file is corrupt or the images and labels
    do not match.
    """
    d = find_mnist_dir(directory, split)
    if d is None and download:
        d = download_mnist(None, split)
    if d is None:
        raise FileNotFoundError(
            f"MNIST {split} files not found (no directory given, HTMHW_DATA not set, the package ships only the "
            f"test split, and the cache {mnist_cache_dir()} is empty); pass download=True to fetch them")
    paths = []
    for name in MNIST_FILES[split]:
        path = d / name
        if not path.exists():
            path = d / (name + ".gz")
        paths.append(path)
    if d == SHIPPED_MNIST_DIR:
        for path in paths:
            got = _sha256(path)
            if got != SHIPPED_MNIST_SHA256[path.name]:
                raise ValueError(f"{path}: SHA-256 {got} does not match the shipped file's "
                                 f"{SHIPPED_MNIST_SHA256[path.name]} (the installation is damaged; reinstall htmhw)")
    images, labels = (read_idx(p) for p in paths)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{paths[0]}: expected uint8 images of shape (n, 28, 28); got {images.dtype} {images.shape}")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(f"{paths[1]}: expected a 1-D uint8 label file; got {labels.dtype} {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{paths[0]} holds {images.shape[0]} images but {paths[1]} holds {labels.shape[0]} labels")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{paths[1]}: labels must be digits 0..9; found {int(labels.max())}")
    if binarize_threshold is not None:
        images = binarize(images, binarize_threshold)
    return images, labels.astype(np.int64)


def load_embeddings(path, name: str = "embeddings") -> np.ndarray:
    """A (n_samples, n_features) float32 or float64 matrix of embeddings from ``path``: ``.npy``,
    ``.npz`` (its only array, or the one named ``X`` or ``embeddings``) or ``.csv`` (comma
    separated, an optional header line). Integer data becomes float64; float16 float32.
    ValueError naming ``name`` and the file for a missing or empty file, another shape, a
    non-numeric dtype, NaN or infinity."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{name}: {path} is not a file")
    if path.stat().st_size == 0:
        raise ValueError(f"{name}: {path} is empty")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            a = np.load(path, allow_pickle=False)
        elif suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                keys = list(z.keys())
                key = keys[0] if len(keys) == 1 else next((k for k in ("X", "embeddings") if k in keys), None)
                if key is None:
                    raise ValueError(f"holds arrays {keys}; name the embeddings X or embeddings, or keep one array")
                a = z[key]
        elif suffix == ".csv":
            with open(path) as f:
                first = f.readline()
            try:
                [float(v) for v in first.split(",")]
                skip = 0
            except ValueError:
                skip = 1  # a header line
            a = np.loadtxt(path, delimiter=",", skiprows=skip, dtype=np.float64, ndmin=2)
        else:
            raise ValueError(f"has suffix {suffix!r}; expected .npy, .npz or .csv")
    except ValueError as e:
        raise ValueError(f"{name}: {path} {e}" if str(e).startswith(("holds", "has suffix")) else
                         f"{name}: {path} is not a readable {suffix} array ({e})") from None
    except (OSError, EOFError) as e:
        raise ValueError(f"{name}: {path} is not a readable {suffix} array ({e})") from None
    if a.dtype == object or not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
        raise ValueError(f"{name}: {path} must hold real numbers; got dtype {a.dtype}")
    if a.ndim != 2 or a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"{name}: {path} must be a 2-D (n_samples >= 1, n_features >= 1) array; got shape {a.shape}")
    if np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.float64)
    elif a.dtype not in (np.float32, np.float64):
        a = a.astype(np.float32)
    if not np.all(np.isfinite(a)):
        bad = np.argwhere(~np.isfinite(a))[0]
        raise ValueError(f"{name}: {path} holds NaN or infinity (first at row {bad[0]}, column {bad[1]})")
    return a


EMBEDDING_METHODS = ("pca", "mlp")


def mnist_embeddings(method: str = "pca", dims: int = 64, n_fit: int = 8000, seed: int = 0, mnist_dir=None,
                     return_embedder: bool = False):
    """Dense embeddings of the 10,000 MNIST test digits, made offline: (X float32 (10000, dims),
    labels int64 (10000,), description). ``method`` "pca": the first ``dims`` principal
    components of the pixels / 255 (fitted on the first ``n_fit`` digits); "mlp": the hidden
    layer (ReLU, ``dims`` units) of a scikit-learn MLPClassifier trained on the first ``n_fit``
    digits for 30 epochs (random_state ``seed``). Every row is scaled to unit L2 norm, as
    CLIP-style embeddings are (an all-zero MLP row stays zero). dims in [2, 784], n_fit in
    [100, 10000]. The digits after ``n_fit`` were not seen by the embedding. With
    ``return_embedder`` a fourth value: the function (n, 784) pixels in [0, 1] -> embeddings
    (the same transform and scaling), for images that are not MNIST digits."""
    if method not in EMBEDDING_METHODS:
        raise ValueError(f"method must be one of {EMBEDDING_METHODS}; got {method!r}")
    for name, v, lo, hi in (("dims", dims, 2, 784), ("n_fit", n_fit, 100, 10000), ("seed", seed, 0, 2**32 - 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= v <= hi:
            raise ValueError(f"{name} must be an integer in [{lo}, {hi}]; got {v!r}")
    images, labels = load_mnist(require_mnist_dir(mnist_dir))
    pixels = images.reshape(len(images), -1).astype(np.float64) / 255.0
    if method == "pca":
        from sklearn.decomposition import PCA

        pca = PCA(n_components=int(dims), svd_solver="full").fit(pixels[:n_fit])
        hidden = pca.transform
        what = (f"PCA of MNIST test pixels / 255 to {dims} components (fitted on digits 0..{n_fit - 1}, "
                f"{pca.explained_variance_ratio_.sum():.3f} of the variance)")
    else:
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        mlp = MLPClassifier(hidden_layer_sizes=(int(dims),), max_iter=30, random_state=int(seed))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp.fit(pixels[:n_fit], labels[:n_fit])
        def hidden(p):
            return np.maximum(p @ mlp.coefs_[0] + mlp.intercepts_[0], 0.0)

        held_out = mlp.score(pixels[n_fit:], labels[n_fit:]) if n_fit < len(pixels) else float("nan")
        what = (f"hidden layer (ReLU, {dims} units) of an MLPClassifier trained on MNIST test digits "
                f"0..{n_fit - 1} (30 epochs, seed {seed}; accuracy on the other digits {held_out:.4f})")
    def embed(p):
        h = hidden(np.asarray(p, dtype=np.float64))
        norms = np.linalg.norm(h, axis=1, keepdims=True)
        return np.divide(h, norms, out=np.zeros_like(h), where=norms > 0).astype(np.float32)

    out = (embed(pixels), labels.astype(np.int64), what + "; rows scaled to unit L2 norm")
    return out + (embed,) if return_embedder else out


def require_mnist_dir(directory=None, option: str = "--mnist-dir"):
    """The MNIST test-split directory: ``directory``, else HTMHW_DATA, else the copy shipped
    with the package; FileNotFoundError naming ``option`` and HTMHW_DATA when there is none."""
    found = find_mnist_dir(directory, option=option)
    if found is None:
        raise FileNotFoundError("MNIST not found (the copy shipped in the package is missing); "
                                f"use {option} DIR or set HTMHW_DATA")
    return found


__all__ = ["load_digits_binary", "load_mnist", "read_idx", "write_idx", "binarize", "find_mnist_dir",
           "require_mnist_dir", "load_embeddings", "mnist_embeddings", "EMBEDDING_METHODS",
           "download_mnist", "mnist_cache_dir", "MNIST_SHA256",
           "MNIST_IDX_SHA256", "MNIST_FILES", "SHIPPED_MNIST_DIR", "SHIPPED_MNIST_SHA256"]
