"""hdl_ref/rtl/sp_accel.v, the receptive-field accelerator, against golden vectors.

Every test runs a real simulator (Icarus, Verilator, cocotb on Icarus); a missing tool
fails the test. Each verification must compare exactly the words the golden directory
promises, with zero mismatches and per-step cycle counts equal to the cycle model's.
"""
import json

import numpy as np
import pytest

import htmhw._core as core
from htmhw.cli import main as cli_main
from htmhw.hw import hdl
from rtl_mutation import mutated_copy
from htmhw.hw.golden import load

pytestmark = pytest.mark.hdl

# Small geometries that exercise what the window wiring depends on: 2-D windows cut at the
# input's edges (no wrap-around), 2-D windows wrapping around them with a partial last
# column group (20 columns, 8 lanes), and a 3-D column grid over padded 2-D inputs.
# Strong boosting and a high minPctOverlapDutyCycle make raise rounds and weak bumps fire.
_BASE = dict(global_inhibition=True, stimulus_threshold=1, syn_perm_inactive_dec=0.05, syn_perm_active_inc=0.1,
             syn_perm_connected=0.2, min_pct_overlap_duty_cycle=0.5, duty_cycle_period=64, boost_strength=5.0, seed=3)
GEOMETRIES = {
    "nowrap-2d": dict(_BASE, input_dimensions=[10, 10], column_dimensions=[6, 6], potential_radius=2,
                      potential_pct=0.5, wrap_around=False, local_area_density=0.1),
    "wrap-2d": dict(_BASE, input_dimensions=[9, 8], column_dimensions=[5, 4], potential_radius=3,
                    potential_pct=0.3, wrap_around=True, local_area_density=0.15),
    "grid-3d": dict(_BASE, input_dimensions=[6, 6], column_dimensions=[3, 3, 2], potential_radius=1,
                    potential_pct=0.8, wrap_around=False, local_area_density=0.2),
}
EDGE = ["--config", "tiny-stress", "--sp", "stimulus_threshold=2", "--hw", "overlap_bits=2",
        "--active-fraction", "0.4", "--seed", "1"]


@pytest.fixture(scope="session")
def accel_golden(tmp_path_factory, mnist_dir):
    root = tmp_path_factory.mktemp("accel-golden")
    made = {}

    def get(name, steps=120, extra=()):
        key = (name, steps, tuple(extra))
        if key not in made:
            out = root / f"{name}-{steps}-{len(made)}"
            if name in GEOMETRIES:
                cfg = root / f"{name}.json"
                cfg.write_text(json.dumps({"sp": GEOMETRIES[name], "hw": {}}))
                args = ["--config", str(cfg), "--active-fraction", "0.3", "--seed", "2"]
            elif name == "edge":
                args = list(EDGE)
            else:
                args = ["--config", name, "--source", "mnist", "--mnist-dir", str(mnist_dir)]
            assert cli_main(["golden", "export", str(out), *args, "--steps", str(steps), *extra, "--quiet"]) == 0
            made[key] = out
        return made[key]

    return get


def expected_words(golden_dir) -> int:
    m, g = load(golden_dir)
    s = m["sizes"]
    n, c, nl = s["num_steps"], s["num_columns"], s["num_learn_steps"]
    return n * (2 * c + 1) + s["num_written_words"] + nl * (3 * c + 1) + s["num_synapses"] + 3 * c + 1


def assert_clean(verdict, sim, golden_dir, cycles=True):
    r = verdict["simulators"][sim]
    assert r["failed"] == 0, r.get("first_mismatches")
    assert r["passed"] == expected_words(golden_dir)
    assert verdict["ok"] is True and verdict["problems"] == []
    if cycles:
        assert r["cycles_match_model"] is True


