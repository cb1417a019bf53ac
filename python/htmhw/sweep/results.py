"""A sweep's results: the rows on disk, results.csv, aggregation over seeds and folds, Pareto
fronts and their plots, the printed summary."""
from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np

from .._fileformat import atomic_write_bytes
from .spec import SweepError, tasks



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
        "latency_per_learning_ns", "area_um2", "digital_energy_per_inference_pj", "digital_energy_per_learning_pj",
        "digital_latency_per_inference_ns", "digital_latency_per_learning_ns", "digital_area_um2", "lut", "ff",
        "bram", "hdl_cells", "hdl_cycles_per_learning_step", "hdl_cycles_per_inference_step",
        "hdl_learning_steps_per_s", "hdl_inference_steps_per_s", "sparsity", "wall_time_s")
# The Pareto axes (accuracy vs each): design (a) crossbar + periphery, design (b) all-digital
# (docs/energy.md), with their units and plot scale.
_PARETO_AXES = (("energy_per_inference_pj", "pJ/inference", "(a) crossbar: energy per inference (pJ)", 1.0),
                ("area_um2", "um^2", "(a) crossbar: area (mm^2)", 1e-6),
                ("digital_energy_per_inference_pj", "pJ/inference", "(b) all-digital: energy per inference (pJ)",
                 1.0),
                ("digital_area_um2", "um^2", "(b) all-digital: area (mm^2)", 1e-6))
# The hardware front (metrics hdl_cycles and resources, the hdl_* design parameters): cycles per
# learning step of the cycle model vs LUTs of the synthesis, both lower-is-better; throughput
# vs area, with no accuracy in it (the design does not change the pooler's results).
_HW_PARETO = ("hdl_cycles_per_learning_step", "lut")


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
    """Counts, the best configuration by accuracy, the Pareto fronts of accuracy vs energy
    per inference and vs area of designs (a) crossbar and (b) all-digital, and (metrics
    hdl_cycles and resources) the hardware front of cycles per learning step vs LUTs
    (configurations averaged over seeds/folds)."""
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
    for axis, *_ in _PARETO_AXES:
        cs = [c for c in configs if "accuracy" in c and axis in c]
        if cs:
            mask = pareto_front([[c["accuracy"], c[axis]] for c in cs], (True, False))
            front = sorted((c for c, m in zip(cs, mask) if m), key=lambda c: c[axis])
            s[f"pareto_accuracy_vs_{axis}"] = [{"accuracy": c["accuracy"], axis: c[axis], "params": label(c)}
                                                for c in front]
    y, x = _HW_PARETO
    cs = [c for c in configs if y in c and x in c]
    if cs:
        mask = pareto_front([[c[y], c[x]] for c in cs], (False, False))
        front = sorted((c for c, m in zip(cs, mask) if m), key=lambda c: c[x])
        s[f"pareto_{y}_vs_{x}"] = [{y: c[y], x: c[x], **({"hdl_learning_steps_per_s": c["hdl_learning_steps_per_s"]}
                                                           if "hdl_learning_steps_per_s" in c else {}),
                                    "params": label(c)} for c in front]
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
    """PNG scatter plots of accuracy vs energy per inference and vs area, and (metrics
    hdl_cycles and resources) of learning steps/s (or cycles per learning step) vs LUTs,
    the Pareto front highlighted; written to ``png_dir`` (default ``out_dir``). Returns
    the paths."""
    return _plot_pareto(Path(out_dir), png_dir, _read_spec(out_dir)["name"], aggregate(read_rows(out_dir).values()))


