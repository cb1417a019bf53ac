"""NuPIC-compatible spatial pooler: ``from htmhw.nupic import SpatialPooler``.

Same constructor signature, defaults and method names as NuPIC 1.0's
``nupic.algorithms.spatial_pooler.SpatialPooler``. Getters that in NuPIC fill a
caller-supplied array still do so, and also return it; passing no array returns
a new one. Semantics and the few deliberate differences: docs/sp_float.md.
"""
from __future__ import annotations

import numpy as np

from ._param_table import BY_NUPIC, DEFAULTS
from ._validation import as_binary_matrix, check_index
from .sp import SpatialPooler as _Pooler
from .sp import _float_vector

_D = DEFAULTS


def _fill(out, values, dtype):
    if out is None:
        return np.asarray(values, dtype=dtype)
    out = np.asarray(out)
    if out.size != np.size(values):
        raise ValueError(f"output array must have {np.size(values)} elements; got {out.size}")
    out.reshape(-1)[...] = np.asarray(values).reshape(-1)
    return out


class SpatialPooler:
    """NuPIC 1.0 API over htmhw's spatial pooler: the float reference by default;
    ``arithmetic="fixed", hw=HardwareConfig(...)`` (htmhw extensions, keyword
    only in practice) selects the fixed-point datapath of docs/datapath.md."""

    def __init__(
        self,
        inputDimensions=_D["input_dimensions"],
        columnDimensions=_D["column_dimensions"],
        potentialRadius=_D["potential_radius"],
        potentialPct=_D["potential_pct"],
        globalInhibition=_D["global_inhibition"],
        localAreaDensity=_D["local_area_density"],
        numActiveColumnsPerInhArea=_D["num_active_columns_per_inh_area"],
        stimulusThreshold=_D["stimulus_threshold"],
        synPermInactiveDec=_D["syn_perm_inactive_dec"],
        synPermActiveInc=_D["syn_perm_active_inc"],
        synPermConnected=_D["syn_perm_connected"],
        minPctOverlapDutyCycle=_D["min_pct_overlap_duty_cycle"],
        dutyCyclePeriod=_D["duty_cycle_period"],
        boostStrength=_D["boost_strength"],
        seed=_D["seed"],
        spVerbosity=_D["sp_verbosity"],
        wrapAround=_D["wrap_around"],
        boostInInference=_D["boost_in_inference"],
        arithmetic="float",
        hw=None,
    ):
        args = dict(locals())
        args.pop("self")
        arithmetic, hw = args.pop("arithmetic"), args.pop("hw")
        self._pooler = _Pooler(arithmetic=arithmetic, hw=hw, **{BY_NUPIC[k].name: v for k, v in args.items()})
        self._sp = self._pooler._sp

    # -- compute ------------------------------------------------------------------
    def compute(self, inputVector, learn, activeArray):
        """One step; fills activeArray (numColumns entries) with 0/1 in place."""
        if not isinstance(activeArray, np.ndarray) or activeArray.size != self._sp.num_columns:
            raise ValueError(f"activeArray must be a numpy array with {self._sp.num_columns} elements")
        x = as_binary_matrix(inputVector, self._sp.num_inputs, "inputVector")
        if x.shape[0] != 1:
            raise ValueError(f"inputVector must be a single input with {self._sp.num_inputs} elements")
        _, winners = self._sp.compute_batch(x, bool(learn))
        flat = activeArray.reshape(-1)
        flat[...] = 0
        flat[winners] = 1
        return activeArray

    def compute_batch(self, inputs, learn=False, output="indices"):
        """htmhw extension: all rows in one call (see htmhw.SpatialPooler.compute)."""
        return self._pooler.compute(inputs, learn=learn, output=output)

    # -- sizes --------------------------------------------------------------------------
    def getColumnDimensions(self):
        return np.array(self._sp.params["column_dimensions"])

    def getInputDimensions(self):
        return np.array(self._sp.params["input_dimensions"])

    def getNumColumns(self):
        return self._sp.num_columns

    def getNumInputs(self):
        return self._sp.num_inputs

    def getIterationNum(self):
        return self._sp.iteration_num

    def setIterationNum(self, iterationNum):
        self._sp.iteration_num = int(iterationNum)

    def getIterationLearnNum(self):
        return self._sp.iteration_learn_num

    def setIterationLearnNum(self, iterationLearnNum):
        self._sp.iteration_learn_num = int(iterationLearnNum)

    def getInhibitionRadius(self):
        return self._sp.inhibition_radius

    def setInhibitionRadius(self, inhibitionRadius):
        self._sp.inhibition_radius = int(inhibitionRadius)

    def getUpdatePeriod(self):
        return 50 if self._fixed else self._sp.update_period

    def getSynPermTrimThreshold(self):
        if self._fixed:
            return self._pooler.constants["trim_q"] / self._pooler.constants["perm_max"]
        return self._sp.syn_perm_trim_threshold

    def getSynPermBelowStimulusInc(self):
        if self._fixed:
            return self._pooler.constants["bump_q"] / self._pooler.constants["perm_max"]
        return self._sp.syn_perm_below_stimulus_inc

    @property
    def _fixed(self):
        return self._pooler.arithmetic == "fixed"

    def _float_setter(self, name):
        if self._fixed:
            raise ValueError(f"{name} is not available with arithmetic='fixed': the datapath's registers "
                             "are integers (docs/datapath.md); use htmhw.SpatialPooler's fixed-point accessors")
        return getattr(self._sp, name)

    # -- per-column state -----------------------------------------------------------------
    def _column(self, columnIndex):
        return check_index(columnIndex, self._sp.num_columns, "columnIndex")

    def getPotential(self, columnIndex, potential=None):
        c = self._column(columnIndex)
        return _fill(potential, self._row(c, values=False), np.uint32)

    def setPotential(self, columnIndex, potential):
        self._pooler.set_column_potential(self._column(columnIndex), potential)

    def getPermanence(self, columnIndex, permanence=None):
        c = self._column(columnIndex)
        return _fill(permanence, self._row(c), np.float32)

    def setPermanence(self, columnIndex, permanence):
        self._pooler.set_column_permanences(self._column(columnIndex), permanence)

    def getConnectedSynapses(self, columnIndex, connectedSynapses=None):
        c = self._column(columnIndex)
        if self._fixed:
            words, _ = self._pooler.permanence_memory()
            connected = self._row(c, values=words >= self._pooler.constants["conn_q"])
        else:
            perms = self._row(c)
            connected = perms >= np.float32(self._sp.connected_threshold)
        return _fill(connectedSynapses, connected.astype(np.uint32), np.uint32)

    def _row(self, c, values=None):
        """Dense row of column c: its permanences (default), 1 on its pool
        (values=False) or the given per-synapse values."""
        offsets, pool_inputs, perms = self._pooler.potential_pools()
        b, e = offsets[c], offsets[c + 1]
        row = np.zeros(self._sp.num_inputs, dtype=np.float32)
        if values is None:
            values = perms
        row[pool_inputs[b:e]] = 1.0 if values is False else values[b:e]
        return row

    def getConnectedCounts(self, connectedCounts=None):
        return _fill(connectedCounts, self._sp.connected_counts(), np.uint32)

    # -- per-column vectors ------------------------------------------------------------------
    def getOverlaps(self):
        return self._pooler.overlaps().astype(np.float32)

    def getBoostedOverlaps(self):
        return self._pooler.boosted_overlaps()

    def getBoostFactors(self, boostFactors=None):
        return _fill(boostFactors, self._pooler.boost_factors(), np.float32)

    def setBoostFactors(self, boostFactors):
        self._float_setter("set_boost_factors")(_float_vector(boostFactors, self._sp.num_columns, "boostFactors"))

    def getActiveDutyCycles(self, activeDutyCycles=None):
        return _fill(activeDutyCycles, self._pooler.active_duty_cycles(), np.float32)

    def setActiveDutyCycles(self, activeDutyCycles):
        self._float_setter("set_active_duty_cycles")(
            _float_vector(activeDutyCycles, self._sp.num_columns, "activeDutyCycles"))

    def getOverlapDutyCycles(self, overlapDutyCycles=None):
        return _fill(overlapDutyCycles, self._pooler.overlap_duty_cycles(), np.float32)

    def setOverlapDutyCycles(self, overlapDutyCycles):
        self._float_setter("set_overlap_duty_cycles")(
            _float_vector(overlapDutyCycles, self._sp.num_columns, "overlapDutyCycles"))

    def getMinOverlapDutyCycles(self, minOverlapDutyCycles=None):
        return _fill(minOverlapDutyCycles, self._pooler.min_overlap_duty_cycles(), np.float32)

    def setMinOverlapDutyCycles(self, minOverlapDutyCycles):
        self._float_setter("set_min_overlap_duty_cycles")(
            _float_vector(minOverlapDutyCycles, self._sp.num_columns, "minOverlapDutyCycles")
        )

    # -- persistence ------------------------------------------------------------------------
    def save(self, path):
        self._pooler.save(path)

    @classmethod
    def load(cls, path):
        obj = cls.__new__(cls)
        obj._pooler = _Pooler.load(path)
        obj._sp = obj._pooler._sp
        return obj

    def __getstate__(self):
        return self._pooler.__getstate__()

    def __setstate__(self, state):
        self._pooler = _Pooler.__new__(_Pooler)
        self._pooler.__setstate__(state)
        self._sp = self._pooler._sp