def _centre_index(c, ind, cold):
    coords = np.unravel_index(c, cold)
    index = 0
    for i_d, n_d, x in zip(ind, cold, coords):
        index = index * i_d + min(i_d - 1, (i_d * (2 * int(x) + 1)) // (2 * n_d))
    return index


@pytest.mark.parametrize("name", ["nowrap-2d", "wrap-2d", "grid-3d", "mnist-256", "tiny", "mnist"])
def test_window_is_the_pool_candidates(name):
    """Each column's window (what sp_accel wires) holds exactly the candidates of its
    potential pool, computed by the C++ model's neighbourhood, each once."""
    from htmhw.configs import named_config

    sp = GEOMETRIES[name] if name in GEOMETRIES else named_config(name)
    sp = {"wrap_around": True, **sp}
    ind, cold = hdl.padded_dimensions(sp)
    table = hdl.window_table(sp)
    radius = min(sp["potential_radius"], int(np.prod(ind)))
    step = max(1, table.shape[0] // 200)
    for c in range(0, table.shape[0], step):
        cands = core.neighborhood(_centre_index(c, ind, cold), radius, list(ind), bool(sp["wrap_around"]))
        row = table[c][table[c] >= 0]
        assert len(row) == len(set(row.tolist()))
        assert sorted(row.tolist()) == sorted(cands.tolist()), c


def test_window_positions_of_real_pools(accel_golden):
    m, g = load(accel_golden("nowrap-2d", 2))
    pos = hdl.window_positions(m, g["pool_input"], g["pool_offset"])
    table = hdl.window_table(m["sp_params"])
    cols = np.repeat(np.arange(len(g["pool_offset"]) - 1), np.diff(g["pool_offset"]))
    assert np.array_equal(table[cols, pos], g["pool_input"])
    bad = g["pool_input"].copy()
    bad[0] = next(i for i in range(m["sizes"]["num_inputs"]) if i not in set(table[0].tolist()))
    with pytest.raises(ValueError, match="not in the column's window"):
        hdl.window_positions(m, bad, g["pool_offset"])


# (column lanes, permanence lanes): one column per permanence pass, several (each pass
# rereads the word the previous one wrote: sp_ram's BYPASS), and a partial last
# permanence group (wrap-2d: 20 columns in groups of 8).
@pytest.mark.parametrize("name,lanes", [("edge", (1, 1)), ("edge", (4, 2)), ("nowrap-2d", (2, 4)), ("wrap-2d", (8, 1)),
                                        ("wrap-2d", (4, 8)), ("grid-3d", (2, 1))])
def test_accel_icarus_bit_exact(accel_golden, name, lanes):
    g = accel_golden(name, 130 if name == "edge" else 120)
    v = hdl.verify(g, simulators=("icarus",), top="sp_accel", column_lanes=lanes[0], perm_lanes=lanes[1])
    assert_clean(v, "icarus", g)


# One MNIST-sized run (its Verilator build takes minutes on two cores): 16 column lanes and
# 8 permanence lanes, every step learning (weak columns every step, so most permanence
# groups take passes). (32, 1) and (16, 1) were verified the same way over 300 steps when
# sp_accel was written (docs/hardware.md).
def test_accel_verilator_mnist256(accel_golden):
    g = accel_golden("mnist-256", 150)
    v = hdl.verify(g, simulators=("verilator",), top="sp_accel", column_lanes=16, perm_lanes=8)
    assert_clean(v, "verilator", g)


def test_accel_cocotb(accel_golden):
    g = accel_golden("wrap-2d", 40, ["--learn", "every:2"])
    v = hdl.verify(g, simulators=("cocotb",), top="sp_accel", column_lanes=4)
    assert_clean(v, "cocotb", g, cycles=False)


def test_accel_cycle_model_counts(accel_golden):
    """sp_accel's cycle formulas (hdl_ref/README.md, "sp_accel"), checked on their own:
    inference 2B + S + 3 and learning 2B + S + 5 + the permanence passes, for B column
    groups and S score bits; the rebuild adds B_p + 1 cycles to the first step."""
    m, g = load(accel_golden("edge", 30))
    score_bits = m["constants"]["overlap_bits"] + m["hw"]["boost_int_bits"] + m["hw"]["boosted_frac_bits"]
    x = g["input"].astype(np.uint8)
    groups = 4   # 8 columns, 2 lanes
    infer = hdl.model_cycles(hdl.pooler_from_manifest(m), x, learn=False, top="sp_accel", column_lanes=2)
    assert np.all(infer["total"] == 2 * groups + score_bits + 3)
    learn = hdl.model_cycles(hdl.pooler_from_manifest(m), x, learn=True, top="sp_accel", column_lanes=2,
                             rebuild_first=True)
    assert learn["overlap"][0] == 1 + groups + 8 + 1 and np.all(learn["overlap"][1:] == 1 + groups)
    rest = learn["total"] - learn["permanence"]
    assert np.all(rest[1:] == 2 * groups + score_bits + 4)   # + S_PSEL in the permanence phase: 2B + S + 5
    assert np.all(learn["permanence"] >= 1) and learn["permanence"].sum() > len(x) * 3
    # Permanence lanes: a group's columns take their passes together, so a step never takes
    # more permanence cycles than with one column per pass, and the rebuild one per group.
    grouped = hdl.model_cycles(hdl.pooler_from_manifest(m), x, learn=True, top="sp_accel", column_lanes=2,
                               perm_lanes=4, rebuild_first=True)
    assert grouped["overlap"][0] == 1 + groups + 8 // 4 + 1
    assert np.all(grouped["permanence"] <= learn["permanence"])
    assert grouped["permanence"].sum() < learn["permanence"].sum()
    assert np.array_equal(grouped["total"] - grouped["permanence"] - grouped["overlap"],
                          learn["total"] - learn["permanence"] - learn["overlap"])
    sp = hdl.pooler_from_manifest(m)
    with pytest.raises(ValueError, match="column lanes and permanence lanes only"):
        hdl.model_cycles(sp, x, top="sp_accel", synapse_lanes=4)
    with pytest.raises(ValueError, match="power of two"):
        hdl.model_cycles(sp, x, top="sp_accel", column_lanes=3)
    with pytest.raises(ValueError, match="top must be one of"):
        hdl.model_cycles(sp, x, top="sp_fast")


# (file edits, vectors, lanes, the field that mismatches first). Each runs on Icarus.
ACCEL_MUTATIONS = {
    # A window cut one position early at the input's edge (no wrap-around).
    "window_edge": ([("(C0 > HI0 || C1 > HI1 || C2 > HI2)", "(C0 > HI0 || C1 >= HI1 || C2 > HI2)")],
                    "nowrap-2d", 2, "overlap"),
    # Wrap-around that clamps a coordinate left of the input to 0 instead of wrapping it.
    "window_wrap_negative": ([("((V0 % IN_DIM0) + IN_DIM0) % IN_DIM0", "(V0 < 0 ? 0 : V0 % IN_DIM0)")],
                             "edge", 2, "overlap"),
    # No rebuild of the window bits after the host loaded the pools.
    "no_rebuild": ([("state_d = stale ? S_REBUILD : S_OVL;", "state_d = S_OVL;")], "edge", 1, "overlap"),
    # A pass's window bits, written one cycle later, go to the group of that later cycle.
    "window_write_group": ([("if (window_lag && window_col == g / NP)", "if (window_lag && col == g / NP)")],
                           "edge", 1, "overlap"),
    # The duty phase's second stage writes the active duties to the group being marked now,
    # not to the group it updated.
    "active_duty_write_group": ([(".waddr(busy ? lag_col[GROUP_BITS-1:0]", ".waddr(busy ? col[GROUP_BITS-1:0]")],
                                "edge", 2, "active_duty"),
    # The window bits are written by the rebuild only, not after permanence passes.
    "window_not_updated": ([("wire                      window_we = (state == S_REBUILD) || (state == S_PASS);",
                             "wire                      window_we = (state == S_REBUILD);")], "edge", 2, "overlap"),
    # The raise decision counts the permanences read before the pass, not its result.
    "raise_counts_old": ([("window_perms = (state == S_PASS) ? perm_next : perm_rdata;",
                           "window_perms = perm_rdata;")], "edge", 2, "written_perm"),
    # The permanence pass reads the input of window position 0 for every slot.
    "slot_input_position": ([(".input_bit(x_col[pos])", ".input_bit(x_col[0])")], "wrap-2d", 4, "written_perm"),
    # A permanence lane takes its weak bump when lane 0's column is weak, not its own.
    "perm_lane_weak_flag": ([("on_after[jj] = weak_all[col*NP + jj];", "on_after[jj] = weak_all[col*NP];")],
                            "edge", (2, 4), "written_perm"),
    # The kWTA sees the last group's scores of the previous step (never staged).
    "last_group_not_staged": ([("if (state == S_BOOST && col == g) scores <= score;",
                                "if (state == S_BOOST && col == g && g != GROUPS - 1) scores <= score;")],
                              "nowrap-2d", 4, "winners"),
}


@pytest.mark.parametrize("mutation", sorted(ACCEL_MUTATIONS))
def test_accel_mutant_fails(accel_golden, tmp_path, mutation):
    edits, vectors, lanes, field = ACCEL_MUTATIONS[mutation]
    rtl = mutated_copy(tmp_path, "sp_accel.v", edits)
    g = accel_golden(vectors, 60)
    col, perm = lanes if isinstance(lanes, tuple) else (lanes, 1)
    v = hdl.verify(g, simulators=("icarus",), rtl_dir=rtl, top="sp_accel", column_lanes=col, perm_lanes=perm)
    r = v["simulators"]["icarus"]
    assert v["ok"] is False and r["failed"] > 0
    assert r["mismatched_fields"][0] == field, r["mismatched_fields"]


def test_accel_parameter_errors(accel_golden):
    m, _ = load(accel_golden("edge", 2))
    with pytest.raises(ValueError, match="column lanes and permanence lanes only"):
        hdl.top_parameters(m, "sp_accel", synapse_lanes=2)
    with pytest.raises(ValueError, match="perm_lanes must be a power of two"):
        hdl.top_parameters(m, "sp_accel", perm_lanes=3)
    with pytest.raises(ValueError, match="perm_lanes is sp_accel's"):
        hdl.top_parameters(m, "sp_top", perm_lanes=2)
    with pytest.raises(ValueError, match="at least 2 column groups"):
        hdl.top_parameters(m, "sp_accel", column_lanes=8)
    with pytest.raises(ValueError, match="top must be one of"):
        hdl.top_parameters(m, "sp_other")
    p = hdl.top_parameters(m, "sp_accel", column_lanes=2)
    assert (p["IN_DIM0"], p["IN_DIM1"], p["IN_DIM2"]) == (16, 1, 1) and p["COLUMN_LANES"] == 2
    assert "SYN_LANES" not in p and "KWTA_LANES" not in p
