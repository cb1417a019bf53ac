"""The parameter tables (htmhw._param_table) are the one source of every default and range:
the C++ validators accept each bound a table states and refuse just outside it, the C++
structs' defaults equal the tables', and what the Python layers build from the tables (the
dataclasses, docstrings, the estimator's constraints, the NuPIC signature) says the same."""
import inspect
import re
from pathlib import Path

import numpy as np
import pytest

import htmhw
from htmhw import _core, crossbar
from htmhw._param_table import (ARRAY_FIELDS, BY_NAME, DEFAULTS, DEVICE_FIELDS, HW_FIELDS, MAX_RANK,
                                PERIPHERY_FIELDS, SOM, SOM_PARAMS, SP_PARAMS, core_params)
from htmhw.estimator import SpatialPoolerTransformer

REPO = Path(__file__).resolve().parents[1]

# A pooler small enough to build for every probe; 8 columns under global inhibition, so
# that local_area_density up to 0.5 gives winners.
SP_BASE = dict(input_dimensions=(8,), column_dimensions=(8,), potential_radius=8, potential_pct=1.0,
               global_inhibition=True, local_area_density=0.5, seed=1)

# Other fields set while one field's static bounds are probed, so that no other rule binds
# first (e.g. syn_perm_connected > syn_perm_active_inc / 2 at syn_perm_active_inc = 1).
STATIC_CONTEXT = {
    "num_active_columns_per_inh_area": {"local_area_density": -1.0},
    "syn_perm_active_inc": {"syn_perm_connected": 1.0},
    "syn_perm_connected": {"syn_perm_active_inc": 0.0},
    "boost_lut_bits": {"duty_bits": 16},
    "r_on_ohm": {"r_off_ohm": 1e15},
    "stuck_off_rate": {"stuck_on_rate": 0.0},
}
# Where a cross-field bound (Range.lo_ref / hi_ref) lies strictly inside the static range.
REF_CONTEXT = {
    "syn_perm_connected": {"syn_perm_active_inc": 0.5},
    "boosted_frac_bits": {"boost_frac_bits": 5},
    "boost_lut_bits": {"duty_bits": 6},
    "r_off_ohm": {"r_on_ohm": 1e3},
    "stuck_off_rate": {"stuck_on_rate": 0.25},
}

# Parameters whose alternative (Param.also) takes the values just below the range: they are
# probed in test_sp_alternatives_and_limits_beside_the_ranges.
ALTERNATIVE_BELOW = {"local_area_density": "<= 0 to use num_active_columns_per_inh_area", "seed": "-1 to draw one"}


def beyond(x, integer, down):
    """The nearest value past x (downwards or upwards)."""
    if integer:
        return int(x) + (-1 if down else 1)
    return float(np.nextafter(x, -np.inf if down else np.inf))


def probes(p, values):
    """(value, accepted, context) at every bound of p's range: a closed bound and the value
    just inside an open one are accepted, an open bound and the value just outside a closed
    one refused. A lower bound that an alternative continues (ALTERNATIVE_BELOW) is left out
    here."""
    r, integer = p.range, p.range.integer
    ctx = STATIC_CONTEXT.get(p.name, {})
    out = []
    if r.lo is not None and p.name not in ALTERNATIVE_BELOW:
        out += [(r.lo, not r.lo_open, ctx), (beyond(r.lo, integer, r.lo_open is False), r.lo_open, ctx)]
    if r.hi is not None:
        out += [(r.hi, not r.hi_open, ctx), (beyond(r.hi, integer, r.hi_open is True), r.hi_open, ctx)]
    ref_ctx = REF_CONTEXT.get(p.name)
    if r.lo_ref is not None:
        b = r.lo_ref.value(dict(values, **ref_ctx))
        out += [(b, False, ref_ctx), (beyond(b, integer, False), True, ref_ctx)]
    if r.hi_ref is not None:
        b = r.hi_ref.value(dict(values, **ref_ctx))
        out += [(b, True, ref_ctx), (beyond(b, integer, False), False, ref_ctx)]
    return out


def subject(message: str) -> str:
    """The field a validator's message is about: its first identifier (after an optional
    'Struct.' prefix)."""
    m = re.match(r"\W*(?:\w+\.)?(\w+)", message)
    return m.group(1) if m else ""


