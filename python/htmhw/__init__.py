"""htmhw: spatial pooler models for HTM hardware design."""
import importlib as _importlib
from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version

from . import datapath, datasets, metrics, novelty, params, reconstruct, sdr
from ._core import MAX_THREADS
from .datapath import HardwareConfig
from .estimator import SpatialPoolerTransformer
from .kwta import kwta_global, kwta_local
from .som import SOMEncoder
from .sp import SpatialPooler

try:
    __version__ = _version("htmhw")
except _PackageNotFoundError:  # running from a source tree
    __version__ = "0+unknown"

# Documented subpackages and modules imported on first use (htmhw.hw.hdl.model_cycles works after
# `import htmhw`), so that `import htmhw` does not pay for dask, the HDL tools' wrappers or the CLI.
_LAZY = ("configs", "crossbar", "demos", "golden", "hdl", "hw", "nupic", "sweep")


def __getattr__(name):
    if name in _LAZY:
        return _importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'htmhw' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["SpatialPooler", "SOMEncoder", "HardwareConfig", "datapath", "SpatialPoolerTransformer", "kwta_global",
           "kwta_local", "sdr", "datasets", "reconstruct", "metrics", "params", "novelty", "configs", "crossbar",
           "golden", "hdl", "hw", "demos", "nupic", "sweep", "MAX_THREADS", "__version__"]
