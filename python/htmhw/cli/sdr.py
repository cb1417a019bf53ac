"""`htmhw sdr show`: SDRs (a file of `htmhw som encode` or htmhw.sdr.save_sdrs, or a dense 0/1
.npy) drawn as images on their 2-D map, with per-class mean maps when labels are given."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

from ._common import add_output_flags, command_error, print_result


def add_parsers(sub) -> None:
    sdr = sub.add_parser("sdr", help="SDR files: show them as 2-D images",
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         epilog="example:\n  htmhw sdr show sdrs.npz --grid 32x32 --labels labels.npy --out sdrs.png")
    ssub = sdr.add_subparsers(dest="sdr_command", required=True, metavar="{show}")
    show = ssub.add_parser(
        "show", help="draw SDRs on their map grid (and each class's mean activation map with --labels)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  htmhw sdr show sdrs.npz --out sdrs.png                 # grid and lattice from the file\n"
               "  htmhw sdr show sdrs.npz --grid 32x32 --labels labels.npy --n 8 --out sdrs.png")
    show.add_argument("sdrs", type=Path, help="an .npz of `htmhw som encode` / htmhw.sdr.save_sdrs, or a 0/1 .npy")
    show.add_argument("--out", type=Path, required=True, help="the PNG to write")
    show.add_argument("--grid", default=None, metavar="ROWSxCOLS",
                      help="map shape, e.g. 32x32 (default: the grid stored in the file)")
    show.add_argument("--lattice", choices=("rect", "hex"), default=None,
                      help="unit layout (default: the file's, else rect)")
    show.add_argument("--labels", type=Path, default=None, help="a 1-D .npy with one label per SDR")
    show.add_argument("--n", type=int, default=16, help="SDRs drawn, 1..256 (default 16)")
    add_output_flags(show)
    show.set_defaults(func=main)


def _grid(text, extra) -> tuple[int, int]:
    if text is not None:
        m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
        if not m:
            raise ValueError(f"--grid must be ROWSxCOLS, e.g. 32x32; got {text!r}")
        return int(m.group(1)), int(m.group(2))
    if "grid" not in extra:
        raise ValueError("the file stores no grid; give --grid ROWSxCOLS")
    rows, cols = (int(v) for v in extra["grid"])
    return rows, cols


def run_show(args) -> dict:
    import numpy as np

    from ..sdr import load_sdrs
    from ..som import plot_sdrs

    sdrs, extra = load_sdrs(args.sdrs)
    rows, cols = _grid(args.grid, extra)
    if rows * cols != sdrs.shape[1]:
        raise ValueError(f"--grid {rows}x{cols} has {rows * cols} units; the SDRs are {sdrs.shape[1]} wide")
    lattice = args.lattice or (str(extra["lattice"]) if "lattice" in extra else "rect")
    labels = None
    if args.labels is not None:
        try:
            labels = np.load(args.labels, allow_pickle=False)
        except (OSError, ValueError, EOFError) as e:
            raise ValueError(f"--labels {args.labels}: not a readable .npy ({e})") from None
    plot_sdrs(sdrs, rows, cols, lattice, labels=labels, n_show=args.n, path=args.out)
    active = np.diff(sdrs.indptr)
    return {"out": str(args.out), "n_sdrs": int(sdrs.shape[0]), "width": int(sdrs.shape[1]), "grid": [rows, cols],
            "lattice": lattice, "shown": int(min(args.n, sdrs.shape[0])),
            "active_per_sdr_mean": float(active.mean()), "classes": None if labels is None else
            [str(c) for c in np.unique(labels)]}


def main(args) -> int:
    try:
        r = run_show(args)
    except (ValueError, TypeError, FileNotFoundError) as e:
        return command_error("sdr show", e)
    print_result(args, r, lambda: f"drew {r['shown']} of {r['n_sdrs']} SDRs on the {r['grid'][0]}x{r['grid'][1]} "
                                  f"{r['lattice']} map" + (f" and {len(r['classes'])} class maps" if r["classes"]
                                                           else "") + f"\n  wrote {r['out']}")
    return 0
