"""Fixed-point datapath configuration and memory-image export (docs/datapath.md)."""
from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from . import _core

_RANGES = {  # field: (low, high) inclusive; the C++ core checks the same ranges
    "permanence_bits": (2, 16),
    "overlap_bits": (0, 16),
    "boost_int_bits": (1, 8),
    "boost_frac_bits": (0, 16),
    "boosted_frac_bits": (0, 16),
    "duty_bits": (4, 16),
    "boost_lut_bits": (1, 12),
}


@dataclass(frozen=True)
class HardwareConfig:
    """Widths of the fixed-point spatial-pooler datapath (docs/datapath.md).

    permanence_bits: permanence memory word, 2..16 (default 8; <= 8 is stored in one byte).
    overlap_bits: overlap counter width, 1..16, or 0 (default) = derived from the
        largest potential pool (never saturates); narrower counters saturate.
    boost_int_bits, boost_frac_bits: boost factor format UQ(int).(frac), 1..8 and 0..16
        (defaults 3 and 8).
    boosted_frac_bits: fraction bits kept of the boosted overlap, 0..boost_frac_bits
        (default 4; rounding RND). overlap + boost_int + boosted_frac bits <= 24.
    duty_bits: duty-cycle registers, 4..16 (default 16).
    boost_lut_bits: boost lookup-table address bits, 1..min(12, duty_bits + 1) (default 10).
    """

    permanence_bits: int = 8
    overlap_bits: int = 0
    boost_int_bits: int = 3
    boost_frac_bits: int = 8
    boosted_frac_bits: int = 4
    duty_bits: int = 16
    boost_lut_bits: int = 10

    def __post_init__(self):
        for name, (lo, hi) in _RANGES.items():
            v = getattr(self, name)
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
                raise TypeError(f"HardwareConfig.{name} must be an integer; got {v!r}")
            if not lo <= v <= hi:
                raise ValueError(f"HardwareConfig.{name} must be an integer in [{lo}, {hi}]; got {v}")
            object.__setattr__(self, name, int(v))
        _core.hw_validate(self.to_dict())  # cross-field rules (e.g. boosted_frac_bits <= boost_frac_bits)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def coerce(cls, hw) -> "HardwareConfig":
        """HardwareConfig from None (defaults), a dict of fields, or a HardwareConfig."""
        if hw is None:
            return cls()
        if isinstance(hw, cls):
            return hw
        if isinstance(hw, dict):
            unknown = set(hw) - set(_RANGES)
            if unknown:
                raise TypeError(f"unknown HardwareConfig field(s): {sorted(unknown)}; known: {sorted(_RANGES)}")
            return cls(**hw)
        raise TypeError(f"hw must be a HardwareConfig, a dict or None; got {type(hw).__name__}")


def write_memh(path, words, width_bits: int, comment: str = "") -> None:
    """Write integer words as a ``$readmemh`` file: one zero-padded hex word per
    line, a ``//`` header comment stating the width and count."""
    a = np.asarray(words)
    if not np.issubdtype(a.dtype, np.integer):
        raise TypeError(f"words must be integers; got dtype {a.dtype}")
    if not isinstance(width_bits, numbers.Integral) or not 1 <= width_bits <= 64:
        raise ValueError(f"width_bits must be an integer in [1, 64]; got {width_bits!r}")
    a = a.reshape(-1).astype(np.uint64)
    if a.size and int(a.max()) >= 1 << width_bits:
        raise ValueError(f"a word does not fit in width_bits={width_bits}: {int(a.max())}")
    digits = (width_bits + 3) // 4
    lines = [f"// {comment}".rstrip(), f"// width {width_bits} bits, {a.size} words"]
    lines += [format(int(v), f"0{digits}x") for v in a]
    Path(path).write_text("\n".join(lines) + "\n")


__all__ = ["HardwareConfig", "write_memh"]
