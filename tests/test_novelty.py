"""htmhw.novelty: overlap detector on hand-made SDRs, ROC AUC of known detectors."""
import numpy as np
import pytest

from htmhw.novelty import OverlapNoveltyDetector, roc_auc


def sdrs(rows, width=12):
    out = np.zeros((len(rows), width), dtype=np.uint8)
    for i, r in enumerate(rows):
        out[i, list(r)] = 1
    return out


STORED = sdrs([{0, 1, 2, 3}, {4, 5, 6, 7}])


def test_overlap_detector_known_scores():
    det = OverlapNoveltyDetector().fit(STORED)
    q = sdrs([{0, 1, 2, 3}, {0, 1, 4, 8}, {8, 9, 10, 11}, {2, 3, 4, 5, 6, 7}, set()])
    # best overlaps 4, 2 (2 with the first, 1 with the second), 0, 4; divided by 4, 4, 4, 6 bits
    np.testing.assert_allclose(det.score_samples(q), [1.0, 0.5, 0.0, 4 / 6, 0.0])
    np.testing.assert_allclose(det.novelty_scores(q), -det.score_samples(q))
    raw = OverlapNoveltyDetector(normalize="none").fit(STORED).score_samples(q)
    np.testing.assert_allclose(raw, [4, 2, 0, 4, 0])
    # top-2 mean: (4 + 0), (2 + 1), (0 + 0), (4 + 2) over 2, unnormalized
    top2 = OverlapNoveltyDetector(k=2, normalize="none", n_threads=2).fit(STORED).score_samples(q)
    np.testing.assert_allclose(top2, [2, 1.5, 0, 3, 0])


def test_overlap_detector_accepts_index_lists_and_checks_width():
    det = OverlapNoveltyDetector().fit(STORED)
    np.testing.assert_allclose(det.score_samples([np.array([0, 1, 4, 8]), np.array([9])]), [0.5, 0.0])
    with pytest.raises(ValueError, match=r"\[0, 12\)"):
        det.score_samples([np.array([0, 12])])
    with pytest.raises(ValueError, match="12 columns"):
        det.score_samples(np.zeros((1, 10), dtype=np.uint8))


@pytest.mark.parametrize("kw, exc", [(dict(k=0), ValueError), (dict(k=3), ValueError),
                                     (dict(normalize="max"), ValueError), (dict(n_threads=0), ValueError),
                                     (dict(k=1.5), TypeError)])
def test_overlap_detector_rejects_bad_params(kw, exc):
    with pytest.raises(exc, match=next(iter(kw))):
        OverlapNoveltyDetector(**kw).fit(STORED)


def test_overlap_detector_unfitted():
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        OverlapNoveltyDetector().score_samples(STORED)


def test_roc_auc_perfect_reversed_random_and_constant():
    assert roc_auc([0.1, 0.2, 0.3], [0.5, 0.9]) == 1.0
    assert roc_auc([0.5, 0.9], [0.1, 0.2, 0.3]) == 0.0
    assert roc_auc(np.ones(5), np.ones(7)) == 0.5
    # 1 known below, 1 tie, 1 above a single novel score: (1 + 0.5 + 0) / 3
    assert roc_auc([0.0, 0.5, 1.0], [0.5]) == pytest.approx(0.5)
    rng = np.random.default_rng(0)
    auc = roc_auc(rng.random(20000), rng.random(20000))
    assert abs(auc - 0.5) < 0.01  # std of the AUC of two 20,000-sample sets is about 0.003


def test_roc_auc_validation():
    with pytest.raises(ValueError, match="scores_novel"):
        roc_auc([0.1], [])
    with pytest.raises(ValueError, match="scores_known"):
        roc_auc([np.nan], [1.0])
    with pytest.raises(TypeError, match="scores_known"):
        roc_auc(["a"], [1.0])


def test_sp_overlap_detector_on_mnist_flags_scrambled_digits(mnist_dir):
    """End to end on 1,200 real digits: an SP learns 1,000; the detector must rank the
    pixel-scrambled versions of 200 held-out digits (same ink, no strokes) as more novel
    than the digits themselves."""
    import htmhw
    from htmhw.configs import named_config

    images, _ = htmhw.datasets.load_mnist(mnist_dir)
    X = htmhw.datasets.binarize(images[:1200], 30).reshape(1200, -1)
    rng = np.random.default_rng(7)
    scrambled = np.array([row[rng.permutation(784)] for row in X[1000:]])
    sp = htmhw.SpatialPooler(**named_config("mnist"), boost_in_inference=True)
    sp.compute(X[:1000], learn=True)
    det = OverlapNoveltyDetector(n_threads=2).fit(sp.infer(X[:1000], output="sparse"))
    auc = roc_auc(det.novelty_scores(sp.infer(X[1000:], output="sparse")),
                  det.novelty_scores(sp.infer(scrambled, output="sparse")))
    assert auc > 0.95
