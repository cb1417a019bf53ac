"""`htmhw bench`: quick throughput of the float and fixed-point poolers on this machine."""
from __future__ import annotations

import argparse
import sys
import time

from .._core import MAX_THREADS
from .._validation import check_threads
from ._common import add_run_arguments, pooler_and_stimulus, print_result


def add_parsers(sub) -> None:
    p = sub.add_parser(
        "bench", help="quick throughput of the float and fixed-point poolers on this machine",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  htmhw bench --config mnist --source mnist --steps 200\n"
               "  htmhw bench --config random --threads 2 --json\n"
               "The C++ benchmark executables (cpp/bench/, -DHTMHW_BUILD_BENCH=ON) and benchmarks/*.py give the\n"
               "figures of docs/performance.md; this command is a quick check of an installed package.")
    add_run_arguments(p)
    p.add_argument("--threads", type=int, default=1, help=f"threads for batch inference, 1..{MAX_THREADS} (default 1)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=_main_bench, config="mnist", source="random")


def run_bench(args) -> dict:
    from ..sp import SpatialPooler

    check_threads(args.threads, "--threads")
    fixed, x, desc = pooler_and_stimulus(args)
    out = {"config": args.config, "stimulus": desc, "steps": int(len(x)), "num_columns": fixed.num_columns,
           "num_inputs": fixed.num_inputs, "threads": args.threads}
    for arith, sp in (("float", SpatialPooler(**fixed.params)), ("fixed", fixed)):
        t0 = time.perf_counter()
        sp.compute(x, learn=True, output="sparse")
        learn_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        sp.infer(x, output="sparse", n_threads=args.threads)
        infer_s = time.perf_counter() - t0
        out[arith] = {"learn_steps_per_s": round(len(x) / learn_s, 1),
                      "infer_steps_per_s": round(len(x) / infer_s, 1)}
    return out


def _main_bench(args) -> int:
    try:
        r = run_bench(args)
    except (ValueError, TypeError, FileNotFoundError) as e:
        print(f"htmhw bench: error: {e}", file=sys.stderr)
        return 2
    def text():
        lines = [f"htmhw bench: {r['config']} ({r['num_inputs']} inputs, {r['num_columns']} columns), "
                 f"{r['steps']} steps of {r['stimulus'].get('source', '?')} input, {r['threads']} inference thread(s)"]
        lines += [f"  {a:5s}: learn {r[a]['learn_steps_per_s']:>10.1f} steps/s   "
                  f"infer {r[a]['infer_steps_per_s']:>10.1f} steps/s" for a in ("float", "fixed")]
        return "\n".join(lines)

    print_result(args, r, text)
    return 0
