"""Spatial-pooler parameters derived from data.

:func:`mle_permanence_steps` gives ``syn_perm_active_inc`` and
``syn_perm_inactive_dec`` from a binary dataset, following the
maximum-likelihood reading of the permanence update in the mathematical
formalization of the spatial pooler (Mnatzaganian, Fokoue and Kudithipudi,
"A Mathematical Formalization of Hierarchical Temporal Memory's Spatial
Pooler", Front. Robot. AI 2017). The derivation is in docs/theory.md.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._param_table import HW_FIELDS, fill_doc
from ._validation import as_binary_matrix

__all__ = ["PermanenceSteps", "mle_permanence_steps"]


@dataclass(frozen=True)
class PermanenceSteps:
    """Result of :func:`mle_permanence_steps`; unpacks as ``inc, dec = result``.

    Floats (always set):

    - ``syn_perm_active_inc`` = s / a, ``syn_perm_inactive_dec`` = s / (1 - a);
    - ``active_fraction`` (a): mean fraction of active input bits;
    - ``scale`` (s): 1 / mean number of active bits per input.

    Fixed point (set when ``permanence_bits`` was given, else None):

    - ``permanence_bits`` (P) and ``perm_max`` (M = 2^P - 1);
    - ``inc_q``, ``dec_q``: the integer steps the datapath uses, from the
      datapath's own parameter mapping (``step(x) = max(1, RND(x M))``,
      docs/datapath.md); a float step above 1 is mapped as 1 (one update
      crosses the whole range either way);
    - ``inc_rounds_to_zero``, ``dec_rounds_to_zero``: the nearest integer step
      is 0 (x M < 0.5). The datapath then still uses 1 LSB, so learning does not
      stop, but the step is ``1 / (x M)`` times larger than the estimate;
    - ``inc_effective``, ``dec_effective``: ``inc_q / M``, ``dec_q / M``.
    """

    syn_perm_active_inc: float
    syn_perm_inactive_dec: float
    active_fraction: float
    scale: float
    permanence_bits: int | None = None
    perm_max: int | None = None
    inc_q: int | None = None
    dec_q: int | None = None
    inc_rounds_to_zero: bool | None = None
    dec_rounds_to_zero: bool | None = None

    def __iter__(self):
        yield self.syn_perm_active_inc
        yield self.syn_perm_inactive_dec

    def __len__(self):
        return 2

    def __getitem__(self, i):
        return (self.syn_perm_active_inc, self.syn_perm_inactive_dec)[i]

    @property
    def inc_effective(self) -> float | None:
        return None if self.inc_q is None else self.inc_q / self.perm_max

    @property
    def dec_effective(self) -> float | None:
        return None if self.dec_q is None else self.dec_q / self.perm_max


def _binary_data(X) -> np.ndarray:
    a = np.asarray(X)
    if a.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_inputs); got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"X must be non-empty; got shape {a.shape}")
    return as_binary_matrix(a, a.shape[1], "X").astype(bool)


def _datapath_steps(inc: float, dec: float, hw) -> tuple[int, int, int]:
    """(perm_max, inc_q, dec_q) from the fixed-point pooler's own parameter mapping.

    A two-column, one-input fixed-point pooler is built only to read its
    constants, so the quantization rule lives in one place (the C++ core). Two
    columns, not one: the inhibition density is capped at 0.5 (as in NuPIC), and
    int(0.5 * 1 column) = 0 winners is refused.
    """
    from .sp import SpatialPooler

    sp = SpatialPooler("fixed", hw=hw, input_dimensions=(1,),
                       column_dimensions=(2,), potential_radius=1, potential_pct=1.0, global_inhibition=True,
                       local_area_density=-1.0, num_active_columns_per_inh_area=1,
                       syn_perm_active_inc=min(inc, 1.0), syn_perm_inactive_dec=min(dec, 1.0),
                       syn_perm_connected=1.0, seed=1)
    c = sp.constants
    return int(c["perm_max"]), int(c["inc_q"]), int(c["dec_q"])


def mle_permanence_steps(X, permanence_bits: int | None = None) -> PermanenceSteps:
    """Permanence increment and decrement estimated from a binary dataset.

    With ``a`` = mean fraction of active bits (mean of X over samples and
    inputs) and ``s`` = 1 / mean number of active bits per sample:
    ``syn_perm_active_inc = s / a`` and ``syn_perm_inactive_dec = s / (1 - a)``.
    Then ``inc * a == dec * (1 - a) == s``: an input active exactly at the base
    rate ``a`` has zero expected drift, and the permanence of a winning column
    moves in proportion to (p_hat - a) / (a (1 - a)), where p_hat is the
    maximum-likelihood estimate of the input's activation probability
    (docs/theory.md).

    Parameters
    ----------
    X : array-like (n_samples, n_inputs) of 0/1 or bool
        At least one active and one inactive bit overall (a in (0, 1)).
    permanence_bits : {range:permanence_bits} or None, default None
        Also map the steps to the fixed-point datapath's integer steps for
        P-bit permanence words and report steps whose nearest integer is 0.

    Returns
    -------
    PermanenceSteps (unpacks as ``(inc, dec)``).

    ``inc = n / k_mean**2`` exceeds 1 for very sparse data (fewer than sqrt(n)
    active bits per sample on average); the pooler accepts steps in [0, 1], so
    clip before passing it as ``syn_perm_active_inc`` (one update then already
    crosses the whole permanence range).
    """
    x = _binary_data(X)
    n, width = x.shape
    active = int(np.count_nonzero(x))
    if active == 0:
        raise ValueError("X has no active bit: the active fraction a is 0 and s / a is undefined")
    if active == n * width:
        raise ValueError("X has every bit active: the active fraction a is 1 and s / (1 - a) is undefined")
    a = active / (n * width)
    s = n / active  # 1 / (active / n)
    inc, dec = s / a, s / (1.0 - a)
    if permanence_bits is None:
        return PermanenceSteps(inc, dec, a, s)
    from .datapath import HardwareConfig

    hw = HardwareConfig(permanence_bits=permanence_bits)  # its own check of the range
    m, inc_q, dec_q = _datapath_steps(inc, dec, hw)
    return PermanenceSteps(inc, dec, a, s, hw.permanence_bits, m, inc_q, dec_q,
                           inc_rounds_to_zero=inc * m < 0.5, dec_rounds_to_zero=dec * m < 0.5)


mle_permanence_steps.__doc__ = fill_doc(mle_permanence_steps.__doc__, HW_FIELDS)
