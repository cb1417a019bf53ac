"""`htmhw golden export | check`: golden test vectors of the fixed-point datapath."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from ._common import add_run_arguments, pooler_and_stimulus

GOLDEN_SIZE_LIMIT = 1e9  # bytes `htmhw golden export` writes without --force


def run_golden_export(args, announce=print) -> dict:
    """Export, after ``announce``-ing the expected size; refuses more than GOLDEN_SIZE_LIMIT
    bytes without --force (10,000 learning steps of the mnist config are about 2.7 GB)."""
    from ..hw.golden import estimate_bytes, export, learn_schedule

    sp, x, desc = pooler_and_stimulus(args)
    expected = estimate_bytes(sp, len(x), int(learn_schedule(args.learn, len(x)).sum()))
    if expected > GOLDEN_SIZE_LIMIT and not args.force:
        raise ValueError(f"--steps {args.steps} would write about {expected / 1e9:.1f} GB to {args.out_dir} "
                         f"(more than {GOLDEN_SIZE_LIMIT / 1e9:g} GB); use fewer --steps, or --force to write it")
    announce(f"writing about {expected / 1e6:.1f} MB to {args.out_dir} ({len(x)} steps)")
    t0 = time.perf_counter()
    manifest = export(args.out_dir, sp, x, args.learn, stimulus=desc, overwrite=args.force)
    seconds = time.perf_counter() - t0
    sizes = manifest["sizes"]
    return {"out_dir": str(args.out_dir), "seconds": round(seconds, 3), **sizes,
            "bytes": sum((Path(args.out_dir) / f).stat().st_size for f in manifest["files"])}


def add_parsers(sub) -> None:
    """`htmhw golden export | check`."""
    golden = sub.add_parser("golden", help="golden test vectors of the fixed-point datapath (docs/golden.md)",
                            formatter_class=argparse.RawDescriptionHelpFormatter,
                            epilog="examples:\n  htmhw golden export out/tiny --config tiny --steps 1000\n"
                                   "  htmhw golden check out/tiny")
    gsub = golden.add_subparsers(dest="golden_command", required=True)
    gexp = gsub.add_parser(
        "export",
        help="run the fixed-point model and write a golden-vector directory",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  htmhw golden export out/tiny7 --config tiny --steps 1000 --seed 7\n"
        "  htmhw golden export out/mnist --config mnist --source mnist --steps 100\n"
        "  htmhw golden export out/p4 --config mnist-256 --hw permanence_bits=4 --learn every:2 --steps 200\n"
        "A config file holds {\"sp\": {...}, \"hw\": {...}} (--config my_sp.json); --source also takes an (n,\n"
        "num_inputs) .npy file of 0/1 inputs. The size is printed before writing; more than\n"
        f"{GOLDEN_SIZE_LIMIT / 1e9:g} GB needs --force.",
    )
    gexp.add_argument("out_dir", type=Path, help="directory to create")
    add_run_arguments(gexp)
    gexp.add_argument("--force", action="store_true",
                      help=f"replace out_dir if it exists, and write more than {GOLDEN_SIZE_LIMIT / 1e9:g} GB")
    gexp.add_argument("--json", action="store_true", help="print the result as JSON")
    gexp.add_argument("--quiet", action="store_true", help="print nothing but errors")
    gchk = gsub.add_parser("check", help="check a golden directory's manifest and checksums",
                           epilog="example: htmhw golden check out/tiny")
    gchk.add_argument("golden_dir", type=Path)
    for p in (gexp, gchk):
        p.set_defaults(func=main)


def main(args) -> int:
    try:
        if args.golden_command == "export":
            result = run_golden_export(args, announce=(lambda m: None) if args.json or args.quiet
                                       else (lambda m: print(m, flush=True)))
            if args.json:
                print(json.dumps(result, indent=2))
            elif not args.quiet:
                print(f"wrote {result['out_dir']}: {result['num_steps']} steps ({result['num_learn_steps']} "
                      f"learning), {result['num_columns']} columns x {result['num_inputs']} inputs, "
                      f"{result['num_synapses']} synapses, {result['bytes'] / 1e6:.1f} MB in "
                      f"{result['seconds']:.2f} s")
        else:
            from ..hw.golden import load

            manifest, _ = load(args.golden_dir)
            print(f"{args.golden_dir}: format {manifest['format']} v{manifest['format_version']}, "
                  f"{len(manifest['files'])} files, checksums OK")
    except (ValueError, TypeError, FileNotFoundError) as e:
        print(f"htmhw golden {args.golden_command}: error: {e}", file=sys.stderr)
        return 2
    return 0

