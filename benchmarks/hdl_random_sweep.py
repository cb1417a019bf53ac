"""Randomized configuration sweep of hdl_ref/ against golden vectors (issue 21).

Each seed draws one configuration and verifies it: it exports golden vectors and runs
``htmhw.hw.hdl.verify`` on them, which passes only when every simulator compared every
word the directory promises, all bit-exact, and the cycles of every step equal the C++
cycle model's. A seed draws

- the design: ``sp_top`` (the small design, lanes) or ``sp_accel`` (the receptive-field
  accelerator, global inhibition only);
- the inhibition: global, or local (sp_top only; its neighbourhood passes need
  COLUMN_LANES = KWTA_LANES = 1);
- the geometry: a 1-D, 2-D or 3-D column grid (C <= 48) over 1-D or 2-D inputs
  (I <= 100), a potential radius that is mostly small (windows and pools cut at the
  input's edges without wrap-around) and sometimes covers whole dimensions, wrap-around on
  or off;
- the pooler parameters (potential pools, permanence and duty parameters, density or
  winners per inhibition area, stimulus threshold), every HardwareConfig width, boosting on
  or off, boosting in inference, a learn schedule (some learn at iteration 50, 100, 150:
  the update points where local inhibition's radius and quotas are rewritten) and the
  input density;
- the lane setting: sp_top global: SYN_LANES, COLUMN_LANES (a power of two, >= 2 column
  groups) and KWTA_LANES; sp_top local: SYN_LANES only; sp_accel: COLUMN_LANES only;
- the simulators of the long sweep (Icarus, Verilator or both), used unless
  ``--simulator`` is given.

The design, inhibition and geometry ranks come from a generator of their own
(``seed`` and a salt): when they draw the original family (sp_top, global inhibition,
1-D inputs and columns), everything else is drawn exactly as before this sweep had
families, so such a seed names the same configuration as before; the other seeds name new
ones. Draws that the pooler refuses (a stimulus threshold above a pool, a density without
winners: docs/datapath.md, "No configuration without winners") are redrawn from the same
seed's generator, so a seed always names one configuration.

    python benchmarks/hdl_random_sweep.py --seeds 0:40 --steps 150               # drawn simulators
    python benchmarks/hdl_random_sweep.py --seeds 7 --steps 150 --simulator icarus --keep out/sweep
    python benchmarks/hdl_random_sweep.py --seeds 0:40 --describe                # configurations only

tests/test_hdl.py (``test_random_config_bit_exact``) runs a fixed subset of seeds at 60
steps on Icarus in CI.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# Salt of the family generator: keeps its stream apart from the configuration's
# (np.random.default_rng(seed)), which the original family draws exactly as before.
_FAMILY_SALT = 21
# The simulator draw of the long sweep: Icarus alone is the cheap default; Verilator
# (a C++ build per configuration) on about a third of the seeds.
_SIMULATOR_DRAWS = (("icarus",), ("verilator",), ("icarus", "verilator"))
_SIMULATOR_P = (0.65, 0.15, 0.2)


def draw_family(seed: int) -> dict:
    """The design, inhibition, geometry ranks and simulators of ``seed`` (its own generator)."""
    rng = np.random.default_rng([seed, _FAMILY_SALT])
    design = str(rng.choice(["sp_top", "sp_accel"], p=[0.6, 0.4]))
    local = design == "sp_top" and bool(rng.integers(0, 2))
    column_rank = int(rng.integers(1, 4))
    input_rank = int(rng.integers(1, 3))
    sims = _SIMULATOR_DRAWS[int(rng.choice(len(_SIMULATOR_DRAWS), p=_SIMULATOR_P))]
    return {"design": design, "global_inhibition": not local, "column_rank": column_rank,
            "input_rank": input_rank, "simulators": sims}


def random_config(seed: int) -> dict:
    """{"design", "sp": {...}, "hw": {...}, "lanes": (synapse, column, kwta), "learn":
    schedule, "active_fraction": f, "simulators", "family"} for ``seed``; construction-checked
    (a fresh fixed-point pooler accepts it). ``lanes`` is what ``run`` passes to
    ``hdl.verify``: sp_accel's synapse lanes are 1 and its kWTA lanes None."""
    if seed < 0:
        raise ValueError(f"seeds are non-negative integers; got {seed}")
    family = draw_family(seed)
    rng = np.random.default_rng(seed)
    original = (family["design"] == "sp_top" and family["global_inhibition"]
                and family["column_rank"] == 1 and family["input_rank"] == 1)
    cfg = _original_config(rng) if original else _family_config(rng, family)
    return {"design": family["design"], **cfg, "simulators": family["simulators"],
            "family": "original" if original else "new"}


