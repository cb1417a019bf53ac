"""cocotb 2.x test of sp_top (Icarus): streams a golden directory's vectors from its
golden.npz and manifest (docs/golden.md) through the host port and the start/done
handshake, and compares every expected word. Run through `htmhw hdl verify DIR
--simulator cocotb` (htmhw.hw._cocotb_run builds sp_top with the directory's parameters)."""
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge, Timer

from htmhw.hw.golden import load
from htmhw.hw.hostmap import SELECTORS  # the one table (hdl_ref/rtl/sp_host_map.vh is generated from it)

H_PERM, H_POOL_INPUT, H_POOL_SIZE, H_OVERLAP_DUTY, H_ACTIVE_DUTY, H_MIN_DUTY, H_BOOST, H_LUT = (
    SELECTORS[n] for n in ("PERM", "POOL_INPUT", "POOL_SIZE", "OVERLAP_DUTY", "ACTIVE_DUTY", "MIN_DUTY", "BOOST",
                           "LUT"))
H_ITERATION, H_PERIOD_PHASE, H_OVERLAP, H_BOOSTED = (
    SELECTORS[n] for n in ("ITERATION", "PERIOD_PHASE", "OVERLAP", "BOOSTED"))
H_RADIUS, H_QUOTA, H_LOCAL_MIN = (SELECTORS[n] for n in ("RADIUS", "QUOTA", "LOCAL_MIN"))  # local inhibition


