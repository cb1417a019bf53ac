"""Per-module testbenches of hdl_ref/ (cocotb 2.x on Icarus), each with its own
scoreboard written from docs/datapath.md: the global kWTA (sp_kwta + sp_kwta_mark,
through hdl_ref/tb/tb_kwta.v; hdl_ref/tb/cocotb_kwta.py) and the permanence update
(sp_perm_update; hdl_ref/tb/cocotb_perm_update.py). Several parameter sets, seeded
random stimulus plus the contract's corners; and mutants of the RTL (copied to a temporary
directory, as tests/test_hdl.py does) that the same testbenches must fail on, naming the
check that caught them.

A missing cocotb or Icarus fails these tests (RuntimeError from
htmhw.hw.hdl.run_cocotb_testbench); they are never skipped.
"""

import pytest

from htmhw.hw import hdl
from rtl_mutation import mutated_copy

pytestmark = pytest.mark.hdl

# (C, S, k, kWTA lanes, marking lanes, theta * 2^B_b). One score per cycle; four per
# cycle with padding lanes in the last word and two-column marking groups; every column
# in one word (W = 1) with a padded last marking group; theta = 0 (every column eligible)
# with one marking group wider than a kWTA word.
KWTA_SETS = {
    "lanes1": (13, 6, 4, 1, 1, 12),
    "lanes4": (22, 7, 5, 4, 2, 16),
    "one_word": (10, 5, 3, 16, 4, 4),
    "stimulus0": (9, 4, 2, 2, 8, 0),
}
# (P, conn_q, inc_q, dec_q, bump_q, trim_q). The mnist anchor at P = 8 and a small P = 4
# (both exhaustive over p); P = 16 (boundaries and random p); P = 2 with inc_q = 0 and
# trim_q = 0 (synPermActiveInc 0) and dec_q = bump_q = M (every step saturates).
PERM_SETS = {
    "p8": (8, 128, 36, 1, 13, 18),
    "p4": (4, 8, 3, 2, 1, 2),
    "p16": (16, 32768, 9175, 131, 3277, 4588),
    "p2": (2, 2, 0, 3, 3, 0),
}
SEED = 20240611


def kwta_parameters(name):
    c, s, k, lanes, mark_lanes, stimulus = KWTA_SETS[name]
    return {"NUM_COLUMNS": c, "SCORE_BITS": s, "K": k, "LANES": lanes, "MARK_LANES": mark_lanes,
            "STIMULUS_SCORE": stimulus}


def perm_parameters(name):
    p, conn, inc, dec, bump, trim = PERM_SETS[name]
    return {"PERM_BITS": p, "CONN_Q": conn, "INC_Q": inc, "DEC_Q": dec, "BUMP_Q": bump, "TRIM_Q": trim}


def run_kwta(work, name, rtl=None):
    rtl = rtl or hdl.hdl_ref_dir() / "rtl"
    sources = [rtl / "sp_popcount.v", rtl / "sp_kwta.v", rtl / "sp_kwta_mark.v", hdl.hdl_ref_dir() / "tb" / "tb_kwta.v"]
    return hdl.run_cocotb_testbench("tb_kwta", "cocotb_kwta", sources, work, kwta_parameters(name),
                                    env={"HTMHW_TB_SEED": str(SEED), "HTMHW_TB_TRIALS": "120"}, timeout=300)


def run_perm(work, name, rtl=None):
    rtl = rtl or hdl.hdl_ref_dir() / "rtl"
    return hdl.run_cocotb_testbench("sp_perm_update", "cocotb_perm_update", [rtl / "sp_perm_update.v"], work,
                                    perm_parameters(name), env={"HTMHW_TB_SEED": str(SEED)}, timeout=300)


def assert_passed(r):
    assert r["ok"], r["output"][-4000:]
    assert r["tests"] == 1 and r["failed"] == 0 and r["exit_code"] == 0