def _original_config(rng) -> dict:
    """The draws of the sweep before it had families (1-D, global, sp_top), unchanged, in
    the same order: a seed of this family names the configuration it named then."""
    from htmhw import HardwareConfig, SpatialPooler

    while True:
        n_in = int(rng.integers(8, 65))
        n_col = int(rng.integers(4, 49))
        sp = {
            "input_dimensions": [n_in], "column_dimensions": [n_col],
            "potential_radius": int(rng.integers(2, n_in + 1)), "potential_pct": float(rng.uniform(0.3, 0.95)),
            "global_inhibition": True, "local_area_density": float(rng.uniform(1.0 / n_col, 0.45)),
            "stimulus_threshold": int(rng.integers(0, 4)),
            "syn_perm_connected": float(rng.uniform(0.1, 0.6)), "syn_perm_active_inc": float(rng.uniform(0.02, 0.2)),
            "syn_perm_inactive_dec": float(rng.uniform(0.005, 0.1)),
            "min_pct_overlap_duty_cycle": float(rng.choice([0.0, rng.uniform(0.01, 0.9)])),
            "duty_cycle_period": int(rng.integers(8, 1000)),
            "boost_strength": float(rng.choice([0.0, rng.uniform(0.5, 20.0)])),
            "boost_in_inference": bool(rng.integers(0, 2)), "wrap_around": bool(rng.integers(0, 2)),
            "seed": int(rng.integers(1, 1 << 30)),
        }
        hw = _draw_hw(rng)
        try:
            pooler = SpatialPooler(arithmetic="fixed", hw=HardwareConfig(**hw), **sp)
        except ValueError:
            continue
        pool_max = int(np.diff(pooler.permanence_memory()[1]).max())
        col = 1 << int(rng.integers(0, max(1, int(np.log2(n_col)))))   # power of two, >= 2 groups
        while -(-n_col // col) < 2:
            col //= 2
        lanes = (int(rng.integers(1, pool_max + 3)), col, col << int(rng.integers(0, 4)))
        learn = str(rng.choice(["all", "every:2", "every:3", "first:30"]))
        return {"sp": sp, "hw": hw, "lanes": lanes, "learn": learn,
                "active_fraction": float(rng.uniform(0.05, 0.5))}


def _draw_hw(rng) -> dict:
    # Draw order is the original sweep's (B_f before the others): do not reorder.
    b_f = int(rng.integers(0, 13))
    d = int(rng.integers(8, 17))
    return {"permanence_bits": int(rng.integers(3, 17)), "overlap_bits": int(rng.choice([0, rng.integers(1, 6)])),
            "boost_int_bits": int(rng.integers(1, 5)), "boost_frac_bits": b_f,
            "boosted_frac_bits": int(rng.integers(0, b_f + 1)), "duty_bits": d,
            "boost_lut_bits": int(rng.integers(3, min(12, d + 1) + 1))}


def _draw_dims(rng, rank: int, per_dim: tuple, total: tuple) -> list:
    """``rank`` dimensions, each in ``per_dim`` (inclusive), whose product lies in
    ``total`` (inclusive); redrawn from ``rng`` until it does."""
    while True:
        dims = [int(rng.integers(per_dim[0], per_dim[1] + 1)) for _ in range(rank)]
        if total[0] <= int(np.prod(dims)) <= total[1]:
            return dims


def _power_of_two_lanes(rng, n_col: int) -> int:
    """A random power of two leaving at least 2 column groups (ceil(C / N) >= 2)."""
    col = 1 << int(rng.integers(0, max(1, int(np.log2(n_col)))))
    while -(-n_col // col) < 2:
        col //= 2
    return col


def _family_config(rng, family: dict) -> dict:
    from htmhw import HardwareConfig, SpatialPooler

    local = not family["global_inhibition"]
    while True:
        # Sizes kept small (C <= 48, I <= 100) so a step costs Icarus little, even under
        # local inhibition (about C * |N(c)| cycles). Column dimensions may be 1 in a 3-D
        # grid (a degenerate axis the padding and the interval logic must handle).
        col_dims = {1: lambda: _draw_dims(rng, 1, (4, 48), (4, 48)),
                    2: lambda: _draw_dims(rng, 2, (2, 7), (4, 48)),
                    3: lambda: _draw_dims(rng, 3, (1, 4), (4, 48))}[family["column_rank"]]()
        in_dims = (_draw_dims(rng, 1, (8, 100), (8, 100)) if family["input_rank"] == 1
                   else _draw_dims(rng, 2, (3, 10), (9, 100)))
        n_col = int(np.prod(col_dims))
        widest = max(in_dims)
        # Mostly a radius below half the widest input dimension: without wrap-around the
        # windows of edge columns are cut there. Sometimes one that spans whole dimensions
        # (sp_accel's window is then the full dimension; positions past the edge are cut).
        radius = (int(rng.integers(1, max(1, widest // 2) + 1)) if rng.random() < 0.75
                  else int(rng.integers(widest // 2 + 1, widest + 3)))
        # Winners per inhibition area instead of a density now and then (the other branch
        # of the contract's k and quotas).
        per_area = rng.random() < 0.2
        sp = {
            "input_dimensions": in_dims, "column_dimensions": col_dims,
            "potential_radius": radius, "potential_pct": float(rng.uniform(0.3, 0.95)),
            "global_inhibition": not local,
            "local_area_density": (0.0 if per_area else
                                   float(rng.uniform(0.02 if local else 1.0 / n_col, 0.45))),
            "num_active_columns_per_inh_area": float(rng.integers(1, 6)) if per_area else 10.0,
            "stimulus_threshold": int(rng.integers(0, 4)),
            "syn_perm_connected": float(rng.uniform(0.1, 0.6)), "syn_perm_active_inc": float(rng.uniform(0.02, 0.2)),
            "syn_perm_inactive_dec": float(rng.uniform(0.005, 0.1)),
            "min_pct_overlap_duty_cycle": float(rng.choice([0.0, rng.uniform(0.01, 0.9)])),
            "duty_cycle_period": int(rng.integers(8, 1000)),
            "boost_strength": float(rng.choice([0.0, rng.uniform(0.5, 20.0)])),
            "boost_in_inference": bool(rng.integers(0, 2)), "wrap_around": bool(rng.integers(0, 2)),
            "seed": int(rng.integers(1, 1 << 30)),
        }
        hw = _draw_hw(rng)
        try:
            # Refuses, among others, a density or winners-per-area without winners at the
            # initial radius (docs/datapath.md, "No configuration without winners").
            pooler = SpatialPooler(arithmetic="fixed", hw=HardwareConfig(**hw), **sp)
        except ValueError:
            continue
        pool_max = int(np.diff(pooler.permanence_memory()[1]).max())
        if family["design"] == "sp_accel":
            lanes = (1, _power_of_two_lanes(rng, n_col), None)
        elif local:
            lanes = (int(rng.integers(1, pool_max + 3)), 1, 1)
        else:
            col = _power_of_two_lanes(rng, n_col)
            lanes = (int(rng.integers(1, pool_max + 3)), col, col << int(rng.integers(0, 4)))
        # "all", "every:7" (iterations 1, 8, ..., 50) and "first:55" learn at iteration 50;
        # "every:3" at 100; "every:2" (odd iterations) and "first:30" at no update point.
        learn = str(rng.choice(["all", "every:2", "every:3", "every:7", "first:30", "first:55"]))
        return {"sp": sp, "hw": hw, "lanes": lanes, "learn": learn,
                "active_fraction": float(rng.uniform(0.05, 0.5))}


def describe(cfg: dict) -> dict:
    """The drawn configuration in one flat record (for the sweep's output and reports)."""
    sp = cfg["sp"]
    syn, col, kw = cfg["lanes"]
    return {"design": cfg["design"], "family": cfg["family"],
            "inhibition": "global" if sp["global_inhibition"] else "local",
            "columns": sp["column_dimensions"], "inputs": sp["input_dimensions"],
            "potential_radius": sp["potential_radius"], "wrap_around": sp["wrap_around"],
            "winners": (f"density {sp['local_area_density']:.3f}" if sp["local_area_density"] > 0
                        else f"{sp['num_active_columns_per_inh_area']:g} per inhibition area"),
            "lanes": {"synapse": syn, "column": col, "kwta": kw}, "learn": cfg["learn"],
            "boost_strength": round(sp["boost_strength"], 3), "hw": cfg["hw"]}


def export(cfg: dict, out: Path, steps: int, seed: int) -> Path:
    from htmhw.cli import main as cli_main

    conf = out.with_suffix(".json")
    conf.write_text(json.dumps({"sp": cfg["sp"], "hw": cfg["hw"]}))
    args = ["golden", "export", str(out), "--config", str(conf), "--steps", str(steps), "--seed", str(seed),
            "--learn", cfg["learn"], "--active-fraction", f"{cfg['active_fraction']:.4f}", "--quiet",
            "--force"]   # a --keep directory from an earlier run is replaced, not an error
    if cli_main(args) != 0:
        raise RuntimeError(f"golden export failed: {args}")
    return out


def run(seed: int, steps: int, simulators, work: Path) -> dict:
    """Export ``seed``'s configuration for ``steps`` steps into ``work`` and verify it with
    ``simulators`` (None: the seed's drawn ones). The record has ``ok``, ``problems``, the
    configuration (``describe``), the words the directory promises and, per simulator, the
    words compared (passed, failed), whether the cycles matched the model and the field
    that mismatched first (with its first step), if any."""
    from htmhw.hw import hdl

    cfg = random_config(seed)
    sims = tuple(simulators) if simulators else cfg["simulators"]
    g = export(cfg, work / f"seed{seed}", steps, seed)
    syn, col, kw = cfg["lanes"]
    v = hdl.verify(g, simulators=sims, top=cfg["design"], synapse_lanes=syn, column_lanes=col, kwta_lanes=kw)
    first = {}
    for s, r in v["simulators"].items():
        if r.get("mismatched_fields"):
            f = r["mismatched_fields"][0]
            first[s] = {"field": f, "first_step": r["fields"][f].get("first_step")}
    return {"seed": seed, "ok": v["ok"], "problems": v["problems"], **describe(cfg), "simulators": list(sims),
            "expected_words": v["expected_words"],
            "compared": {s: {"passed": r.get("passed"), "failed": r.get("failed")} for s, r in v["simulators"].items()},
            "cycles_match_model": {s: r.get("cycles_match_model") for s, r in v["simulators"].items()},
            "first_mismatch": first, "golden_dir": str(g)}


def _parse_seeds(text: str) -> list:
    if ":" in text:
        a, b = text.split(":")
        return list(range(int(a), int(b)))
    return [int(s) for s in text.split(",")]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="0:50", help="A:B (seeds A..B-1) or a comma list (default 0:50)")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--simulator", action="append", choices=("icarus", "verilator", "cocotb"),
                    help="run these simulators on every seed (repeatable); default: each seed's drawn ones")
    ap.add_argument("--keep", type=Path, help="export the golden directories here (kept) instead of a temporary one")
    ap.add_argument("--describe", action="store_true", help="print each seed's configuration; simulate nothing")
    args = ap.parse_args(argv)
    seeds = _parse_seeds(args.seeds)
    if args.describe:
        for seed in seeds:
            cfg = random_config(seed)
            print(json.dumps({"seed": seed, **describe(cfg), "simulators": list(cfg["simulators"])}), flush=True)
        return 0
    failed = 0
    with tempfile.TemporaryDirectory(prefix="htmhw-sweep-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for seed in seeds:
            t0 = time.perf_counter()
            r = run(seed, args.steps, args.simulator, work)
            failed += not r["ok"]
            print(json.dumps({**r, "seconds": round(time.perf_counter() - t0, 1)}), flush=True)
            if not r["ok"]:
                sims = " ".join(f"--simulator {s}" for s in r["simulators"])
                print(f"# reproduce: python benchmarks/hdl_random_sweep.py --seeds {seed} --steps {args.steps} "
                      f"{sims} --keep out/sweep-{seed}", flush=True)
    print(f"{len(seeds) - failed} of {len(seeds)} configurations bit-exact and cycle-exact", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
