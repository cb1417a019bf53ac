"""Randomized configuration sweep of hdl_ref/ against golden vectors (issue 21).

Each seed draws a small global-inhibition configuration (sizes, potential pools,
permanence and duty parameters, every HardwareConfig width, boosting on or off, boosting in
inference, a learn schedule) and a lane setting (COLUMN_LANES, SYN_LANES, KWTA_LANES),
exports golden vectors and runs ``htmhw.hw.hdl.verify`` on it: every word bit-exact and the
cycles of every step equal to the C++ cycle model's.

    python benchmarks/hdl_random_sweep.py --seeds 0:200 --steps 300 [--simulator icarus]

tests/test_hdl.py runs a fixed small subset (``random_config(seed)`` for a few seeds, 60
steps) in CI. Draws that the pooler refuses (a stimulus threshold above a pool, no
winners) are redrawn from the same seed's generator, so a seed always names one
configuration.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def random_config(seed: int) -> dict:
    """{"sp": {...}, "hw": {...}, "lanes": (synapse, column, kwta), "learn": schedule,
    "active_fraction": f} for ``seed``; construction-checked (a fresh fixed-point pooler
    accepts it)."""
    from htmhw import HardwareConfig, SpatialPooler

    rng = np.random.default_rng(seed)
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
        b_f = int(rng.integers(0, 13))
        d = int(rng.integers(8, 17))
        hw = {"permanence_bits": int(rng.integers(3, 17)), "overlap_bits": int(rng.choice([0, rng.integers(1, 6)])),
              "boost_int_bits": int(rng.integers(1, 5)), "boost_frac_bits": b_f,
              "boosted_frac_bits": int(rng.integers(0, b_f + 1)), "duty_bits": d,
              "boost_lut_bits": int(rng.integers(3, min(12, d + 1) + 1))}
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


def export(cfg: dict, out: Path, steps: int, seed: int) -> Path:
    from htmhw.cli import main as cli_main

    conf = out.with_suffix(".json")
    conf.write_text(json.dumps({"sp": cfg["sp"], "hw": cfg["hw"]}))
    args = ["golden", "export", str(out), "--config", str(conf), "--steps", str(steps), "--seed", str(seed),
            "--learn", cfg["learn"], "--active-fraction", f"{cfg['active_fraction']:.4f}", "--quiet"]
    if cli_main(args) != 0:
        raise RuntimeError(f"golden export failed: {args}")
    return out


def run(seed: int, steps: int, simulators, work: Path) -> dict:
    from htmhw.hw import hdl

    cfg = random_config(seed)
    g = export(cfg, work / f"seed{seed}", steps, seed)
    syn, col, kw = cfg["lanes"]
    v = hdl.verify(g, simulators=simulators, synapse_lanes=syn, column_lanes=col, kwta_lanes=kw)
    return {"seed": seed, "ok": v["ok"], "problems": v["problems"], "lanes": cfg["lanes"], "hw": cfg["hw"],
            "columns": cfg["sp"]["column_dimensions"][0], "inputs": cfg["sp"]["input_dimensions"][0],
            "cycles_match_model": {s: r.get("cycles_match_model") for s, r in v["simulators"].items()}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="0:50", help="A:B (seeds A..B-1) or a comma list (default 0:50)")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--simulator", action="append", choices=("icarus", "verilator", "cocotb"))
    args = ap.parse_args(argv)
    seeds = (range(*map(int, args.seeds.split(":"))) if ":" in args.seeds else
             [int(s) for s in args.seeds.split(",")])
    sims = tuple(args.simulator or ("icarus",))
    failed = 0
    with tempfile.TemporaryDirectory(prefix="htmhw-sweep-") as tmp:
        for seed in seeds:
            t0 = time.perf_counter()
            r = run(seed, args.steps, sims, Path(tmp))
            failed += not r["ok"]
            print(json.dumps({**r, "seconds": round(time.perf_counter() - t0, 1)}), flush=True)
    print(f"{len(seeds) - failed} of {len(seeds)} configurations bit-exact and cycle-exact", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
