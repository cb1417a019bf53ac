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
_MNIST_TEST_IMAGES = "t10k-images-idx3-ubyte"


def _has_mnist(directory: Path) -> bool:
    return any((directory / (_MNIST_TEST_IMAGES + ext)).is_file() for ext in ("", ".gz"))


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """Directory holding the MNIST IDX files.

    Looked up in ``$HTMHW_DATA/mnist``, then ``$HTMHW_DATA``, then
    ``<repo>/../shared/data/mnist``. A missing dataset is a test failure, not a
    skip: the MNIST test is part of the suite's contract.
    """
    candidates = []
    root = os.environ.get("HTMHW_DATA")
    if root:
        candidates += [Path(root) / "mnist", Path(root)]
    candidates.append(REPO.parent / "shared" / "data" / "mnist")
    for candidate in candidates:
        if _has_mnist(candidate):
            return candidate
    pytest.fail(
        "MNIST not found: looked for t10k-images-idx3-ubyte[.gz] in "
        + ", ".join(str(c) for c in candidates)
        + ". Set HTMHW_DATA to a directory holding the MNIST IDX files (or its 'mnist' subdirectory).",
        pytrace=False,
    )
