"""Design-space sweeps: bit widths x sizes x SP parameters -> accuracy, reconstruction,
crossbar energy/latency/area and (optionally) FPGA resources, on dask.distributed.

A **spec** (JSON or YAML file, or a dict) names a protocol, a base configuration, a
parameter grid *or* a random search, SP seeds, folds and the metrics to record
(``docs/sweeps.md`` has the full reference)::

    {"name": "bits-columns-boost",
     "protocol": "mnist-10k",                       # or "digits", or {"name": ..., "n_train": ...}
     "base": {"config": "mnist", "arithmetic": "fixed"},
     "grid": {"permanence_bits": [4, 6, 8], "boost_strength": [0.0, 2.0]},
     "seeds": [4], "folds": 1,
     "metrics": ["accuracy", "psnr", "crossbar"]}

Every (configuration, seed, fold) is one **task**, identified by a hash of everything that
determines its result, so a task is idempotent: running it again gives the same row
(except ``wall_time_s``). Results live in ``OUT/rows/<task_id>.json``, each written
atomically by the client as soon as its task finishes; ``OUT/results.csv`` is derived from
them. A sweep that is interrupted (killed, machine lost) is resumed with
:func:`resume`: the finished rows are kept, only the missing tasks run. A configuration
that fails (invalid parameter combination, exception in a task, lost worker) becomes a row
with ``status = "error"`` and the message; it does not stop the sweep.

Parallelism: :func:`run` uses a dask.distributed ``LocalCluster`` (``n_workers``
processes) by default, an existing cluster with ``scheduler="tcp://host:port"``, or runs
in this process with ``n_workers=0``. Each task computes with one thread (BLAS limited to
one thread) so a row does not depend on where it ran.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import time
import traceback
from functools import lru_cache
from itertools import product
from pathlib import Path

import numpy as np

from ._fileformat import atomic_write_bytes

SPEC_FORMAT = 1
PROTOCOLS = {
    # protocol mnist-10k (docs/protocols.md): the 10,000 MNIST test digits, pixels > 30, learn one
    # pass over the first 8,000, evaluate on the last 2,000.
    "mnist-10k": dict(dataset="mnist", n_train=8000, n_test=2000, threshold=30, epochs=1, config="mnist"),
    # scikit-learn's embedded 8x8 digits (pixels > 7), the `htmhw demo` split; for laptops and tests.
    "digits": dict(dataset="digits", n_train=1200, n_test=597, threshold=7, epochs=1, config="digits"),
}
METRICS = ("accuracy", "psnr", "crossbar", "resources")
RECONSTRUCTION_METHODS = ("ridge", "back_projection", "nearest")
RESOURCE_TARGETS = ("generic", "ice40", "xc7")
_SPEC_KEYS = ("name", "protocol", "data", "base", "grid", "random", "seeds", "folds", "metrics", "crossbar",
              "resources", "reconstruction")
_DISTRIBUTIONS = ("uniform", "loguniform", "randint", "choice")
# Row columns that depend on where and when a task ran, not on its inputs.
VOLATILE_COLUMNS = ("wall_time_s", "learn_steps_per_s")


class SweepError(ValueError):
    """An invalid spec or output directory (the message names the key or file)."""


# -- spec ------------------------------------------------------------------------------------------

def _param_names() -> tuple[set, set]:
    from ._param_table import BY_NAME
    from .datapath import HardwareConfig

    return set(BY_NAME) | {"arithmetic"}, set(HardwareConfig.__dataclass_fields__)


def _check_param_name(name, where: str) -> None:
    sp_names, hw_names = _param_names()
    if name not in sp_names | hw_names:
        raise SweepError(f"{where}: unknown parameter {name!r}; known: SpatialPooler parameters "
                         f"{sorted(sp_names)} and HardwareConfig fields {sorted(hw_names)}")


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
    (``preset``, ``steps`` >= 1), ``resources`` (``target``), ``reconstruction`` (method).
    Parameters are SpatialPooler parameters, ``arithmetic`` and HardwareConfig fields.
    """
    from .configs import NAMES, named_config

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
    from .crossbar import PRESETS

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
        from . import _core

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
    what = {k: spec[k] for k in ("protocol", "metrics", "crossbar", "resources", "reconstruction")}
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

