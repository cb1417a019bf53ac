"""SDR operations, the scikit-learn transformer and the CLI."""
import json
import pickle
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sparse
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

import htmhw
from htmhw import sdr

A = np.array([1, 1, 0, 0, 1, 0], dtype=np.uint8)
B = np.array([1, 0, 0, 1, 1, 0], dtype=bool)


def test_sdr_pairwise_operations():
    assert sdr.overlap(A, B) == 2
    assert sdr.jaccard(A, B) == pytest.approx(2 / 4)
    assert sdr.union(A, B).tolist() == [True, True, False, True, True, False]
    assert sdr.intersection(A, B).tolist() == [True, False, False, False, True, False]
    assert sdr.sparsity(A) == pytest.approx(0.5)
    batch = np.stack([A, B.astype(np.uint8), np.zeros(6, np.uint8)])
    assert sdr.overlap(batch, A).tolist() == [3, 2, 0]
    assert sdr.jaccard(np.zeros(6), np.zeros(6)) == 1.0
    assert sdr.union(batch).tolist() == [True, True, False, True, True, False]
    assert sdr.intersection(batch[:2]).tolist() == [True, False, False, False, True, False]
    assert sdr.overlap(sparse.csr_matrix(batch), A).tolist() == [3, 2, 0]
    with pytest.raises(ValueError, match="width"):
        sdr.overlap(A, np.ones(5))
    with pytest.raises(ValueError, match="binary"):
        sdr.sparsity(np.array([0, 2]))


def test_add_noise_moves_exact_number_of_bits():
    x = np.zeros(200, dtype=bool)
    x[:40] = True
    noisy = sdr.add_noise(x, 0.25, seed=1)
    assert noisy.sum() == 40
    assert sdr.overlap(x, noisy) == 30
    assert np.array_equal(noisy, sdr.add_noise(x, 0.25, seed=1))
    batch = sdr.add_noise(np.stack([x, x]), 0.5, seed=2)
    assert batch.sum(axis=1).tolist() == [40, 40] and sdr.overlap(batch, x).tolist() == [20, 20]
    for bad in (-0.1, 1.5, "x"):
        with pytest.raises(ValueError, match="fraction"):
            sdr.add_noise(x, bad)


def _digits():
    X, y = htmhw.datasets.load_digits_binary()
    return X.reshape(len(X), -1)[:400], y[:400]


def test_transformer_outputs_and_pipeline_and_search():
    X, y = _digits()
    est = htmhw.SpatialPoolerTransformer(n_columns=256, local_area_density=0.05, random_state=3)
    Z = est.fit(X).transform(X)
    assert sparse.issparse(Z) and Z.dtype == bool and Z.shape == (400, 256)
    assert (np.asarray(Z.sum(axis=1)).ravel() <= int(0.05 * 256)).all()
    assert np.asarray(Z.sum(axis=1)).ravel().max() == int(0.05 * 256)
    dense = clone(est).set_params(output="dense").fit(X).transform(X)
    assert dense.dtype == np.uint8 and np.array_equal(dense, Z.toarray())
    again = pickle.loads(pickle.dumps(est))
    assert (again.transform(X) != Z).nnz == 0
    pipe = Pipeline([("sp", htmhw.SpatialPoolerTransformer(n_columns=256, random_state=0)),
                     ("clf", LogisticRegression(max_iter=300))])
    assert pipe.fit(X[:300], y[:300]).score(X[300:], y[300:]) > 0.5
    grid = GridSearchCV(pipe, {"sp__local_area_density": [0.02, 0.05]}, cv=2).fit(X, y)
    assert grid.best_params_["sp__local_area_density"] in (0.02, 0.05)


def test_transformer_rejects_wrong_feature_count():
    X, _ = _digits()
    est = htmhw.SpatialPoolerTransformer(n_columns=64, random_state=0).fit(X)
    with pytest.raises(ValueError, match="features"):
        est.transform(X[:, :10])


@parametrize_with_checks([htmhw.SpatialPoolerTransformer(n_columns=64, local_area_density=0.1)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_cli_demo_writes_outputs(tmp_path):
    out = tmp_path / "demo"
    proc = subprocess.run([sys.executable, "-m", "htmhw.cli", "demo", "--out", str(out), "--json", "--epochs", "1",
                           "--n-train", "600"], capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout)
    assert result["sdr_sparsity"] == pytest.approx(0.1, abs=0.01)
    assert 0.5 < result["accuracy_sdr"] <= 1 and 0.5 < result["accuracy_raw_pixels"] <= 1
    assert (out / "digits_sdrs.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "demo.json").read_text()) == result
    bad = subprocess.run([sys.executable, "-m", "htmhw.cli", "demo", "--n-train", "1"], capture_output=True, text=True)
    assert bad.returncode != 0 and "--n-train" in bad.stderr


def test_nupic_style_reconstruction_example_runs(tmp_path, mnist_dir):
    """The forum recipe written against NuPIC's API runs unchanged on htmhw.nupic."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "nupic_mnist_reconstruction.py"
    spec = importlib.util.spec_from_file_location("nupic_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    out = tmp_path / "recon.png"
    corr = example.main(["--mnist-dir", str(mnist_dir), "--n-train", "500", "--out", str(out)])
    assert out.read_bytes()[:4] == b"\x89PNG"
    # back-projection of the active columns' connected synapses resembles the digit
    assert np.mean(corr) > 0.4