def refused_for(name, value, integer, call, type_limit) -> bool:
    """Whether ``call()`` refuses ``name``: a ValueError about ``name``; for a value the
    core's integer field cannot hold (``type_limit``), the binding's conversion error.
    A ValueError about another field does not count: the value is then accepted for
    ``name`` (r_on_ohm = 1e15 is, though no r_off_ohm can then exceed it)."""
    try:
        call()
    except ValueError as e:
        return subject(str(e)) == name
    except (RuntimeError, TypeError):
        if integer and type_limit(value):
            return True
        raise
    return False


def uint32_limit(v):
    return not 0 <= v < 2**32


def sp_core_refuses(name, value, ctx):
    """Whether the core refuses building SP_BASE with ``ctx`` and ``name`` = ``value``."""
    p = BY_NAME[name]
    params = dict(core_params(dict(SP_BASE, **ctx)), **{name: float(value) if p.kind == "float" else value})
    limit = (lambda v: not 0 <= v < 2**64) if p.kind == "seed" else uint32_limit
    return refused_for(name, value, p.kind != "float", lambda: _core.SpatialPoolerFloat(params), limit)


SP_PROBES = [(p.name, v, ok, ctx) for p in SP_PARAMS if p.range is not None
             for v, ok, ctx in probes(p, DEFAULTS)]


@pytest.mark.parametrize("name, value, accepted, ctx", SP_PROBES,
                         ids=[f"{n}={v!r}" for n, v, _, _ in SP_PROBES])
def test_sp_core_accepts_each_bound_of_the_table_and_refuses_just_outside(name, value, accepted, ctx):
    assert sp_core_refuses(name, value, ctx) != accepted


def test_sp_dimensions_follow_the_table():
    for name in ("input_dimensions", "column_dimensions"):
        assert sp_core_refuses(name, (1,) * MAX_RANK, {}) is False
        assert sp_core_refuses(name, (1,) * (MAX_RANK + 1), {}) is True
        assert sp_core_refuses(name, (1, 1), {}) is False
        assert sp_core_refuses(name, (1, 0), {}) is True
        assert sp_core_refuses(name, (), {}) is True


def test_sp_alternatives_and_limits_beside_the_ranges():
    # local_area_density <= 0 switches to num_active_columns_per_inh_area (>= 1)
    for density in (0.0, -1.0):
        assert sp_core_refuses("local_area_density", density, {"num_active_columns_per_inh_area": 1.0}) is False
    with pytest.raises(ValueError, match="num_active_columns_per_inh_area"):
        _core.SpatialPoolerFloat(core_params(dict(SP_BASE, local_area_density=0.0,
                                                  num_active_columns_per_inh_area=0.5)))
    # seed -1 draws one (the Python layer's alternative; the core holds the drawn seed)
    assert 0 <= htmhw.SpatialPooler(**dict(SP_BASE, seed=-1)).params["seed"] < 2**64
    with pytest.raises(ValueError, match="seed"):
        htmhw.SpatialPooler(**dict(SP_BASE, seed=-2))
    # stimulus_threshold <= the smallest potential pool (SP_BASE: every pool has all 8 inputs)
    assert BY_NAME["stimulus_threshold"].limit == "<= the smallest potential pool"
    assert sp_core_refuses("stimulus_threshold", 8.0, {}) is False
    assert sp_core_refuses("stimulus_threshold", float(np.nextafter(8.0, 9.0)), {}) is True


def families():
    hw = lambda d: _core.hw_validate(d)  # noqa: E731
    return [("HardwareConfig", HW_FIELDS, htmhw.HardwareConfig, hw),
            ("Device", DEVICE_FIELDS, crossbar.Device, _core.crossbar_validate_device),
            ("Array", ARRAY_FIELDS, crossbar.Array, _core.crossbar_validate_array),
            ("Periphery", PERIPHERY_FIELDS, crossbar.Periphery, _core.crossbar_validate_periphery)]


STRUCT_PROBES = [(fam, p.name, v, ok, ctx) for fam, fields, _, _ in families()
                 for p in fields if p.range is not None
                 for v, ok, ctx in probes(p, {q.name: q.default for q in fields})]


@pytest.mark.parametrize("family, name, value, accepted, ctx", STRUCT_PROBES,
                         ids=[f"{f}.{n}={v!r}" for f, n, v, _, _ in STRUCT_PROBES])
def test_struct_validators_accept_each_bound_of_the_table_and_refuse_just_outside(family, name, value, accepted,
                                                                                   ctx):
    _, fields, cls, core_validate = next(f for f in families() if f[0] == family)
    p = next(q for q in fields if q.name == name)
    values = dict({q.name: q.default for q in fields}, **ctx, **{name: value})
    assert refused_for(name, value, p.range.integer, lambda: core_validate(values), uint32_limit) != accepted
    # the Python dataclass (its own check from the table, then the core's) agrees
    assert refused_for(name, value, p.range.integer, lambda: cls(**values), uint32_limit) != accepted


