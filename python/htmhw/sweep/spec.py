"""A sweep's spec: loading and checking it (JSON/YAML or dict), the configurations of a grid or a
random search, and the tasks with their content hashes."""
from __future__ import annotations

import hashlib
import json
import math
from itertools import product
from pathlib import Path



SPEC_FORMAT = 1
PROTOCOLS = {
    # protocol mnist-10k (docs/protocols.md): the 10,000 MNIST test digits, pixels > 30, learn one
    # pass over the first 8,000, evaluate on the last 2,000.
    "mnist-10k": dict(dataset="mnist", n_train=8000, n_test=2000, threshold=30, epochs=1, config="mnist"),
    # scikit-learn's embedded 8x8 digits (pixels > 7), the `htmhw demo` split; for laptops and tests.
    "digits": dict(dataset="digits", n_train=1200, n_test=597, threshold=7, epochs=1, config="digits"),
}
METRICS = ("accuracy", "psnr", "crossbar", "hdl_cycles", "resources")
# The hardware design that the metrics `hdl_cycles` and `resources` model (hdl_ref/README.md,
# "Lanes" and "sp_accel"), swept like the SpatialPooler parameters but not passed to it:
# spec name -> (argument of htmhw.hw.hdl.top_parameters / model_cycles / resources, default).
# hdl_top: "sp_top" | "sp_accel"; hdl_synapse_lanes (sp_top's SYN_LANES, 1..4096),
# hdl_column_lanes (COLUMN_LANES, a power of two leaving >= 2 column groups), hdl_kwta_lanes
# (sp_top's KWTA_LANES, column lanes times a power of two; null: the column lanes),
# hdl_perm_lanes (sp_accel's PERM_LANES, a power of two leaving >= 2 groups).
HDL_PARAMS = {"hdl_top": ("top", "sp_top"), "hdl_synapse_lanes": ("synapse_lanes", 1),
              "hdl_column_lanes": ("column_lanes", 1), "hdl_kwta_lanes": ("kwta_lanes", None),
              "hdl_perm_lanes": ("perm_lanes", 1)}
HDL_METRICS = ("hdl_cycles", "resources")
RECONSTRUCTION_METHODS = ("ridge", "back_projection", "nearest")
RESOURCE_TARGETS = ("generic", "ice40", "xc7")
_SPEC_KEYS = ("name", "protocol", "data", "base", "grid", "random", "seeds", "folds", "metrics", "crossbar",
              "resources", "hdl", "reconstruction")
_DISTRIBUTIONS = ("uniform", "loguniform", "randint", "choice")
# Row columns that depend on where and when a task ran, not on its inputs.
VOLATILE_COLUMNS = ("wall_time_s", "learn_steps_per_s")


class SweepError(ValueError):
    """An invalid spec or output directory (the message names the key or file)."""


# -- spec ------------------------------------------------------------------------------------------

def _param_names() -> tuple[set, set]:
    from .._param_table import BY_NAME
    from ..datapath import HardwareConfig

    return set(BY_NAME) | {"arithmetic"}, set(HardwareConfig.__dataclass_fields__)


def _check_param_name(name, where: str) -> None:
    sp_names, hw_names = _param_names()
    if name not in sp_names | hw_names | set(HDL_PARAMS):
        raise SweepError(f"{where}: unknown parameter {name!r}; known: SpatialPooler parameters "
                         f"{sorted(sp_names)}, HardwareConfig fields {sorted(hw_names)} and the hardware design's "
                         f"{list(HDL_PARAMS)}")


def hdl_design(params: dict) -> dict:
    """The keyword arguments of ``htmhw.hw.hdl.top_parameters`` / ``model_cycles`` /
    ``resources`` (top, synapse_lanes, column_lanes, kwta_lanes, perm_lanes) for a
    configuration's ``hdl_*`` parameters, the defaults (sp_top, all lanes 1) where absent."""
    return {arg: params.get(name, default) for name, (arg, default) in HDL_PARAMS.items()}


