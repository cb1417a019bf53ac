"""Self-organizing map encoder: dense vectors -> topographic SDRs (top-K units).

``SOMEncoder`` trains a self-organizing map (Kohonen map) with the C++ core
(``cpp/src/som.cpp``) and encodes each sample as the K best-matching units of
the map, an SDR whose 2-D layout carries meaning. Quality measures
(quantization error, topographic error, U-matrix, hit map), per-sample novelty
scores and plots live here too. Specification: ``docs/som.md``.
"""
from __future__ import annotations

import inspect
import numbers

import numpy as np
import scipy.sparse as sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _core
from ._fileformat import StateFileError, read_state, write_state
from ._param_table import SOM, SOM_PARAMS, constraints, fill_doc
from ._resources import check_memory

_SEED_MAX = 2**63 - 1


def _grid_args(est):
    return (int(est.n_rows), int(est.n_cols), est.lattice, est.topology)


def check_grid(n_rows, n_cols, lattice="rect", topology="planar"):
    """Raise ValueError/TypeError naming the parameter unless the grid is valid."""
    for name, v in (("n_rows", n_rows), ("n_cols", n_cols)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral,)):
            raise TypeError(f"{name} must be an integer >= 1; got {v!r}")
        if v < 1:
            raise ValueError(f"{name} must be an integer >= 1; got {v}")
    if lattice not in ("rect", "hex"):
        raise ValueError(f"lattice must be 'rect' or 'hex'; got {lattice!r}")
    if topology not in ("planar", "toroidal"):
        raise ValueError(f"topology must be 'planar' or 'toroidal'; got {topology!r}")
    if lattice == "hex" and topology == "toroidal" and n_rows % 2:
        raise ValueError(
            f"n_rows must be even for a toroidal hexagonal grid (odd rows are shifted by half a unit); got {n_rows}")
    if n_rows * n_cols > 1 << 20:
        raise ValueError(f"n_rows * n_cols must be at most {1 << 20} units; got {n_rows} x {n_cols}")


def grid_distances(n_rows, n_cols, lattice="rect", topology="planar"):
    """Euclidean grid distances between all units, (n_units, n_units) float64 (exact squares, then sqrt)."""
    check_grid(n_rows, n_cols, lattice, topology)
    return np.sqrt(_core.som_grid_distance2_matrix(n_rows, n_cols, lattice, topology))


def unit_coordinates(n_rows, n_cols, lattice="rect", topology="planar"):
    """(x, y) of every unit, (n_units, 2): rect (col, row); hex (col + 0.5 (row odd), row sqrt(3)/2)."""
    check_grid(n_rows, n_cols, lattice, topology)
    return _core.som_unit_coordinates(n_rows, n_cols, lattice, topology)


def adjacency(n_rows, n_cols, lattice="rect", topology="planar"):
    """Grid adjacency as a list of neighbour arrays (rect: 8 neighbours, hex: 6; wrapped on a torus)."""
    check_grid(n_rows, n_cols, lattice, topology)
    offsets, neighbors = _core.som_adjacency(n_rows, n_cols, lattice, topology)
    return [neighbors[offsets[u]:offsets[u + 1]].astype(np.int64) for u in range(len(offsets) - 1)]


