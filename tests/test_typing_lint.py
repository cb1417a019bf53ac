"""The typed surface and the linter: python/htmhw/_core.pyi against the built extension
module, mypy's stubtest on it, and ruff on the repository (pyproject.toml [tool.ruff]).

pybind11 functions carry no inspectable signature, so stubtest can check only names and
kinds; the signature every pybind11 function states on the first line of its docstring
("name(arg: type = default, ...) -> type") is compared with the stub here."""
import ast
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import htmhw
from htmhw import _core

ROOT = Path(__file__).resolve().parent.parent
STUB = ROOT / "python" / "htmhw" / "_core.pyi"


def _stub_tree():
    return ast.parse(STUB.read_text())


def _stub_functions(body):
    """name -> [(parameter, has_default)] of the functions in an AST body (properties: None)."""
    out = {}
    for node in body:
        if not isinstance(node, ast.FunctionDef):
            continue
        decorators = {d.id if isinstance(d, ast.Name) else d.attr for d in node.decorator_list}
        if "property" in decorators or "setter" in decorators:
            out[node.name] = None
            continue
        args = node.args
        names = [a.arg for a in args.args]
        defaults = [False] * (len(names) - len(args.defaults)) + [True] * len(args.defaults)
        params = list(zip(names, defaults))
        if "staticmethod" not in decorators and params and params[0][0] == "self":
            params = params[1:]
        out[node.name] = params
    return out


def _split_top_level(text):
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if text[start:].strip():
        parts.append(text[start:])
    return parts


def _runtime_params(obj):
    """[(parameter, has_default)] from the first line of a pybind11 docstring, or None for an
    overloaded function (pybind11 writes "Overloaded function.")."""
    first = (obj.__doc__ or "").splitlines()[0] if obj.__doc__ else ""
    m = re.match(r"^\w+\((.*)\) -> .*$", first)
    if not m:
        return None
    params = []
    for part in _split_top_level(m.group(1)):
        name = part.split(":", 1)[0].strip()
        params.append((name, "=" in part.split(":", 1)[1] if ":" in part else False))
    if params and params[0][0] == "self":
        params = params[1:]
    return params


def _public(names):
    return {n for n in names if not n.startswith("_")}


def test_stub_names_match_the_module():
    tree = _stub_tree()
    stub_funcs = _stub_functions(tree.body)
    stub_classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    stub_constants = _public(n.target.id for n in tree.body if isinstance(n, ast.AnnAssign))
    runtime = _public(dir(_core))
    assert runtime == set(stub_funcs) | set(stub_classes) | stub_constants, "module names differ from the stub"
    assert isinstance(_core.MAX_THREADS, int) and "MAX_THREADS" in stub_constants
    for name, node in stub_classes.items():
        cls = getattr(_core, name)
        members = _public(n for n in dir(cls) if n not in dir(object) and not n.startswith("_pybind11"))
        stub_members = set(_stub_functions(node.body))
        assert members == stub_members - {"__init__"}, f"{name}: members differ from the stub"


def test_stub_signatures_match_the_module():
    tree = _stub_tree()
    checked = 0
    for scope, body in [(_core, tree.body)] + [
            (getattr(_core, n.name), n.body) for n in tree.body if isinstance(n, ast.ClassDef)]:
        for name, stub_params in _stub_functions(body).items():
            if stub_params is None:
                continue
            obj = getattr(scope, name)
            runtime = _runtime_params(obj)
            if runtime is None:
                continue
            where = f"{getattr(scope, '__name__', scope)}.{name}"
            assert runtime == stub_params, f"{where}: {runtime} vs stub {stub_params}"
            checked += 1
    assert checked > 60  # every function and method of the module


def test_stub_is_installed_with_the_package():
    installed = Path(inspect.getfile(htmhw)).parent / "_core.pyi"
    assert installed.read_text() == STUB.read_text()


# The stub against the module; the rest of the package (which mypy reads because
# htmhw/__init__.py imports it) is not what this test checks, so its errors are silenced.
MYPY_CONFIG = """\
[mypy]
ignore_missing_imports = True
follow_imports = silent
[mypy-htmhw.*]
ignore_errors = True
[mypy-htmhw._core]
ignore_errors = False
"""


def test_stubtest(tmp_path):
    pytest.importorskip("mypy")
    config = tmp_path / "mypy.ini"
    config.write_text(MYPY_CONFIG)
    # MYPYPATH: the repository's stub (the import is the installed module, as everywhere).
    env = dict(os.environ, MYPYPATH=str(ROOT / "python"))
    r = subprocess.run([sys.executable, "-m", "mypy.stubtest", "htmhw._core", "--mypy-config-file", str(config),
                        "--ignore-disjoint-bases", "--allowlist", str(ROOT / "tests" / "stubtest-allowlist.txt")],
                       capture_output=True, text=True, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Success" in r.stdout


def test_ruff():
    pytest.importorskip("ruff")
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)], capture_output=True,
                       text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
