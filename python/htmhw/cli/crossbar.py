"""`htmhw crossbar report`: a fixed-point pooler's run costed on memristor crossbars."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from ._common import add_run_arguments, pooler_and_stimulus, print_result


def add_parsers(sub) -> None:
    """`htmhw crossbar report`."""
    xb = sub.add_parser("crossbar", help="memristor-crossbar cost estimates (docs/crossbar.md)",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        epilog="example:\n"
                               "  htmhw crossbar report --preset zyarah-htm --config tiny --learn first:500 --json")
    xsub = xb.add_subparsers(dest="crossbar_command", required=True)
    xrep = xsub.add_parser(
        "report", help="run a fixed-point pooler on a stimulus and print its crossbar costs",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  htmhw crossbar report --preset mnsim2-default --config mnist --source mnist"
               " --steps 300 --learn first:200\n"
               "  htmhw crossbar report --preset zyarah-htm --config tiny --learn first:500 --json")
    xrep.add_argument("--preset", default="mnsim2-default", help="crossbar preset (default: mnsim2-default)")
    add_run_arguments(xrep)
    xrep.add_argument("--input-rate", type=float, default=None, help="inputs per second, for the average power")
    xrep.add_argument("--plot", type=Path, default=None, help="write the energy/area stacked-bar plot here")
    xrep.add_argument("--json", action="store_true", help="print the result as JSON")
    xrep.add_argument("--quiet", action="store_true", help="print nothing but errors")
    xrep.set_defaults(func=main)


def main(args) -> int:
    from .. import crossbar as _xb

    try:
        sp, x, _ = pooler_and_stimulus(args)
        report = _xb.estimate(sp, x, args.learn, preset_name=args.preset,
                              input_rate_hz=args.input_rate)
        if args.plot is not None:
            report.plot(args.plot)
    except (ValueError, TypeError, FileNotFoundError) as e:
        print(f"htmhw crossbar report: error: {e}", file=sys.stderr)
        return 2
    print_result(args, report.to_dict(), report.table)
    return 0