class SOMEncoder(TransformerMixin, BaseEstimator):
    """Self-organizing map encoder: each sample becomes the SDR of its K best-matching units.

    Parameters
    ----------
    {param:n_rows}
    {param:n_cols}
        Map shape; units are numbered row-major (unit = row * n_cols + col).
    {param:lattice}
        Unit layout. hex: offset rows, odd rows shifted right by half a unit, row
        spacing sqrt(3)/2 (all six neighbours at distance 1).
    {param:topology}
        toroidal wraps both axes (hex needs an even ``n_rows``).
    {param:neighborhood}
        gaussian: exp(-d^2 / (2 (std_coeff * radius)^2)); bubble: 1 within ``radius``.
    {param:method}
        Batch SOM (one update per epoch from all samples) or online (one per sample).
    {param:n_epochs}
    {param:radius_start}
        Neighbourhood radius of the first epoch (online: first step); None means
        max(n_rows, n_cols) / 2.
    {param:radius_end}
    {param:radius_decay}
    {param:learning_rate_start}
    {param:learning_rate_end}
        Online training only (batch training has no learning rate).
    {param:learning_rate_decay}
    {param:std_coeff}
        Gaussian sigma = std_coeff * radius (somoclu's convention).
    init : {"pca", "sample"} or array of shape (n_units, n_features), default "pca"
        Initial prototypes: the plane of the first two principal components,
        random training samples, or given.
    {param:n_active}
        K, active units per SDR.
    weighting : {None, "rank", "distance"}, default None
        SDR values: None 1.0; "rank" (K - r) / K for the r-th nearest unit
        (r = 0 .. K-1); "distance" (d_0 + 1e-12) / (d_r + 1e-12) with d_r the
        Euclidean distance of the r-th nearest unit.
    output : {"sparse", "dense", "indices"}, default "sparse"
        ``transform`` returns a CSR float32 matrix (n_samples, n_units), a dense
        float32 array, or the (n_samples, n_active) int64 unit indices ranked by
        distance.
    random_state : int, RandomState or None, default 0
        Seed of the initialization and the online sample order (project PRNG).
    {param:n_threads}
        Threads for training and encoding; results are identical for any value.

    Attributes
    ----------
    weights_ : ndarray (n_units, n_features) float32
        Unit prototypes.
    n_features_in_ : int
    n_units_ : int
    quantization_error_, topographic_error_ : float
        On the training data.

    Ties between units at the same distance go to the lower unit index.
    """

    _parameter_constraints = {
        **constraints(SOM_PARAMS),
        "radius_start": [*constraints([SOM["radius_start"]])["radius_start"], None],
        "init": [StrOptions({"pca", "sample"}), "array-like"],
        "weighting": [StrOptions({"rank", "distance"}), None],
        "output": [StrOptions({"sparse", "dense", "indices"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_rows=32,
        n_cols=32,
        lattice="rect",
        topology="planar",
        neighborhood="gaussian",
        method="batch",
        n_epochs=10,
        radius_start=None,
        radius_end=1.0,
        radius_decay="linear",
        learning_rate_start=0.5,
        learning_rate_end=0.01,
        learning_rate_decay="linear",
        std_coeff=0.5,
        init="pca",
        n_active=16,
        weighting=None,
        output="sparse",
        random_state=0,
        n_threads=1,
    ):
        self.n_rows = n_rows
        self.n_cols = n_cols
        self.lattice = lattice
        self.topology = topology
        self.neighborhood = neighborhood
        self.method = method
        self.n_epochs = n_epochs
        self.radius_start = radius_start
        self.radius_end = radius_end
        self.radius_decay = radius_decay
        self.learning_rate_start = learning_rate_start
        self.learning_rate_end = learning_rate_end
        self.learning_rate_decay = learning_rate_decay
        self.std_coeff = std_coeff
        self.init = init
        self.n_active = n_active
        self.weighting = weighting
        self.output = output
        self.random_state = random_state
        self.n_threads = n_threads

    # ------------------------------------------------------------------ fit --
    def _seed(self):
        if isinstance(self.random_state, numbers.Integral) and not isinstance(self.random_state, (bool, np.bool_)):
            if not 0 <= int(self.random_state) <= _SEED_MAX:
                raise ValueError(f"random_state must be an int in [0, 2**63 - 1]; got {self.random_state}")
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(0, 2**31 - 1))

    def _check_params(self):
        self._validate_params()
        check_grid(self.n_rows, self.n_cols, self.lattice, self.topology)
        units = self.n_rows * self.n_cols
        if self.n_active > units:
            raise ValueError(f"n_active must be in [1, {units}] (the number of units, n_rows * n_cols); "
                             f"got {self.n_active}")
        if self.radius_decay == "exponential" or self.learning_rate_decay == "exponential":
            pass  # start and end are > 0 by the constraints above
        return units

    @staticmethod
    def _as_float32(X, name="X"):
        a = np.asarray(X)
        # min and max need no temporaries (isfinite and abs made two X-sized ones, a tenth of
        # a dense 512-d encode); NaN fails both comparisons, so it takes the detailed path.
        if a.size and not (float(a.min()) >= -1e15 and float(a.max()) <= 1e15):
            if not np.all(np.isfinite(a)):
                raise ValueError(f"{name} must be finite with |value| <= 1e15; it holds NaN or infinity")
            peak = float(np.max(np.abs(a)))
            raise ValueError(f"{name} must be finite with |value| <= 1e15 (squared distances must fit float32); "
                             f"found {peak:g}")
        return np.ascontiguousarray(a, dtype=np.float32)

    def fit(self, X, y=None, progress=False):
        """Train the map on X (n_samples, n_features). ``progress=True`` shows a progress bar
        over the epochs (tqdm; trained one epoch per call, with the same prototypes)."""
        units = self._check_params()
        X = validate_data(self, X, accept_sparse=False, dtype=[np.float32, np.float64], ensure_all_finite=True)
        X32 = self._as_float32(X)
        # Prototypes, their transposed tiles, per-unit sums and smoothed numerators (float32
        # units x features each) and one row of distances per sample chunk.
        check_memory(f"SOMEncoder with {units} units x {X32.shape[1]} features", 4.0 * 4 * units * X32.shape[1],
                     "Reduce n_rows * n_cols or the number of features")
        seed = self._seed()
        grid = _grid_args(self)
        if isinstance(self.init, str):
            w0 = _core.som_init(*grid, X32, self.init, seed, int(self.n_threads))
        else:
            w0 = np.asarray(self.init)
            if w0.dtype == object or not np.issubdtype(w0.dtype, np.number) or np.iscomplexobj(w0):
                raise TypeError(f"init must be 'pca', 'sample' or a real array; got dtype {w0.dtype}")
            if w0.shape != (units, X.shape[1]):
                raise ValueError(f"init array must have shape (n_units, n_features) = ({units}, {X.shape[1]}); "
                                 f"got {w0.shape}")
            w0 = self._as_float32(w0, "init")
        radius_start = max(self.n_rows, self.n_cols) / 2.0 if self.radius_start is None else float(self.radius_start)
        def train(w, begin=0, end=0):
            return _core.som_train(
                *grid, w, X32, self.method, self.neighborhood, int(self.n_epochs), radius_start,
                float(self.radius_end), self.radius_decay, float(self.learning_rate_start),
                float(self.learning_rate_end), self.learning_rate_decay, float(self.std_coeff), seed,
                int(self.n_threads), begin, end)

        if progress:
            from tqdm.auto import tqdm

            w = w0
            for e in tqdm(range(int(self.n_epochs)), desc="SOM training", unit="epoch"):
                w = train(w, e, e + 1)
            self.weights_ = w
        else:
            self.weights_ = train(w0)
        self.n_units_ = units
        units2, dist2 = self._topk(X32, min(2, units))
        self.quantization_error_ = float(np.mean(dist2[:, 0], dtype=np.float64))
        self.topographic_error_ = self._te_from_units(units2)
        return self

    # --------------------------------------------------------------- files --
    _STATE_KIND = "htmhw-som"

    def save(self, path) -> None:
        """Write the fitted encoder (its parameters and prototypes) to ``path``: versioned,
        SHA-256 checksummed, written atomically (the format of the pooler's state files).
        An array ``init`` or a RandomState ``random_state`` is stored as None (they only
        matter for fitting; the prototypes are saved)."""
        check_is_fitted(self, "weights_")
        params = self.get_params()
        if not isinstance(params["init"], str):
            params["init"] = None
        if not isinstance(params["random_state"], numbers.Integral) or isinstance(params["random_state"], bool):
            params["random_state"] = None
        meta = {"params": params, "n_units": int(self.n_units_), "n_features_in": int(self.n_features_in_),
                "quantization_error": self.quantization_error_, "topographic_error": self.topographic_error_}
        write_state(path, self._STATE_KIND, meta, {"weights": np.ascontiguousarray(self.weights_, np.float32)})

    @classmethod
    def load(cls, path) -> SOMEncoder:
        """Read a file written by :meth:`save`; a truncated, corrupted, foreign or
        inconsistent file raises ValueError naming the file and the problem."""
        meta, arrays, _ = read_state(path, cls._STATE_KIND)
        try:
            params = dict(meta["params"])
            if params.get("init") is None:
                params["init"] = "pca"
            enc = cls(**params)
            units = enc._check_params()
            w = arrays["weights"]
            n_features = int(meta["n_features_in"])
            if w.dtype != np.float32 or w.shape != (units, n_features) or int(meta["n_units"]) != units:
                raise ValueError(f"weights of shape {w.shape} ({w.dtype}) do not match {units} units x "
                                 f"{n_features} features (float32)")
            if not np.isfinite(w).all():
                raise ValueError("weights hold NaN or infinity")
            enc.weights_, enc.n_units_, enc.n_features_in_ = w, units, n_features
            enc.quantization_error_ = float(meta["quantization_error"])
            enc.topographic_error_ = float(meta["topographic_error"])
        except (KeyError, TypeError, ValueError) as e:
            raise StateFileError(f"{path}: invalid SOM encoder state ({e})") from None
        return enc

    # ------------------------------------------------------------ encoding --
    def _checked_X(self, X):
        check_is_fitted(self, "weights_")
        X = validate_data(self, X, accept_sparse=False, dtype=[np.float32, np.float64], ensure_all_finite=True,
                          reset=False)
        return self._as_float32(X)

    def _topk(self, X32, k):
        return _core.som_topk(*_grid_args(self), self.weights_, X32, int(k), int(self.n_threads))

    def encode(self, X, n_active=None):
        """(units, distances): the n_active (default ``n_active``) nearest units of every
        sample ranked by distance (ties to the lower unit), int64 and float32 (n_samples, K)."""
        X32 = self._checked_X(X)
        k = self.n_active if n_active is None else n_active
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
            raise TypeError(f"n_active must be an integer; got {k!r}")
        if not 1 <= k <= self.n_units_:
            raise ValueError(f"n_active must be in [1, {self.n_units_}] (the number of units); got {k}")
        units, dist = self._topk(X32, k)
        return units.astype(np.int64), dist

    def _values(self, dist):
        k = dist.shape[1]
        if self.weighting is None:
            return np.ones(dist.shape, dtype=np.float32)
        if self.weighting == "rank":
            return np.broadcast_to(((k - np.arange(k)) / k).astype(np.float32), dist.shape).copy()
        d = dist.astype(np.float64)
        return ((d[:, :1] + 1e-12) / (d + 1e-12)).astype(np.float32)

    def transform(self, X):
        """SDRs of X: CSR float32 (n_samples, n_units), dense, or ranked indices (see ``output``)."""
        self._check_params()
        units, dist = self.encode(X)
        if self.output == "indices":
            return units
        n, k = units.shape
        values = self._values(dist)
        order = np.argsort(units, axis=1, kind="stable")
        cols = np.take_along_axis(units, order, axis=1)
        vals = np.take_along_axis(values, order, axis=1)
        sdr = sparse.csr_matrix((vals.ravel(), cols.ravel(), np.arange(0, n * k + 1, k)), shape=(n, self.n_units_))
        if self.output == "dense":
            return sdr.toarray()
        return sdr

    def inverse_transform(self, X):
        """Reconstruction: the prototypes of the active units averaged with the SDR values as
        weights (rows without active units give zeros). X: an SDR matrix (n_samples, n_units),
        sparse or dense, or ranked indices (n_samples, K) when ``output="indices"``."""
        check_is_fitted(self, "weights_")
        W = self.weights_.astype(np.float64)
        if self.output == "indices" and not sparse.issparse(X):
            idx = np.asarray(X)
            if idx.ndim != 2 or not np.issubdtype(idx.dtype, np.integer):
                raise ValueError(f"X must be a 2-D integer array of unit indices (n_samples, K); got shape "
                                 f"{idx.shape}, dtype {idx.dtype}")
            if idx.size and (idx.min() < 0 or idx.max() >= self.n_units_):
                raise ValueError(f"unit indices must be in [0, {self.n_units_})")
            return W[idx].mean(axis=1) if idx.shape[1] else np.zeros((len(idx), W.shape[1]))
        A = X if sparse.issparse(X) else np.asarray(X)
        if A.ndim != 2 or A.shape[1] != self.n_units_:
            raise ValueError(f"X must have shape (n_samples, n_units={self.n_units_}); got {A.shape}")
        A = sparse.csr_matrix(A, dtype=np.float64)
        if A.nnz and not np.all(np.isfinite(A.data)):
            raise ValueError("X contains NaN or infinity")
        total = np.asarray(A.sum(axis=1)).ravel()
        out = np.asarray(A @ W)
        nz = total != 0
        out[nz] /= total[nz, None]
        out[~nz] = 0.0
        return out

    # ------------------------------------------------------ quality measures --
    def _te_from_units(self, units2):
        if units2.shape[1] < 2:
            return 0.0
        # the two nearest units form one blob exactly when they are adjacent (the C++ adjacency)
        _, blobs = _core.som_dispersion(*_grid_args(self), np.ascontiguousarray(units2), int(self.n_threads))
        return float(np.mean(blobs != 1))

    def quantization_error(self, X):
        """Mean Euclidean distance from each sample to its best-matching unit's prototype."""
        _, dist = self._topk(self._checked_X(X), 1)
        return float(np.mean(dist[:, 0], dtype=np.float64))

    def topographic_error(self, X):
        """Fraction of samples whose two nearest units are not adjacent on the grid
        (rect: the 8 surrounding units; hex: the 6 at distance 1; wrapped on a torus)."""
        units, _ = self._topk(self._checked_X(X), min(2, self.n_units_))
        return self._te_from_units(units)

    def u_matrix(self):
        """(n_rows, n_cols): mean Euclidean distance from each prototype to its adjacent units' prototypes."""
        check_is_fitted(self, "weights_")
        W = self.weights_.astype(np.float64)
        out = np.zeros(self.n_units_)
        for u, nb in enumerate(adjacency(*_grid_args(self))):
            if len(nb):
                out[u] = np.mean(np.sqrt(((W[nb] - W[u]) ** 2).sum(axis=1)))
        return out.reshape(self.n_rows, self.n_cols)

    def hit_map(self, X):
        """(n_rows, n_cols) int64: how many samples of X have each unit as best-matching unit."""
        units, _ = self._topk(self._checked_X(X), 1)
        return np.bincount(units[:, 0].astype(np.int64), minlength=self.n_units_).reshape(self.n_rows, self.n_cols)

    def novelty_scores(self, X):
        """Per-sample novelty scores (higher = more novel), a dict of (n_samples,) arrays:
        ``bmu_distance`` (Euclidean distance to the best-matching prototype),
        ``mean_pairwise_distance`` (mean grid distance between the K active units),
        ``n_blobs`` (connected groups of active units under the grid adjacency)."""
        X32 = self._checked_X(X)
        units, dist = self._topk(X32, self.n_active)
        mean_pw, blobs = _core.som_dispersion(*_grid_args(self), np.ascontiguousarray(units), int(self.n_threads))
        return {"bmu_distance": dist[:, 0].astype(np.float64), "mean_pairwise_distance": mean_pw,
                "n_blobs": blobs.astype(np.int64)}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        tags.input_tags.sparse = False
        return tags


# ------------------------------------------------------------------- plots ----

SOMEncoder.__doc__ = fill_doc(SOMEncoder.__doc__, SOM_PARAMS, defaults={
    k: v.default for k, v in inspect.signature(SOMEncoder.__init__).parameters.items()})


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_grid(values, n_rows, n_cols, lattice="rect", ax=None, cmap="viridis", vmin=None, vmax=None, title=None,
              colorbar=False):
    """Draw per-unit values (n_units or (n_rows, n_cols)) on the map: squares for rect,
    hexagons (odd rows shifted right) for hex. Row 0 at the top. Returns the artist."""
    plt = _pyplot()
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import RegularPolygon

    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if v.size != n_rows * n_cols:
        raise ValueError(f"values must have n_rows * n_cols = {n_rows * n_cols} entries; got {v.size}")
    if ax is None:
        ax = plt.gca()
    if lattice == "rect":
        art = ax.imshow(v.reshape(n_rows, n_cols), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    else:
        xy = _core.som_unit_coordinates(n_rows, n_cols, "hex", "planar")
        patches = [RegularPolygon((x, y), numVertices=6, radius=1 / np.sqrt(3), orientation=0) for x, y in xy]
        art = PatchCollection(patches, cmap=cmap, edgecolor="none")
        art.set_array(v)
        art.set_clim(vmin if vmin is not None else v.min(), vmax if vmax is not None else v.max())
        ax.add_collection(art)
        ax.set_xlim(-0.6, n_cols + 0.1)
        ax.set_ylim(xy[:, 1].max() + 0.6, -0.6)
        ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    if colorbar:
        ax.figure.colorbar(art, ax=ax, fraction=0.046, pad=0.04)
    return art


def plot_sdr(encoder, sdr_row, ax=None, title=None, cmap="gray_r"):
    """One SDR (a row of ``transform``: dense, sparse or ranked indices) as an image on the grid."""
    check_is_fitted(encoder, "weights_")
    if sparse.issparse(sdr_row):
        v = np.asarray(sdr_row.todense()).ravel()
    else:
        a = np.asarray(sdr_row)
        if a.ndim == 1 and a.size != encoder.n_units_ and np.issubdtype(a.dtype, np.integer):
            v = np.zeros(encoder.n_units_)
            v[a] = 1.0
        else:
            v = a.astype(np.float64).ravel()
    return plot_grid(v, encoder.n_rows, encoder.n_cols, encoder.lattice, ax=ax, cmap=cmap, vmin=0.0,
                     vmax=max(1.0, float(v.max()) if v.size else 1.0), title=title)


def plot_u_matrix(encoder, ax=None, title="U-matrix", cmap="bone_r"):
    """The U-matrix on the grid (dark = large distance between neighbouring prototypes)."""
    return plot_grid(encoder.u_matrix(), encoder.n_rows, encoder.n_cols, encoder.lattice, ax=ax, cmap=cmap,
                     title=title, colorbar=True)


def plot_hit_map(encoder, X, ax=None, title="hit map", cmap="viridis"):
    """How many samples of X map to each unit."""
    return plot_grid(encoder.hit_map(X), encoder.n_rows, encoder.n_cols, encoder.lattice, ax=ax, cmap=cmap,
                     title=title, colorbar=True)


def plot_class_averages(encoder, X, y, path=None, max_classes=12):
    """Average SDR of each class (first ``max_classes`` classes in sorted order); returns the figure."""
    plt = _pyplot()
    y = np.asarray(y)
    classes = np.unique(y)[:max_classes]
    sdr = encoder.transform(X) if encoder.output != "indices" else None
    if sdr is None:
        idx = encoder.transform(X)
        sdr = sparse.csr_matrix((np.ones(idx.size), idx.ravel(), np.arange(0, idx.size + 1, idx.shape[1])),
                                shape=(len(idx), encoder.n_units_))
    sdr = sparse.csr_matrix(sdr)
    cols = min(len(classes), 5)
    rows = -(-len(classes) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 2.3 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i, c in enumerate(classes):
        mean = np.asarray(sdr[y == c].mean(axis=0)).ravel()
        ax = axes.ravel()[i]
        ax.axis("on")
        plot_grid(mean, encoder.n_rows, encoder.n_cols, encoder.lattice, ax=ax, cmap="magma", vmin=0.0, vmax=1.0,
                  title=f"class {c}", colorbar=True)
    fig.suptitle("average SDR per class (colour: fraction of the class's samples in which the unit is active)",
                 fontsize=9)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
        plt.close(fig)
    return fig



def plot_sdrs(sdrs, n_rows, n_cols, lattice="rect", labels=None, n_show=16, path=None):
    """SDRs as images on an n_rows x n_cols map (rect squares or hex cells): the first
    ``n_show`` (1..256) SDRs, titled with their labels when given; with ``labels`` (one per
    SDR) also the mean activation map of each class (at most 20 classes, in sorted order:
    the fraction of the class's SDRs in which each unit is active). ``sdrs``: anything
    :func:`htmhw.sdr.as_sdr_csr` accepts, n_rows * n_cols units wide. Returns the figure;
    with ``path`` also writes it there (PNG)."""
    from .sdr import as_sdr_csr

    check_grid(n_rows, n_cols, lattice)
    if isinstance(n_show, (bool, np.bool_)) or not isinstance(n_show, numbers.Integral) or not 1 <= n_show <= 256:
        raise ValueError(f"n_show must be an integer in [1, 256]; got {n_show!r}")
    indptr, indices, n, w = as_sdr_csr(sdrs, n_rows * n_cols)
    m = sparse.csr_matrix((np.ones(indices.size, dtype=np.float32), indices, indptr), shape=(n, w))
    classes = None
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim != 1 or len(labels) != n:
            raise ValueError(f"labels must be 1-D with one label per SDR ({n}); got shape {labels.shape}")
        classes = np.unique(labels)
        if len(classes) > 20:
            raise ValueError(f"labels hold {len(classes)} classes; class maps are drawn for at most 20")
    plt = _pyplot()
    shown = min(n, int(n_show))
    cols = min(8, shown)
    rows = -(-shown // cols)
    class_rows = 0 if classes is None else -(-len(classes) // cols)
    fig, axes = plt.subplots(rows + class_rows, cols, figsize=(1.7 * cols, 1.8 * (rows + class_rows) + 0.4),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i in range(shown):
        ax = axes[i // cols, i % cols]
        ax.axis("on")
        title = f"#{i}" + (f" label {labels[i]}" if labels is not None else "")
        plot_grid(m[i].toarray().ravel(), n_rows, n_cols, lattice, ax=ax, cmap="gray_r", vmin=0.0, vmax=1.0,
                  title=title)
    if classes is not None:
        for j, c in enumerate(classes):
            ax = axes[rows + j // cols, j % cols]
            ax.axis("on")
            mean = np.asarray(m[labels == c].mean(axis=0)).ravel()
            plot_grid(mean, n_rows, n_cols, lattice, ax=ax, cmap="magma", vmin=0.0, vmax=1.0,
                      title=f"class {c} mean", colorbar=True)
    fig.suptitle(f"{shown} of {n} SDRs on the {n_rows}x{n_cols} {lattice} map (black = active)"
                 + ("; class maps: fraction of the class's SDRs with the unit active" if classes is not None else ""),
                 fontsize=9)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
        plt.close(fig)
    return fig

__all__ = ["SOMEncoder", "check_grid", "grid_distances", "unit_coordinates", "adjacency", "plot_grid", "plot_sdr",
           "plot_u_matrix", "plot_hit_map", "plot_class_averages", "plot_sdrs"]
