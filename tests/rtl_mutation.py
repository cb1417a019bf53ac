"""The one way the RTL tests build a mutant: a copy of hdl_ref/rtl with edits to one file."""
import shutil
from pathlib import Path

from htmhw.hw import hdl


def mutated_copy(tmp_path: Path, fname: str, edits) -> Path:
    """hdl_ref/rtl copied to tmp_path/rtl with each (old, new) of ``edits`` applied to
    ``fname``; each ``old`` must occur exactly once (a stale target fails the test)."""
    rtl = tmp_path / "rtl"
    shutil.copytree(hdl.hdl_ref_dir() / "rtl", rtl)
    text = (rtl / fname).read_text()
    for old, new in edits:
        assert text.count(old) == 1, f"mutation target not found once in {fname}: {old}"
        text = text.replace(old, new)
    (rtl / fname).write_text(text)
    return rtl
