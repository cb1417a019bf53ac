"""Up-front memory checks: a configuration whose state would not fit is refused with the
size it needs, before anything is allocated (Linux overcommits: a too-large allocation
would otherwise succeed and the process be killed later by the OOM killer)."""
from __future__ import annotations

import os

ENV_LIMIT = "HTMHW_MEMORY_LIMIT_BYTES"


class ResourceLimitError(MemoryError, ValueError):
    """A configuration that needs more memory than is available (also a ValueError, so
    that callers handling invalid parameters handle this too)."""


def available_memory_bytes() -> int | None:
    """``$HTMHW_MEMORY_LIMIT_BYTES`` if set, else the kernel's MemAvailable, else the
    available physical pages; None if nothing is known."""
    env = os.environ.get(ENV_LIMIT)
    if env:
        try:
            value = int(env)
        except ValueError:
            raise ValueError(f"{ENV_LIMIT} must be an integer number of bytes; got {env!r}") from None
        if value < 1:
            raise ValueError(f"{ENV_LIMIT} must be >= 1; got {value}")
        return value
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _size(n: float) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.2f} MiB"


def check_memory(what: str, needed_bytes: float, hint: str) -> None:
    """Raise ResourceLimitError when ``needed_bytes`` exceeds the available memory."""
    available = available_memory_bytes()
    if available is not None and needed_bytes > available:
        raise ResourceLimitError(
            f"{what} would need about {_size(needed_bytes)} ({needed_bytes:.4g} bytes) of memory; "
            f"{_size(available)} is available. {hint} (or set {ENV_LIMIT} to override the available amount)")


# Bytes per potential synapse: input index (uint32) + permanence (float32, or the fixed
# point word of up to 16 bits), plus per-column and per-input arrays.
_SYNAPSE_BYTES = {"float": 8, "fixed": 6}


def check_spatial_pooler(core_params: dict, arithmetic: str) -> None:
    from . import _core

    e = _core.sp_size_estimate(core_params)
    needed = (e["potential_synapses"] * _SYNAPSE_BYTES[arithmetic] + e["connected_bytes"] +
              e["num_columns"] * 96 + e["num_inputs"] * 8)
    check_memory(f"SpatialPooler with {e['num_columns']:.0f} columns x {e['num_inputs']:.0f} inputs "
                 f"({e['potential_synapses']:.4g} potential synapses)", needed,
                 "Reduce column_dimensions, potential_radius or potential_pct")
