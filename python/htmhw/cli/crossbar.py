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
    xrep.add_argument("--clock-mhz", type=float, default=None,
                      help="digital clock of designs (a) and (b) (default: the preset's, 100 MHz)")
    xrep.add_argument("--technology-nm", type=int, default=None,
                      help="CMOS node of the digital periphery, 7..130 (default 45: Horowitz's table)")
    xrep.add_argument("--vdd", type=float, default=None, help="supply of the digital periphery (default 0.9 V)")
    xrep.add_argument("--cpu-power-w", type=float, default=None,
                      help="power of one CPU core for design (c) (default 3.75 W: EPYC 9654, 360 W / 96 cores)")
    xrep.add_argument("--no-cpu", action="store_true", help="do not time the C++ model (design (c))")
    xrep.add_argument("--plot", type=Path, default=None, help="write the energy/area stacked-bar plot here")
    xrep.add_argument("--json", action="store_true", help="print the result as JSON")
    xrep.add_argument("--quiet", action="store_true", help="print nothing but errors")
    xrep.set_defaults(func=main)


def main(args) -> int:
    from .. import crossbar as _xb

    try:
        import dataclasses

        sp, x, _ = pooler_and_stimulus(args)
        given = {"technology_nm": args.technology_nm, "vdd_v": args.vdd, "cpu_power_w_per_core": args.cpu_power_w}
        system = _xb.System(**{k: v for k, v in given.items() if v is not None})
        periphery = None
        if args.clock_mhz is not None:
            periphery = dataclasses.replace(_xb.preset(args.preset).periphery, clock_mhz=args.clock_mhz)
        report = _xb.estimate(sp, x, args.learn, preset_name=args.preset, periphery=periphery,
                              input_rate_hz=args.input_rate, system=system, measure_cpu=not args.no_cpu)
        if args.plot is not None:
            report.plot(args.plot)
    except (ValueError, TypeError, FileNotFoundError) as e:
        print(f"htmhw crossbar report: error: {e}", file=sys.stderr)
        return 2
    print_result(args, report.to_dict(), report.table)
    return 0

