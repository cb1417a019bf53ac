"""The fixed-point datapath's configuration (docs/datapath.md); its memory images are in htmhw.hw.memh."""
from __future__ import annotations

from dataclasses import asdict, dataclass


from . import _core
from ._param_table import HW, HW_FIELDS, check_fields, table_dataclass


@dataclass(frozen=True)
@table_dataclass(HW_FIELDS)
class HardwareConfig:
    """Widths of the fixed-point spatial-pooler datapath (docs/datapath.md), in bits.
    The boost factor has the format UQ(boost_int_bits).(boost_frac_bits)."""

    def __post_init__(self):
        for name, v in check_fields(self, HW_FIELDS).items():
            object.__setattr__(self, name, v)
        _core.hw_validate(self.to_dict())  # the rules the core builds with (tests keep the table equal to them)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def coerce(cls, hw) -> HardwareConfig:
        """HardwareConfig from None (defaults), a dict of fields, or a HardwareConfig."""
        if hw is None:
            return cls()
        if isinstance(hw, cls):
            return hw
        if isinstance(hw, dict):
            unknown = set(hw) - set(HW)
            if unknown:
                raise TypeError(f"unknown HardwareConfig field(s): {sorted(unknown)}; known: {sorted(HW)}")
            return cls(**hw)
        raise TypeError(f"hw must be a HardwareConfig, a dict or None; got {type(hw).__name__}")


__all__ = ["HardwareConfig"]
