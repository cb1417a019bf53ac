"""The scikit-learn transformer: outputs, composition with sklearn tools, estimator checks."""
import pickle

import numpy as np
import pytest
import scipy.sparse as sparse
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

import htmhw
from htmhw import SpatialPoolerTransformer


@pytest.fixture(scope="module")
def digits():
    X, y = htmhw.datasets.load_digits_binary()
    return X.reshape(len(X), -1)[:500], y[:500]


def test_transform_outputs_sparse_bool_and_dense_uint8(digits):
    X, _ = digits
    est = SpatialPoolerTransformer(n_columns=200, local_area_density=0.05, random_state=3).fit(X)
    Z = est.transform(X)
    assert sparse.issparse(Z) and Z.format == "csr"
    assert Z.dtype == bool and Z.shape == (500, 200)
    # stimulus_threshold 0: every column is eligible, so every row has exactly
    # int(0.05 * 200) = 10 winners
    assert np.asarray(Z.sum(axis=1)).ravel().tolist() == [10] * 500
    dense = clone(est).set_params(output="dense").fit(X).transform(X)
    assert isinstance(dense, np.ndarray) and dense.dtype == np.uint8 and dense.shape == (500, 200)
    assert set(np.unique(dense).tolist()) == {0, 1}
    np.testing.assert_array_equal(dense, Z.toarray().astype(np.uint8))
    # different digits get different SDRs
    assert len({tuple(r) for r in dense}) > 100


def test_stimulus_threshold_can_leave_fewer_winners(digits):
    X, _ = digits
    Z = SpatialPoolerTransformer(n_columns=200, local_area_density=0.05, stimulus_threshold=20,
                                 random_state=3).fit(X).transform(X)
    counts = np.asarray(Z.sum(axis=1)).ravel()
    assert counts.max() <= 10
    assert counts.min() < 10  # a digit with few pixels cannot reach overlap 20 on 10 columns


def test_transformer_is_the_documented_pooler(digits):
    X, _ = digits
    est = SpatialPoolerTransformer(n_columns=100, local_area_density=0.1, potential_pct=0.4, n_epochs=2,
                                   boost_strength=1.0, random_state=9).fit(X)
    # by hand: one pooler over all 64 inputs (potential_radius None), learning twice over X
    sp = htmhw.SpatialPooler(input_dimensions=(64,), column_dimensions=(100,), potential_radius=64,
                             potential_pct=0.4, global_inhibition=True, local_area_density=0.1,
                             num_active_columns_per_inh_area=-1, boost_strength=1.0, seed=9)
    sp.compute(X, learn=True)
    sp.compute(X, learn=True)
    assert est.sp_ == sp
    assert est.n_features_in_ == 64
    np.testing.assert_array_equal(est.transform(X).toarray(), sp.infer(X, output="dense").astype(bool))


def test_binarize_threshold():
    raw = load_digits().data[:300]  # values 0..16
    X_bin, _ = htmhw.datasets.load_digits_binary()  # pixel > 7
    X_bin = X_bin.reshape(len(X_bin), -1)[:300]
    a = SpatialPoolerTransformer(n_columns=100, local_area_density=0.1, binarize_threshold=7, random_state=1)
    b = SpatialPoolerTransformer(n_columns=100, local_area_density=0.1, random_state=1)
    np.testing.assert_array_equal(a.fit_transform(raw).toarray(), b.fit_transform(X_bin).toarray())


def test_random_state_forms(digits):
    X, _ = digits
    fit = lambda rs: SpatialPoolerTransformer(n_columns=64, local_area_density=0.1, random_state=rs).fit(X)  # noqa: E731
    assert fit(5).sp_.params["seed"] == 5
    assert fit(np.random.RandomState(0)).sp_ == fit(np.random.RandomState(0)).sp_
    assert fit(5).sp_ != fit(6).sp_


def test_pipeline_with_logistic_regression(digits):
    X, y = digits
    pipe = Pipeline([("sp", SpatialPoolerTransformer(n_columns=512, local_area_density=0.1, random_state=0)),
                     ("clf", LogisticRegression(max_iter=300))])
    score = pipe.fit(X[:350], y[:350]).score(X[350:], y[350:])
    assert score > 0.6  # ten classes: chance is 0.1
    assert pipe.predict(X[350:360]).shape == (10,)


def test_grid_search(digits):
    X, y = digits
    pipe = Pipeline([("sp", SpatialPoolerTransformer(n_columns=128, random_state=0)),
                     ("clf", LogisticRegression(max_iter=200))])
    grid = GridSearchCV(pipe, {"sp__local_area_density": [0.05, 0.1]}, cv=2).fit(X[:300], y[:300])
    assert grid.best_params_["sp__local_area_density"] in (0.05, 0.1)
    assert len(grid.cv_results_["mean_test_score"]) == 2
    assert grid.best_score_ > 0.3
    fitted_density = grid.best_estimator_.named_steps["sp"].sp_.params["local_area_density"]
    assert fitted_density == grid.best_params_["sp__local_area_density"]


def test_clone_and_pickle(digits):
    X, _ = digits
    est = SpatialPoolerTransformer(n_columns=80, local_area_density=0.1, potential_pct=0.7, random_state=4)
    twin = clone(est)
    assert twin is not est and twin.get_params() == est.get_params()
    assert not hasattr(twin, "sp_")
    est.fit(X)
    Z = est.transform(X)
    again = pickle.loads(pickle.dumps(est))
    Z2 = again.transform(X)
    assert (Z != Z2).nnz == 0 and Z2.dtype == bool
    # clone of a fitted estimator is unfitted but refits to the same pooler
    refit = clone(est).fit(X)
    assert (refit.transform(X) != Z).nnz == 0


def test_errors(digits):
    X, _ = digits
    est = SpatialPoolerTransformer(n_columns=64, local_area_density=0.1, random_state=0)
    with pytest.raises(NotFittedError):
        est.transform(X)
    est.fit(X)
    with pytest.raises(ValueError, match="features"):
        est.transform(X[:, :10])
    with pytest.raises(ValueError, match="local_area_density"):
        SpatialPoolerTransformer(local_area_density=0.7).fit(X)
    with pytest.raises(ValueError, match="input_dimensions"):
        SpatialPoolerTransformer(n_columns=64, local_area_density=0.1, input_dimensions=(7, 7)).fit(X)
    with pytest.raises(ValueError):
        est.transform(np.full_like(X, np.nan, dtype=float))


@parametrize_with_checks([SpatialPoolerTransformer(n_columns=64, local_area_density=0.1)])
def test_sklearn_estimator_checks(estimator, check, run_sklearn_check):
    run_sklearn_check(estimator, check)