def _plot_pareto(out_dir: Path, png_dir, spec_name: str, configs: list) -> list[str]:
    png_dir = Path(png_dir) if png_dir is not None else out_dir
    png_dir.mkdir(parents=True, exist_ok=True)
    vary = _varying(configs)
    paths = []
    for axis, _, xlabel, scale in _PARETO_AXES:
        cs = [c for c in configs if "accuracy" in c and axis in c]
        if cs:
            paths.append(_plot_front(png_dir / f"pareto_{axis}.png", cs, vary, np.array([c[axis] for c in cs]) * scale,
                                     xlabel, np.array([c["accuracy"] for c in cs]) * 100, "accuracy (%)", True,
                                     f"{spec_name}: accuracy vs {xlabel.rsplit(' (', 1)[0]}"))
    y, x = _HW_PARETO
    cs = [c for c in configs if y in c and x in c]
    if cs:
        # Throughput at the spec's clock when the rows have it (the same front: steps/s is
        # clock / cycles), else the cycles.
        if all("hdl_learning_steps_per_s" in c for c in cs):
            ys, up = [c["hdl_learning_steps_per_s"] for c in cs], True
            ylabel = "learning steps / s at hdl.clock_mhz (cycle model)"
        else:
            ys, ylabel, up = [c[y] for c in cs], "cycles per learning step (cycle model)", False
        paths.append(_plot_front(png_dir / "pareto_hdl_lut.png", cs, vary, np.array([c[x] for c in cs], float),
                                 "LUTs (yosys)", np.array(ys, float), ylabel, up,
                                 f"{spec_name}: hardware throughput vs area"))
    return paths


def _plot_front(path: Path, cs: list, vary: list, x, xlabel: str, y, ylabel: str, maximize_y: bool,
                title: str) -> str:
    """One scatter plot of configurations ``cs`` (x lower is better, y higher if
    ``maximize_y``), the Pareto front as a red line, each point labelled with its varying
    parameters; written to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mask = pareto_front(np.c_[y, x], (maximize_y, False))
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    ax.scatter(x[~mask], y[~mask], c="0.6", s=25, label="dominated")
    order = np.argsort(x[mask])
    ax.plot(x[mask][order], y[mask][order], "o-", c="C3", label="Pareto front")
    log_y = y.min() > 0 and y.max() / y.min() > 20
    # Labels of points at (nearly) the same place are stacked instead of printed over each other.
    placed = {}
    for c, xi, yi, m in zip(cs, x, y, mask):
        key = (round(float(np.log10(xi)) if xi > 0 else 0.0, 2),
               round(float(np.log10(yi)), 2) if log_y else round(float(yi), 1))
        n = placed[key] = placed.get(key, -1) + 1
        ax.annotate(" / ".join(_short(c[k]) for k in vary), (xi, yi), fontsize=6, color="C3" if m else "0.4",
                    xytext=(4, -3 - 7 * n), textcoords="offset points")
    if x.min() > 0 and x.max() / x.min() > 20:
        ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, loc="lower right" if maximize_y else "upper right")
    ax.set_title(f"{title}\nlabels: " + " / ".join(k[2:] for k in vary), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)


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
    for axis, unit, title, _ in _PARETO_AXES:
        front = s.get(f"pareto_accuracy_vs_{axis}")
        if front:
            lines.append(f"  Pareto front, accuracy vs {title.split(':')[0]} {unit}:")
            lines += [f"    {c['accuracy']:.4f}  {c[axis]:12.5g} {unit}  {json.dumps(c['params'])}" for c in front]
    y, x = _HW_PARETO
    front = s.get(f"pareto_{y}_vs_{x}")
    if front:
        lines.append("  Pareto front, hardware: cycles per learning step vs LUTs:")
        lines += [f"    {c[y]:12.6g} cycles/learning step  {c[x]:8.0f} LUT" +
                  (f"  {c['hdl_learning_steps_per_s']:10.4g} learning steps/s" if "hdl_learning_steps_per_s" in c
                   else "") + f"  {json.dumps(c['params'])}" for c in front]
    for f in s.get("failures", []):
        lines.append(f"  failed {f['task_id']}: {f['error']}")
    for f in s.get("figures", []):
        lines.append(f"  wrote {f}")
    return "\n".join(lines)


def _rows_dir(out_dir: Path) -> Path:
    return Path(out_dir) / "rows"


def _write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=1, sort_keys=True, allow_nan=True) + "\n").encode())


def _read_spec(out_dir) -> dict:
    """The spec.json of a sweep directory (SweepError naming the file if missing or invalid)."""
    spec_file = Path(out_dir) / "spec.json"
    if not spec_file.is_file():
        raise SweepError(f"{out_dir} is not a sweep directory (no spec.json)")
    try:
        return json.loads(spec_file.read_text())
    except json.JSONDecodeError as e:
        raise SweepError(f"{spec_file}: not valid JSON ({e})") from None
