"""Running a sweep: one task (build the pooler, measure the metrics, write the row), and the
scheduling of the pending tasks on dask.distributed or in this process, with resume."""
from __future__ import annotations

import copy
import os
import time
import traceback
from functools import lru_cache
from pathlib import Path

import numpy as np

from .. import _core
from .results import _read_spec, _rows_dir, _write_json, read_rows, report
from .spec import HDL_METRICS, HDL_PARAMS, SweepError, _param_names, hdl_design, load_spec, normalize_spec, tasks


@lru_cache(maxsize=4)
def _dataset(name: str, data, threshold):
    """(X binary uint8 (n, d), labels, image shape) of a protocol's dataset, cached per process."""
    from ..datasets import binarize, load_digits_binary, load_mnist

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
    from ..reconstruct import BackProjection, NearestSDR, RidgeDecoder

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


def _hdl_resources(sp, X, target: str, design: dict) -> dict:
    import tempfile

    from ..hw import golden, hdl

    with tempfile.TemporaryDirectory(prefix="htmhw-sweep-") as tmp:
        d = Path(tmp) / "golden"
        golden.export(d, sp, X[:2], learn=False)  # the configuration; the two steps are not used
        r = hdl.resources(d, target=target, **design)
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
    """(the task's SpatialPooler, X, y, the hardware design: ``hdl_design``'s arguments):
    every check a task makes before it runs, so that :func:`run` can refuse a spec whose
    rows cannot run before anything runs."""
    from ..datapath import HardwareConfig
    from ..sp import SpatialPooler

    _, hw_names = _param_names()
    p = dict(params, seed=seed)
    arithmetic = p.pop("arithmetic")
    hw = {k: p.pop(k) for k in list(p) if k in hw_names}
    given_design = {k: p.pop(k) for k in list(p) if k in HDL_PARAMS}  # the design's, not the pooler's
    if arithmetic == "float" and hw:
        raise ValueError(f"HardwareConfig fields {sorted(hw)} need arithmetic 'fixed'")
    fixed_metrics = [m for m in ("crossbar", "hdl_cycles", "resources") if m in spec["metrics"]]
    if arithmetic != "fixed" and fixed_metrics:
        raise ValueError(f"metrics {fixed_metrics} model the fixed-point datapath: set arithmetic 'fixed' (in base "
                         "or the grid)")
    proto = spec["protocol"]
    X, y, _ = _dataset(proto["name"], spec["data"], proto["threshold"])
    n = proto["n_train"] + proto["n_test"]
    if n > len(X):
        raise ValueError(f"protocol n_train + n_test = {n} exceeds the dataset's {len(X)} samples")
    sp = SpatialPooler(arithmetic, HardwareConfig(**hw) if arithmetic == "fixed" else None, **p)
    if sp.num_inputs != X.shape[1]:
        raise ValueError(f"input_dimensions give {sp.num_inputs} inputs; the protocol's samples have {X.shape[1]}")
    design = hdl_design(given_design)
    if set(HDL_METRICS) & set(spec["metrics"]):
        from ..hw import golden, hdl

        # The design's own rules (hdl_ref/README.md, "Lanes", "sp_accel": power-of-two column
        # lanes, no synapse lanes on sp_accel, global inhibition and rank <= 3 for sp_accel, ...)
        # on this configuration, from the same function the exports and syntheses use.
        try:
            hdl.top_parameters(golden.configuration_manifest(sp), **design)
        except (ValueError, TypeError) as e:
            named = ", ".join(f"{k}={v!r}" for k, v in given_design.items()) or "the default design (sp_top, lanes 1)"
            raise type(e)(f"hardware design {named} refused: {e}") from None
    return sp, X, y, design


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
    from .. import crossbar
    from ..metrics import classification_accuracy, psnr

    proto = spec["protocol"]
    sp, X, y, design = _pooler(spec, params, seed)
    tr, te = _split(proto, fold, spec["folds"])
    Xtr, Xte, ytr, yte = X[tr], X[te], y[tr], y[te]
    out = {"num_columns": sp.num_columns}
    if "hdl_cycles" in spec["metrics"]:
        # The cycle model advances its pooler as compute does: a copy of the fresh pooler
        # takes the same learning pass as `sp` below.
        fresh = copy.deepcopy(sp)
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
        # Design (a), the whole chip: array + digital periphery + memories (docs/energy.md).
        out.update({"energy_per_inference_pj": s["energy_per_inference_step_total_pj"],
                    "energy_per_learning_pj": s["energy_per_learning_step_total_pj"],
                    "latency_per_inference_ns": s["latency_per_inference_step_ns"],
                    "latency_per_learning_ns": s["latency_per_learning_step_ns"],
                    "area_um2": s["area_total_um2"]})
        # Design (b), the all-digital SRAM accelerator on the same run.
        b = s["designs"]["digital"]
        out.update({"digital_energy_per_inference_pj": b["energy_per_inference_step_pj"],
                    "digital_energy_per_learning_pj": b["energy_per_learning_step_pj"],
                    "digital_latency_per_inference_ns": b["latency_per_inference_step_ns"],
                    "digital_latency_per_learning_ns": b["latency_per_learning_step_ns"],
                    "digital_area_um2": b["area_um2"]})
    if "hdl_cycles" in spec["metrics"]:
        out.update(_hdl_cycles(fresh, sp, np.concatenate([Xtr] * proto["epochs"]), Xte, design,
                               spec["hdl"]["clock_mhz"]))
    if "resources" in spec["metrics"]:
        out.update(_hdl_resources(sp, Xte, spec["resources"]["target"], design))
    return out


def _hdl_cycles(fresh, trained, learn_inputs, test_inputs, design: dict, clock_mhz) -> dict:
    """Metric ``hdl_cycles``: ``htmhw.hw.hdl.model_cycles`` of the design over the task's
    learning pass (``fresh``, a copy of the untrained pooler, learns on ``learn_inputs``) and
    over the test inputs through a copy of the ``trained`` pooler; mean cycles per step and,
    with ``clock_mhz``, steps per second at that clock (model_cycles' ``steps_per_second``).
    ``fresh`` advances; ``trained`` does not."""
    from ..hw import hdl

    learn = hdl.model_cycles(fresh, learn_inputs, learn=True, clock_mhz=clock_mhz, **design)
    infer = hdl.model_cycles(copy.deepcopy(trained), test_inputs, learn=False, clock_mhz=clock_mhz, **design)
    out = {"hdl_cycles_per_learning_step": float(learn["total"].mean()),
           "hdl_cycles_per_inference_step": float(infer["total"].mean())}
    if clock_mhz is not None:
        out["hdl_learning_steps_per_s"] = learn["steps_per_second"]
        out["hdl_inference_steps_per_s"] = infer["steps_per_second"]
    return out


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
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= _core.MAX_THREADS:
            raise SweepError(f"{name} must be an integer in [{lo}, {_core.MAX_THREADS}]; got {v!r}")
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