@lru_cache(maxsize=4)
def _dataset(name: str, data, threshold):
    """(X binary uint8 (n, d), labels, image shape) of a protocol's dataset, cached per process."""
    from .datasets import binarize, load_digits_binary, load_mnist

    if name == "digits":
        X, y = load_digits_binary(threshold)
        return X.reshape(len(X), -1).astype(np.uint8), np.asarray(y), (8, 8)
    images, labels = load_mnist(data)  # data None: $HTMHW_DATA/mnist, $HTMHW_DATA, the shipped test split
    return binarize(images, threshold).reshape(len(images), -1).astype(np.uint8), np.asarray(labels), (28, 28)


def _split(protocol: dict, fold: int, folds: int):
    n = protocol["n_train"] + protocol["n_test"]
    if folds == 1:
        return np.arange(protocol["n_train"]), np.arange(protocol["n_train"], n)
    # Fold f tests on the f-th of `folds` contiguous blocks of the first n samples and learns
    # on the others in their original order.
    bounds = np.linspace(0, n, folds + 1).astype(int)
    test = np.arange(bounds[fold], bounds[fold + 1])
    return np.concatenate([np.arange(0, bounds[fold]), np.arange(bounds[fold + 1], n)]), test


def _reconstructor(method: str, sp):
    from .reconstruct import BackProjection, NearestSDR, RidgeDecoder

    if method == "ridge":
        return RidgeDecoder(alpha=100.0, clip=(0.0, 1.0))
    if method == "back_projection":
        return BackProjection(sp)
    return NearestSDR(k=1)


# Cell-name prefixes of the yosys cell library per target: (LUTs, flip-flops, block RAMs).
# The generic target has gates, not LUTs: only flip-flops and memories are counted.
_RESOURCE_CELLS = {"ice40": (("SB_LUT",), ("SB_DFF",), ("SB_RAM",)),
                   "xc7": (("LUT",), ("FD",), ("RAMB",)),
                   "generic": ((), ("$_DFF", "$_SDFF", "$_ALDFF", "$_DLATCH"), ("$mem",))}


def resource_counts(cells: dict, target: str) -> dict:
    """LUT / flip-flop / block-RAM counts from a yosys ``num_cells_by_type`` dict."""
    luts, ffs, rams = _RESOURCE_CELLS[target]
    count = lambda prefixes: sum(n for k, n in cells.items() if k.startswith(prefixes))  # noqa: E731
    out = {"ff": count(ffs), "bram": count(rams)}
    if luts:
        out["lut"] = count(luts)
    return out


def _hdl_resources(sp, X, target: str) -> dict:
    import tempfile

    from . import golden, hdl

    with tempfile.TemporaryDirectory(prefix="htmhw-sweep-") as tmp:
        d = Path(tmp) / "golden"
        golden.export(d, sp, X[:2], learn=False)  # the configuration; the two steps are not used
        r = hdl.resources(d, target=target)
    return {"hdl_cells": r["num_cells"], **resource_counts(r["cells"], target)}


def _row_head(spec: dict, task: dict) -> dict:
    """A row's identity and parameters (``p.<name>``; the SP seed is the ``seed`` column)."""
    params = dict(spec["base"], **task["params"])
    return {"task_id": task["task_id"], "config_id": task["config_id"], "seed": task["seed"], "fold": task["fold"],
            **{f"p.{k}": v for k, v in sorted(params.items()) if k != "seed"}}


def evaluate(spec: dict, task: dict) -> dict:
    """Run one task and return its row (never raises: an exception becomes
    ``status="error"`` with the message)."""
    from threadpoolctl import threadpool_limits

    t0 = time.perf_counter()
    row = _row_head(spec, task)
    params = dict(spec["base"], **task["params"])
    try:
        with threadpool_limits(limits=1):
            row.update(_measure(spec, params, task["seed"], task["fold"]))
        row["status"], row["error"] = "ok", ""
    except Exception as e:  # a failed configuration is a result, not the end of the sweep
        row["status"] = "error"
        row["error"] = f"{type(e).__name__}: {e}"
        row["traceback"] = traceback.format_exc(limit=6)[-2000:]
    row["wall_time_s"] = round(time.perf_counter() - t0, 3)
    return row


