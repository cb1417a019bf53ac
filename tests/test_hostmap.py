"""The host-port selector map has one source, htmhw.hw.hostmap.HOST_SELECTORS: the checked-in
Verilog header hdl_ref/rtl/sp_host_map.vh and the table in hdl_ref/README.md must be what
the generator writes, and no consumer writes the numbers itself."""
import re
from pathlib import Path

import pytest

from htmhw.hw import hostmap

ROOT = Path(__file__).resolve().parents[1]
HDL_REF = ROOT / "hdl_ref"
REGENERATE = "regenerate: python -m htmhw.hw.hostmap --write (in the source checkout), and commit the result"


def test_checked_in_header_is_generated():
    header = HDL_REF / hostmap.HEADER_PATH
    assert header.read_text() == hostmap.verilog_header(), f"{header} differs from HOST_SELECTORS; {REGENERATE}"


def test_readme_table_is_generated():
    readme = HDL_REF / "README.md"
    text = readme.read_text()
    assert text == hostmap.readme_with_table(text), f"the host-map table in {readme} is stale; {REGENERATE}"
    assert hostmap.stale(HDL_REF) == []
    assert hostmap.main(["--check", "--hdl-ref", str(HDL_REF)]) == 0


def test_check_reports_a_stale_header(tmp_path, capsys):
    (tmp_path / "rtl").mkdir()
    (tmp_path / hostmap.HEADER_PATH).write_text(hostmap.verilog_header().replace("4'd11", "4'd12"))
    (tmp_path / "README.md").write_text((HDL_REF / "README.md").read_text())
    assert hostmap.stale(tmp_path) == [tmp_path / hostmap.HEADER_PATH]
    assert hostmap.main(["--check", "--hdl-ref", str(tmp_path)]) == 1
    assert "python -m htmhw.hw.hostmap --write" in capsys.readouterr().out
    assert hostmap.main(["--write", "--hdl-ref", str(tmp_path)]) == 0
    assert hostmap.stale(tmp_path) == []


def test_header_declares_every_selector():
    """Parse the generated localparams back: exactly the table's names and numbers."""
    decls = dict(re.findall(r"H_(\w+) = 4'd(\d+)", hostmap.verilog_header()))
    assert {k: int(v) for k, v in decls.items()} == hostmap.SELECTORS


def test_an_added_selector_reaches_header_and_table():
    extra = (*hostmap.HOST_SELECTORS, hostmap.HostSelector("SPARE", 15, "register", False, "32", "spare"))
    assert "H_SPARE = 4'd15;" in hostmap.verilog_header(extra)
    assert "| 15 | `H_SPARE` | register | read/write | `32` | spare |" in hostmap.markdown_table(extra)


@pytest.mark.parametrize("bad,match", [
    ((hostmap.HostSelector("PERM", 15, "column", False, "1", "x"),), "duplicate name"),
    ((hostmap.HostSelector("NEW", 0, "column", False, "1", "x"),), "duplicate number"),
    ((hostmap.HostSelector("NEW", 16, "column", False, "1", "x"),), "does not fit host_sel"),
    ((hostmap.HostSelector("new", 15, "column", False, "1", "x"),), "upper-case identifier"),
    ((hostmap.HostSelector("NEW", 15, "row", False, "1", "x"),), "addressing"),
])
def test_table_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        hostmap.verilog_header((*hostmap.HOST_SELECTORS, *bad))


def test_consumers_take_the_numbers_from_the_table():
    """sp_top.v and tb_sp.v include the header and declare no selector themselves;
    cocotb_sp.py imports them; sp_top decodes every selector on reads, and writes all
    but the read-only ones."""
    top = (HDL_REF / "rtl" / "sp_top.v").read_text()
    tb = (HDL_REF / "tb" / "tb_sp.v").read_text()
    for text in (top, tb):
        assert '`include "sp_host_map.vh"' in text
        assert not re.search(r"\bH_\w+\s*=", text)
    cocotb_sp = (HDL_REF / "tb" / "cocotb_sp.py").read_text()
    assert "from htmhw.hw.hostmap import SELECTORS" in cocotb_sp
    assert not re.search(r"^H_[\w, ]+=\s*(range\(|\d)", cocotb_sp, re.M)
    for s in hostmap.HOST_SELECTORS:
        assert re.search(rf"^\s*H_{s.name}: host_rdata =", top, re.M), s.name
        assert bool(re.search(rf"host_sel == H_{s.name}\b", top)) == (not s.read_only), s.name


def test_package_installs_the_header():
    """The CMake install rule that ships hdl_ref/ with the package copies .vh files."""
    cmake = (ROOT / "CMakeLists.txt").read_text()
    rule = next(line for line in cmake.splitlines() if "install(DIRECTORY hdl_ref/rtl" in line)
    assert 'PATTERN "*.vh"' in rule
