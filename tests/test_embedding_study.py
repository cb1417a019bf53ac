"""The dense-embedding SDR study (htmhw.demos.embedding_study) on a small scale: what it
measures is what it says."""
import numpy as np
import pytest

from htmhw import SOMEncoder
from htmhw.datasets import mnist_embeddings
from htmhw.demos.embedding_study import embedding_study_markdown, run_embedding_study

# A study: numpy / scikit-learn work on the 10,000 MNIST embeddings around C++ calls that
# tests/test_som.py and tests/test_sdr.py cover; the ASan job leaves it out.
pytestmark = pytest.mark.heavy


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("emb")
    kw = dict(method="pca", dims=16, n_train=400, n_test=120, n_rows=10, n_cols=10, n_active=6, n_epochs=4,
              lattice="hex", seed=3, n_threads=2)
    return out, kw, run_embedding_study(out, **kw)


def test_retrieval_without_noise_is_the_plain_nearest_neighbour(study):
    _, kw, r = study
    X, y, _ = mnist_embeddings("pca", kw["dims"], kw["n_train"], kw["seed"])
    enc = SOMEncoder(n_rows=10, n_cols=10, lattice="hex", n_epochs=4, n_active=6, random_state=3).fit(X[:400])
    assert r["quantization_error"] == enc.quantization_error_
    def dense(units):
        out = np.zeros((len(units), 100), dtype=np.int64)
        np.put_along_axis(out, units, 1, axis=1)
        return out
    train, test = dense(enc.encode(X[:400])[0]), dense(enc.encode(X[400:520])[0])
    overlaps = test @ train.T
    nn = np.argmax(overlaps, axis=1)  # first maximum = the lowest training index, the kernel's tie rule
    expected = float(np.mean(y[:400][nn] == y[400:520]))
    rob = r["robustness"]
    assert rob["fractions"][0] == 0.0
    assert rob["nn_accuracy_flipped"][0] == rob["nn_accuracy_dropped"][0] == pytest.approx(expected, abs=1e-12)
    # moving 90 % of the bits destroys more than dropping 90 %
    assert rob["nn_accuracy_flipped"][-1] < rob["nn_accuracy_dropped"][-1] <= expected + 0.05


def test_spread_union_and_intersection_are_consistent(study):
    out, kw, r = study
    k = kw["n_active"]
    assert set(r["spread"]) == {"test digits", "mixed (two classes)", "uniform noise", "inverted",
                                "pixel-shuffled", "random directions"}
    for name, auc in r["ood_auc"].items():
        assert all(0.0 <= v <= 1.0 for v in auc.values()), name
    # off-manifold inputs sit farther from every prototype than test digits do
    assert r["ood_auc"]["random directions"]["bmu_distance"] > 0.9
    assert r["spread"]["test digits"]["n_blobs"] >= 1.0
    u = r["union_intersection"]
    assert k <= u["union_size_mean"] <= 2 * k
    assert u["intersection_same_class_size_mean"] > u["intersection_different_class_size_mean"] >= 0
    assert 0.0 <= u["union_top2_are_both_classes"] <= 1.0 and u["single_top1_is_class"] > 0.3
    for path in r["figures"]:
        assert (out / path.split("/")[-1]).read_bytes()[:4] == b"\x89PNG"
    md = embedding_study_markdown(r, "cmd")
    assert "| random directions |" in md and "1-NN accuracy, bits dropped" in md


def test_study_refuses_bad_sizes(tmp_path):
    with pytest.raises(ValueError, match="n_train >= 100"):
        run_embedding_study(tmp_path, n_train=9000, n_test=2000)