def _json_value(value, where: str):
    """Parameter values as JSON would give them back (tuples -> lists), so that a spec's
    hash is the same before and after a round trip through spec.json."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as e:
        raise SweepError(f"{where}: value {value!r} is not JSON-serializable ({e})") from None


def load_spec(path) -> dict:
    """Read a sweep spec from a ``.json``, ``.yaml`` or ``.yml`` file and validate it
    (:func:`normalize_spec`)."""
    path = Path(path)
    if not path.is_file():
        raise SweepError(f"spec file {path} does not exist")
    text = path.read_text()
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise SweepError(f"{path}: YAML specs need PyYAML (pip install 'htmhw[sweep]'); "
                             "or write the spec as JSON") from None
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise SweepError(f"{path}: not valid YAML: {e}") from None
    else:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as e:
            raise SweepError(f"{path}: not valid JSON: {e}") from None
    return normalize_spec(raw, source=str(path))


def normalize_spec(raw, source: str = "spec") -> dict:
    """Validate a spec dict and fill in the defaults; returns a new, JSON-able dict.

    Keys: ``name`` (str), ``protocol`` ("mnist-10k" | "digits", or a dict with ``name`` and
    overrides of ``n_train`` >= 10, ``n_test`` >= 1, ``epochs`` in [1, 100], ``threshold``),
    ``data`` (MNIST directory; default ``$HTMHW_DATA/mnist``), ``base`` (parameters shared by
    every configuration; ``config`` names the starting configuration, default the
    protocol's), ``grid`` (parameter -> non-empty list) or ``random`` (``n`` >= 1, ``seed``,
    ``params``: parameter -> {"uniform": [lo, hi]} | {"loguniform": [lo, hi]} |
    {"randint": [lo, hi]} (inclusive) | {"choice": [values]}), ``seeds`` (SP seeds, default
    the base seed), ``folds`` (>= 1), ``metrics`` (subset of METRICS), ``crossbar``
    (``preset``, ``steps`` >= 1), ``resources`` (``target``), ``hdl`` (``clock_mhz``: null or
    a number in (0, 10000]; only with metric ``hdl_cycles``), ``reconstruction`` (method).
    Parameters are SpatialPooler parameters, ``arithmetic``, HardwareConfig fields and the
    hardware design's ``hdl_*`` (HDL_PARAMS; only with metric ``hdl_cycles`` or ``resources``).
    """
    from ..configs import NAMES, named_config

    if not isinstance(raw, dict):
        raise SweepError(f"{source}: a spec must be a mapping; got {type(raw).__name__}")
    # "format" and "base_config" are written by normalize_spec itself: a normalized spec
    # normalizes to itself (resume reads it back from spec.json).
    unknown = set(raw) - set(_SPEC_KEYS) - {"format", "base_config"}
    if unknown:
        raise SweepError(f"{source}: unknown key(s) {sorted(unknown)}; allowed: {list(_SPEC_KEYS)}")
    if raw.get("format", SPEC_FORMAT) != SPEC_FORMAT:
        raise SweepError(f"{source}: spec format {raw['format']!r} is not supported (this htmhw reads format "
                         f"{SPEC_FORMAT})")
    spec = {"format": SPEC_FORMAT}
    name = raw.get("name", "sweep")
    if not isinstance(name, str) or not name:
        raise SweepError(f"{source}: name must be a non-empty string; got {name!r}")
    spec["name"] = name

    proto = raw.get("protocol", "mnist-10k")
    if isinstance(proto, str):
        proto = {"name": proto}
    if not isinstance(proto, dict) or proto.get("name") not in PROTOCOLS:
        raise SweepError(f"{source}: protocol must be one of {sorted(PROTOCOLS)} (or a dict with that name and "
                         f"overrides); got {raw.get('protocol')!r}")
    p = dict(PROTOCOLS[proto["name"]], name=proto["name"])
    extra = set(proto) - set(p)
    if extra:
        raise SweepError(f"{source}: protocol: unknown key(s) {sorted(extra)}; allowed: n_train, n_test, epochs, "
                         "threshold")
    p.update(proto)
    for key, lo, hi in (("n_train", 10, 10**7), ("n_test", 1, 10**7), ("epochs", 1, 100)):
        v = p[key]
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise SweepError(f"{source}: protocol.{key} must be an integer in [{lo}, {hi}]; got {v!r}")
    if isinstance(p["threshold"], bool) or not isinstance(p["threshold"], (int, float)):
        raise SweepError(f"{source}: protocol.threshold must be a number; got {p['threshold']!r}")
    spec["protocol"] = p

    data = raw.get("data")
    if data is not None and not isinstance(data, str):
        raise SweepError(f"{source}: data must be a directory path (string) or null; got {data!r}")
    spec["data"] = data

    base = raw.get("base", {})
    if not isinstance(base, dict):
        raise SweepError(f"{source}: base must be a mapping of parameters; got {type(base).__name__}")
    base = dict(base)
    config = base.pop("config", raw.get("base_config", p["config"]))
    if config not in NAMES:
        raise SweepError(f"{source}: base.config must be one of {list(NAMES)}; got {config!r}")
    for k in base:
        _check_param_name(k, f"{source}: base")
    full_base = dict(named_config(config), arithmetic="float")
    full_base.update(base)
    spec["base"] = _json_value(dict(sorted(full_base.items())), f"{source}: base")
    spec["base_config"] = config

    grid, rand = raw.get("grid"), raw.get("random")
    if grid is not None and rand is not None:
        raise SweepError(f"{source}: give either grid or random, not both")
    if grid is not None:
        if not isinstance(grid, dict) or not grid:
            raise SweepError(f"{source}: grid must be a non-empty mapping parameter -> list of values")
        for k, values in grid.items():
            _check_param_name(k, f"{source}: grid")
            if not isinstance(values, list) or not values:
                raise SweepError(f"{source}: grid.{k} must be a non-empty list; got {values!r}")
        spec["grid"] = _json_value(grid, f"{source}: grid")
    if rand is not None:
        spec["random"] = _check_random(rand, source)

    seeds = raw.get("seeds", [full_base["seed"]])
    if (not isinstance(seeds, list) or not seeds or
            any(isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < 2**63 for s in seeds)):
        raise SweepError(f"{source}: seeds must be a non-empty list of integers in [0, 2^63); got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise SweepError(f"{source}: seeds has duplicates: {seeds}")
    spec["seeds"] = seeds
    folds = raw.get("folds", 1)
    if isinstance(folds, bool) or not isinstance(folds, int) or not 1 <= folds <= 100:
        raise SweepError(f"{source}: folds must be an integer in [1, 100]; got {folds!r}")
    if folds > 1 and (p["n_train"] + p["n_test"]) // folds < 1:
        raise SweepError(f"{source}: folds={folds} leaves empty test blocks")
    spec["folds"] = folds

    metrics = raw.get("metrics", ["accuracy", "crossbar"])
    if not isinstance(metrics, list) or not metrics or any(m not in METRICS for m in metrics):
        raise SweepError(f"{source}: metrics must be a non-empty list from {list(METRICS)}; got {metrics!r}")
    spec["metrics"] = [m for m in METRICS if m in metrics]

    xb = dict({"preset": "mnsim2-default", "steps": 200}, **(raw.get("crossbar") or {}))
    from ..crossbar import PRESETS

    if set(xb) - {"preset", "steps"}:
        raise SweepError(f"{source}: crossbar: unknown key(s) {sorted(set(xb) - {'preset', 'steps'})}; "
                         "allowed: preset, steps")
    if xb["preset"] not in PRESETS:
        raise SweepError(f"{source}: crossbar.preset must be one of {sorted(PRESETS)}; got {xb['preset']!r}")
    if isinstance(xb["steps"], bool) or not isinstance(xb["steps"], int) or not 1 <= xb["steps"] <= 100000:
        raise SweepError(f"{source}: crossbar.steps must be an integer in [1, 100000]; got {xb['steps']!r}")
    spec["crossbar"] = xb
    res = dict({"target": "ice40"}, **(raw.get("resources") or {}))
    if set(res) != {"target"} or res["target"] not in RESOURCE_TARGETS:
        raise SweepError(f"{source}: resources must be {{'target': one of {list(RESOURCE_TARGETS)}}}; got {res!r}")
    spec["resources"] = res
    hdl_opts = raw.get("hdl")
    if "hdl_cycles" in spec["metrics"]:
        if hdl_opts is not None and not isinstance(hdl_opts, dict):
            raise SweepError(f"{source}: hdl must be a mapping {{'clock_mhz': ...}}; got {hdl_opts!r}")
        hdl_opts = dict({"clock_mhz": None}, **(hdl_opts or {}))
        clock = hdl_opts["clock_mhz"]
        if set(hdl_opts) != {"clock_mhz"}:
            raise SweepError(f"{source}: hdl: unknown key(s) {sorted(set(hdl_opts) - {'clock_mhz'})}; allowed: "
                             "clock_mhz")
        if clock is not None and (isinstance(clock, bool) or not isinstance(clock, (int, float)) or
                                  not math.isfinite(clock) or not 0 < clock <= 10000):
            raise SweepError(f"{source}: hdl.clock_mhz must be null or a number in (0, 10000] (MHz); got {clock!r}")
        # Only a spec with the metric carries the key: older specs keep their form and task ids.
        spec["hdl"] = hdl_opts
    elif hdl_opts is not None:
        raise SweepError(f"{source}: hdl holds options of the metric 'hdl_cycles', which metrics does not list")
    # The design parameters choose what hdl_cycles and resources model; without either metric a
    # grid over them would repeat identical runs under different names.
    design_keys = [k for k in HDL_PARAMS if k in spec["base"] or k in spec.get("grid", {}) or
                   k in spec.get("random", {}).get("params", {})]
    if design_keys and not set(HDL_METRICS) & set(spec["metrics"]):
        raise SweepError(f"{source}: parameter(s) {design_keys} choose the hardware design of the metrics "
                         f"{list(HDL_METRICS)}; add one of them to metrics")
    method = raw.get("reconstruction", "ridge")
    if method not in RECONSTRUCTION_METHODS:
        raise SweepError(f"{source}: reconstruction must be one of {list(RECONSTRUCTION_METHODS)}; got {method!r}")
    spec["reconstruction"] = method
    return spec


def _check_random(rand, source) -> dict:
    if not isinstance(rand, dict) or set(rand) - {"n", "seed", "params"} or "params" not in rand:
        raise SweepError(f"{source}: random must be {{'n': int, 'seed': int, 'params': {{...}}}}; got {rand!r}")
    n, seed = rand.get("n", 10), rand.get("seed", 0)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 100000:
        raise SweepError(f"{source}: random.n must be an integer in [1, 100000]; got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise SweepError(f"{source}: random.seed must be an integer in [0, 2^63); got {seed!r}")
    params = rand["params"]
    if not isinstance(params, dict) or not params:
        raise SweepError(f"{source}: random.params must be a non-empty mapping parameter -> distribution")
    for k, dist in params.items():
        _check_param_name(k, f"{source}: random.params")
        where = f"{source}: random.params.{k}"
        if not isinstance(dist, dict) or len(dist) != 1 or next(iter(dist)) not in _DISTRIBUTIONS:
            raise SweepError(f"{where} must be one of {{'uniform': [lo, hi]}}, {{'loguniform': [lo, hi]}}, "
                             f"{{'randint': [lo, hi]}}, {{'choice': [values]}}; got {dist!r}")
        kind, arg = next(iter(dist.items()))
        if kind == "choice":
            if not isinstance(arg, list) or not arg:
                raise SweepError(f"{where}.choice must be a non-empty list; got {arg!r}")
            continue
        if (not isinstance(arg, list) or len(arg) != 2 or
                any(isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) for v in arg)
                or arg[0] > arg[1]):
            raise SweepError(f"{where}.{kind} must be [lo, hi] with finite lo <= hi; got {arg!r}")
        if kind == "randint" and not all(isinstance(v, int) for v in arg):
            raise SweepError(f"{where}.randint bounds must be integers; got {arg!r}")
        if kind == "loguniform" and arg[0] <= 0:
            raise SweepError(f"{where}.loguniform needs lo > 0; got {arg!r}")
    return _json_value({"n": n, "seed": seed, "params": params}, f"{source}: random")


def configurations(spec: dict) -> list[dict]:
    """The parameter overrides of every configuration, in a fixed order: the grid's
    cartesian product (keys in spec order, last key fastest), or the random search's
    ``n`` draws (parameter j of draw i from the project PRNG, Rng(seed, i), the j-th
    uniform in [0, 1) mapped by the distribution: lo + u (hi - lo); exp of that in log
    space; lo + floor(u (hi - lo + 1)); values[floor(u len)]), or one empty override."""
    if "grid" in spec:
        keys = list(spec["grid"])
        return [dict(zip(keys, combo)) for combo in product(*(spec["grid"][k] for k in keys))]
    if "random" in spec:
        from .. import _core

        r = spec["random"]
        out = []
        for i in range(r["n"]):
            u = _core.rng_uniform01(len(r["params"]), r["seed"], i)
            cfg = {}
            for j, (k, dist) in enumerate(r["params"].items()):
                kind, arg = next(iter(dist.items()))
                if kind == "uniform":
                    cfg[k] = arg[0] + float(u[j]) * (arg[1] - arg[0])
                elif kind == "loguniform":
                    cfg[k] = math.exp(math.log(arg[0]) + float(u[j]) * (math.log(arg[1]) - math.log(arg[0])))
                elif kind == "randint":
                    cfg[k] = int(arg[0] + math.floor(float(u[j]) * (arg[1] - arg[0] + 1)))
                else:
                    cfg[k] = arg[int(math.floor(float(u[j]) * len(arg)))]
            out.append(cfg)
        return out
    return [{}]


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


def tasks(spec: dict) -> list[dict]:
    """One task per (configuration, seed, fold): ``{"task_id", "config_id", "params",
    "seed", "fold"}``. ``config_id`` hashes the full parameter set, ``task_id`` also the
    seed, fold, protocol, metrics and their options: the same id means the same row."""
    out = []
    what = {k: spec[k] for k in ("protocol", "metrics", "crossbar", "resources", "hdl", "reconstruction")
            if k in spec}  # "hdl" only with metric hdl_cycles: other specs keep their task ids
    for overrides in configurations(spec):
        params = dict(spec["base"], **overrides)
        config_id = _digest(params)
        for seed in spec["seeds"]:
            for fold in range(spec["folds"]):
                task_id = _digest({"params": params, "seed": seed, "fold": fold, **what})
                out.append({"task_id": task_id, "config_id": config_id, "params": overrides, "seed": seed,
                            "fold": fold})
    ids = [t["task_id"] for t in out]
    if len(set(ids)) != len(ids):
        raise SweepError("the spec produces the same configuration more than once (duplicate grid values or "
                         "random draws); remove the duplicates")
    return out


# -- one task ----------------------------------------------------------------------------------------


# -- running, resuming ------------------------------------------------------------------------------


# -- results, Pareto, report -------------------------------------------------------------------------
