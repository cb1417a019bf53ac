"""hdl_ref/ (the Verilog reference of docs/datapath.md) against golden vectors.

Every test here runs a real tool (Icarus Verilog, Verilator, cocotb on Icarus,
yosys); .ci/run installs them, and a missing tool fails the test (RuntimeError from
htmhw.hdl), it is never skipped. Each simulation must report exactly the number of
compared words the golden directory implies (computed here from its manifest), zero
failures, and per-step cycle counts equal to the C++ cycle model's.
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from htmhw import hdl
from htmhw.cli import main as cli_main
from htmhw.golden import load

pytestmark = pytest.mark.hdl

# (name, export arguments). Together they cover P = 4, 8, 12, 16; a saturating
# overlap counter (overlap_bits=3 < derived); B_f == B_b (exact boost multiply);
# D = 10 with A = 7; boosting off; boosting in inference; inference steps between
# learning steps; the raise-to-threshold loop and weak-column bumps (tiny-stress);
# random and MNIST stimuli.
CONFIGS = {
    "stress-p4": ["--config", "tiny-stress", "--hw", "permanence_bits=4", "--steps", "1000", "--seed", "5"],
    "stress-p16": ["--config", "tiny-stress", "--hw", "permanence_bits=16", "--steps", "1000", "--seed", "9",
                   "--learn", "every:2", "--sp", "boost_in_inference=true"],
    "mnist256-p8": ["--config", "mnist-256", "--source", "mnist", "--steps", "1000"],
    "odd-p12": ["--config", "mnist-256", "--source", "mnist", "--steps", "1000",
                "--hw", "permanence_bits=12", "--hw", "overlap_bits=3", "--hw", "boost_frac_bits=6",
                "--hw", "boosted_frac_bits=6", "--hw", "duty_bits=10", "--hw", "boost_lut_bits=7",
                "--sp", "boost_strength=0"],
    # Icarus is an interpreter: the MNIST-sized configs run there on their first steps.
    "mnist256-p8-short": ["--config", "mnist-256", "--source", "mnist", "--steps", "200"],
    "odd-p12-short": ["--config", "mnist-256", "--source", "mnist", "--steps", "300", "--learn", "every:3",
                      "--hw", "permanence_bits=12", "--hw", "overlap_bits=3", "--hw", "boost_frac_bits=6",
                      "--hw", "boosted_frac_bits=6", "--hw", "duty_bits=10", "--hw", "boost_lut_bits=7",
                      "--sp", "boost_strength=0"],
    "cocotb": ["--config", "tiny-stress", "--steps", "150", "--seed", "3", "--learn", "every:2"],
}


@pytest.fixture(scope="session")
def golden(tmp_path_factory, mnist_dir):
    root = tmp_path_factory.mktemp("golden")
    made = {}

    def get(name):
        if name not in made:
            out = root / name
            args = ["golden", "export", str(out), *CONFIGS[name], "--quiet"]
            if "mnist" in CONFIGS[name]:
                args += ["--mnist-dir", str(mnist_dir)]
            assert cli_main(args) == 0
            made[name] = out
        return made[name]

    return get


def expected_words(golden_dir) -> int:
    """Words the testbench must compare: per step C overlaps, C boosted and the
    winner mask; per learning step the written rows, 3C duty/boost words and the
    minimum duty; at the end the whole permanence memory and 3C + 1 registers."""
    m, g = load(golden_dir)
    s = m["sizes"]
    n, c, nl = s["num_steps"], s["num_columns"], s["num_learn_steps"]
    assert g["written_perm"].size == s["num_written_words"]
    return n * (2 * c + 1) + s["num_written_words"] + nl * (3 * c + 1) + s["num_synapses"] + 3 * c + 1


def assert_clean(result, golden_dir):
    assert result["failed"] == 0, result.get("first_mismatches")
    assert result["exit_code"] == 0
    assert result["passed"] == expected_words(golden_dir)


@pytest.mark.parametrize("name,lanes", [("stress-p4", 1), ("stress-p4", 3), ("stress-p16", 1),
                                        ("mnist256-p8-short", 1), ("odd-p12-short", 1)])
def test_icarus_bit_exact(golden, name, lanes):
    g = golden(name)
    r = hdl.verify(g, simulators=("icarus",), synapse_lanes=lanes)["icarus"]
    assert_clean(r, g)
    assert r["cycles_match_model"] is True


@pytest.mark.parametrize("name,lanes", [("stress-p4", 1), ("mnist256-p8", 1), ("mnist256-p8", 8), ("odd-p12", 1)])
def test_verilator_bit_exact(golden, name, lanes):
    g = golden(name)
    r = hdl.verify(g, simulators=("verilator",), synapse_lanes=lanes)["verilator"]
    assert_clean(r, g)
    assert r["cycles_match_model"] is True


def test_cocotb_streams_npz(golden):
    g = golden("cocotb")
    r = hdl.verify(g, simulators=("cocotb",))["cocotb"]
    assert_clean(r, g)


def test_stress_config_exercises_raise_and_bump(golden):
    """The tiny-stress vectors must reach the raise loop and the weak-column bump,
    or the bit-exact tests above would not cover those paths."""
    m, g = load(golden("stress-p4"))
    cycles = hdl.golden_model_cycles(golden("stress-p4"))
    offsets = g["pool_offset"]
    pool = np.diff(offsets)
    sp = hdl.pooler_from_manifest(m)
    raise_words = bumped = 0
    for s in range(200):
        t = sp.trace(g["input"][s:s + 1].astype(np.uint8), learn=True)
        winners = np.flatnonzero(g["winners"][s])
        bumped_cols = np.asarray(t["bumped_columns"], dtype=np.int64)
        bumped += bumped_cols.size
        no_raise = len(pool) + 2 * pool[winners].sum() + pool[bumped_cols].sum()
        raise_words += int(cycles["permanence"][s] - no_raise)
    assert raise_words > 0
    assert bumped > 0


@pytest.mark.parametrize("lanes", [1, 3])
def test_inference_cycles_formula(golden, lanes):
    """Inference steps: sum_c ceil(pool_c / lanes) + C overlap cycles,
    (B_o + B_i + B_b + 2) C kWTA cycles, 1 finish cycle."""
    g = golden("stress-p16")
    m, arrays = load(g)
    pool = np.diff(arrays["pool_offset"])
    c = m["sizes"]["num_columns"]
    score_bits = m["constants"]["overlap_bits"] + m["hw"]["boost_int_bits"] + m["hw"]["boosted_frac_bits"]
    cycles = hdl.golden_model_cycles(g, synapse_lanes=lanes)
    infer = arrays["learn"] == 0
    assert infer.sum() == 500
    expected = int(np.sum(-(-pool // lanes))) + c + (score_bits + 2) * c + 1
    assert (cycles["total"][infer] == expected).all()
    assert (cycles["total"][~infer] > expected).all()


def test_model_cycles_throughput_and_errors():
    from htmhw import HardwareConfig, SpatialPooler
    from htmhw.configs import named_config
    from htmhw.golden import random_inputs

    make = lambda: SpatialPooler(arithmetic="fixed", hw=HardwareConfig(), **named_config("tiny"))  # noqa: E731
    x = random_inputs(50, 16, 3, 1)
    r = hdl.model_cycles(make(), x, True, synapse_lanes=2, clock_mhz=100.0)
    assert r["steps_per_second"] == pytest.approx(100e6 / r["total"].mean())
    assert np.allclose(r["latency_us"], r["total"] / 100.0)
    one = hdl.model_cycles(make(), x, True, synapse_lanes=1)
    assert (r["total"] < one["total"]).all()
    assert (r["kwta"] == one["kwta"]).all()
    with pytest.raises(ValueError, match="synapse_lanes"):
        hdl.model_cycles(make(), x, True, synapse_lanes=0)
    with pytest.raises(TypeError, match="synapse_lanes"):
        hdl.model_cycles(make(), x, True, synapse_lanes=2.5)
    with pytest.raises(ValueError, match="clock_mhz"):
        hdl.model_cycles(make(), x, True, clock_mhz=-1.0)
    with pytest.raises(ValueError, match="learn"):
        hdl.model_cycles(make(), x, np.ones(3))


MUTATIONS = {
    # kWTA tie-break flipped: the marking pass walks from the last column down, so
    # higher indices win ties (the contract: lower index wins).
    "tie_higher_index": ("sp_kwta.v", [
        ("ties_won <= {COLUMN_BITS{1'b0}};\n                        column <= {COLUMN_BITS{1'b0}};",
         "ties_won <= {COLUMN_BITS{1'b0}};\n                        column <= LAST;"),
        ("if (column == LAST) begin\n                        state <= IDLE;\n                    end else begin\n"
         "                        column <= column + 1'b1;",
         "if (column == 0) begin\n                        state <= IDLE;\n                    end else begin\n"
         "                        column <= column - 1'b1;"),
        ("assign done = (state == MARK) && (column == LAST);", "assign done = (state == MARK) && (column == 0);"),
    ]),
    # kWTA gives one tie slot too many.
    "tie_budget": ("sp_kwta.v", [("(ties_won < K_COUNT - greater)", "(ties_won <= K_COUNT - greater)")]),
    # Boost multiply truncates (TRN) instead of rounding half up (RND).
    "boost_trn": ("sp_boost_mul.v", [("ROUND = (2 ** SHIFT) / 2;", "ROUND = 0;")]),
    # Permanence increment wraps (the ap_fixed default) instead of saturating.
    "inc_wrap": ("sp_perm_update.v", [("inc_sat = (plus_inc > PERM_MAX) ? PERM_MAX : plus_inc;",
                                       "inc_sat = plus_inc & PERM_MAX;")]),
    # Raise-to-threshold loop skipped.
    "no_raise": ("sp_top.v", [("(conn_count_next < STIMULUS) ? MODE_RAISE : MODE_TRIM", "MODE_TRIM")]),
    # Duty-cycle shift rounds toward zero (logical shift of the magnitude) instead of TRN.
    "duty_round_to_zero": ("sp_duty_update.v", [
        ("wire signed [DUTY_BITS+1:0] a_step = (a_goal - a) >>> shift;",
         "wire signed [DUTY_BITS+1:0] a_step = (a_goal >= a) ? ((a_goal - a) >>> shift) : -((a - a_goal) >>> shift);")]),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_mutated_rtl_fails(golden, tmp_path, mutation):
    """The testbench catches a small deviation from the contract."""
    fname, edits = MUTATIONS[mutation]
    rtl = tmp_path / "rtl"
    shutil.copytree(hdl.hdl_ref_dir() / "rtl", rtl)
    text = (rtl / fname).read_text()
    for old, new in edits:
        assert text.count(old) == 1, f"mutation target not found once in {fname}: {old}"
        text = text.replace(old, new)
    (rtl / fname).write_text(text)
    r = hdl.verify(golden("stress-p4"), simulators=("icarus",), rtl_dir=rtl)["icarus"]
    assert r["failed"] > 0
    assert r["exit_code"] != 0
    assert r["first_mismatches"]


def test_yosys_synthesizable(golden):
    m, _ = load(golden("stress-p4"))
    hdl.check_synth()  # sp_top's defaults
    hdl.check_synth(parameters=hdl.sp_top_parameters(m))


def test_verify_errors(tmp_path, golden, monkeypatch):
    with pytest.raises(ValueError, match="simulators"):
        hdl.verify(golden("stress-p4"), simulators=("modelsim",))
    with pytest.raises(ValueError, match="manifest"):
        hdl.verify(tmp_path, simulators=("icarus",))
    m, _ = load(golden("stress-p4"))
    m["sp_params"]["global_inhibition"] = False
    with pytest.raises(ValueError, match="global inhibition"):
        hdl.sp_top_parameters(m)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="iverilog not found"):
        hdl.verify(golden("stress-p4"), simulators=("icarus",))
    with pytest.raises(ValueError, match="target"):
        hdl.resources(golden("stress-p4"), target="asic")


def test_cli_verify(golden, tmp_path):
    g = golden("stress-p4")
    proc = subprocess.run([sys.executable, "-m", "htmhw.cli", "hdl", "verify", str(g), "--simulator", "icarus",
                           "--json"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["icarus"]["failed"] == 0 and out["icarus"]["passed"] == expected_words(g)
    proc = subprocess.run([sys.executable, "-m", "htmhw.cli", "hdl", "verify", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "manifest" in proc.stderr
