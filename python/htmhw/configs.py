"""Named spatial-pooler configurations: the anchor configs of the benchmarks
(docs/protocols.md) and small ones for golden vectors and HDL tests.

Each entry is a dict of :class:`htmhw.SpatialPooler` parameters (snake_case);
``named_config(name)`` returns a copy.
"""
from __future__ import annotations

_ANCHORS = {
    # docs/protocols.md "random": 1024 inputs (102 active per step), 2048 columns, 40 winners.
    "random": dict(input_dimensions=(1024,), column_dimensions=(2048,), potential_radius=1024, potential_pct=0.85,
                   global_inhibition=True, local_area_density=0.02, stimulus_threshold=0,
                   syn_perm_inactive_dec=0.01, syn_perm_active_inc=0.1, syn_perm_connected=0.1,
                   min_pct_overlap_duty_cycle=0.001, duty_cycle_period=1000, boost_strength=0.0, seed=1),
    # docs/protocols.md "mnist" (protocol mnist-10k).
    "mnist": dict(input_dimensions=(28, 28), column_dimensions=(28, 28, 8), potential_radius=7, potential_pct=0.1,
                  global_inhibition=True, local_area_density=0.1, stimulus_threshold=6,
                  syn_perm_inactive_dec=0.002, syn_perm_active_inc=0.14, syn_perm_connected=0.5,
                  min_pct_overlap_duty_cycle=0.2, duty_cycle_period=1402, boost_strength=2.0, seed=4,
                  wrap_around=True),
    # The `htmhw demo` pooler for the embedded 8x8 digits: 32x32 columns, each sampling 60 % of
    # the whole input, global kWTA with 10 % winners.
    "digits": dict(input_dimensions=(8, 8), column_dimensions=(32, 32), potential_radius=8, potential_pct=0.6,
                   global_inhibition=True, local_area_density=0.1, stimulus_threshold=2,
                   syn_perm_inactive_dec=0.005, syn_perm_active_inc=0.05, syn_perm_connected=0.2,
                   min_pct_overlap_duty_cycle=0.01, duty_cycle_period=500, boost_strength=1.0, seed=1,
                   wrap_around=False),
    # Small configurations for golden vectors / RTL simulation.
    "tiny": dict(input_dimensions=(16,), column_dimensions=(8,), potential_radius=16, potential_pct=0.5,
                 global_inhibition=True, local_area_density=0.25, stimulus_threshold=1,
                 syn_perm_inactive_dec=0.01, syn_perm_active_inc=0.1, syn_perm_connected=0.2,
                 min_pct_overlap_duty_cycle=0.1, duty_cycle_period=64, boost_strength=2.0, seed=1),
    # MNIST-sized input, 16x16 columns with small local pools (784 x 256, ~5k synapses).
    "mnist-256": dict(input_dimensions=(28, 28), column_dimensions=(16, 16), potential_radius=3, potential_pct=0.4,
                      global_inhibition=True, local_area_density=0.05, stimulus_threshold=2,
                      syn_perm_inactive_dec=0.01, syn_perm_active_inc=0.1, syn_perm_connected=0.3,
                      min_pct_overlap_duty_cycle=0.1, duty_cycle_period=256, boost_strength=1.5, seed=2,
                      wrap_around=False),
}
_ANCHORS["random-boost"] = dict(_ANCHORS["random"], boost_strength=3.0)
# tiny, tuned so that every datapath path runs within a few hundred steps: strong boosting
# makes columns with overlap < threshold eligible (raise-to-threshold loop), a high
# minPctOverlapDutyCycle produces weak-column bumps.
_ANCHORS["tiny-stress"] = dict(_ANCHORS["tiny"], stimulus_threshold=4, boost_strength=20.0,
                               syn_perm_inactive_dec=0.1, min_pct_overlap_duty_cycle=0.8)

# Active input bits per step of the anchor random stimulus (docs/protocols.md: 102 of 1024).
RANDOM_ACTIVE_FRACTION = 0.1

NAMES = tuple(sorted(_ANCHORS))


def named_config(name: str) -> dict:
    """SpatialPooler parameters of a named configuration (one of ``NAMES``)."""
    if name not in _ANCHORS:
        raise ValueError(f"unknown configuration {name!r}; known: {', '.join(NAMES)}")
    return dict(_ANCHORS[name])


__all__ = ["NAMES", "named_config", "RANDOM_ACTIVE_FRACTION"]
