"""Reconstruct a spatial pooler's input from its SDR.

Six ways, each a scikit-learn-style object with ``fit`` and
``reconstruct(sdrs) -> (n_samples, n_inputs) float32``:

- :class:`BackProjection`: sum of the receptive fields (connected synapses, or
  permanences) of the active columns, normalized to the input range. Needs
  only the pooler.
- :class:`UnionRule`: the mHTM paper's rule, an input bit is on when at least
  ``threshold`` active columns have a connected synapse to it (1 = the plain
  union). ``threshold="fit"`` picks the vote count that maximizes the bit F1
  score on training pairs.
- :class:`RidgeDecoder`: ridge regression SDR -> input in closed form. The
  Gram matrix of the binary SDRs is computed with the popcount kernel; the
  system is solved in the primal (columns x columns) or the dual (samples x
  samples), whichever is smaller.
- :class:`NearestSDR`: keeps the (SDR, input) pairs of a training set and
  returns the input of the best-overlapping training SDR (exact search with
  the C++ popcount kernel; ``algorithm="pynndescent"`` for approximate search
  when pynndescent is installed), or the overlap-weighted average of the top k.
- :class:`SOMPrototypes`: wraps any object with ``inverse_transform`` (the SOM
  encoder's prototypes).
- :class:`MLPDecoder`: a multi-layer perceptron SDR -> input (scikit-learn's
  ``MLPRegressor``, fixed ``random_state``).

A baseline that is not an SDR decoder: :class:`MatchingPursuit`, a dictionary
(sparse-coding) encoder whose atoms are 7x7 patches of training digits in place;
``encode`` gives the sparse code, ``reconstruct`` the image from it.

``sdrs`` may be a scipy.sparse matrix, a dense 2-D (or single 1-D) array of
0/1, or a list of integer index arrays (what ``SpatialPooler.compute(...,
output="indices")`` returns). The pooler may be an :class:`htmhw.SpatialPooler`
(float or fixed-point), an :class:`htmhw.nupic.SpatialPooler` or a fitted
:class:`htmhw.SpatialPoolerTransformer`. Metrics: :mod:`htmhw.metrics`.
Measurements on MNIST: docs/reconstruction.md.
"""
from ..sdr import as_sdr_csr, nearest_sdrs, pack_sdrs, pairwise_overlaps
from .neighbours import NearestSDR, SOMPrototypes
from .projection import BackProjection, UnionRule
from .pursuit import MatchingPursuit
from .regression import MLPDecoder, RidgeDecoder

__all__ = [
    "BackProjection", "UnionRule", "RidgeDecoder", "NearestSDR", "SOMPrototypes", "MLPDecoder", "MatchingPursuit",
    "as_sdr_csr", "pack_sdrs", "nearest_sdrs", "pairwise_overlaps",
]
