"""The ``htmhw`` command line: one module per command group (``demo``, ``som``, ``sdr``,
``golden``, ``hdl``, ``crossbar``, ``sweep``, ``bench``), each with ``add_parsers(sub)`` and the functions its
subcommands run; ``_common`` holds what several groups share (the run options, the stimulus,
the output rule)."""
from __future__ import annotations

import argparse

from . import bench, crossbar, demo, golden, hdl, sdr, som, sweep
from ._common import Parser

GROUPS = (demo, som, sdr, golden, hdl, crossbar, sweep, bench)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line (every subcommand's parser hangs below this one)."""
    parser = Parser(
        prog="htmhw",
        description="Spatial pooler models for HTM hardware design.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  htmhw demo                                   # the SP on the embedded 8x8 digits\n"
               "  htmhw demo mnist --n-train 1000 --n-test 200 # digit -> SDR -> digit, classifier\n"
               "  htmhw som fit emb.npy --rows 32 --cols 32 --out som.htmhw  # SOM on embeddings\n"
               "  htmhw som encode som.htmhw emb.npy --k 16 --out sdrs.npz\n"
               "  htmhw sdr show sdrs.npz --labels labels.npy --out sdrs.png\n"
               "  htmhw golden export out/tiny --config tiny --steps 1000\n"
               "  htmhw hdl verify out/tiny                    # Verilog reference vs golden vectors\n"
               "  htmhw crossbar report --preset mnsim2-default --config mnist --source mnist --steps 200\n"
               "  htmhw sweep run docs/sweeps/quick.json --out sweeps/quick --workers 2\n"
               "  htmhw bench --config mnist --steps 200\n"
               "MNIST: the commands that read it take --mnist-dir DIR (else $HTMHW_DATA, else the test\n"
               "split shipped with htmhw).\n"
               "Every command takes --help, and --json / --quiet for scripts. Exit codes: 0 success,\n"
               "1 finished but found failures (mismatching HDL words, failed sweep configurations),\n"
               "2 invalid arguments or input.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.add_parsers(sub)
    return parser


def main(argv=None) -> int:
    args, extra = build_parser().parse_known_args(argv)
    if extra:  # reported by the subcommand that was given, with its usage
        args._parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args.func(args)

