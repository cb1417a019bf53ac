"""`htmhw hdl verify | resources | implement`: the Verilog reference against golden vectors,
its synthesis, and its place and route."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from ._common import print_result


def _add_lane_arguments(p) -> None:
    p.add_argument("--top", choices=("sp_top", "sp_accel"), default="sp_top",
                   help="the design: sp_top, the small design with lane parameters (default), or sp_accel, the "
                        "receptive-field accelerator (takes --column-lanes and --perm-lanes); hdl_ref/README.md")
    p.add_argument("--perm-lanes", type=int, default=1,
                   help="sp_accel's PERM_LANES: columns per permanence pass, a power of two (default 1)")
    p.add_argument("--column-lanes", type=int, default=1,
                   help="sp_top's COLUMN_LANES: columns processed together, a power of two (default 1)")
    p.add_argument("--kwta-lanes", type=int, default=None,
                   help="sp_top's KWTA_LANES: scores per kWTA cycle, column lanes times a power of two "
                        "(default: the column lanes)")


def _add_hdl_implement_parser(hsub) -> None:
    himp = hsub.add_parser(
        "implement", help="place and route hdl_ref/ for a golden directory's configuration (yowasp yosys + "
                          "nextpnr) and compare its steps/s at fmax with the C++ model's",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples (a small design, about a minute once the tools are compiled):\n"
               "  htmhw golden export out/impl --config tiny-stress --hw boost_lut_bits=5 --steps 200\n"
               "  htmhw hdl implement out/impl --family ecp5 --device 25k\n"
               "needs pip install 'htmhw[fpga]'; exit 1 when the design does not fit or the time limit ends it;\n"
               "larger configurations and their run times: docs/hardware.md")
    himp.add_argument("golden_dir", type=Path)
    himp.add_argument("--family", choices=("ecp5", "ice40"), default="ecp5", help="FPGA family (default ecp5)")
    himp.add_argument("--device", default=None,
                      help="ecp5: 25k, 45k, 85k; ice40: up5k, hx8k (default: the family's largest)")
    himp.add_argument("--lanes", type=int, default=1, help="sp_top's SYN_LANES: synapse slots per row (default 1)")
    _add_lane_arguments(himp)
    himp.add_argument("--freq", type=float, default=100.0,
                      help="clock constraint for nextpnr in MHz (default 100); fmax is measured, not this")
    himp.add_argument("--timeout", type=float, default=3600.0,
                      help="limit on synthesis plus place and route, seconds (default 3600)")
    himp.add_argument("--repeats", type=int, default=5, help="C++ model timing repeats (default 5)")
    himp.add_argument("--work-dir", type=Path, default=None, help="keep the tool logs, netlist and report here")
    himp.add_argument("--json", action="store_true", help="print the result as JSON")
    himp.add_argument("--quiet", action="store_true", help="print nothing but errors (no progress lines)")
    himp.set_defaults(func=_main_hdl_implement)


def _main_hdl_implement(args) -> int:
    from ..hw import fpga

    device = args.device or {"ecp5": "85k", "ice40": "hx8k"}[args.family]
    try:
        r = fpga.implement(args.golden_dir, args.family, device, synapse_lanes=args.lanes, freq_mhz=args.freq,
                           column_lanes=args.column_lanes, kwta_lanes=args.kwta_lanes, top=args.top,
                           perm_lanes=args.perm_lanes, timeout=args.timeout, repeats=args.repeats,
                           work_dir=args.work_dir,
                           progress=not (args.quiet or args.json))
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as e:
        print(f"htmhw hdl implement: error: {e}", file=sys.stderr)
        return 2
    print_result(args, r, lambda: fpga.format_report(r))
    return 0 if r["status"] == "ok" else 1


def add_parsers(sub) -> None:
    """`htmhw hdl verify | resources | implement`."""
    hdl = sub.add_parser("hdl", help="the Verilog reference (hdl_ref/): verification and resource estimates",
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         epilog="examples:\n  htmhw hdl verify out/tiny\n  htmhw hdl resources out/tiny --target ice40")
    hsub = hdl.add_subparsers(dest="hdl_command", required=True)
    import textwrap

    from ..hw.hdl import RTL_LOOKUP

    hver = hsub.add_parser(
        "verify", help="simulate hdl_ref/ on a golden directory and compare every field",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=textwrap.fill(
            "Simulate the RTL on a golden directory and compare every expected word; print the RTL directory "
            "and the SHA-256 of its files. Exit status 0: every simulator compared exactly the words the "
            "directory promises, all equal, and the simulated cycles equal the C++ cycle model's; 1: any of "
            "these fails or a simulator produced no result; 2: bad input or a missing tool.", 90) + "\n\n" +
        textwrap.fill(RTL_LOOKUP[0].upper() + RTL_LOOKUP[1:], 90),
        epilog="examples:\n  htmhw golden export out/tiny --config tiny --steps 1000\n"
               "  htmhw hdl verify out/tiny\n  htmhw hdl verify out/tiny --simulator icarus --json\n"
               "  htmhw hdl verify out/tiny --rtl hdl_ref/rtl --simulator icarus"
               "   # this RTL directory (e.g. your edited copy)")
    hver.add_argument("golden_dir", type=Path)
    hver.add_argument("--rtl", type=Path, default=None, metavar="DIR",
                      help="directory of the RTL files to verify (default: see the lookup order above)")
    hver.add_argument("--simulator", action="append", choices=("icarus", "verilator", "cocotb"),
                      help="simulator(s) to run (default: all three)")
    hver.add_argument("--lanes", type=int, default=1, help="sp_top's SYN_LANES: synapse slots per row (default 1)")
    _add_lane_arguments(hver)
    hver.add_argument("--json", action="store_true", help="print the result as JSON")
    hver.add_argument("--quiet", action="store_true", help="print nothing but errors")
    hres = hsub.add_parser(
        "resources", help="synthesize hdl_ref/ for a golden directory's configuration with yosys",
        epilog="example: htmhw hdl resources out/tiny --target ice40")
    hres.add_argument("golden_dir", type=Path)
    hres.add_argument("--target", choices=("generic", "ice40", "xc7"), default="generic")
    hres.add_argument("--lanes", type=int, default=1, help="sp_top's SYN_LANES: synapse slots per row (default 1)")
    _add_lane_arguments(hres)
    hres.add_argument("--json", action="store_true", help="print the result as JSON")
    hres.add_argument("--quiet", action="store_true", help="print nothing but errors")
    for p in (hver, hres):
        p.set_defaults(func=main)
    _add_hdl_implement_parser(hsub)


def main(args) -> int:
    from ..hw import hdl as _hdl

    try:
        if args.hdl_command == "verify":
            sims = tuple(args.simulator) if args.simulator else ("icarus", "verilator", "cocotb")
            result = _hdl.verify(args.golden_dir, simulators=sims, quiet=args.quiet or args.json,
                                 rtl_dir=args.rtl, synapse_lanes=args.lanes,
                                 column_lanes=args.column_lanes, kwta_lanes=args.kwta_lanes, top=args.top,
                                 perm_lanes=args.perm_lanes)
            failed = not result["ok"]
        else:
            result = _hdl.resources(args.golden_dir, target=args.target, synapse_lanes=args.lanes,
                                    column_lanes=args.column_lanes, kwta_lanes=args.kwta_lanes, top=args.top,
                                 perm_lanes=args.perm_lanes)
            failed = 0
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as e:
        print(f"htmhw hdl {args.hdl_command}: error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    elif args.hdl_command == "verify" and not args.quiet:
        rtl = result["rtl"]
        print(f"RTL: {rtl['dir']} ({rtl['found_by']})\nRTL sha256: {rtl['sha256']}\n"
              f"testbenches: {result['testbench_dir']}\ncycles: {result['cycles_checked']}")
        for name, r in result["simulators"].items():
            match = {True: ", cycles = model", False: ", cycles DIFFER from the model"}.get(
                r.get("cycles_match_model"), "")
            if r.get("cycles_per_step_mean") is not None:
                print(f"  {name}: {r['cycles_per_step_mean']} cycles/step{match}")
            for line in r.get("first_mismatches", []):
                print(f"    {line}")
        if result["ok"]:
            print(f"hdl_ref is bit-exact on every field: {result['expected_words']} words per simulator")
        else:
            print("verification FAILED:\n" + "\n".join(f"  {p}" for p in result["problems"]))
    elif args.hdl_command == "resources" and not args.quiet:
        print(f"yosys {result['target']} synthesis ({result['seconds']} s): {result['num_cells']} cells")
        for cell, n in sorted(result["cells"].items(), key=lambda kv: -kv[1]):
            print(f"  {cell:24s} {n}")
    return 1 if failed else 0

