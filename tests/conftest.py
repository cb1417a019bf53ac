"""Shared fixtures for the htmhw test suite."""
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """Directory holding the MNIST test split, found as the library finds it:
    ``$HTMHW_DATA/mnist`` or ``$HTMHW_DATA`` when HTMHW_DATA is set, else the copy
    shipped in the package (htmhw/data/mnist). A missing or damaged dataset is a test
    failure, not a skip: the MNIST tests are part of the suite's contract.
    """
    from htmhw.datasets import find_mnist_dir

    try:
        found = find_mnist_dir()
    except FileNotFoundError as e:
        pytest.fail(f"MNIST not found: {e}", pytrace=False)
    if found is None:
        pytest.fail("MNIST not found: the package's shipped copy (htmhw/data/mnist) is missing", pytrace=False)
    return found


# scikit-learn checks that need SciPy's array-API mode. SciPy reads SCIPY_ARRAY_API once,
# at import, and users run the default mode, so the suite does not set it: these checks
# run in a child process that sets it (the others run here, in the default mode).
_ARRAY_API_CHECKS = {"check_array_api_input"}


def _run_check_with_array_api(estimator, check):
    import subprocess
    import sys

    func = check.func if hasattr(check, "func") else check
    args = tuple(getattr(check, "args", ()))
    keywords = dict(getattr(check, "keywords", {}))
    code = (
        "import sys, unittest\n"
        "from sklearn.utils import estimator_checks as checks\n"
        "import htmhw\n"
        f"estimator = htmhw.{type(estimator).__name__}(**{estimator.get_params(deep=False)!r})\n"
        "try:\n"
        f"    checks.{func.__name__}(*{args!r}, estimator, **{keywords!r})\n"
        "except unittest.SkipTest as skip:\n"
        "    sys.exit(f'estimator check was skipped: {skip}')\n")
    env = dict(os.environ, SCIPY_ARRAY_API="1")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"{func.__name__} failed with SCIPY_ARRAY_API=1:\n{proc.stdout}\n{proc.stderr}", pytrace=False)


@pytest.fixture
def run_sklearn_check():
    """Run one check of ``parametrize_with_checks`` on an estimator; a skipped check fails
    (it would hide a gap), and the array-API checks run in a child with SCIPY_ARRAY_API=1."""
    import unittest

    def run(estimator, check):
        func = check.func if hasattr(check, "func") else check
        if func.__name__ in _ARRAY_API_CHECKS:
            _run_check_with_array_api(estimator, check)
            return
        try:
            check(estimator)
        except unittest.SkipTest as skip:
            pytest.fail(f"estimator check was skipped: {skip}")

    return run
