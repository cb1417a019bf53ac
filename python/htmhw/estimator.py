"""scikit-learn transformer around the spatial pooler."""
from __future__ import annotations

import inspect
import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._param_table import BY_NAME, constraints, fill_doc
from .datapath import HardwareConfig
from .sp import SpatialPooler


# The pooler's parameters the estimator exposes under their own names; their ranges are the
# pooler's (local_area_density without its "<= 0" alternative: the estimator always sets the
# density).
_SP_RANGES = ("potential_pct", "local_area_density", "stimulus_threshold", "syn_perm_inactive_dec",
              "syn_perm_active_inc", "syn_perm_connected", "min_pct_overlap_duty_cycle", "duty_cycle_period",
              "boost_strength")
_SP_BOOLS = ("global_inhibition", "wrap_around", "boost_in_inference")


class SpatialPoolerTransformer(TransformerMixin, BaseEstimator):
    """Learn a spatial pooler on X, then map samples to SDRs.

    Parameters
    ----------
    n_columns : int >= 1, default {default:n_columns}
        Number of columns (1-D column space) unless ``column_dimensions`` is given.
    column_dimensions : tuple of int or None, default {default:column_dimensions}
        Column topology; overrides ``n_columns``.
    input_dimensions : tuple of int or None, default {default:input_dimensions}
        Input topology; None means 1-D of ``n_features``. Its product must equal
        the number of features.
    potential_radius : {range:potential_radius} or None, default {default:potential_radius}
        None: every column's pool spans the whole input.
    {param:potential_pct}
    {param:global_inhibition}
    {param:local_area_density}
        (``num_active_columns_per_inh_area`` is not used.)
    {param:stimulus_threshold}
    {param:syn_perm_inactive_dec}
    {param:syn_perm_active_inc}
    {param:syn_perm_connected}
    {param:min_pct_overlap_duty_cycle}
    {param:duty_cycle_period}
    {param:boost_strength}
    {param:boost_in_inference}
        Apply the boost factors in ``transform`` too (htm.core's behaviour).
    {param:wrap_around}
    n_epochs : int >= 1, default {default:n_epochs}
        Passes over X during ``fit`` (learning on).
    binarize_threshold : float, default {default:binarize_threshold}
        Inputs are binarized as ``X > binarize_threshold`` (a 0/1 input is
        unchanged by the default). MNIST pixels: use 30.
    output : {"sparse", "dense"}, default {default:output}
        ``transform`` returns a scipy.sparse CSR bool matrix or a dense uint8 array.
    random_state : int, RandomState or None, default {default:random_state}
        Seeds the pooler (through one 32-bit draw when not an int).
    arithmetic : {"float", "fixed"}, default {default:arithmetic}
        The float reference or the bit-accurate fixed-point datapath.
    hw : HardwareConfig, dict or None, default {default:hw}
        Datapath widths for ``arithmetic="fixed"`` (None: the defaults); ignored for float.

    Attributes
    ----------
    sp_ : htmhw.SpatialPooler
    n_features_in_ : int
    """

    _parameter_constraints = {
        "n_columns": [Interval(numbers.Integral, 1, None, closed="left")],
        "column_dimensions": [tuple, list, None],
        "input_dimensions": [tuple, list, None],
        "potential_radius": [BY_NAME["potential_radius"].range.interval(), None],
        **constraints(BY_NAME[name] for name in _SP_RANGES + _SP_BOOLS),
        "n_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "binarize_threshold": [Interval(numbers.Real, None, None, closed="neither")],
        "output": [StrOptions({"sparse", "dense"})],
        "arithmetic": [StrOptions({"float", "fixed"})],
        "hw": [None, dict, HardwareConfig],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_columns=1024,
        column_dimensions=None,
        input_dimensions=None,
        potential_radius=None,
        potential_pct=0.5,
        global_inhibition=True,
        local_area_density=0.02,
        stimulus_threshold=0,
        syn_perm_inactive_dec=0.008,
        syn_perm_active_inc=0.05,
        syn_perm_connected=0.1,
        min_pct_overlap_duty_cycle=0.001,
        duty_cycle_period=1000,
        boost_strength=0.0,
        wrap_around=True,
        boost_in_inference=False,
        n_epochs=1,
        binarize_threshold=0.0,
        output="sparse",
        random_state=0,
        arithmetic="float",
        hw=None,
    ):
        self.n_columns = n_columns
        self.column_dimensions = column_dimensions
        self.input_dimensions = input_dimensions
        self.potential_radius = potential_radius
        self.potential_pct = potential_pct
        self.global_inhibition = global_inhibition
        self.local_area_density = local_area_density
        self.stimulus_threshold = stimulus_threshold
        self.syn_perm_inactive_dec = syn_perm_inactive_dec
        self.syn_perm_active_inc = syn_perm_active_inc
        self.syn_perm_connected = syn_perm_connected
        self.min_pct_overlap_duty_cycle = min_pct_overlap_duty_cycle
        self.duty_cycle_period = duty_cycle_period
        self.boost_strength = boost_strength
        self.wrap_around = wrap_around
        self.boost_in_inference = boost_in_inference
        self.n_epochs = n_epochs
        self.binarize_threshold = binarize_threshold
        self.output = output
        self.random_state = random_state
        self.arithmetic = arithmetic
        self.hw = hw

    def _binarize(self, X):
        return np.ascontiguousarray(X > self.binarize_threshold, dtype=np.uint8)

    def _make_pooler(self, n_features):
        input_dims = tuple(self.input_dimensions) if self.input_dimensions is not None else (n_features,)
        if int(np.prod(input_dims)) != n_features:
            raise ValueError(f"input_dimensions {input_dims} must multiply to n_features={n_features}")
        column_dims = tuple(self.column_dimensions) if self.column_dimensions is not None else (self.n_columns,)
        if isinstance(self.random_state, numbers.Integral):
            seed = int(self.random_state)
        else:
            seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        radius = n_features if self.potential_radius is None else self.potential_radius
        return SpatialPooler(
            input_dimensions=input_dims,
            column_dimensions=column_dims,
            potential_radius=radius,
            potential_pct=self.potential_pct,
            global_inhibition=self.global_inhibition,
            local_area_density=self.local_area_density,
            num_active_columns_per_inh_area=-1,
            stimulus_threshold=self.stimulus_threshold,
            syn_perm_inactive_dec=self.syn_perm_inactive_dec,
            syn_perm_active_inc=self.syn_perm_active_inc,
            syn_perm_connected=self.syn_perm_connected,
            min_pct_overlap_duty_cycle=self.min_pct_overlap_duty_cycle,
            duty_cycle_period=self.duty_cycle_period,
            boost_strength=self.boost_strength,
            seed=seed,
            wrap_around=self.wrap_around,
            boost_in_inference=self.boost_in_inference,
            arithmetic=self.arithmetic,
            hw=self.hw if self.arithmetic == "fixed" else None,
        )

    def fit(self, X, y=None):
        """Learn the pooler on X (n_samples, n_features) for n_epochs passes."""
        self._validate_params()
        X = validate_data(self, X, accept_sparse=False, dtype="numeric", ensure_all_finite=True)
        sp = self._make_pooler(X.shape[1])
        Xb = self._binarize(X)
        for _ in range(self.n_epochs):
            sp.compute(Xb, learn=True, output="sparse")
        self.sp_ = sp
        return self

    def transform(self, X):
        """SDRs of X without learning: CSR bool matrix or dense uint8 (see ``output``)."""
        check_is_fitted(self, "sp_")
        X = validate_data(self, X, accept_sparse=False, dtype="numeric", ensure_all_finite=True, reset=False)
        out = self.sp_.infer(self._binarize(X), output="sparse")
        if self.output == "dense":
            return out.toarray().astype(np.uint8)
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        tags.input_tags.sparse = False
        return tags


SpatialPoolerTransformer.__doc__ = fill_doc(
    SpatialPoolerTransformer.__doc__, alternatives=False,
    defaults={k: v.default for k, v in inspect.signature(SpatialPoolerTransformer.__init__).parameters.items()})

__all__ = ["SpatialPoolerTransformer"]
