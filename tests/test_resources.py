"""Resource limits: a configuration whose state would not fit in memory is refused
up front, with the size it needs, instead of being killed by the OS later."""
import numpy as np
import pytest

import htmhw
from htmhw import _core
from htmhw._resources import ResourceLimitError, available_memory_bytes
from htmhw._param_table import core_params
from htmhw.configs import named_config


def test_size_estimate_by_hand():
    # 28x28 inputs, radius 7 -> 15x15 = 225 neighbours, 10 % -> round(22.5) = 23 (half up)
    # per column; 28*28*8 = 6272 columns; connected bits: ceil(784 / 64) = 13 words per column.
    e = _core.sp_size_estimate(core_params(named_config("mnist")))
    assert e["num_inputs"] == 784 and e["num_columns"] == 6272
    assert e["potential_synapses"] == 6272 * 23
    assert e["connected_bytes"] == 6272 * 13 * 8
    # Radius larger than the input: the whole input (1024) is the field.
    e = _core.sp_size_estimate(core_params(dict(named_config("random"), potential_radius=5000)))
    assert e["potential_synapses"] == 2048 * round(1024 * 0.85)


def test_state_that_does_not_fit_is_refused_with_its_size(monkeypatch):
    monkeypatch.setenv("HTMHW_MEMORY_LIMIT_BYTES", str(1_000_000))
    for arith in ("float", "fixed"):
        with pytest.raises(ResourceLimitError, match=r"6272 columns x 784 inputs .* would need about 2\.\d\d MiB"):
            htmhw.SpatialPooler(arithmetic=arith, **named_config("mnist"))
    # A ValueError too, so callers that handle bad parameters handle this.
    with pytest.raises(ValueError, match="HTMHW_MEMORY_LIMIT_BYTES"):
        htmhw.SpatialPooler(**named_config("mnist"))
    X = np.random.default_rng(0).random((50, 300)).astype(np.float32)
    with pytest.raises(MemoryError, match="SOMEncoder with 4096 units x 300 features"):
        htmhw.SOMEncoder(n_rows=64, n_cols=64).fit(X)
    # Under the limit it works.
    htmhw.SpatialPooler(**named_config("tiny"))


def test_huge_configuration_refused_on_this_machine():
    # 1e6 columns x 1e6 inputs with large pools: hundreds of GiB, never allocated.
    with pytest.raises(ValueError, match="GiB|potential synapses"):
        htmhw.SpatialPooler(input_dimensions=(1000, 1000), column_dimensions=(1000, 1000), potential_radius=100,
                            potential_pct=0.9)


def test_limit_variable_is_validated(monkeypatch):
    monkeypatch.setenv("HTMHW_MEMORY_LIMIT_BYTES", "lots")
    with pytest.raises(ValueError, match="HTMHW_MEMORY_LIMIT_BYTES must be an integer"):
        available_memory_bytes()
    monkeypatch.delenv("HTMHW_MEMORY_LIMIT_BYTES")
    assert available_memory_bytes() > 2**20
