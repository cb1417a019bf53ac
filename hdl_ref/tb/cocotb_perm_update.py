"""cocotb 2.x testbench of sp_perm_update (the toplevel itself; combinational). Run by
tests/test_hdl_modules.py through htmhw.hw.hdl.run_cocotb_testbench, which passes the
module's parameters as JSON in HTMHW_TB_PARAMETERS and the seed in HTMHW_TB_SEED.

The scoreboard is written from docs/datapath.md, steps 5 and 7, with M = 2^P - 1 and
every sum and difference SAT to [0, M]:
  adapt (step 5, winners): x_i = 1: min(p + inc_q, M); x_i = 0: max(p - dec_q, 0)
  raise to threshold (step 5): min(p + bump_q, M)
  trim (step 5): p < trim_q -> 0, else p
  weak-column bump (step 7): min(p + bump_q, M), then trimmed as above
  connected bit: result >= conn_q.
The mode encoding (0 adapt, 1 raise, 2 trim, 3 weak) is the module's port interface
(its header). Inputs: every (mode, p, x) when P <= 8 (exhaustive), else the directed
boundaries below plus seeded random permanences.
"""
import json
import os
import random

import cocotb
from cocotb.triggers import Timer

P = json.loads(os.environ["HTMHW_TB_PARAMETERS"])
SEED = int(os.environ.get("HTMHW_TB_SEED", "1"))
BITS = P["PERM_BITS"]
M = (1 << BITS) - 1
CONN, INC, DEC, BUMP, TRIM = P["CONN_Q"], P["INC_Q"], P["DEC_Q"], P["BUMP_Q"], P["TRIM_Q"]
ADAPT, RAISE, TRIM_MODE, WEAK = 0, 1, 2, 3
MODE_NAMES = {ADAPT: "adapt", RAISE: "raise", TRIM_MODE: "trim", WEAK: "weak"}


# ---- the scoreboard: an independent model of the contract --------------------------
def trim(p):
    return 0 if p < TRIM else p


def contract(mode, p, x):
    """(new permanence, connected bit) of docs/datapath.md steps 5 and 7."""
    if mode == ADAPT:
        q = min(p + INC, M) if x else max(p - DEC, 0)
    elif mode == RAISE:
        q = min(p + BUMP, M)
    elif mode == TRIM_MODE:
        q = trim(p)
    else:
        q = trim(min(p + BUMP, M))
    return q, int(q >= CONN)


def boundary_permanences():
    """Where a SAT or a comparison changes its answer: 0 and M, either side of
    M - inc_q, M - bump_q, dec_q, trim_q (p == trim_q - 1 and p == trim_q), trim_q - bump_q
    (the weak bump landing on the trim boundary) and conn_q."""
    points = {0, 1, M - 1, M}
    for v in (M - INC, M - BUMP, DEC, TRIM, TRIM - BUMP, CONN, CONN - INC, CONN + DEC, CONN - BUMP):
        points.update((v - 1, v, v + 1))
    return sorted(p for p in points if 0 <= p <= M)


@cocotb.test()
async def perm_update_matches_contract(dut):
    rng = random.Random(SEED)
    if BITS <= 8:
        perms = list(range(M + 1))
    else:
        perms = boundary_permanences() + [rng.randint(0, M) for _ in range(int(os.environ.get("HTMHW_TB_TRIALS",
                                                                                               "400")))]
    checks, failures = 0, []
    for p in perms:
        for mode in (ADAPT, RAISE, TRIM_MODE, WEAK):
            # The input bit only matters in adapt mode, and must not matter elsewhere.
            for x in (0, 1):
                dut.mode.value = mode
                dut.perm_in.value = p
                dut.input_bit.value = x
                await Timer(1, "ns")
                got = (dut.perm_out.value.to_unsigned(), int(dut.connected.value))
                want = contract(mode, p, x)
                checks += 1
                if got != want:
                    failures.append(f"MISMATCH {MODE_NAMES[mode]} p={p} x={x}: expected (perm, connected) {want}, "
                                    f"got {got}")
                    if len(failures) <= 20:
                        print(failures[-1], flush=True)
    # The boundaries the contract names must be among the inputs (so a passing run means
    # they were checked): SAT at 0 and M, and p == trim_q - 1, p == trim_q.
    for p in (0, M, TRIM - 1, TRIM):
        assert not 0 <= p <= M or p in perms, p
    print(f"perm_update scoreboard: {checks} checks, {len(failures)} mismatches "
          f"(P={BITS} conn={CONN} inc={INC} dec={DEC} bump={BUMP} trim={TRIM})", flush=True)
    assert not failures, failures[0]
