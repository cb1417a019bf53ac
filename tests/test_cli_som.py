"""`htmhw som fit | encode` and `htmhw sdr show` on embedding files (issue: SDRs from dense embeddings)."""
import json
import re

import numpy as np
import pytest

from htmhw import SOMEncoder
from htmhw.cli import main
from htmhw.datasets import load_embeddings
from htmhw.sdr import load_sdrs, save_sdrs


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def embeddings(tmp_path):
    # Two well separated clusters of 64-d unit vectors, 120 rows, and their labels.
    rng = np.random.default_rng(3)
    centers = rng.normal(size=(2, 64))
    labels = np.repeat([0, 1], 60)
    X = centers[labels] + 0.1 * rng.normal(size=(120, 64))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    np.save(tmp_path / "emb.npy", X.astype(np.float32))
    np.save(tmp_path / "labels.npy", labels)
    return tmp_path, X.astype(np.float32), labels


def test_fit_encode_show_round_trip_equals_the_python_api(embeddings, capsys):
    d, X, labels = embeddings
    code, out, _ = _run(capsys, "som", "fit", d / "emb.npy", "--rows", 8, "--cols", 6, "--lattice", "hex",
                        "--epochs", 5, "--k", 4, "--seed", 2, "--out", d / "som.htmhw", "--json")
    assert code == 0
    fit = json.loads(out)
    reference = SOMEncoder(n_rows=8, n_cols=6, lattice="hex", n_epochs=5, n_active=4, random_state=2).fit(X)
    assert fit["quantization_error"] == reference.quantization_error_
    assert fit["topographic_error"] == reference.topographic_error_
    assert (fit["n_samples"], fit["n_features"], fit["n_units"]) == (120, 64, 48)
    assert np.array_equal(SOMEncoder.load(d / "som.htmhw").weights_, reference.weights_)

    code, out, _ = _run(capsys, "som", "encode", d / "som.htmhw", d / "emb.npy", "--k", 3, "--threads", 2,
                        "--out", d / "sdrs.npz", "--json")
    assert code == 0 and json.loads(out)["k"] == 3
    sdrs, extra = load_sdrs(d / "sdrs.npz")
    units, dist = reference.encode(X, 3)
    assert np.array_equal(extra["bmu_units"], units) and np.array_equal(extra["bmu_distances"], dist)
    assert sdrs.shape == (120, 48) and np.array_equal(np.diff(sdrs.indptr), np.full(120, 3))
    dense = sdrs.toarray()
    assert all(set(np.flatnonzero(dense[i])) == set(units[i]) for i in range(120))
    assert extra["grid"].tolist() == [8, 6] and str(extra["lattice"]) == "hex"

    code, out, _ = _run(capsys, "sdr", "show", d / "sdrs.npz", "--labels", d / "labels.npy", "--n", 5,
                        "--out", d / "sdrs.png", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["grid"] == [8, 6] and shown["shown"] == 5 and shown["classes"] == ["0", "1"]
    assert (d / "sdrs.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_embedding_files_in_each_format_load_the_same_matrix(tmp_path):
    X = np.arange(12, dtype=np.float64).reshape(4, 3) / 7
    np.save(tmp_path / "a.npy", X)
    np.savez(tmp_path / "b.npz", embeddings=X, ids=np.arange(4))
    np.savetxt(tmp_path / "c.csv", X, delimiter=",", header="x,y,z", comments="")
    np.savetxt(tmp_path / "d.csv", X, delimiter=",")
    for name in ("a.npy", "b.npz"):
        a = load_embeddings(tmp_path / name)
        assert a.dtype == np.float64 and np.array_equal(a, X)
    for name in ("c.csv", "d.csv"):
        assert np.allclose(load_embeddings(tmp_path / name), X, rtol=1e-15, atol=0)
    np.save(tmp_path / "f32.npy", X.astype(np.float32))
    assert load_embeddings(tmp_path / "f32.npy").dtype == np.float32


@pytest.mark.parametrize("content, message", [
    (np.array([[0.5, np.nan]]), "NaN or infinity \\(first at row 0, column 1\\)"),
    (np.ones(5), "must be a 2-D"),
    (np.ones((2, 3, 4)), "must be a 2-D"),
    (np.ones((0, 4)), "must be a 2-D"),
    (np.array([["a", "b"]]), "must hold real numbers"),
    (None, "is empty"),
])
def test_bad_embedding_files_are_refused_with_the_reason(tmp_path, capsys, content, message):
    path = tmp_path / "bad.npy"
    if content is None:
        path.write_bytes(b"")
    else:
        np.save(path, content)
    code, _, err = _run(capsys, "som", "fit", path, "--out", tmp_path / "x.htmhw")
    assert code == 2
    assert err.startswith("htmhw som fit: error: embeddings: ")
    assert re.search(message, err), err
    assert not (tmp_path / "x.htmhw").exists()


def test_a_map_bigger_than_memory_and_bad_options_are_refused(tmp_path, capsys):
    np.save(tmp_path / "wide.npy", np.zeros((2, 60000), dtype=np.float32))
    # 1,048,576 units x 60,000 features x 16 bytes is about 1 PB: refused before allocating
    code, _, err = _run(capsys, "som", "fit", tmp_path / "wide.npy", "--rows", 1024, "--cols", 1024,
                        "--out", tmp_path / "x.htmhw")
    assert code == 2 and "memory" in err.lower() and "n_rows * n_cols" in err
    np.save(tmp_path / "emb.npy", np.eye(6, dtype=np.float32))
    for argv, fragment in ((["--rows", 0], "n_rows"), (["--k", 99, "--rows", 3, "--cols", 3], "n_active"),
                           (["--threads", 0], "n_threads"), (["--epochs", 0], "n_epochs")):
        code, _, err = _run(capsys, "som", "fit", tmp_path / "emb.npy", "--out", tmp_path / "x.htmhw", *argv)
        assert code == 2 and fragment in err, (argv, err)
    np.savez(tmp_path / "two.npz", a=np.eye(3), b=np.eye(3))
    code, _, err = _run(capsys, "som", "fit", tmp_path / "two.npz", "--out", tmp_path / "x.htmhw")
    assert code == 2 and "name the embeddings X or embeddings" in err


def test_encode_and_show_refuse_mismatched_inputs(embeddings, capsys):
    d, X, labels = embeddings
    assert _run(capsys, "som", "fit", d / "emb.npy", "--rows", 4, "--cols", 4, "--k", 2, "--epochs", 2,
                "--out", d / "som.htmhw")[0] == 0
    np.save(d / "narrow.npy", X[:, :10])
    code, _, err = _run(capsys, "som", "encode", d / "som.htmhw", d / "narrow.npy", "--out", d / "s.npz")
    assert code == 2 and "has 10 features; the encoder was fitted on 64" in err
    code, _, err = _run(capsys, "som", "encode", d / "emb.npy", d / "emb.npy", "--out", d / "s.npz")
    assert code == 2 and "emb.npy" in err
    code, _, err = _run(capsys, "som", "encode", d / "som.htmhw", d / "emb.npy", "--k", 17, "--out", d / "s.npz")
    assert code == 2 and "n_active must be in [1, 16]" in err
    assert _run(capsys, "som", "encode", d / "som.htmhw", d / "emb.npy", "--out", d / "s.npz")[0] == 0
    code, _, err = _run(capsys, "sdr", "show", d / "s.npz", "--grid", "5x5", "--out", d / "p.png")
    assert code == 2 and "has 25 units; the SDRs are 16 wide" in err
    code, _, err = _run(capsys, "sdr", "show", d / "s.npz", "--grid", "4by4", "--out", d / "p.png")
    assert code == 2 and "ROWSxCOLS" in err
    np.save(d / "short.npy", labels[:7])
    code, _, err = _run(capsys, "sdr", "show", d / "s.npz", "--labels", d / "short.npy", "--out", d / "p.png")
    assert code == 2 and "one label per SDR (120)" in err
    code, _, err = _run(capsys, "sdr", "show", d / "emb.npy", "--grid", "8x8", "--out", d / "p.png")
    assert code == 2 and "binary" in err
    assert not (d / "p.png").exists()


def test_sdr_files_round_trip_and_refuse_corruption(tmp_path):
    rows = [np.array([1, 5, 7]), np.array([0]), np.array([], dtype=np.int64)]
    save_sdrs(tmp_path / "s.npz", rows, 8, scores=np.array([0.5, 1.0, 2.0]))
    m, extra = load_sdrs(tmp_path / "s.npz")
    assert m.shape == (3, 8) and m.toarray().tolist() == [[0, 1, 0, 0, 0, 1, 0, 1], [1] + [0] * 7, [0] * 8]
    assert extra["scores"].tolist() == [0.5, 1.0, 2.0]
    with np.load(tmp_path / "s.npz") as z:
        arrays = dict(z)
    arrays["indices"] = np.array([1, 5, 9, 0])  # 9 is outside the width
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match="inconsistent CSR"):
        load_sdrs(tmp_path / "bad.npz")
    np.savez(tmp_path / "foreign.npz", x=np.eye(2))
    with pytest.raises(ValueError, match="is not an SDR file"):
        load_sdrs(tmp_path / "foreign.npz")
    with pytest.raises(ValueError, match="must not be named"):
        save_sdrs(tmp_path / "t.npz", rows, 8, shape=np.zeros(2))


def test_offline_embeddings_of_mnist(tmp_path, capsys):
    from htmhw.datasets import load_mnist, mnist_embeddings

    X, y, what = mnist_embeddings("pca", dims=6, n_fit=500)
    assert X.shape == (10000, 6) and X.dtype == np.float32 and "PCA" in what
    assert np.allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(y, load_mnist()[1])
    # principal components come in order of the variance they explain (before the row scaling
    # the first has the most; after it, still more spread than the last on the fitted digits)
    assert X[:500, 0].var() > X[:500, 5].var()
    X2, _, _ = mnist_embeddings("pca", dims=6, n_fit=500)
    assert np.array_equal(X, X2)
    M, _, what = mnist_embeddings("mlp", dims=8, n_fit=300, seed=1)
    assert M.min() >= 0.0 and "MLPClassifier" in what and "accuracy on the other digits" in what
    norms = np.linalg.norm(M, axis=1)
    assert np.all((np.abs(norms - 1.0) < 1e-5) | (norms == 0.0))
    for kwargs, fragment in ((dict(method="umap"), "method must be one of"), (dict(dims=1), "dims must be"),
                             (dict(n_fit=50), "n_fit must be"), (dict(seed=-1), "seed must be")):
        with pytest.raises(ValueError, match=fragment):
            mnist_embeddings(**kwargs)
    code, out, _ = _run(capsys, "som", "embeddings", "--dims", 4, "--n-fit", 200, "--out", tmp_path / "e.npz",
                        "--labels-out", tmp_path / "l.npy", "--json")
    assert code == 0 and json.loads(out)["shape"] == [10000, 4]
    assert np.array_equal(load_embeddings(tmp_path / "e.npz"), mnist_embeddings("pca", 4, 200)[0])
    assert np.array_equal(np.load(tmp_path / "l.npy"), y)
    code, _, err = _run(capsys, "som", "embeddings", "--out", tmp_path / "e.txt")
    assert code == 2 and ".npy, .npz or .csv" in err
