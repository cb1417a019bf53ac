"""htmhw: spatial pooler models for HTM hardware design."""
from importlib.metadata import PackageNotFoundError, version

from . import datapath, datasets, metrics, novelty, params, reconstruct, sdr
from .datapath import HardwareConfig
from .estimator import SpatialPoolerTransformer
from .kwta import kwta_global, kwta_local
from .som import SOMEncoder
from .sp import SpatialPooler

try:
    __version__ = version("htmhw")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0+unknown"

__all__ = ["SpatialPooler", "SOMEncoder", "HardwareConfig", "datapath", "SpatialPoolerTransformer", "kwta_global",
           "kwta_local", "sdr", "datasets", "reconstruct", "metrics", "params", "novelty",
           "__version__"]
