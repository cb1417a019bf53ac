"""Invalid parameters and inputs are refused with errors that name the culprit."""
import time

import numpy as np
import pytest

import htmhw
from htmhw.nupic import SpatialPooler as NupicSP

BASE = dict(input_dimensions=(8,), column_dimensions=(4,), potential_radius=8, potential_pct=1.0,
            global_inhibition=True, local_area_density=0.5, seed=1, wrap_around=False)

NUPIC_NAMES = {
    "potential_pct": "potentialPct",
    "input_dimensions": "inputDimensions",
    "column_dimensions": "columnDimensions",
    "syn_perm_connected": "synPermConnected",
    "local_area_density": "localAreaDensity",
    "num_active_columns_per_inh_area": "numActiveColumnsPerInhArea",
    "duty_cycle_period": "dutyCyclePeriod",
    "boost_strength": "boostStrength",
    "stimulus_threshold": "stimulusThreshold",
    "potential_radius": "potentialRadius",
    "syn_perm_active_inc": "synPermActiveInc",
    "syn_perm_inactive_dec": "synPermInactiveDec",
    "min_pct_overlap_duty_cycle": "minPctOverlapDutyCycle",
    "seed": "seed",
}

# (parameter named in the message, overrides)
INVALID = [
    ("potential_pct", dict(potential_pct=0)),
    ("potential_pct", dict(potential_pct=1.5)),
    ("potential_pct", dict(potential_pct=-0.1)),
    ("input_dimensions", dict(input_dimensions=(-3,))),
    ("input_dimensions", dict(input_dimensions=(0,))),
    ("column_dimensions", dict(column_dimensions=(0, 4))),
    ("column_dimensions", dict(column_dimensions=(4, -1))),
    # syn_perm_connected must exceed the trim threshold syn_perm_active_inc / 2 = 0.05
    ("syn_perm_connected", dict(syn_perm_active_inc=0.1, syn_perm_connected=0.05)),
    ("syn_perm_connected", dict(syn_perm_active_inc=0.1, syn_perm_connected=0.01)),
    ("local_area_density", dict(local_area_density=0.7)),
    ("num_active_columns_per_inh_area", dict(local_area_density=-1, num_active_columns_per_inh_area=0)),
    ("duty_cycle_period", dict(duty_cycle_period=0)),
    ("boost_strength", dict(boost_strength=-1)),
    ("boost_strength", dict(boost_strength=float("nan"))),
    ("boost_strength", dict(boost_strength=float("inf"))),
    # pools hold 8 inputs: a threshold of 9 can never be reached
    ("stimulus_threshold", dict(stimulus_threshold=9)),
    ("stimulus_threshold", dict(stimulus_threshold=-1)),
    ("potential_radius", dict(potential_radius=-1)),
    ("syn_perm_active_inc", dict(syn_perm_active_inc=1.5)),
    ("syn_perm_inactive_dec", dict(syn_perm_inactive_dec=-0.1)),
    ("min_pct_overlap_duty_cycle", dict(min_pct_overlap_duty_cycle=2)),
    ("seed", dict(seed=-2)),
    ("seed", dict(seed=2**64)),
]


@pytest.mark.parametrize("name,overrides", INVALID, ids=[f"{n}-{list(o.values())}" for n, o in INVALID])
def test_invalid_parameter_names_itself(name, overrides):
    with pytest.raises(ValueError, match=name) as info:
        htmhw.SpatialPooler(**dict(BASE, **overrides))
    assert NUPIC_NAMES[name] in str(info.value)


@pytest.mark.parametrize("name,overrides", INVALID, ids=[f"{n}-{list(o.values())}" for n, o in INVALID])
def test_invalid_parameter_names_itself_in_the_nupic_class(name, overrides):
    kwargs = {NUPIC_NAMES.get(k, k): v for k, v in dict(BASE, **overrides).items()}
    kwargs = {("globalInhibition" if k == "global_inhibition" else "wrapAround" if k == "wrap_around" else k): v
              for k, v in kwargs.items()}
    with pytest.raises(ValueError, match=NUPIC_NAMES[name]):
        NupicSP(**kwargs)


