"""`.ci/run` itself: it must run the README's test command and fail when either half of it
fails. The script runs here against shims (apt, the HDL tools, `htmhw`, the sanitizer job
and python3 are stand-ins that log their calls), so nothing is installed or built."""
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README_TEST_COMMAND = 'python3 -m pip install ".[test]" && python3 -m pytest'

PYTHON_SHIM = """#!/bin/sh
echo "python3 $*" >> "$CALLS"
case "$*" in
  "-m pip install .[test]") exit "$INSTALL_STATUS" ;;
  "-m pytest") exit "$PYTEST_STATUS" ;;
esac
exit 0
"""
LOGGING_SHIM = '#!/bin/sh\necho "$(basename "$0") $*" >> "$CALLS"\n'
# The sanitizer job: `sanitize build` (started in the background before the suite) exits
# with $SANITIZE_BUILD_STATUS, the run (after the suite) with 0.
SANITIZE_SHIM = """#!/bin/sh
echo "sanitize $*" >> "$CALLS"
if [ "$1" = build ]; then exit "$SANITIZE_BUILD_STATUS"; fi
exit 0
"""


def _shim(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def ci(tmp_path):
    repo, bin_dir = tmp_path / "repo", tmp_path / "bin"
    (repo / ".ci").mkdir(parents=True)
    bin_dir.mkdir()
    shutil.copy(REPO / ".ci" / "run", repo / ".ci" / "run")
    _shim(repo / ".ci" / "sanitize", SANITIZE_SHIM)
    _shim(bin_dir / "python3", PYTHON_SHIM)
    for tool in ("sudo", "apt-get", "iverilog", "verilator", "htmhw"):
        _shim(bin_dir / tool, LOGGING_SHIM + ('exec "$@"\n' if tool == "sudo" else ""))
    calls = tmp_path / "calls.log"

    def run(install_status: int, pytest_status: int, sanitize_build_status: int = 0):
        calls.write_text("")
        env = dict(os.environ, PATH=f"{bin_dir}:/usr/bin:/bin", CALLS=str(calls),
                   INSTALL_STATUS=str(install_status), PYTEST_STATUS=str(pytest_status),
                   SANITIZE_BUILD_STATUS=str(sanitize_build_status))
        proc = subprocess.run(["bash", str(repo / ".ci" / "run")], env=env, capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)
        return proc.returncode, [line.strip() for line in calls.read_text().splitlines()]

    return run


def test_ci_runs_the_readme_test_command_verbatim():
    readme = (REPO / "README.md").read_text()
    assert README_TEST_COMMAND in readme
    lines = [l for l in (REPO / ".ci" / "run").read_text().splitlines() if not l.lstrip().startswith("#")]
    assert any(README_TEST_COMMAND in l for l in lines)


def test_ci_passes_when_install_and_tests_pass(ci):
    status, calls = ci(0, 0)
    assert status == 0
    assert "python3 -m pip install .[test]" in calls and "python3 -m pytest" in calls
    # The shims let the whole script run: the failures below are real.
    assert "sanitize build" in calls and "sanitize" in calls


def test_ci_fails_when_the_install_fails(ci):
    status, calls = ci(1, 0)
    assert status != 0
    assert "python3 -m pytest" not in calls and "sanitize" not in calls


def test_ci_fails_when_the_tests_fail(ci):
    status, calls = ci(0, 1)
    assert status != 0
    assert "sanitize" not in calls and not any(c.startswith("htmhw") for c in calls)


def test_ci_fails_when_the_background_sanitizer_build_fails(ci):
    status, calls = ci(0, 0, sanitize_build_status=1)
    assert status != 0
    assert "sanitize build" in calls and "python3 -m pytest" in calls and "sanitize" not in calls
