"""htmhw.datasets: IDX reader/writer, corrupted files, binarization, MNIST loading and
the checksummed download (exercised offline through file:// URLs)."""
import gzip
import hashlib

import numpy as np
import pytest

from htmhw import datasets as D


def idx_bytes(array, type_code=0x08):
    a = np.asarray(array)
    header = bytes([0, 0, type_code, a.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in a.shape)
    return header + a.tobytes()


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_read_idx_raw_and_gzip(tmp_path, suffix):
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / ("x-idx3-ubyte" + suffix)
    data = idx_bytes(a)
    path.write_bytes(gzip.compress(data) if suffix else data)
    got = D.read_idx(path)
    assert got.dtype == np.uint8 and got.shape == (2, 3, 4)
    np.testing.assert_array_equal(got, a)
    # gzip is recognized by its magic bytes, not by the file name
    renamed = tmp_path / "renamed"
    renamed.write_bytes(path.read_bytes())
    np.testing.assert_array_equal(D.read_idx(renamed), a)


def test_read_idx_other_types_big_endian(tmp_path):
    a = np.array([[1, -2, 70000], [3, 4, -5]], dtype=">i4")
    (tmp_path / "i4").write_bytes(idx_bytes(a, 0x0C))
    got = D.read_idx(tmp_path / "i4")
    assert got.dtype == np.int32 and got.dtype.byteorder in ("=", "<", "|")
    assert got.tolist() == [[1, -2, 70000], [3, 4, -5]]
    f = np.array([0.5, -1.25], dtype=np.float32)
    D.write_idx(tmp_path / "f.gz", f)
    np.testing.assert_array_equal(D.read_idx(tmp_path / "f.gz"), f)
    with pytest.raises(TypeError, match="IDX type"):
        D.write_idx(tmp_path / "c", np.zeros(2, dtype=np.complex64))


@pytest.mark.parametrize("mutate,message", [
    (lambda b: b"\x08\x03" + b[2:], "bad magic"),                  # first bytes not 0, 0
    (lambda b: b[:2] + b"\x07" + b[3:], "unknown IDX type"),       # type code
    (lambda b: b[:3], r"only 3 bytes"),
    (lambda b: b[:10], "truncated IDX header"),
    (lambda b: b[:-5], "truncated"),                                # body cut short
    (lambda b: b + b"\x00\x01", "trailing bytes"),
    (lambda b: b"", "only 0 bytes"),
])
def test_read_idx_rejects_corrupted_files(tmp_path, mutate, message):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(mutate(idx_bytes(np.zeros((3, 4, 4), np.uint8))))
    with pytest.raises(ValueError, match=message) as info:
        D.read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_rejects_corrupted_gzip_and_missing_files(tmp_path):
    gz = gzip.compress(idx_bytes(np.zeros((50, 28, 28), np.uint8)))
    path = tmp_path / "cut.gz"
    path.write_bytes(gz[: len(gz) // 2])  # a truncated download
    with pytest.raises(ValueError, match="cannot read IDX file") as info:
        D.read_idx(path)
    assert str(path) in str(info.value)
    path.write_bytes(b"\x1f\x8b" + b"garbage" * 10)
    with pytest.raises(ValueError, match="cut.gz"):
        D.read_idx(path)
    with pytest.raises(ValueError, match="nothere"):
        D.read_idx(tmp_path / "nothere")


def write_mnist(directory, images, labels, gz=True):
    directory.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if gz else ""
    for name, arr in zip(D.MNIST_FILES["test"], (images, labels)):
        D.write_idx(directory / (name + ext), arr)


def test_load_mnist_from_a_directory_and_binarize(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28)).astype(np.uint8)
    labels = np.array([0, 9, 3, 3, 1], np.uint8)
    write_mnist(tmp_path / "m", images, labels, gz=False)
    got, y = D.load_mnist(tmp_path / "m")
    np.testing.assert_array_equal(got, images)
    assert y.dtype == np.int64 and y.tolist() == [0, 9, 3, 3, 1]
    b, _ = D.load_mnist(tmp_path / "m", binarize_threshold=30)
    np.testing.assert_array_equal(b, (images > 30).astype(np.uint8))
    np.testing.assert_array_equal(D.binarize(images, 100), images > 100)
    mean_rule = D.binarize(images, method="mean")
    np.testing.assert_array_equal(mean_rule[2], images[2] > images[2].mean())
    with pytest.raises(ValueError, match="method must be one of"):
        D.binarize(images, method="otsu")
    with pytest.raises(ValueError, match="threshold"):
        D.binarize(images, threshold=np.nan)
    with pytest.raises(ValueError, match="split"):
        D.load_mnist(tmp_path / "m", split="valid")


@pytest.mark.parametrize("images,labels,message,culprit", [
    (np.zeros((3, 28, 28), np.uint8), np.zeros(4, np.uint8), "3 images but", "labels"),
    (np.zeros((3, 28, 28), np.uint8), np.array([1, 10, 2], np.uint8), r"digits 0\.\.9; found 10", "labels"),
    (np.zeros((3, 27, 28), np.uint8), np.zeros(3, np.uint8), r"shape \(n, 28, 28\)", "images"),
    (np.zeros((3, 28, 28), np.int32), np.zeros(3, np.uint8), "uint8 images", "images"),
    (np.zeros((3, 28, 28), np.uint8), np.zeros((3, 1), np.uint8), "1-D uint8 label", "labels"),
])
def test_load_mnist_rejects_inconsistent_files(tmp_path, images, labels, message, culprit):
    write_mnist(tmp_path, images, labels)
    with pytest.raises(ValueError, match=message) as info:
        D.load_mnist(tmp_path)
    assert f"t10k-{culprit}" in str(info.value)


def test_named_places_without_mnist_are_errors_not_fallbacks(tmp_path, monkeypatch):
    """A directory or HTMHW_DATA that holds no MNIST is an error naming it; the shipped copy
    is used only when nothing was named."""
    monkeypatch.setenv("HTMHW_CACHE", str(tmp_path / "nocache"))
    monkeypatch.delenv("HTMHW_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="directory .*empty: no MNIST test files there"):
        D.load_mnist(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match=r"--mnist-dir .*empty: no MNIST"):
        D.find_mnist_dir(tmp_path / "empty", option="--mnist-dir")
    monkeypatch.setenv("HTMHW_DATA", str(tmp_path / "nodata"))
    with pytest.raises(FileNotFoundError, match="HTMHW_DATA=.*nodata: no MNIST test files"):
        D.load_mnist()
    monkeypatch.delenv("HTMHW_DATA")
    assert D.find_mnist_dir() == D.SHIPPED_MNIST_DIR
    # the training split is not shipped: nothing named, nothing cached -> advice to download
    with pytest.raises(FileNotFoundError, match="download=True") as info:
        D.load_mnist(split="train")
    assert "nocache" in str(info.value)


def test_lookup_order_directory_then_htmhw_data_then_shipped(tmp_path, monkeypatch):
    mine, root = tmp_path / "mine", tmp_path / "root"
    write_mnist(mine, np.full((2, 28, 28), 1, np.uint8), np.array([1, 2], np.uint8))
    write_mnist(root / "mnist", np.full((3, 28, 28), 2, np.uint8), np.array([3, 4, 5], np.uint8))
    monkeypatch.setenv("HTMHW_DATA", str(root))
    assert D.load_mnist(mine)[1].tolist() == [1, 2]
    assert D.load_mnist()[1].tolist() == [3, 4, 5]
    monkeypatch.delenv("HTMHW_DATA")
    assert len(D.load_mnist()[1]) == 10000


def test_shipped_copy_is_checked_against_its_sha256(tmp_path, monkeypatch):
    """A damaged shipped file is refused, naming the file (not read as valid digits)."""
    real = D.SHIPPED_MNIST_DIR
    assert {hashlib.sha256((real / n).read_bytes()).hexdigest() for n in D.SHIPPED_MNIST_SHA256} \
        == set(D.SHIPPED_MNIST_SHA256.values())
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    for name in D.SHIPPED_MNIST_SHA256:
        (shipped / name).write_bytes((D.SHIPPED_MNIST_DIR / name).read_bytes())
    monkeypatch.setattr(D, "SHIPPED_MNIST_DIR", shipped)
    monkeypatch.delenv("HTMHW_DATA", raising=False)
    assert D.load_mnist()[0].shape == (10000, 28, 28)
    labels = shipped / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(labels.read_bytes()))
    raw[-1] = (raw[-1] + 1) % 10  # one label changed: still a valid IDX file
    labels.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz: SHA-256 .* does not match"):
        D.load_mnist()


def test_shipped_copy_holds_the_official_digits():
    """The shipped gzip files were recompressed; the IDX bytes inside must be the original
    data's, whose decoded SHA-256 digests are published independently of this project."""
    for name in D.MNIST_FILES["test"]:
        raw = gzip.decompress((D.SHIPPED_MNIST_DIR / (name + ".gz")).read_bytes())
        assert hashlib.sha256(raw).hexdigest() == D.MNIST_IDX_SHA256[name], name


def test_download_verifies_sha256_and_caches(tmp_path, monkeypatch):
    """The download path, offline: a file:// mirror holding small valid IDX files."""
    monkeypatch.delenv("HTMHW_DATA", raising=False)  # HTMHW_DATA would take precedence over the cache
    mirror = tmp_path / "mirror"
    write_mnist(mirror, np.full((2, 28, 28), 7, np.uint8), np.array([4, 2], np.uint8))
    sums = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in mirror.iterdir()}
    monkeypatch.setenv("HTMHW_CACHE", str(tmp_path / "cache"))
    url = mirror.as_uri() + "/"
    d = D.download_mnist(mirrors=("file:///no/such/mirror/", url), sha256=sums)  # first mirror fails, second works
    assert d == tmp_path / "cache" / "mnist" == D.mnist_cache_dir()
    assert sorted(p.name for p in d.iterdir()) == sorted(sums)  # no leftover .part files
    images, labels = D.load_mnist(d)  # (with no directory the shipped test split comes before the cache)
    assert images.shape == (2, 28, 28) and labels.tolist() == [4, 2]
    # a valid cached file is not fetched again: the mirror can disappear
    for p in mirror.iterdir():
        p.unlink()
    assert D.download_mnist(mirrors=(url,), sha256=sums) == d
    # a wrong digest: ValueError naming the file, nothing kept
    write_mnist(mirror, np.zeros((2, 28, 28), np.uint8), np.array([4, 2], np.uint8))
    bad = dict(sums, **{"t10k-images-idx3-ubyte.gz": "0" * 64})
    other = tmp_path / "other"
    with pytest.raises(ValueError, match="SHA-256 mismatch for t10k-images-idx3-ubyte.gz"):
        D.download_mnist(other, mirrors=(url,), sha256=bad)
    assert list(other.iterdir()) == []
    with pytest.raises(OSError, match="could not download"):
        D.download_mnist(tmp_path / "x", mirrors=("file:///no/such/mirror/",), sha256=sums)
    assert D.MNIST_SHA256["t10k-images-idx3-ubyte.gz"].startswith("8d422c7b")  # the official file's digest


@pytest.mark.mnist
def test_real_mnist_test_split(mnist_dir):
    images, labels = D.load_mnist(mnist_dir, binarize_threshold=30)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8 and set(np.unique(images)) == {0, 1}
    assert np.bincount(labels).tolist()[:2] == [980, 1135]  # the published class counts of the test split
    assert 0.15 < images.mean() < 0.2


def test_embedded_digits():
    X, y = D.load_digits_binary()
    assert X.shape == (1797, 8, 8) and set(np.unique(X)) == {0, 1} and y.max() == 9
