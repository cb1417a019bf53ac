"""The module's home before the package had rooms; it is :mod:`htmhw.hw.golden` (the same module object),
kept so that scripts written against ``htmhw.golden`` keep working."""
import sys

from .hw import golden as _moved

sys.modules[__name__] = _moved