def _pooler(spec: dict, params: dict, seed: int):
    """(the task's SpatialPooler, X, y): every check a task makes before it runs, so that
    :func:`run` can refuse a spec whose rows cannot run before anything runs."""
    from .datapath import HardwareConfig
    from .sp import SpatialPooler

    _, hw_names = _param_names()
    p = dict(params, seed=seed)
    arithmetic = p.pop("arithmetic")
    hw = {k: p.pop(k) for k in list(p) if k in hw_names}
    if arithmetic == "float" and hw:
        raise ValueError(f"HardwareConfig fields {sorted(hw)} need arithmetic 'fixed'")
    if arithmetic != "fixed" and ("crossbar" in spec["metrics"] or "resources" in spec["metrics"]):
        raise ValueError("metrics 'crossbar' and 'resources' model the fixed-point datapath: set arithmetic "
                         "'fixed' (in base or the grid)")
    proto = spec["protocol"]
    X, y, _ = _dataset(proto["name"], spec["data"], proto["threshold"])
    n = proto["n_train"] + proto["n_test"]
    if n > len(X):
        raise ValueError(f"protocol n_train + n_test = {n} exceeds the dataset's {len(X)} samples")
    sp = SpatialPooler(arithmetic, HardwareConfig(**hw) if arithmetic == "fixed" else None, **p)
    if sp.num_inputs != X.shape[1]:
        raise ValueError(f"input_dimensions give {sp.num_inputs} inputs; the protocol's samples have {X.shape[1]}")
    return sp, X, y


def check_runnable(spec: dict, todo: list) -> None:
    """Raise SweepError naming the first configuration that cannot run (bad parameter
    combination, missing data): each distinct configuration is built once, nothing is learned."""
    seen = set()
    for t in todo:
        if t["config_id"] in seen:
            continue
        seen.add(t["config_id"])
        try:
            _pooler(spec, dict(spec["base"], **t["params"]), t["seed"])
        except (ValueError, TypeError, OSError) as e:
            where = ", ".join(f"{k}={v!r}" for k, v in t["params"].items()) or "the base configuration"
            raise SweepError(f"configuration {where} cannot run: {e}") from None


def _measure(spec: dict, params: dict, seed: int, fold: int) -> dict:
    from . import crossbar
    from .metrics import classification_accuracy, psnr

    proto = spec["protocol"]
    sp, X, y = _pooler(spec, params, seed)
    tr, te = _split(proto, fold, spec["folds"])
    Xtr, Xte, ytr, yte = X[tr], X[te], y[tr], y[te]
    out = {"num_columns": sp.num_columns}
    t = time.perf_counter()
    for _ in range(proto["epochs"]):
        train_sdrs = sp.compute(Xtr, learn=True, output="sparse")
    out["learn_steps_per_s"] = round(len(Xtr) * proto["epochs"] / (time.perf_counter() - t), 1)
    test_sdrs = sp.infer(Xte, output="sparse")
    out["sparsity"] = float(test_sdrs.sum()) / (test_sdrs.shape[0] * sp.num_columns)
    if "accuracy" in spec["metrics"]:
        # Training features: the SDRs of the (last) learning pass, as in protocol mnist-10k.
        out["accuracy"] = classification_accuracy(train_sdrs, ytr, test_sdrs, yte)
    if "psnr" in spec["metrics"]:
        rec = _reconstructor(spec["reconstruction"], sp).fit(train_sdrs, Xtr)
        out["psnr_db"] = float(psnr(Xte.astype(np.float32), rec.reconstruct(test_sdrs)))
    if "crossbar" in spec["metrics"]:
        k = min(spec["crossbar"]["steps"], len(Xtr), len(Xte))
        # k learning steps on training digits, then k inference steps on test digits, on a copy
        # of the trained pooler: energy per learning and per inference step at its real activity.
        rep = crossbar.estimate(sp, np.concatenate([Xtr[:k], Xte[:k]]), learn=f"first:{k}",
                                preset_name=spec["crossbar"]["preset"])
        s = rep.summary()
        out.update({"energy_per_inference_pj": s["energy_per_inference_step_total_pj"],
                    "energy_per_learning_pj": s["energy_per_learning_step_total_pj"],
                    "latency_per_inference_ns": s["latency_per_inference_step_ns"],
                    "latency_per_learning_ns": s["latency_per_learning_step_ns"],
                    "area_um2": s["area_total_um2"]})
    if "resources" in spec["metrics"]:
        out.update(_hdl_resources(sp, Xte, spec["resources"]["target"]))
    return out


