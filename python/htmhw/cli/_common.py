"""What several command groups share: the parser class, the options of the commands that run a
fixed-point pooler on a stimulus (--config, --sp, --hw, --source, --steps, --learn, --mnist-dir),
building that pooler and stimulus, and the one output rule (--json / --quiet)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ..datasets import require_mnist_dir


class Parser(argparse.ArgumentParser):
    """Every parser of the command line: no prefix abbreviations (``--data`` must not be read
    as ``--dataset``), and each parser records itself in the namespace so that errors found
    after parsing print the usage of the subcommand that was given, not the top-level one."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self.set_defaults(_parser=self)


def _parse_assignments(items, what: str) -> dict:
    """KEY=VALUE strings -> dict, values parsed as JSON when possible (numbers, bools, lists)."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--{what} expects KEY=VALUE; got {item!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def _read_config_file(path: Path) -> dict:
    text = path.read_text()
    if path.suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise ValueError(f"{path}: reading YAML needs PyYAML (pip install pyyaml), or use JSON") from None
        data = yaml.safe_load(text)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(data, dict) or not set(data) <= {"sp", "hw"}:
        raise ValueError(f"{path}: expected an object with keys 'sp' (SpatialPooler parameters) and 'hw' "
                         f"(HardwareConfig fields)")
    return data


def golden_stimulus(source: str, steps: int, num_inputs: int, seed: int, active_fraction: float, mnist_dir=None):
    """(inputs, description) for `htmhw golden export --source`."""
    from ..configs import RANDOM_ACTIVE_FRACTION  # noqa: F401  (documents the default)
    from ..hw.golden import random_inputs

    if source == "random":
        if not 0.0 <= active_fraction <= 1.0:
            raise ValueError(f"--active-fraction must be in [0, 1]; got {active_fraction}")
        active = int(round(active_fraction * num_inputs))
        return random_inputs(steps, num_inputs, active, seed), {"source": "random", "seed": seed,
                                                                 "num_active": active}
    if source in ("mnist", "digits"):
        if source == "mnist":
            from ..datasets import load_mnist

            images, _ = load_mnist(require_mnist_dir(mnist_dir))
            flat = (images.reshape(len(images), -1) > 30).astype(np.uint8)
            desc = {"source": "mnist", "split": "test", "binarize": "pixel > 30", "first": 0}
        else:
            from ..datasets import load_digits_binary

            X, _ = load_digits_binary()
            flat = X.reshape(len(X), -1).astype(np.uint8)
            desc = {"source": "sklearn digits 8x8", "binarize": "pixel > 7", "first": 0}
        if flat.shape[1] != num_inputs:
            raise ValueError(f"--source {source} gives {flat.shape[1]} inputs but the configuration has {num_inputs}")
        reps = -(-steps // len(flat))
        return np.tile(flat, (reps, 1))[:steps], dict(desc, cycled=reps > 1)
    path = Path(source)
    if path.suffix != ".npy" or not path.is_file():
        raise ValueError(f"--source must be random, mnist, digits or an existing .npy file; got {source!r}")
    with open(path, "rb") as f:
        if f.read(6) != b"\x93NUMPY":
            raise ValueError(f"{path}: not a .npy file (it does not start with the NumPy magic bytes)")
    try:
        x = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise ValueError(f"{path}: not a readable .npy array ({e})") from None
    if x.ndim != 2 or x.shape[1] != num_inputs:
        raise ValueError(f"{path}: expected shape (n, {num_inputs}); got {x.shape}")
    return x[:steps], {"source": path.name}


def pooler_and_stimulus(args):
    """(fixed-point pooler, inputs, stimulus description) from the shared run options."""
    from ..configs import NAMES, named_config
    from ..sp import SpatialPooler

    if args.steps < 1:
        raise ValueError(f"--steps must be >= 1; got {args.steps}")
    if args.config in NAMES:
        sp_params, hw = named_config(args.config), {}
    else:
        path = Path(args.config)
        if not path.is_file():
            raise ValueError(f"--config must be one of {', '.join(NAMES)} or a JSON/YAML file; got {args.config!r}")
        cfg = _read_config_file(path)
        sp_params, hw = dict(cfg.get("sp", {})), dict(cfg.get("hw", {}))
    sp_params.update(_parse_assignments(args.sp, "sp"))
    hw.update(_parse_assignments(args.hw, "hw"))
    sp = SpatialPooler(arithmetic="fixed", hw=hw, **sp_params)
    x, desc = golden_stimulus(args.source, args.steps, sp.num_inputs, args.seed, args.active_fraction,
                              args.mnist_dir)
    return sp, x, desc


def add_run_arguments(parser) -> None:
    """Options shared by the commands that run a fixed-point pooler on a stimulus."""
    from ..configs import NAMES

    parser.add_argument("--config", default="tiny",
                        help=f"a named configuration ({', '.join(NAMES)}) or a JSON/YAML "
                             "file {\"sp\": {...}, \"hw\": {...}} (default: tiny)")
    parser.add_argument("--sp", action="append", metavar="KEY=VALUE", help="override a SpatialPooler parameter")
    parser.add_argument("--hw", action="append", metavar="KEY=VALUE", help="override a HardwareConfig field")
    parser.add_argument("--source", default="random",
                        help="random (project PRNG), mnist, digits (sklearn 8x8) or a .npy file (default: random)")
    parser.add_argument("--steps", type=int, default=1000, help="number of steps (default: 1000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random stimulus (default: 1)")
    parser.add_argument("--active-fraction", type=float, default=0.1,
                        help="active input fraction of the random stimulus (default: 0.1)")
    parser.add_argument("--learn", default="all", help="learn schedule: all, none, first:N, every:K (default: all)")
    add_mnist_dir_argument(parser)


def add_mnist_dir_argument(parser, *aliases) -> None:
    """--mnist-dir DIR, the one flag of every command that reads MNIST."""
    parser.add_argument("--mnist-dir", *aliases, dest="mnist_dir", type=Path, default=None, metavar="DIR",
                        help="directory with t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz] "
                             "(default: $HTMHW_DATA/mnist or $HTMHW_DATA when set, else the MNIST test split "
                             "shipped with htmhw)")


def print_result(args, result, text) -> None:
    """The one output rule of every command: --json prints ``result`` as JSON, --quiet
    nothing, otherwise ``text()`` (a callable, so that nothing is formatted for --json)."""
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    elif not getattr(args, "quiet", False):
        print(text())


def add_output_flags(parser) -> None:
    """--json and --quiet, the two output flags of every command (print_result reads them)."""
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def command_error(command: str, error: Exception) -> int:
    """Print ``htmhw COMMAND: error: ...`` to stderr; exit status 2 (invalid arguments or input)."""
    import sys

    print(f"htmhw {command}: error: {error}", file=sys.stderr)
    return 2

