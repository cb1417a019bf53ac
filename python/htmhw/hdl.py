"""The module's home before the package had rooms; it is :mod:`htmhw.hw.hdl` (the same module object),
kept so that scripts written against ``htmhw.hdl`` keep working."""
import sys

from .hw import hdl as _moved

sys.modules[__name__] = _moved