# -- running, resuming ------------------------------------------------------------------------------

def _rows_dir(out_dir: Path) -> Path:
    return Path(out_dir) / "rows"


def _write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=1, sort_keys=True, allow_nan=True) + "\n").encode())


def read_rows(out_dir) -> dict:
    """{task_id: row} of the finished tasks in ``out_dir`` (files that are not a valid row
    of this sweep raise SweepError naming the file)."""
    rows = {}
    d = _rows_dir(out_dir)
    if not d.is_dir():
        return rows
    for f in sorted(d.glob("*.json")):
        try:
            row = json.loads(f.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise SweepError(f"{f}: not a valid row file ({e}); delete it to recompute that task") from None
        if not isinstance(row, dict) or row.get("task_id") != f.stem:
            raise SweepError(f"{f}: row's task_id does not match the file name; delete it to recompute that task")
        rows[f.stem] = row
    return rows


def _read_spec(out_dir) -> dict:
    """The spec.json of a sweep directory (SweepError naming the file if missing or invalid)."""
    spec_file = Path(out_dir) / "spec.json"
    if not spec_file.is_file():
        raise SweepError(f"{out_dir} is not a sweep directory (no spec.json)")
    try:
        return json.loads(spec_file.read_text())
    except json.JSONDecodeError as e:
        raise SweepError(f"{spec_file}: not valid JSON ({e})") from None


def _prepare(spec: dict, out_dir: Path, resume: bool) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    spec_file = out_dir / "spec.json"
    if spec_file.exists():
        if _read_spec(out_dir) != spec:
            raise SweepError(f"{out_dir} holds a different sweep (its spec.json differs from this spec); "
                             "choose another --out directory")
        if not resume and read_rows(out_dir):
            raise SweepError(f"{out_dir} already has results of this sweep; use `htmhw sweep resume {out_dir}` "
                             "(or another --out directory)")
    elif resume:
        raise SweepError(f"{out_dir} is not a sweep directory (no spec.json); start it with `htmhw sweep run`")
    else:
        _write_json(spec_file, spec)
    _rows_dir(out_dir).mkdir(exist_ok=True)


def _client(scheduler, n_workers: int, threads_per_worker: int):
    """(client, cluster-or-None): a dask client for ``scheduler`` or a new LocalCluster."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise SweepError("parallel sweeps need dask.distributed: pip install 'htmhw[sweep]' "
                         "(or run in this process with n_workers=0 / --workers 0)") from None
    if scheduler is not None:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=threads_per_worker, processes=True,
                           dashboard_address=":0")
    return Client(cluster), cluster


def run(spec, out_dir, *, scheduler: str | None = None, n_workers: int = 2, threads_per_worker: int = 1,
        client=None, progress: bool = True, retry_failed: bool = False, resume: bool = False,
        plots: bool = False) -> dict:
    """Run (or resume) a sweep into ``out_dir``; returns :func:`report`'s summary (with the
    Pareto plots if ``plots``).

    spec: a dict (validated with :func:`normalize_spec`) or a path to a JSON/YAML file.
    scheduler: address of a running dask scheduler ("tcp://host:8786"); default: a new
    LocalCluster with ``n_workers`` (>= 1) worker processes of ``threads_per_worker``
    threads; ``n_workers=0``: run the tasks in this process, one after the other.
    client: an existing ``dask.distributed.Client`` (overrides scheduler / n_workers).
    resume: continue a sweep already in ``out_dir`` (its spec must be the same);
    retry_failed: also rerun the tasks whose row has status "error".
    """
    spec = load_spec(spec) if isinstance(spec, (str, os.PathLike)) else normalize_spec(spec)
    for name, v, lo in (("n_workers", n_workers, 0), ("threads_per_worker", threads_per_worker, 1)):
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= 1024:
            raise SweepError(f"{name} must be an integer in [{lo}, 1024]; got {v!r}")
    out_dir = Path(out_dir)
    if resume or (out_dir / "spec.json").exists():
        _prepare(spec, out_dir, resume)
    todo_all = tasks(spec)
    done = read_rows(out_dir)
    pending = [t for t in todo_all if t["task_id"] not in done or
               (retry_failed and done[t["task_id"]].get("status") != "ok")]
    check_runnable(spec, pending)  # before the output directory is created
    _prepare(spec, out_dir, resume)
    bar = None
    first_errors = []
    if progress and pending:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo_all), initial=len(todo_all) - len(pending), desc=spec["name"], unit="config")

    def finish(row):
        _write_json(_rows_dir(out_dir) / f"{row['task_id']}.json", row)
        if bar is not None:
            bar.update(1)
            if row["status"] != "ok":
                bar.write(f"task {row['task_id']} failed: {row['error']}")
        # The first rows all failing alike is a broken setup, not a result: stop with the error
        # rather than run the rest (a sweep of at most that many tasks just runs).
        if len(first_errors) < ABORT_AFTER_SAME_ERRORS < len(pending):
            first_errors.append(row.get("error", "") if row["status"] != "ok" else None)
            if (len(first_errors) == ABORT_AFTER_SAME_ERRORS and first_errors[0]
                    and len(set(first_errors)) == 1):
                raise SweepError(f"the first {len(first_errors)} tasks all failed with the same error, stopping "
                                 f"(their rows are in {_rows_dir(out_dir)}; fix the cause, then `htmhw sweep "
                                 f"resume {out_dir} --retry-failed`): {first_errors[0]}")

    try:
        if pending and client is None and scheduler is None and n_workers == 0:
            for t in pending:
                finish(evaluate(spec, t))
        elif pending:
            _run_dask(spec, pending, finish, client, scheduler, n_workers, threads_per_worker)
    finally:
        if bar is not None:
            bar.close()
    return report(out_dir, plots=plots)


# A sweep of more tasks stops when its first this-many fail with the same error.
ABORT_AFTER_SAME_ERRORS = 3


def _run_dask(spec, pending, finish, client, scheduler, n_workers, threads_per_worker) -> None:
    from dask.distributed import as_completed

    own = None
    if client is None:
        if n_workers < 1 and scheduler is None:
            raise SweepError("n_workers must be >= 1 for a LocalCluster")
        client, own = _client(scheduler, n_workers, threads_per_worker)
    futures = {}
    try:
        spec_future = client.scatter(spec, broadcast=True)
        futures = {client.submit(evaluate, spec_future, t, key=f"htmhw-sweep-{t['task_id']}", pure=False): t
                   for t in pending}
        for fut in as_completed(futures):
            t = futures[fut]
            try:
                row = fut.result()
            except Exception as e:  # lost worker, unpicklable result: still a row
                row = dict(_row_head(spec, t), status="error", error=f"{type(e).__name__}: {e}",
                           wall_time_s=float("nan"))
            finish(row)
    finally:
        if futures:  # a stopped sweep leaves nothing running on the cluster
            client.cancel(list(futures))
        if own is not None:
            client.close()
            own.close()


def resume(out_dir, **kwargs) -> dict:
    """Continue the sweep in ``out_dir`` (its saved spec.json): only tasks without a row run.
    Keyword arguments as :func:`run`."""
    spec = normalize_spec(_read_spec(out_dir), source=str(Path(out_dir) / "spec.json"))
    return run(spec, out_dir, resume=True, **kwargs)


# -- results, Pareto, report -------------------------------------------------------------------------

_FIRST = ("task_id", "config_id", "seed", "fold", "status")
_LAST = ("wall_time_s", "error")


def _columns(rows) -> list[str]:
    keys = set().union(*(r.keys() for r in rows)) - {"traceback"} if rows else set()
    params = sorted(k for k in keys if k.startswith("p."))
    rest = sorted(keys - set(params) - set(_FIRST) - set(_LAST))
    return [k for k in _FIRST if k in keys] + params + rest + [k for k in _LAST if k in keys]


def _cell(v):
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    if isinstance(v, float):
        return repr(v)
    return v


def write_csv(out_dir) -> Path:
    """(Re)write ``out_dir/results.csv`` from the row files: one line per task, sorted by
    task order of the spec; list-valued parameters as JSON."""
    return _write_csv(Path(out_dir), _read_spec(out_dir), read_rows(out_dir))


def _write_csv(out_dir: Path, spec: dict, rows: dict) -> Path:
    order = [t["task_id"] for t in tasks(spec) if t["task_id"] in rows]
    cols = _columns(list(rows.values()))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for tid in order:
        w.writerow({k: _cell(rows[tid].get(k, "")) for k in cols})
    path = out_dir / "results.csv"
    atomic_write_bytes(path, buf.getvalue().encode())
    return path


def pareto_front(values, maximize) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``values`` (n, m); ``maximize``: m bools
    (True: larger is better). A row is dominated when another is at least as good in every
    column and better in one. NaN rows are never on the front."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2 or v.shape[1] != len(maximize):
        raise ValueError(f"values must be (n, {len(maximize)}); got shape {v.shape}")
    s = np.where(np.asarray(maximize, bool), v, -v)  # larger is better in every column
    ok = ~np.isnan(s).any(axis=1)
    mask = np.zeros(len(v), bool)
    for i in np.flatnonzero(ok):
        others = s[ok]
        dominated = np.any(np.all(others >= s[i], axis=1) & np.any(others > s[i], axis=1))
        mask[i] = not dominated
    return mask


_AGG = ("accuracy", "psnr_db", "energy_per_inference_pj", "energy_per_learning_pj", "latency_per_inference_ns",
        "area_um2", "lut", "ff", "sparsity", "wall_time_s")


def aggregate(rows) -> list[dict]:
    """Successful rows grouped by configuration: the parameters, the number of runs and the
    mean of each metric over seeds and folds (``accuracy_std`` too)."""
    groups = {}
    for r in rows:
        if r.get("status") == "ok":
            groups.setdefault(r["config_id"], []).append(r)
    out = []
    for cid, rs in groups.items():
        a = {"config_id": cid, "runs": len(rs), **{k: v for k, v in rs[0].items() if k.startswith("p.")}}
        for m in _AGG:
            vals = [r[m] for r in rs if m in r and r[m] is not None]
            if vals:
                a[m] = float(np.mean(vals))
        if "accuracy" in a:
            a["accuracy_std"] = float(np.std([r["accuracy"] for r in rs]))
        out.append(a)
    return out


def _varying(configs) -> list[str]:
    keys = [k for k in configs[0] if k.startswith("p.")] if configs else []
    return [k for k in keys if len({json.dumps(c.get(k)) for c in configs}) > 1]


def summarize(out_dir) -> dict:
    """Counts, the best configuration by accuracy and the Pareto fronts of accuracy vs energy
    per inference and vs area (configurations averaged over seeds/folds)."""
    rows = read_rows(out_dir)
    return _summarize(_read_spec(out_dir), rows, aggregate(rows.values()))


def _summarize(spec: dict, rows: dict, configs: list) -> dict:
    all_tasks = tasks(spec)
    failed = [r for r in rows.values() if r.get("status") != "ok"]
    vary = _varying(configs)
    s = {"name": spec["name"], "tasks": len(all_tasks), "finished": len(rows), "failed": len(failed),
         "missing": len(all_tasks) - len(rows), "configurations": len(configs), "varying": [k[2:] for k in vary],
         "failures": [{"task_id": r["task_id"], "error": r.get("error", "")} for r in failed][:20]}
    label = lambda c: {k[2:]: c[k] for k in vary}  # noqa: E731
    if configs and all("accuracy" in c for c in configs):
        best = max(configs, key=lambda c: c["accuracy"])
        s["best_accuracy"] = {"accuracy": best["accuracy"], "params": label(best)}
    for axis in ("energy_per_inference_pj", "area_um2"):
        cs = [c for c in configs if "accuracy" in c and axis in c]
        if cs:
            mask = pareto_front([[c["accuracy"], c[axis]] for c in cs], (True, False))
            front = sorted((c for c, m in zip(cs, mask) if m), key=lambda c: c[axis])
            s[f"pareto_accuracy_vs_{axis}"] = [{"accuracy": c["accuracy"], axis: c[axis], "params": label(c)}
                                                for c in front]
    s["wall_time_s_total"] = float(sum(r.get("wall_time_s") or 0.0 for r in rows.values()
                                       if not (isinstance(r.get("wall_time_s"), float) and
                                               math.isnan(r["wall_time_s"]))))
    return s


def _short(value) -> str:
    """A parameter value for a plot label: [28, 28, 8] -> 28x28x8."""
    if isinstance(value, list):
        return "x".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def plot_pareto(out_dir, png_dir=None) -> list[str]:
    """PNG scatter plots of accuracy vs energy per inference and vs area, the Pareto front
    highlighted; written to ``png_dir`` (default ``out_dir``). Returns the paths."""
    return _plot_pareto(Path(out_dir), png_dir, _read_spec(out_dir)["name"], aggregate(read_rows(out_dir).values()))


def _plot_pareto(out_dir: Path, png_dir, spec_name: str, configs: list) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    png_dir = Path(png_dir) if png_dir is not None else out_dir
    png_dir.mkdir(parents=True, exist_ok=True)
    vary = _varying(configs)
    paths = []
    for axis, xlabel, scale in (("energy_per_inference_pj", "energy per inference (pJ)", 1.0),
                                ("area_um2", "area (mm^2)", 1e-6)):
        cs = [c for c in configs if "accuracy" in c and axis in c]
        if not cs:
            continue
        x = np.array([c[axis] for c in cs]) * scale
        acc = np.array([c["accuracy"] for c in cs]) * 100
        mask = pareto_front(np.c_[acc, x], (True, False))
        fig, ax = plt.subplots(figsize=(7.5, 4.8))
        ax.scatter(x[~mask], acc[~mask], c="0.6", s=25, label="dominated")
        order = np.argsort(x[mask])
        ax.plot(x[mask][order], acc[mask][order], "o-", c="C3", label="Pareto front")
        # Labels of points at (nearly) the same place are stacked instead of printed over each other.
        placed = {}
        for c, xi, ai, m in zip(cs, x, acc, mask):
            key = (round(float(np.log10(xi)) if xi > 0 else 0.0, 2), round(float(ai), 1))
            n = placed[key] = placed.get(key, -1) + 1
            ax.annotate(" / ".join(_short(c[k]) for k in vary), (xi, ai), fontsize=6, color="C3" if m else "0.4",
                        xytext=(4, -3 - 7 * n), textcoords="offset points")
        if x.min() > 0 and x.max() / x.min() > 20:
            ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("accuracy (%)")
        ax.legend(fontsize=8, loc="lower right")
        ax.set_title(f"{spec_name}: accuracy vs {xlabel.split(' (')[0]}\nlabels: " +
                     " / ".join(k[2:] for k in vary), fontsize=8)
        fig.tight_layout()
        path = png_dir / f"pareto_{axis}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(str(path))
    return paths


def report(out_dir, png_dir=None, plots: bool = True) -> dict:
    """The summary of a (possibly unfinished) sweep, results.csv rewritten, and the Pareto
    plots (``plots=True``)."""
    out_dir = Path(out_dir)
    spec = _read_spec(out_dir)
    rows = read_rows(out_dir)  # read once: the CSV, the summary and the plots all use them
    _write_csv(out_dir, spec, rows)
    configs = aggregate(rows.values())
    s = _summarize(spec, rows, configs)
    s["figures"] = _plot_pareto(out_dir, png_dir, spec["name"], configs) if plots else []
    return s


def format_summary(s: dict) -> str:
    """The printed form of :func:`summarize` / :func:`report`."""
    lines = [f"sweep {s['name']}: {s['finished']}/{s['tasks']} tasks finished, {s['failed']} failed, "
             f"{s['missing']} missing; {s['configurations']} configurations (varying: "
             f"{', '.join(s['varying']) or 'nothing'}); task time {s['wall_time_s_total']:.1f} s"]
    if "best_accuracy" in s:
        b = s["best_accuracy"]
        lines.append(f"  best accuracy {b['accuracy']:.4f}: {json.dumps(b['params'])}")
    for axis, unit in (("energy_per_inference_pj", "pJ/inference"), ("area_um2", "um^2")):
        front = s.get(f"pareto_accuracy_vs_{axis}")
        if front:
            lines.append(f"  Pareto front, accuracy vs {unit}:")
            lines += [f"    {c['accuracy']:.4f}  {c[axis]:12.5g} {unit}  {json.dumps(c['params'])}" for c in front]
    for f in s.get("failures", []):
        lines.append(f"  failed {f['task_id']}: {f['error']}")
    for f in s.get("figures", []):
        lines.append(f"  wrote {f}")
    return "\n".join(lines)


__all__ = ["PROTOCOLS", "METRICS", "SweepError", "load_spec", "normalize_spec", "configurations", "tasks",
           "evaluate", "resource_counts", "run", "resume", "read_rows", "write_csv", "pareto_front", "aggregate",
           "summarize", "plot_pareto", "report", "format_summary", "VOLATILE_COLUMNS"]