@pytest.mark.parametrize("name,overrides", [
    ("potential_pct", dict(potential_pct="a")),
    ("potential_pct", dict(potential_pct=None)),
    ("global_inhibition", dict(global_inhibition="yes")),
    ("input_dimensions", dict(input_dimensions=(2.5,))),
    ("input_dimensions", dict(input_dimensions="abc")),
    ("potential_radius", dict(potential_radius=2.5)),
    ("duty_cycle_period", dict(duty_cycle_period=True)),
    ("seed", dict(seed="1")),
])
def test_wrong_types_raise_type_error(name, overrides):
    with pytest.raises(TypeError, match=name):
        htmhw.SpatialPooler(**dict(BASE, **overrides))


def test_unknown_parameter_is_refused():
    with pytest.raises(TypeError, match="potential_radios"):
        htmhw.SpatialPooler(**dict(BASE, potential_radios=3))
    with pytest.raises(TypeError):
        NupicSP(inputDimensions=(8,), potentialRadios=3)


def test_global_density_too_small_for_any_winner():
    # 4 columns * 0.1 = 0.4 -> int() = 0 winners: refused instead of silently empty SDRs
    with pytest.raises(ValueError, match="local_area_density"):
        htmhw.SpatialPooler(**dict(BASE, local_area_density=0.1))


def test_too_large_configuration_is_refused_before_allocating():
    start = time.perf_counter()
    with pytest.raises(ValueError, match="potential synapses"):
        # 2**20 columns x 2**16-input pools would need 2**35 synapses (about 137 GB)
        htmhw.SpatialPooler(input_dimensions=(1 << 16,), column_dimensions=(1 << 20,), potential_radius=2**32 - 1,
                            potential_pct=0.5, global_inhibition=True, local_area_density=0.02)
    assert time.perf_counter() - start < 1.0
    with pytest.raises(ValueError, match="column_dimensions"):
        htmhw.SpatialPooler(input_dimensions=(8,), column_dimensions=(1 << 14, 1 << 14), global_inhibition=True,
                            local_area_density=0.02)
    assert time.perf_counter() - start < 2.0


def test_set_param_validates():
    sp = htmhw.SpatialPooler(**BASE)
    with pytest.raises(ValueError, match="boost_strength"):
        sp.set_param("boost_strength", -1)
    with pytest.raises(ValueError, match="potential_pct"):
        sp.set_param("potential_pct", 0)
    with pytest.raises(ValueError, match="syn_perm_connected"):
        sp.set_param("syn_perm_connected", 0.01)  # below syn_perm_active_inc / 2 = 0.025
    with pytest.raises(TypeError, match="duty_cycle_period"):
        sp.set_param("duty_cycle_period", "often")
    with pytest.raises(ValueError, match="input_dimensions"):
        sp.set_param("input_dimensions", (3,))
    with pytest.raises(ValueError, match="no_such_param"):
        sp.set_param("no_such_param", 1)
    assert sp.params["boost_strength"] == 0.0 and sp.params["potential_pct"] == 1.0  # unchanged
    nupic = NupicSP(inputDimensions=(8,), columnDimensions=(4,), localAreaDensity=0.5, globalInhibition=True)
    with pytest.raises(ValueError, match="boostStrength"):
        nupic.setBoostStrength(-1)
    with pytest.raises(ValueError, match="localAreaDensity"):
        nupic.setLocalAreaDensity(0.7)
    with pytest.raises(ValueError, match="dutyCyclePeriod"):
        nupic.setDutyCyclePeriod(0)