def test_every_cross_field_bound_is_probed_inside_the_static_range():
    for fields in (SP_PARAMS, HW_FIELDS, DEVICE_FIELDS, ARRAY_FIELDS, PERIPHERY_FIELDS):
        values = {q.name: q.default for q in fields}
        for p in fields:
            if p.range is None or (p.range.lo_ref is None and p.range.hi_ref is None):
                continue
            for ref in (p.range.lo_ref, p.range.hi_ref):
                if ref is None:
                    continue
                b = ref.value(dict(values, **REF_CONTEXT[p.name]))
                r = p.range
                assert (r.lo is None or b > r.lo) and (r.hi is None or b < r.hi), (p.name, b)


# -- defaults --------------------------------------------------------------------------------------
def cpp_struct_defaults(struct: str) -> dict:
    """Member initializers of ``struct`` in cpp/include/htmhw (``type a = 1, b = 2;``)."""
    for header in sorted((REPO / "cpp" / "include" / "htmhw").glob("*.hpp")):
        m = re.search(r"struct\s+" + struct + r"\s*\{(.*?)\n\};", header.read_text(), re.S)
        if m:
            break
    else:
        raise AssertionError(f"struct {struct} not found in cpp/include/htmhw")
    body = re.sub(r"//[^\n]*", "", m.group(1))
    out = {}
    for statement in body.split(";"):
        decl = re.match(r"\s*[\w:]+\s+(.*)", statement, re.S)
        if not decl or "(" in statement:
            continue
        for part in decl.group(1).split(","):
            name, eq, value = (s.strip() for s in part.partition("="))
            if not eq:
                continue
            words = {"CellType::OneT1R": "1T1R", "CellType::ZeroT1R": "0T1R", "true": True, "false": False}
            out[name] = words[value] if value in words else float(value)
    return out


@pytest.mark.parametrize("struct, fields", [("HwConfig", HW_FIELDS), ("CrossbarDevice", DEVICE_FIELDS),
                                            ("CrossbarArray", ARRAY_FIELDS), ("CrossbarPeriphery", PERIPHERY_FIELDS)])
def test_cpp_struct_defaults_equal_the_table(struct, fields):
    assert cpp_struct_defaults(struct) == {p.name: p.default for p in fields}


def test_cpp_sp_params_initializers_are_placeholders_or_the_tables_defaults():
    # SpParams has no defaults of its own (every field is read from the Python dict); an
    # initializer other than zero must at least agree with the table.
    for name, value in cpp_struct_defaults("SpParams").items():
        assert value in (0, False) or value == DEFAULTS[name], name


def test_binding_defaults_for_missing_crossbar_keys_equal_the_table():
    # The crossbar bindings fill a key left out of a dict with the C++ default.
    from_table = _core.crossbar_array_figures(crossbar.Device().to_dict(), crossbar.Array().to_dict(),
                                              crossbar.Periphery().to_dict(), 0.33, 0.1, 256)
    assert _core.crossbar_array_figures({}, {}, {}, 0.33, 0.1, 256) == from_table


def test_dataclasses_are_the_tables():
    for _, fields, cls, _ in families():
        obj = cls()
        assert [f for f in obj.to_dict()] == [p.name for p in fields]
        assert obj.to_dict() == {p.name: p.default for p in fields}
        for p in fields:
            assert f"{p.name}: " in cls.__doc__ and p.allowed in cls.__doc__, (cls.__name__, p.name)


def test_sp_defaults_docstring_and_nupic_signature_are_the_table():
    sig = inspect.signature(htmhw.nupic.SpatialPooler.__init__).parameters
    assert {p.name: sig[p.nupic].default for p in SP_PARAMS} == DEFAULTS
    for p in SP_PARAMS:
        assert p.allowed in htmhw.SpatialPooler.__doc__, p.name
    sp = htmhw.SpatialPooler(**SP_BASE)
    assert {k: v for k, v in sp.params.items() if k not in SP_BASE} == \
        {k: v for k, v in DEFAULTS.items() if k not in SP_BASE}


