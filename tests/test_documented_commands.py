"""Every command a user is shown runs as written: the `htmhw` lines of README.md's bash
blocks, README.md's Python blocks (in order, as one script, as a reader would paste
them) and every example of every `--help` page.

They run in one fresh working directory (with `docs/` and `hdl_ref/` of this repository
beside them, since the sweep examples name docs/sweeps/quick.json and a verify example
names hdl_ref/rtl), README first, then the help pages;
a command shown in several places runs once. Each must exit 0. Any other line of a README
bash block must be listed in NOT_RUN with the reason, so that a new command cannot slip
through unchecked.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from htmhw.cli import build_parser

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"

# README commands that are not `htmhw` commands, and why this test does not run them.
NOT_RUN = {
    "pip install . && htmhw demo": "the install is the README's first command, run by CI; `htmhw demo` runs here",
    'python3 -m pip install ".[test]" && python3 -m pytest': "the command running this test",
    "pip install scikit-build-core pybind11 && pip install --no-build-isolation .":
        "a developer's reinstall; CI installs with the README's test command",
    "pip install '.[sweep]'": "installed by the README's test command (the test extra includes it)",
    "cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release && cmake --build build/bench":
        "a second full C++ build (minutes); CI builds the extension with the same sources",
    "./build/bench/sp_bench --config random": "needs the benchmark build above",
    "python benchmarks/bench_sp.py": "the performance study of docs/performance.md (minutes)",
}


def _blocks(text, lang):
    return re.findall(rf"^```{lang}\n(.*?)^```", text, flags=re.S | re.M)


def _strip_comment(line):
    """A shell line without its trailing `  # comment` (no command shown has a # of its own)."""
    return re.sub(r"\s+#.*$", "", line).strip()


def readme_commands():
    lines = []
    for block in _blocks(README.read_text(), "bash"):
        lines += [_strip_comment(raw) for raw in block.splitlines() if raw.strip()]
    return lines


def _parsers(parser, path=()):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, path + (name,))


def help_examples():
    """[(page, command)] of the `htmhw ...` example lines of every help page's epilog."""
    out = []
    for path, parser in _parsers(build_parser()):
        for raw in (parser.epilog or "").splitlines():
            line = re.sub(r"^\s*(examples?:)?\s*", "", raw)
            if line.startswith("htmhw "):
                out.append((" ".join(("htmhw",) + path), _strip_comment(line)))
    return out


def test_every_help_page_has_an_example():
    missing = [" ".join(("htmhw",) + path) for path, parser in _parsers(build_parser())
               if not any(re.sub(r"^\s*(examples?:)?\s*", "", l).startswith("htmhw ")
                          for l in (parser.epilog or "").splitlines())]
    assert missing == []


def test_readme_lists_only_known_commands():
    other = [c for c in readme_commands() if not c.startswith("htmhw ")]
    assert sorted(set(other) - set(NOT_RUN)) == [], "a README command is neither run here nor listed in NOT_RUN"
    assert sorted(set(NOT_RUN) - set(other)) == [], "NOT_RUN lists a command the README no longer shows"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("documented")
    (d / "docs").symlink_to(REPO / "docs")
    (d / "hdl_ref").symlink_to(REPO / "hdl_ref")  # the `hdl verify --rtl hdl_ref/rtl` example
    return d


def _run(args, cwd, timeout=600):
    env = dict(os.environ, PYTHONWARNINGS="ignore::DeprecationWarning")
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.mark.mnist
@pytest.mark.hdl
def test_every_documented_command_runs_as_written(workdir):
    commands = [("README.md", c) for c in readme_commands() if c.startswith("htmhw ")] + help_examples()
    assert len(commands) > 30  # the README and the help pages show that many
    seen, failures = set(), []
    for where, cmd in commands:
        if cmd in seen:
            continue
        seen.add(cmd)
        argv = shlex.split(cmd)
        proc = _run([sys.executable, "-m", "htmhw.cli", *argv[1:]], workdir)
        if proc.returncode != 0:
            failures.append(f"{where}: `{cmd}` exited {proc.returncode}: {proc.stderr.strip()[-600:]}")
    assert failures == [], "\n".join(failures)


@pytest.mark.heavy
@pytest.mark.mnist
def test_readme_python_snippets_run_in_order(workdir):
    script = "\n\n".join(_blocks(README.read_text(), "python"))
    proc = _run([sys.executable, "-c", script], workdir, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    acc = float(re.search(r"accuracy on SDRs: ([0-9.]+)", proc.stdout).group(1))
    assert acc == pytest.approx(0.952, abs=0.005)  # the value the README states, 0.737 with mixed features
    assert (workdir / "energy_area.png").stat().st_size > 1000