# -- inputs --------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad,error", [
    (np.ones(7, dtype=np.uint8), ValueError),  # wrong size
    (np.ones((3, 7), dtype=np.uint8), ValueError),  # wrong row size
    (np.ones((2, 2, 3), dtype=np.uint8), ValueError),
    (np.array([2, 0, 0, 0, 0, 0, 0, 0]), ValueError),  # not binary
    (np.array([0.5, 0, 0, 0, 0, 0, 0, 0]), ValueError),
    (np.array([-1, 0, 0, 0, 0, 0, 0, 0]), ValueError),
    (np.array([np.nan, 0, 0, 0, 0, 0, 0, 0]), ValueError),
    (np.array([np.inf, 0, 0, 0, 0, 0, 0, 0]), ValueError),
    (np.array(["1"] * 8), TypeError),  # strings
    (np.array([1, 0, 0, 0, 0, 0, 0, None], dtype=object), TypeError),
    (np.ones(8, dtype=complex), TypeError),
])
def test_bad_inputs_are_refused(bad, error):
    sp = htmhw.SpatialPooler(**BASE)
    with pytest.raises(error, match="inputs"):
        sp.compute(bad, learn=True)
    with pytest.raises(error, match="inputs"):
        sp.infer(bad)
    assert sp.iteration_num == 0  # nothing was computed
    nupic = NupicSP(inputDimensions=(8,), columnDimensions=(4,), localAreaDensity=0.5, globalInhibition=True)
    with pytest.raises(error, match="inputVector"):
        nupic.compute(bad, True, np.zeros(4, dtype=np.uint8))


def test_bad_row_in_a_batch_is_refused_and_nothing_is_learned():
    sp = htmhw.SpatialPooler(**BASE)
    X = np.zeros((5, 8), dtype=np.float64)
    X[3, 2] = 0.5
    before = sp.permanences()
    with pytest.raises(ValueError, match=r"inputs must be binary.*\(3, 2\)"):
        sp.compute(X, learn=True)
    np.testing.assert_array_equal(sp.permanences(), before)
    assert sp.iteration_num == 0


def test_accepted_input_forms():
    sp = htmhw.SpatialPooler(**dict(BASE, input_dimensions=(2, 4)))
    x = np.array([[1, 0, 1, 0], [0, 1, 1, 0]])
    expected = sp.infer(x.reshape(-1).astype(np.uint8))[0].tolist()
    for form in (x, x.astype(bool), x.astype(np.float32), x.reshape(-1).tolist(), x.astype(np.int64)[None]):
        assert sp.infer(form)[0].tolist() == expected
    with pytest.raises(ValueError, match="output"):
        sp.infer(x, output="list")
    with pytest.raises(TypeError, match="learn"):
        sp.compute(x, learn="yes")


def test_bad_column_index_and_state_setters():
    nupic = NupicSP(inputDimensions=(8,), columnDimensions=(4,), potentialRadius=2, potentialPct=1.0,
                    localAreaDensity=0.5, globalInhibition=True, wrapAround=False)
    for bad in (4, -1, 10**12):
        with pytest.raises(ValueError, match="columnIndex"):
            nupic.getPermanence(bad)
        with pytest.raises(ValueError, match="columnIndex"):
            nupic.setPermanence(bad, np.zeros(8))
    with pytest.raises(TypeError, match="columnIndex"):
        nupic.getPotential(1.5)
    with pytest.raises(TypeError, match="columnIndex"):
        nupic.getConnectedSynapses(True)
    # column 0 maps to input 1; radius 2 without wrap -> pool {0, 1, 2, 3}
    with pytest.raises(ValueError, match="potential pool"):
        nupic.setPermanence(0, np.full(8, 0.5))  # inputs 4..7 are outside the pool
    with pytest.raises(ValueError, match="NaN"):
        nupic.setPermanence(0, np.array([np.nan, 0, 0, 0, 0, 0, 0, 0]))
    with pytest.raises(ValueError, match="permanence"):
        nupic.setPermanence(0, np.zeros(7))
    with pytest.raises(ValueError, match="boostFactors"):
        nupic.setBoostFactors(np.array([-1.0, 1, 1, 1]))
    with pytest.raises(ValueError, match="boostFactors"):
        nupic.setBoostFactors(np.ones(3))
    with pytest.raises(ValueError, match="activeDutyCycles"):
        nupic.setActiveDutyCycles(np.array([2.0, 0, 0, 0]))
    with pytest.raises(ValueError, match="output array"):
        nupic.getPermanence(0, np.zeros(5, dtype=np.float32))
    sp = htmhw.SpatialPooler(**BASE)
    with pytest.raises(ValueError, match="column"):
        sp.set_column_permanences(4, np.zeros(8))