@pytest.mark.parametrize("name", sorted(KWTA_SETS))
def test_kwta_scoreboard(tmp_path, name):
    r = run_kwta(tmp_path, name)
    assert_passed(r)
    # The directed corners (11 with theta > 0, 9 with theta = 0) and 120 random score sets ran,
    # each checking T, G and the winners of three units.
    searches = 120 + (11 if KWTA_SETS[name][5] > 0 else 9)
    assert f"kwta scoreboard: {searches} searches" in r["output"]
    assert "0 mismatches" in r["output"]


@pytest.mark.parametrize("name", sorted(PERM_SETS))
def test_perm_update_scoreboard(tmp_path, name):
    r = run_perm(tmp_path, name)
    assert_passed(r)
    bits = PERM_SETS[name][0]
    if bits <= 8:  # exhaustive: every p, 4 modes, 2 input bits
        assert f"perm_update scoreboard: {8 << bits} checks, 0 mismatches" in r["output"]
    else:
        assert "checks, 0 mismatches" in r["output"]


# name -> (file, [(old, new)], testbench, parameter set, a mismatch line the scoreboard must print)
MUTATIONS = {
    # A tie's place counts the tied lanes above it, not below: within a group the
    # higher column takes the first tie slots (the contract: the lower index wins).
    "mark_tie_higher_index": ("sp_kwta_mark.v", [("if (j == 0) begin : first", "if (j == LANES - 1) begin : first"),
        ("wire [$clog2(j + 1)-1:0] count;", "wire [$clog2(LANES - j)-1:0] count;"),
        ("sp_popcount #(.N(j)) ties_before (.bits(tie[j-1:0])",
         "sp_popcount #(.N(LANES - 1 - j)) ties_before (.bits(tie[LANES-1:j+1])")],
                              "kwta", "lanes4", "MISMATCH tie at the cut: k=5 winners"),
    # A score equal to theta * 2^B_b is not eligible (s > instead of s >=).
    "mark_eligible_gt": ("sp_kwta_mark.v", [("({32'd0, s} >= STIMULUS_SCORE)", "({32'd0, s} > STIMULUS_SCORE)")],
                         "kwta", "lanes1", "MISMATCH all equal at the stimulus score: k=4 winners"),
    # The threshold search counts the padding lanes past the last column.
    "kwta_pad_lanes_counted": ("sp_kwta.v", [("wire valid = ({{32{1'b0}}, word} * LANES + j) < NUM_COLUMNS;",
                                              "wire valid = 1'b1;")],
                               "kwta", "lanes4", "MISMATCH all equal at the stimulus score: k=5 greater G"),
    # Trim at p <= trim_q: p == trim_q is trimmed too.
    "perm_trim_le": ("sp_perm_update.v", [("trimmed = (p < TRIM_Q) ?", "trimmed = (p <= TRIM_Q) ?")],
                     "perm", "p8", "MISMATCH trim p=18 x=0"),
    # The decrement wraps below 0 instead of SAT.
    "perm_dec_wrap": ("sp_perm_update.v", [("dec_sat = (p < DEC_Q) ? {(PERM_BITS+1){1'b0}} : p - DEC_Q;",
                                            "dec_sat = p - DEC_Q;")],
                      "perm", "p4", "MISMATCH adapt p=0 x=0"),
}


def mutated_rtl(tmp_path, mutation):
    fname, edits, _, _, _ = MUTATIONS[mutation]
    return mutated_copy(tmp_path, fname, edits)


def test_mutants_cover_every_module_under_test():
    assert {m[0] for m in MUTATIONS.values()} == {"sp_kwta.v", "sp_kwta_mark.v", "sp_perm_update.v"}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_mutant_fails(tmp_path, mutation):
    """The same testbench, on a mutant, fails, and the scoreboard names the deviation."""
    _, _, bench, name, line = MUTATIONS[mutation]
    rtl = mutated_rtl(tmp_path, mutation)
    r = (run_kwta if bench == "kwta" else run_perm)(tmp_path / "work", name, rtl=rtl)
    assert not r["ok"]
    assert r["tests"] == 1 and r["failed"] == 1 and r["exit_code"] != 0, r["output"][-4000:]
    assert line in r["output"], r["output"][-4000:]