def test_estimator_constraints_and_docstring_are_the_table():
    constraints = SpatialPoolerTransformer._parameter_constraints
    doc = SpatialPoolerTransformer.__doc__
    for name in inspect.signature(SpatialPoolerTransformer.__init__).parameters:
        p = BY_NAME.get(name)
        if p is None or p.kind in ("bool", "dims"):
            continue
        interval = constraints[name][0]
        table = p.range.interval()
        assert (interval.type, interval.left, interval.right, interval.closed) == \
            (table.type, table.left, table.right, table.closed), name
        assert p.allowed_text(alternatives=False, article=name == "potential_radius") in doc, name
    for name in ("global_inhibition", "wrap_around", "boost_in_inference"):
        assert constraints[name] == ["boolean"]
    # the estimator never uses the "<= 0" alternative of local_area_density
    with pytest.raises(ValueError, match="local_area_density"):
        SpatialPoolerTransformer(local_area_density=0.0).fit(np.eye(8, dtype=np.uint8))


def test_datapath_doc_configuration_table_states_the_tables_defaults_and_ranges():
    """docs/datapath.md keeps its own table of HardwareConfig (with symbols and meanings);
    each row states the table's default and both static bounds of its range."""
    text = (REPO / "docs" / "datapath.md").read_text()
    for p in HW_FIELDS:
        row = re.search(r"^\| `" + p.name + r"`[^|]*\| ([^|]*) \| ([^|]*) \|", text, re.M)
        assert row, p.name
        allowed, default = row.groups()
        assert default.strip() == str(p.default), p.name
        numbers = [int(n) for n in re.findall(r"\d+", allowed)]
        assert all(b in numbers for b in (p.range.lo, p.range.hi) if b is not None), (p.name, allowed)
        if p.range.hi_ref is not None:  # written with the field's symbol (B_f, D)
            assert re.search(r"\b[A-Z]_?\w*\b", allowed), (p.name, allowed)


# -- the SOM encoder's ranges (its defaults live in SOMEncoder's signature) --------------------------
# The subject of the core's messages where it differs from the parameter's name.
SOM_SUBJECT = {"n_rows": "grid", "n_cols": "grid", "n_active": "k"}
SOM_BASE = dict(n_rows=2, n_cols=2, lattice="rect", topology="planar", method="online", neighborhood="gaussian",
                n_epochs=1, radius_start=1.0, radius_end=1.0, radius_decay="linear", learning_rate_start=0.5,
                learning_rate_end=0.01, learning_rate_decay="linear", std_coeff=0.5, n_active=1, n_threads=1)


def som_core_refuses(name, value, ctx=None):
    """Whether the core refuses SOM_BASE with ``name`` = ``value``: the grid through
    som_unit_coordinates, n_active through som_topk, the rest through som_train (one
    sample, one feature)."""
    v = dict(SOM_BASE, **(ctx or {}), **{name: value})
    grid = (v["n_rows"], v["n_cols"], v["lattice"], v["topology"])
    weights = np.zeros((v["n_rows"] * v["n_cols"], 1), np.float32)
    X = np.ones((1, 1), np.float32)
    if name in ("n_rows", "n_cols"):
        call = lambda: _core.som_unit_coordinates(*grid)  # noqa: E731
    elif name == "n_active":
        call = lambda: _core.som_topk(*grid, weights, X, v["n_active"], v["n_threads"])  # noqa: E731
    else:
        call = lambda: _core.som_train(  # noqa: E731
            *grid, weights, X, v["method"], v["neighborhood"], v["n_epochs"], v["radius_start"], v["radius_end"],
            v["radius_decay"], v["learning_rate_start"], v["learning_rate_end"], v["learning_rate_decay"],
            v["std_coeff"], 0, v["n_threads"])
    try:
        call()
    except ValueError as e:
        return subject(str(e)) == SOM_SUBJECT.get(name, name)
    return False


SOM_PROBES = [(p.name, v, ok) for p in SOM_PARAMS if p.range is not None
              for v, ok, ctx in probes(p, {}) if not ctx]


@pytest.mark.parametrize("name, value, accepted", SOM_PROBES, ids=[f"{n}={v!r}" for n, v, _ in SOM_PROBES])
def test_som_core_accepts_each_bound_of_the_table_and_refuses_just_outside(name, value, accepted):
    ctx = {"n_cols": 1} if name == "n_rows" else {"n_rows": 1} if name == "n_cols" else {}
    assert som_core_refuses(name, value, ctx) != accepted