class Checker:
    """Counts compared and mismatched words per field and prints the report lines
    htmhw.hw.hdl parses (the same as tb_sp.v's)."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.fields = {}  # name -> [compared, mismatched, first mismatching step]

    def __call__(self, field, step, index, expected, got):
        counts = self.fields.setdefault(field, [0, 0, -1])
        counts[0] += 1
        if int(expected) == int(got):
            self.passed += 1
            return
        self.failed += 1
        counts[1] += 1
        if counts[2] < 0:
            counts[2] = step
        if self.failed <= 20:
            print(f"MISMATCH {field} step {step} index {index}: expected {int(expected):x}, got {int(got):x}",
                  flush=True)

    def report(self):
        for name, (compared, mismatched, first) in self.fields.items():
            print(f"field {name}: {compared} compared, {mismatched} mismatched, first step {first}", flush=True)
        print(f"{self.passed} passed, {self.failed} failed", flush=True)


async def host_write(dut, sel, addr, data):
    await FallingEdge(dut.clk)
    dut.host_we.value = 1
    dut.host_sel.value = sel
    dut.host_addr.value = int(addr)
    dut.host_wdata.value = int(data)
    await FallingEdge(dut.clk)
    dut.host_we.value = 0


async def host_read(dut, sel, addr):
    # The memories read synchronously: the data is there after the next rising edge.
    await FallingEdge(dut.clk)
    dut.host_sel.value = sel
    dut.host_addr.value = int(addr)
    await RisingEdge(dut.clk)
    await Timer(1, "ns")
    return dut.host_rdata.value.to_unsigned()


def mask_to_int(bits):
    return sum(1 << i for i, b in enumerate(bits) if b)


@cocotb.test()
async def golden_vectors(dut):
    manifest, g = load(os.environ["HTMHW_GOLDEN_DIR"])
    sizes = manifest["sizes"]
    n_cols, n_steps = sizes["num_columns"], sizes["num_steps"]
    check = Checker()
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    dut.start.value = 0
    dut.learn.value = 0
    dut.in_vec.value = 0
    dut.host_we.value = 0
    await FallingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0

    # Per-synapse host address: (column << SLOT_BITS) | slot (sp_top's host port).
    offsets = [int(v) for v in g["pool_offset"]]
    pool_max = max(1, max(b - a for a, b in zip(offsets, offsets[1:])))  # sp_top's POOL_MAX
    slot_bits = max(1, (pool_max - 1).bit_length())
    column_of = [c for c in range(n_cols) for _ in range(offsets[c], offsets[c + 1])]

    def slot_addr(z):
        c = column_of[z]
        return (c << slot_bits) | (z - offsets[c])

    for c in range(n_cols):
        await host_write(dut, H_POOL_SIZE, c, offsets[c + 1] - offsets[c])
    pool_words = g["pool_input"]
    if os.environ.get("HTMHW_TOP") == "sp_accel":
        # sp_accel's selector 1 takes the window position of each synapse's input.
        from htmhw.hw.hdl import window_positions
        pool_words = window_positions(manifest, g["pool_input"], g["pool_offset"])
    for z, (p, i) in enumerate(zip(g["init_perm"], pool_words)):
        await host_write(dut, H_PERM, slot_addr(z), p)
        await host_write(dut, H_POOL_INPUT, slot_addr(z), i)
    for c in range(n_cols):
        await host_write(dut, H_OVERLAP_DUTY, c, g["init_overlap_duty"][c])
        await host_write(dut, H_ACTIVE_DUTY, c, g["init_active_duty"][c])
        await host_write(dut, H_BOOST, c, g["init_boost"][c])
    for j, v in enumerate(g["boost_lut"]):
        await host_write(dut, H_LUT, j, v)
    for c, v in enumerate(g["init_min_overlap_duty"]):
        await host_write(dut, H_MIN_DUTY, c, v)
    local = not manifest["sp_params"]["global_inhibition"]
    if local:
        await host_write(dut, H_RADIUS, 0, g["init_inhibition_radius"][0])
        for c in range(n_cols):
            await host_write(dut, H_QUOTA, c, g["init_quota"][c])
    it0 = sizes["initial_iteration"]
    await host_write(dut, H_ITERATION, 0, it0)
    await host_write(dut, H_PERIOD_PHASE, 0, it0 % manifest["constants"]["update_period"])

    learn_index = 0
    for s in range(n_steps):
        await FallingEdge(dut.clk)
        dut.in_vec.value = mask_to_int(g["input"][s])
        dut.learn.value = int(g["learn"][s])
        dut.start.value = 1
        await FallingEdge(dut.clk)
        dut.start.value = 0
        await RisingEdge(dut.done)
        await FallingEdge(dut.clk)
        await FallingEdge(dut.clk)
        if local and g["learn"][s] and (it0 + s + 1) % manifest["constants"]["update_period"] == 0:
            # Update point: the host writes the new radius and quotas and runs the minimum-duty pass.
            await host_write(dut, H_RADIUS, 0, g["inhibition_radius"][learn_index])
            for c in range(n_cols):
                await host_write(dut, H_QUOTA, c, g["quota"][learn_index, c])
            await host_write(dut, H_LOCAL_MIN, 0, 0)
            await RisingEdge(dut.done)
            await FallingEdge(dut.clk)
            await FallingEdge(dut.clk)
        for c in range(n_cols):
            check("overlap", s, c, g["overlap"][s, c], await host_read(dut, H_OVERLAP, c))
            check("boosted", s, c, g["boosted"][s, c], await host_read(dut, H_BOOSTED, c))
        check("winners", s, 0, mask_to_int(g["winners"][s]), dut.winners.value.to_unsigned())
        if g["learn"][s]:
            lo, hi = g["written_offset"][learn_index], g["written_offset"][learn_index + 1]
            perm_lo, perm_hi = g["written_perm_offset"][learn_index], g["written_perm_offset"][learn_index + 1]
            words = iter(g["written_perm"][perm_lo:perm_hi])
            for col in g["written_column"][lo:hi]:
                for z in range(offsets[col], offsets[col + 1]):
                    check("written_perm", s, z, next(words), await host_read(dut, H_PERM, slot_addr(z)))
            for c in range(n_cols):
                check("overlap_duty", s, c, g["overlap_duty"][learn_index, c], await host_read(dut, H_OVERLAP_DUTY, c))
                check("active_duty", s, c, g["active_duty"][learn_index, c], await host_read(dut, H_ACTIVE_DUTY, c))
                check("boost", s, c, g["boost"][learn_index, c], await host_read(dut, H_BOOST, c))
            for c, v in enumerate(g["min_overlap_duty"][learn_index]):
                check("min_overlap_duty", s, c, v, await host_read(dut, H_MIN_DUTY, c))
            learn_index += 1
    for z, p in enumerate(g["final_perm"]):
        check("final_perm", n_steps, z, p, await host_read(dut, H_PERM, slot_addr(z)))
    for c in range(n_cols):
        check("final_overlap_duty", n_steps, c, g["final_overlap_duty"][c], await host_read(dut, H_OVERLAP_DUTY, c))
        check("final_active_duty", n_steps, c, g["final_active_duty"][c], await host_read(dut, H_ACTIVE_DUTY, c))
        check("final_boost", n_steps, c, g["final_boost"][c], await host_read(dut, H_BOOST, c))
    for c, v in enumerate(g["final_min_overlap_duty"]):
        check("final_min_overlap_duty", n_steps, c, v, await host_read(dut, H_MIN_DUTY, c))
    check.report()
    assert check.failed == 0, f"{check.failed} mismatches"
