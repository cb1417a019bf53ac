"""cocotb 2.x testbench of the global kWTA: sp_kwta (threshold search) and sp_kwta_mark
(winner marking), through the wrapper tb/tb_kwta.v (three units with k = K, 1 and C on
the same scores). Run by tests/test_hdl_modules.py through htmhw.hw.hdl.run_cocotb_testbench,
which passes the wrapper's parameters as JSON in HTMHW_TB_PARAMETERS and the seed in
HTMHW_TB_SEED.

The scoreboard is written from docs/datapath.md step 4 (global): a column is eligible
when s >= theta * 2^B_b (STIMULUS_SCORE); the k eligible columns with the largest s win,
the lower column index among equal s; fewer than k eligible: every eligible column
wins. The module interface (hdl_ref/README.md, phase 2 of "Phases and cycles", and the
sp_kwta header) adds: T is the k-th largest score over all columns, G = #(s > T), and
the search takes (S + 1) * W cycles (W = ceil(C / LANES)), done high in the last.
"""
import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

P = json.loads(os.environ["HTMHW_TB_PARAMETERS"])
SEED = int(os.environ.get("HTMHW_TB_SEED", "1"))
C, S, K, LANES = P["NUM_COLUMNS"], P["SCORE_BITS"], P["K"], P["LANES"]
STIM = P["STIMULUS_SCORE"]
SMAX = (1 << S) - 1
UNIT_K = (K, 1, C)  # tb_kwta's units
WORDS = -(-C // LANES)
CYCLES = (S + 1) * WORDS
COUNT_BITS = C.bit_length()  # $clog2(C + 1)


# ---- the scoreboard: an independent model of the contract --------------------------
def contract_winners(scores, k):
    """docs/datapath.md step 4, global kWTA: the k eligible columns with the largest
    score, the lower index first among equal scores; fewer than k eligible: all of them."""
    eligible = [c for c in range(C) if scores[c] >= STIM]
    ranked = sorted(eligible, key=lambda c: (-scores[c], c))
    return sorted(ranked[:k])


def kth_largest(scores, k):
    """T of the search: the k-th largest score over all columns (eligible or not), and
    G = #columns with s > T."""
    t = sorted(scores[:C], reverse=True)[k - 1]
    return t, sum(1 for s in scores[:C] if s > t)


# ---- stimulus ------------------------------------------------------------------------
def random_scores(rng, slots, kind):
    """C column scores of one of several shapes (ties, eligibility boundary, few
    eligible), then arbitrary padding up to `slots` (which the modules must ignore)."""
    if kind == "uniform":
        cols = [rng.randint(0, SMAX) for _ in range(C)]
    elif kind == "few_values":  # many ties, often at the cut
        values = [rng.randint(0, SMAX) for _ in range(rng.randint(1, 3))]
        cols = [rng.choice(values) for _ in range(C)]
    elif kind == "near_stimulus":  # the eligibility boundary
        cols = [min(SMAX, max(0, STIM + rng.randint(-2, 1))) for _ in range(C)]
    elif kind == "few_eligible":  # often fewer than k eligible
        cols = [rng.randint(STIM, SMAX) if rng.random() < 0.15 else rng.randint(0, max(0, STIM - 1))
                for _ in range(C)]
    else:
        raise ValueError(kind)
    pad = [rng.choice((0, SMAX, rng.randint(0, SMAX))) for _ in range(slots - C)]
    return cols + pad


def directed_cases(slots):
    """(name, scores): the contract's corners. Padding is the largest score (a lane past
    the last column that were counted would move T and G)."""
    pad = [SMAX] * (slots - C)
    below = max(0, STIM - 1)
    cases = [
        ("all equal, largest score", [SMAX] * C),
        ("all equal at the stimulus score", [min(STIM, SMAX)] * C),
        ("all zero", [0] * C),
        ("ascending", [i * SMAX // max(1, C - 1) for i in range(C)]),
        ("descending", [SMAX - i * SMAX // max(1, C - 1) for i in range(C)]),
        ("one eligible, last column", [below] * (C - 1) + [SMAX]),
        # Ties straddling the cut: k - 1 clear winners, then equal scores.
        ("tie at the cut", [SMAX] * (K - 1) + [max(STIM, SMAX // 2)] * (C - K + 1)),
        # Exactly k eligible, and k - 1 eligible (the rest just below the stimulus score).
        ("exactly k eligible", [below] * (C - K) + [STIM] * K),
        ("k - 1 eligible", [STIM] * (K - 1) + [below] * (C - K + 1)),
    ]
    if STIM > 0:
        cases.append(("zero eligible", [STIM - 1] * C))
        cases.append(("all equal just below the stimulus score", [STIM - 1] * C))
    return [(name, [min(SMAX, max(0, s)) for s in cols] + pad) for name, cols in cases]


# ---- driving the wrapper -------------------------------------------------------------
class Board:
    def __init__(self):
        self.checks = 0
        self.failures = []

    def check(self, what, expected, got):
        self.checks += 1
        if expected != got:
            self.failures.append(f"MISMATCH {what}: expected {expected}, got {got}")
            if len(self.failures) <= 20:
                print(self.failures[-1], flush=True)


def pack(values, bits):
    return sum(v << (i * bits) for i, v in enumerate(values))


def field(word, index, bits):
    return (word >> (index * bits)) & ((1 << bits) - 1)


async def search(dut, board, name, scores):
    """One search and marking: drive the scores, pulse start, follow busy and done cycle
    by cycle, then compare every unit's T, G and winners with the scoreboard."""
    dut.all_scores.value = pack(scores, S)
    await FallingEdge(dut.clk)
    dut.start.value = 1
    await FallingEdge(dut.clk)  # the rising edge in between took start: this is cycle 1
    dut.start.value = 0
    done_cycles = []
    for cycle in range(1, CYCLES + 3):
        busy, done = dut.busy.value.to_unsigned(), dut.done.value.to_unsigned()
        for u in range(3):
            if done >> u & 1:
                done_cycles.append((u, cycle))
        # busy in cycles 1 .. (S+1)W, idle afterwards
        board.check(f"{name}: busy in cycle {cycle}", 0b111 if cycle <= CYCLES else 0, busy)
        if cycle > CYCLES:
            break
        await FallingEdge(dut.clk)
    board.check(f"{name}: done (unit, cycle)", [(u, CYCLES) for u in range(3)], sorted(done_cycles))
    winners = dut.winners.value.to_unsigned()
    threshold = dut.threshold.value.to_unsigned()
    greater = dut.greater.value.to_unsigned()
    for u, k in enumerate(UNIT_K):
        t, g = kth_largest(scores, k)
        board.check(f"{name}: k={k} threshold T", t, field(threshold, u, S))
        board.check(f"{name}: k={k} greater G", g, field(greater, u, COUNT_BITS))
        got = [c for c in range(C) if winners >> (u * C + c) & 1]
        board.check(f"{name}: k={k} winners", contract_winners(scores, k), got)


@cocotb.test()
async def kwta_matches_contract(dut):
    rng = random.Random(SEED)
    slots = len(dut.all_scores) // S
    assert slots >= C and len(dut.all_scores) == slots * S
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    dut.start.value = 0
    dut.all_scores.value = 0
    await FallingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    board = Board()
    cases = directed_cases(slots)
    kinds = ("uniform", "few_values", "near_stimulus", "few_eligible")
    n_random = int(os.environ.get("HTMHW_TB_TRIALS", "40"))
    cases += [(f"random {i} ({kinds[i % 4]})", random_scores(rng, slots, kinds[i % 4])) for i in range(n_random)]
    for name, scores in cases:
        await search(dut, board, name, scores)
    print(f"kwta scoreboard: {len(cases)} searches, {board.checks} checks, {len(board.failures)} mismatches",
          flush=True)
    assert not board.failures, board.failures[0]
