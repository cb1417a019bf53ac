"""Shared fixtures for the htmhw test suite."""
import os
from pathlib import Path

import pytest

# scikit-learn's check_array_api_input (run by parametrize_with_checks in
# test_estimator.py) needs SciPy's array-API mode, which SciPy reads once, at
# import; set it before anything imports scipy so the check runs instead of
# being skipped.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

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