def _make_param_accessors():
    # NuPIC's getX/setX pair for every constructor parameter, from the one table.
    for nupic_name, p in BY_NUPIC.items():
        suffix = nupic_name[0].upper() + nupic_name[1:]

        def getter(self, _name=p.name):
            value = self._sp.params[_name]
            return np.array(value) if isinstance(value, tuple) else value

        def setter(self, value, _name=p.name):
            self._pooler.set_param(_name, value)

        getter.__name__ = f"get{suffix}"
        getter.__doc__ = f"Return {nupic_name}."
        setattr(SpatialPooler, getter.__name__, getter)
        if p.kind != "dims":
            setter.__name__ = f"set{suffix}"
            setter.__doc__ = f"Set {nupic_name} ({p.allowed})."
            setattr(SpatialPooler, setter.__name__, setter)


_make_param_accessors()


def _set_num_active(self, numActiveColumnsPerInhArea):
    """Set numActiveColumnsPerInhArea; as in NuPIC this invalidates localAreaDensity."""
    self._pooler.set_param("num_active_columns_per_inh_area", numActiveColumnsPerInhArea)
    self._pooler.set_param("local_area_density", 0.0)


def _set_density(self, localAreaDensity):
    """Set localAreaDensity; as in NuPIC this invalidates numActiveColumnsPerInhArea."""
    self._pooler.set_param("local_area_density", localAreaDensity)
    self._pooler.set_param("num_active_columns_per_inh_area", 0.0)


SpatialPooler.setNumActiveColumnsPerInhArea = _set_num_active
SpatialPooler.setLocalAreaDensity = _set_density
# NuPIC spells the duty-cycle percentage getter in the plural.
SpatialPooler.getMinPctOverlapDutyCycles = SpatialPooler.getMinPctOverlapDutyCycle
SpatialPooler.setMinPctOverlapDutyCycles = SpatialPooler.setMinPctOverlapDutyCycle

__all__ = ["SpatialPooler"]
