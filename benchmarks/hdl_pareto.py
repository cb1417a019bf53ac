"""Throughput versus area of hdl_ref's designs (issue 21): place and route each design
setting with ``htmhw hdl implement`` and plot learning steps per second at the post-route
fmax against LUT4s, with the C++ fixed-point model on one core (measured in the same runs)
as a line.

    python benchmarks/hdl_pareto.py GOLDEN_DIR --design sp_top:1,1,1 --design sp_accel:16 \\
        --design sp_accel:16,8 --json-dir out/pareto --out docs/hardware_pareto.png
    python benchmarks/hdl_pareto.py --from-json out/pareto/*.json --out docs/hardware_pareto.png

A design is ``sp_top:L,N,K`` (SYN_LANES, COLUMN_LANES, KWTA_LANES) or ``sp_accel:N[,N_p]``
(COLUMN_LANES, PERM_LANES). Each run's ``htmhw.hw.fpga.implement`` result is written as JSON to
``--json-dir`` (one file per design), so a plot can be redrawn without rerunning.
Place and route of an MNIST-sized design takes tens of minutes on a laptop.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def parse_design(text: str) -> dict:
    top, _, lanes = text.partition(":")
    values = [int(v) for v in lanes.split(",")] if lanes else []
    if top == "sp_top" and len(values) == 3:
        return {"top": top, "synapse_lanes": values[0], "column_lanes": values[1], "kwta_lanes": values[2]}
    if top == "sp_accel" and len(values) in (1, 2):
        return {"top": top, "column_lanes": values[0], "perm_lanes": values[1] if len(values) == 2 else 1}
    raise ValueError(f"a design is sp_top:L,N,K or sp_accel:N[,N_p]; got {text!r}")


def label(r: dict) -> str:
    if r.get("top") == "sp_accel":
        return f"sp_accel ({r['column_lanes']},{r.get('perm_lanes', 1)})"
    return f"sp_top ({r['synapse_lanes']},{r['column_lanes']},{r.get('kwta_lanes') or r['column_lanes']})"


def plot(results: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    placed = [r for r in results if r.get("hardware_steps_per_s")]
    for r in placed:
        lut = r["utilization"]["lut4"]["used"] if "lut4" in r["utilization"] else r["cells"].get("TRELLIS_COMB", 0)
        hw = r["hardware_steps_per_s"]["learn"]
        ax.scatter(lut, hw, color="tab:blue" if r.get("top") == "sp_accel" else "tab:orange", zorder=3)
        ax.annotate(f"{label(r)}\n{r['fmax_mhz']:.1f} MHz", (lut, hw), textcoords="offset points", xytext=(5, 4),
                    fontsize=7)
    best = [r["software"]["learn_steps_per_s"]["best"] for r in results if r.get("software")]
    if best:
        ax.axhline(max(best), color="gray", ls="--", lw=1)
        ax.annotate("C++ fixed-point model, 1 core (best of the runs)", (0.02, max(best)), xycoords=("axes fraction",
                    "data"), textcoords="offset points", xytext=(0, 4), fontsize=7, color="gray")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("LUT4 used (post-route)")
    ax.set_ylabel("learning steps / s at post-route fmax")
    devices = {f"{r['family']} {r['device']}" for r in results}
    ax.set_title(f"hdl_ref throughput vs area ({', '.join(sorted(devices))})", fontsize=9)
    ax.grid(True, which="both", lw=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=130)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("golden_dir", nargs="?", type=Path)
    ap.add_argument("--design", action="append", default=[], help="sp_top:L,N,K or sp_accel:N[,N_p] (repeatable)")
    ap.add_argument("--family", default="ecp5")
    ap.add_argument("--device", default="85k")
    ap.add_argument("--timeout", type=float, default=3600.0)
    ap.add_argument("--json-dir", type=Path, default=None, help="write each implement result here")
    ap.add_argument("--from-json", nargs="*", type=Path, default=[], help="plot these implement results")
    ap.add_argument("--out", type=Path, required=True, help="the PNG to write")
    args = ap.parse_args(argv)
    results = [json.loads(p.read_text()) for p in args.from_json]
    if args.design:
        if args.golden_dir is None:
            ap.error("GOLDEN_DIR is needed to run designs")
        from htmhw.hw import fpga

        for text in args.design:
            design = parse_design(text)
            r = fpga.implement(args.golden_dir, args.family, args.device, timeout=args.timeout, progress=True,
                               **design)
            results.append(r)
            if args.json_dir is not None:
                args.json_dir.mkdir(parents=True, exist_ok=True)
                name = text.replace(":", "_").replace(",", "-")
                (args.json_dir / f"{name}.json").write_text(json.dumps(r, indent=2, default=str))
            print(fpga.format_report(r), flush=True)
    if not results:
        ap.error("nothing to plot: give --design or --from-json")
    plot(results, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