def test_som_choices_and_limits():
    for p in SOM_PARAMS:
        if p.kind == "choice":
            for choice in p.choices:
                assert som_core_refuses(p.name, choice) is False, (p.name, choice)
            assert som_core_refuses(p.name, "other") is True, p.name
    assert SOM["n_rows"].limit == "n_rows * n_cols <= 2**20"
    assert som_core_refuses("n_rows", 2**10, {"n_cols": 2**10}) is False
    assert som_core_refuses("n_rows", 2**10 + 1, {"n_cols": 2**10}) is True
    assert SOM["n_active"].limit == "<= n_rows * n_cols"
    assert som_core_refuses("n_active", 4) is False  # the 2 x 2 grid of SOM_BASE
    assert som_core_refuses("n_active", 5) is True


def test_som_constraints_and_docstring_are_the_table():
    from htmhw import SOMEncoder

    doc = SOMEncoder.__doc__
    for p in SOM_PARAMS:
        assert f"{p.name} : " in doc, p.name
        if p.kind == "choice":
            assert SOMEncoder._parameter_constraints[p.name][0].options == set(p.choices)
            continue
        interval, table = SOMEncoder._parameter_constraints[p.name][0], p.range.interval()
        assert (interval.type, interval.left, interval.right, interval.closed) == \
            (table.type, table.left, table.right, table.closed), p.name
        assert p.allowed_text(article=False) in doc, p.name
    assert SOMEncoder._parameter_constraints["radius_start"][1] is None


def test_alternatives_below_the_range_are_the_tables():
    assert {p.name: p.also for p in SP_PARAMS if p.name in ALTERNATIVE_BELOW} == ALTERNATIVE_BELOW


def test_docs_state_the_tables_intervals():
    """Where docs/*.md write a table field's interval ("`levels` L in [2, 65536]",
    "`nonlinearity_ltp`, `nonlinearity_ltd` in [0, 20]"), it is the table's."""
    fields = {p.name: p for fam in (SP_PARAMS, HW_FIELDS, DEVICE_FIELDS, ARRAY_FIELDS, PERIPHERY_FIELDS, SOM_PARAMS)
              for p in fam if p.range is not None}
    pattern = re.compile(r"((?:`\w+`,? )+)(?:\w+ )?in ([\[(])([-\w.*]+), ([-\w.*]+)([\])])")
    seen = 0
    for doc in sorted((REPO / "docs").glob("*.md")):
        for m in pattern.finditer(doc.read_text()):
            names, left, lo, hi, right = m.groups()
            for name in re.findall(r"`(\w+)`", names):
                if name in fields:
                    r = fields[name].range
                    stated = f"in {left}{lo}, {hi}{right}"
                    assert stated in r.text(), (doc.name, name, stated, r.text())
                    seen += 1
    assert seen >= 5  # crossbar.md states levels, the nonlinearities and the sigmas


# -- the thread-count limit ----------------------------------------------------------------------------
def test_thread_limit_is_the_cores_and_every_python_check_uses_it():
    limit = htmhw.MAX_THREADS
    assert limit == _core.MAX_THREADS and isinstance(limit, int) and limit >= 2
    db = htmhw.sdr.pack_sdrs(np.eye(4, 64, dtype=np.uint8))
    # the C++ core itself: the limit is accepted, one more refused
    assert _core.sdr_overlaps(db, db, limit).shape == (4, 4)
    with pytest.raises(ValueError, match=rf"n_threads must be an integer in \[1, {limit}\]"):
        _core.sdr_overlaps(db, db, limit + 1)
    sp = htmhw.SpatialPooler(input_dimensions=(16,), column_dimensions=(8,), potential_radius=16)
    x = np.zeros((1, 16), dtype=np.uint8)
    assert len(sp.infer(x, n_threads=limit)) == 1
    for call in (lambda n: sp.infer(x, n_threads=n), lambda n: htmhw.sdr.pairwise_overlaps(db, db, n_threads=n),
                 lambda n: htmhw.SOMEncoder(n_rows=2, n_cols=2, n_active=1, n_threads=n).fit(np.eye(4))):
        with pytest.raises(ValueError, match=rf"n_threads.* must be .*\[1, {limit}\]"):
            call(limit + 1)
    assert SOM["n_threads"].range.hi == limit


def test_estimator_docstring_states_each_default_of_its_signature():
    doc = SpatialPoolerTransformer.__doc__
    for name, p in inspect.signature(SpatialPoolerTransformer.__init__).parameters.items():
        if name == "self":
            continue
        line = re.search(rf"^\s*{name} : .*$", doc, re.M)
        assert line is not None, name
        assert line.group(0).endswith(f"default {p.default!r}"), (name, line.group(0))
    assert "{default:" not in doc
