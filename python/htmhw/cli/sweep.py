"""`htmhw sweep run | resume | report`: design-space sweeps."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from ._common import print_result


def add_parsers(sub) -> None:
    sw = sub.add_parser(
        "sweep", help="design-space sweeps on dask.distributed: run, resume, report (docs/sweeps.md)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  htmhw sweep run docs/sweeps/quick.json --out sweeps/quick --workers 2\n"
               "  htmhw sweep resume sweeps/quick          # after an interruption: only missing rows run\n"
               "  htmhw sweep report sweeps/quick --json   # summary, Pareto fronts, results.csv, plots\n"
               "On a running dask cluster: htmhw sweep run SPEC --out DIR --scheduler tcp://HOST:8786.")
    ssub = sw.add_subparsers(dest="sweep_command", required=True, metavar="{run,resume,report}")
    examples = {
        "run": "examples:\n"
               "  htmhw sweep run docs/sweeps/quick.json --out sweeps/quick --workers 2\n"
               "  htmhw sweep run docs/sweeps/quick.json --out sweeps/quick-serial --workers 0 --quiet\n"
               "A spec whose configurations cannot run is refused before anything runs (docs/sweeps.md).",
        "resume": "examples:\n"
                  "  htmhw sweep resume sweeps/quick                  # only the missing rows run\n"
                  "  htmhw sweep resume sweeps/quick --retry-failed --workers 0",
    }
    for name, helptext in (("run", "start a sweep from a spec file (JSON or YAML) into --out"),
                           ("resume", "continue an interrupted sweep (finished rows are kept)")):
        p = ssub.add_parser(name, help=helptext, epilog=examples[name],
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        if name == "run":
            p.add_argument("spec", type=Path, help="sweep spec (.json, .yaml)")
            p.add_argument("--out", type=Path, required=True, help="output directory (rows/, results.csv, plots)")
        else:
            p.add_argument("out", type=Path, help="the sweep's output directory")
        p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="a running dask scheduler (tcp://host:port); default: a LocalCluster")
        p.add_argument("--workers", type=int, default=2,
                       help="LocalCluster worker processes (default 2; 0 = run in this process)")
        p.add_argument("--threads-per-worker", type=int, default=1, help="threads per worker (default 1)")
        p.add_argument("--retry-failed", action="store_true", help="rerun the tasks that failed before")
        p.add_argument("--no-plots", action="store_true", help="do not write the Pareto plots")
        p.add_argument("--json", action="store_true", help="print the summary as JSON")
        p.add_argument("--quiet", action="store_true", help="print nothing but errors (no progress bar)")
        p.set_defaults(func=_main_sweep)
    p = ssub.add_parser("report", help="summary, Pareto fronts (accuracy vs energy, vs area), plots, results.csv",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        epilog="examples:\n"
                               "  htmhw sweep report sweeps/quick\n"
                               "  htmhw sweep report sweeps/quick --json --png-dir out/quick-plots")
    p.add_argument("out", type=Path, help="the sweep's output directory")
    p.add_argument("--png-dir", type=Path, default=None, help="where to write the plots (default: the sweep directory)")
    p.add_argument("--no-plots", action="store_true", help="do not write the Pareto plots")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=_main_sweep)


def _main_sweep(args) -> int:
    from .. import sweep as S

    cmd = args.sweep_command
    try:
        if cmd == "report":
            s = S.report(args.out, png_dir=args.png_dir, plots=not args.no_plots)
        else:
            kw = dict(scheduler=args.scheduler, n_workers=args.workers, threads_per_worker=args.threads_per_worker,
                      progress=not (args.quiet or args.json), retry_failed=args.retry_failed,
                      plots=not args.no_plots)
            s = S.run(args.spec, args.out, **kw) if cmd == "run" else S.resume(args.out, **kw)
    except (ValueError, TypeError, FileNotFoundError, OSError) as e:
        print(f"htmhw sweep {cmd}: error: {e}", file=sys.stderr)
        return 2
    print_result(args, s, lambda: S.format_summary(s))
    return 1 if s["failed"] else 0
