"""The package's layering (docs/architecture.md, "Layers"): which room of python/htmhw may
import which. Read from the source with ast, so an import anywhere in a module (also inside a
function) counts."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "python" / "htmhw"

# The model: the poolers, their configuration and the tools that only need a pooler or SDRs.
MODEL = {"sp", "datapath", "nupic", "estimator", "kwta", "sdr", "som", "metrics", "datasets", "configs", "params",
         "novelty"}
FOUNDATION = {"_core", "_validation", "_param_table", "_fileformat", "_resources"}
# Room -> the rooms it may import (besides itself). "model" and "foundation" name the sets above.
ALLOWED = {
    "foundation": {"foundation"},
    "model": {"foundation", "model"},
    "reconstruct": {"foundation", "model"},
    "hw": {"foundation", "model"},
    "crossbar": {"foundation", "model", "hw"},
    "demos": {"foundation", "model", "reconstruct"},
    "sweep": {"foundation", "model", "reconstruct", "hw", "crossbar"},
    "cli": {"foundation", "model", "reconstruct", "hw", "crossbar", "demos", "sweep"},
    "package": {"foundation", "model", "reconstruct", "hw", "crossbar", "demos", "sweep"},  # __init__.py
    "alias": {"hw"},  # hdl.py, golden.py: the old names of hw.hdl, hw.golden
}
ALIASES = {"hdl", "golden"}


def room(module: str) -> str:
    """The room of a dotted module name inside htmhw ("hw.hdl" -> "hw", "sp" -> "model")."""
    head = module.split(".")[0]
    if head == "":
        return "package"
    if head in FOUNDATION:
        return "foundation"
    if head in MODEL:
        return "model"
    if head in ALIASES:
        return "alias"
    if head in ALLOWED:
        return head
    raise AssertionError(f"htmhw.{module} is in no room of the layering; add it to tests/test_layering.py "
                         "and docs/architecture.md")


def imported_modules(source: str, module: str, is_package: bool) -> set[str]:
    """Dotted names (relative to htmhw) of the htmhw modules that ``source`` imports."""
    parts = module.split(".") if module else []
    here = parts if is_package else parts[:-1]
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - (node.level - 1)] if node.level > 1 else here
                prefix = ".".join(base + ([node.module] if node.module else []))
                # `from . import x` imports the submodule x when it is one
                names = [prefix] if node.module else [".".join(base + [a.name]) for a in node.names]
                out.update(n for n in names if n)
                continue
            names = [node.module or ""]
        else:
            continue
        for n in names:
            if n == "htmhw" or n.startswith("htmhw."):
                out.add(n[len("htmhw."):] if n != "htmhw" else "")
    return out


def violations(modules: dict[str, tuple[str, bool]]) -> list[str]:
    """Every import that crosses the layering; ``modules``: dotted name -> (source, is_package)."""
    bad = []
    for name, (source, is_package) in sorted(modules.items()):
        mine = room(name)
        for target in sorted(imported_modules(source, name, is_package)):
            theirs = room(target)
            if theirs not in ALLOWED[mine] and theirs != mine:
                bad.append(f"htmhw.{name} ({mine}) imports htmhw.{target} ({theirs})")
    return bad


def package_modules() -> dict[str, tuple[str, bool]]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).with_suffix("")
        is_package = rel.name == "__init__"
        parts = rel.parts[:-1] if is_package else rel.parts
        out[".".join(parts)] = (path.read_text(), is_package)
    return out


def test_every_import_follows_the_layering():
    modules = package_modules()
    assert {"hw.hdl", "crossbar.cost", "sweep.spec", "cli", "reconstruct.regression", "demos.mnist"} <= set(modules)
    assert violations(modules) == []


def missing_targets(modules: dict[str, tuple[str, bool]]) -> list[str]:
    """Imports of htmhw modules that do not exist (a relative import left one level short after a
    move fails only when its function runs). ``from . import x`` counts as importing module x:
    the package imports no plain attributes that way."""
    known = set(modules) | {"_core"}
    bad = []
    for name, (source, is_package) in sorted(modules.items()):
        for target in sorted(imported_modules(source, name, is_package)):
            if target not in known:
                bad.append(f"htmhw.{name} imports htmhw.{target}, which does not exist")
    return bad


def test_every_imported_module_exists():
    modules = package_modules()
    assert missing_targets(modules) == []
    moved_short = {"crossbar.read": ("def f():\n    from .sp import SpatialPooler\n", False), "crossbar": ("", True)}
    assert missing_targets(moved_short) == ["htmhw.crossbar.read imports htmhw.crossbar.sp, which does not exist"]


@pytest.mark.parametrize("name, source, is_package, expected", [
    ("hw.hdl", "from ..sweep import run\n", False, "htmhw.hw.hdl (hw) imports htmhw.sweep (sweep)"),
    ("sp", "def f():\n    from .cli import main\n", False, "htmhw.sp (model) imports htmhw.cli (cli)"),
    ("reconstruct", "from ..hw import golden\n", True, "htmhw.reconstruct (reconstruct) imports htmhw.hw (hw)"),
    ("crossbar.cost", "import htmhw.demos.mnist\n", False,
     "htmhw.crossbar.cost (crossbar) imports htmhw.demos.mnist (demos)"),
    ("hw.golden", "from .. import crossbar\n", False, "htmhw.hw.golden (hw) imports htmhw.crossbar (crossbar)"),
])
def test_the_checker_finds_a_forbidden_import(name, source, is_package, expected):
    assert violations({name: (source, is_package)}) == [expected]


def test_the_checker_allows_imports_down_the_layers():
    allowed = {"cli.hdl": ("from ..hw import fpga\nfrom ..sweep import run\n", False),
               "sweep.execution": ("from .. import crossbar\nfrom ..reconstruct import NearestSDR\n", False),
               "hw.golden": ("from ..sp import SpatialPooler\nfrom .memh import write_memh\n", False)}
    assert violations(allowed) == []


def test_relative_imports_resolve_to_their_modules():
    assert imported_modules("from ..sdr import as_sdr_csr\nfrom . import projection\n", "reconstruct.neighbours",
                            False) == {"sdr", "reconstruct.projection"}
    assert imported_modules("from .spec import tasks\nfrom .. import _core\n", "sweep", True) == \
        {"sweep.spec", "_core"}


def names_scripts_use(source: str) -> list[tuple[str, str]]:
    """(module, name) pairs a script takes from htmhw: ``from htmhw.x import name`` and
    ``alias.name`` where ``alias`` is bound by ``import htmhw.x as alias`` or ``from htmhw import x as alias``."""
    tree = ast.parse(source)
    aliases, used = {}, []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "htmhw":
            for a in node.names:
                used.append((node.module, a.name))
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "htmhw" and a.asname:
                    aliases[a.asname] = a.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            used.append((aliases[node.value.id], node.attr))
    return used


def test_scripts_outside_the_package_use_names_that_exist():
    # benchmarks/ and .ci/ run only in long jobs or under sanitizers: a name lost in a move
    # would fail there, late; this finds it in the ordinary suite.
    import importlib

    repo = PACKAGE.parents[1]
    missing = []
    for path in sorted([*repo.glob("benchmarks/*.py"), *repo.glob(".ci/*.py")]):
        for module, name in names_scripts_use(path.read_text()):
            try:
                obj = importlib.import_module(module)
            except ImportError:
                missing.append(f"{path.name}: module {module}")
                continue
            if not hasattr(obj, name):
                try:
                    importlib.import_module(f"{module}.{name}")
                except ImportError:
                    missing.append(f"{path.name}: {module}.{name}")
    assert missing == []
    assert ("htmhw.reconstruct", "_sum_rows") in names_scripts_use(
        "from htmhw import reconstruct as R\nR._sum_rows(1)\n")
