"""Golden test vectors of the fixed-point datapath (format: docs/golden.md).

``export`` runs a fixed-point :class:`htmhw.SpatialPooler` (a copy: the caller's
pooler is not advanced) on an input stream and writes a directory of
``$readmemh`` files, a ``golden.npz`` with the same arrays and a
``manifest.json`` with widths, encodings and SHA-256 of every file. The same
pooler state, inputs and learn flags give a byte-identical directory.
"""
from __future__ import annotations

import copy
import hashlib
import json
import numbers
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .. import _core
from .._validation import as_binary_matrix
from ..datapath import HardwareConfig
from .memh import write_memh

FORMAT = "htmhw-golden"
FORMAT_VERSION = 1
# Addresses and counts are int64 in the .npz (safe arithmetic); data words use the narrowest unsigned dtype.
_INDEX_ARRAYS = ("pool_offset", "pool_input", "written_count", "written_column")


def bitlen(x: int) -> int:
    """Bits needed for the unsigned value x (at least 1)."""
    return max(1, int(x).bit_length())


def random_inputs(n_samples: int, num_inputs: int, num_active: int, seed: int) -> np.ndarray:
    """(n_samples, num_inputs) uint8 matrix with exactly ``num_active`` ones per row,
    drawn with the project's PRNG (docs/rng.md), identical on every platform.

    n_samples >= 0; num_inputs >= 1; 0 <= num_active <= num_inputs; seed in [0, 2**64).
    """
    for name, v in (("n_samples", n_samples), ("num_inputs", num_inputs), ("num_active", num_active), ("seed", seed)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must be an integer; got {v!r}")
    if not 0 <= int(seed) < 2**64:
        raise ValueError(f"seed must be in [0, 2**64); got {seed}")
    return _core.random_sdrs(int(n_samples), int(num_inputs), int(num_active), int(seed))


def learn_schedule(spec, n_steps: int) -> np.ndarray:
    """Learn flags for ``n_steps`` steps from a schedule: True/"all" (every step),
    False/"none", "first:N" (the first N steps learn, the rest infer), "every:K"
    (steps with index % K == 0 learn; K >= 1), or an array of n_steps booleans."""
    if isinstance(spec, (bool, np.bool_)):
        return np.full(n_steps, bool(spec), dtype=np.uint8)
    if isinstance(spec, str):
        if spec in ("all", "none"):
            return np.full(n_steps, spec == "all", dtype=np.uint8)
        kind, _, num = spec.partition(":")
        if kind in ("first", "every") and num.isdigit():
            n = int(num)
            if kind == "first":
                return (np.arange(n_steps) < n).astype(np.uint8)
            if n >= 1:
                return (np.arange(n_steps) % n == 0).astype(np.uint8)
        raise ValueError(f"learn schedule must be 'all', 'none', 'first:N' or 'every:K' (K >= 1); got {spec!r}")
    a = np.asarray(spec)
    if (a.shape != (n_steps,) or not (a.dtype == bool or np.issubdtype(a.dtype, np.integer))
            or np.any((a != 0) & (a != 1))):
        raise ValueError(f"learn must be a bool, a schedule string or {n_steps} booleans; got shape {a.shape}")
    return a.astype(np.uint8)


def estimate_bytes(sp, n_steps: int, n_learn: int) -> int:
    """About how many bytes :func:`export` writes for ``n_steps`` steps of which ``n_learn``
    learn (the .mem text files plus golden.npz). Every field's size follows from the widths,
    except the rewritten permanence rows, counted here as the winners' pools of each learning
    step (weak-column bumps rewrite more): an estimate for a warning, not a bound."""
    hw, q = sp.hw, sp.constants
    C, I = sp.num_columns, sp.num_inputs
    _, offsets = sp.permanence_memory()
    Z = int(offsets[-1])
    k = max(1, int(round(sp.params.get("local_area_density", 0) * C))
            if sp.params.get("local_area_density", 0) > 0 else int(sp.params.get("num_active_columns_per_inh_area", 1)))
    boost_w = hw.boost_int_bits + hw.boost_frac_bits
    boosted_w = q["overlap_bits"] + hw.boost_int_bits + hw.boosted_frac_bits

    def words(n, width):  # one hex line per word in the .mem file, the narrowest dtype in the .npz
        item = next(b for b in (1, 2, 4, 8) if width <= 8 * b)
        return n * (-(-width // 4) + 1 + item)

    def masks(rows, bits):  # a row of bits: one wide hex word, a bool row in the .npz
        return rows * (-(-bits // 4) + 1 + bits)

    P, D = hw.permanence_bits, hw.duty_bits
    fixed = 2 * words(Z, P) + words(Z, 64) + masks(C, I) + 10 * words(C, max(D, boost_w)) + words(C + 1, 64)
    per_step = masks(1, I) + words(1, 1) + words(C, q["overlap_bits"]) + words(C, boosted_w) + masks(1, C)
    per_learn = (3 * words(C, max(D, boost_w)) + words(1, 64) + words(k, 64) + words(k * Z // max(C, 1), P))
    return int(fixed + n_steps * per_step + n_learn * per_learn)


def configuration_manifest(sp) -> dict:
    """The part of a golden directory's manifest that describes the configuration, not the
    steps: ``sp_params`` (seed as a string: JSON has no uint64), ``hw``, ``constants``,
    ``sizes`` (num_inputs, num_columns, num_synapses, min_duty_words, initial_iteration)
    and ``boost_in_inference``. :func:`export` writes it; ``htmhw.hw.hdl.top_parameters``
    reads only this part, so a design's parameters can be checked without an export."""
    if sp.arithmetic != "fixed":
        raise ValueError("a hardware manifest needs arithmetic='fixed'")
    params = sp.params
    offsets = sp.permanence_memory()[1]
    C = sp.num_columns
    sp_params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()}
    sp_params["seed"] = str(sp_params["seed"])
    return {
        "sp_params": sp_params,
        "hw": sp.hw.to_dict(),
        "constants": {k: (int(v) if v is not None else None) for k, v in sp.constants.items()},
        # One minimum-duty word under global inhibition, one per column under local (as exported).
        "sizes": {"num_inputs": sp.num_inputs, "num_columns": C, "num_synapses": int(offsets[-1]),
                  "min_duty_words": 1 if params["global_inhibition"] else C,
                  "initial_iteration": int(sp.iteration_num)},
        "boost_in_inference": bool(params.get("boost_in_inference", False)),
    }


def export(out_dir, sp, inputs, learn=True, *, stimulus: dict | None = None, overwrite: bool = False) -> dict:
    """Write the golden-vector directory of docs/golden.md and return its manifest.

    out_dir: directory to create (it must not exist unless ``overwrite``; it is
        written to a temporary sibling and renamed, so it is never half-written).
    sp: a :class:`htmhw.SpatialPooler` with ``arithmetic="fixed"``; a copy is run.
    inputs: binary array (n_steps, num_inputs) (or input dimensions per row), n_steps >= 1.
    learn: learn schedule (see :func:`learn_schedule`).
    stimulus: free-form JSON-able description recorded in the manifest (source, seed).
    """
    from ..sp import SpatialPooler

    if not isinstance(sp, SpatialPooler):
        raise TypeError(f"sp must be an htmhw.SpatialPooler; got {type(sp).__name__}")
    if sp.arithmetic != "fixed":
        raise ValueError("golden vectors need arithmetic='fixed' (the float model is not the hardware contract)")
    if sp.crossbar_read is not None:
        raise ValueError("golden vectors describe the ideal datapath; this pooler reads through a crossbar device "
                         "(htmhw.crossbar.detach_device(sp) first, or export from a copy without it)")
    x = as_binary_matrix(inputs, sp.num_inputs)
    if x.shape[0] < 1:
        raise ValueError("inputs must have at least one row (n_steps >= 1)")
    flags = learn_schedule(learn, x.shape[0])
    out_dir = Path(out_dir)
    if out_dir.exists() and not overwrite:
        raise ValueError(f"out_dir {out_dir} exists; pass overwrite=True (CLI: --force) to replace it")

    sp = copy.deepcopy(sp)
    core = sp.fixed_core("golden.export")
    hw: HardwareConfig = sp.hw
    q = dict(sp.constants)
    params = sp.params
    perm0, offsets = sp.permanence_memory()
    potential = core.potential_dense().astype(bool)
    init = {
        "init_perm": perm0,
        "pool_offset": offsets,
        "pool_input": np.nonzero(potential)[1],
        "pool_mask": potential,
        "init_overlap_duty": core.overlap_duty_q(),
        "init_active_duty": core.active_duty_q(),
        "init_min_overlap_duty": core.min_overlap_duty_q()[: 1 if params["global_inhibition"] else None],
        "init_boost": core.boost_q(),
        "boost_lut": core.boost_lut(),
    }
    config = configuration_manifest(sp)
    constants = config["constants"]
    initial_radius, initial_quota = sp.inhibition_radius, core.kwta_quotas()
    trace = core.trace_batch(x, flags)
    final = {
        "final_perm": sp.permanence_memory()[0],
        "final_overlap_duty": core.overlap_duty_q(),
        "final_active_duty": core.active_duty_q(),
        "final_min_overlap_duty": core.min_overlap_duty_q()[: 1 if params["global_inhibition"] else None],
        "final_boost": core.boost_q(),
    }

    C, I, Z, N = sp.num_columns, sp.num_inputs, int(offsets[-1]), x.shape[0]
    L = int(flags.sum())
    P, D = hw.permanence_bits, hw.duty_bits
    B_o = q["overlap_bits"]
    boost_w = hw.boost_int_bits + hw.boost_frac_bits
    boosted_w = B_o + hw.boost_int_bits + hw.boosted_frac_bits
    wo = trace["written_offset"]
    # (name, array, width_bits, encoding): the order of the files in the manifest.
    fields = [
        ("init_perm", init["init_perm"], P, "permanence words, pool order (column-major, ascending input)"),
        ("pool_offset", init["pool_offset"], bitlen(Z), "first synapse address of each column, C+1 words"),
        ("pool_input", init["pool_input"], bitlen(I - 1), "input index of each synapse"),
        ("pool_mask", init["pool_mask"], I, "potential-pool mask per column, bit i = input i"),
        ("init_overlap_duty", init["init_overlap_duty"], D, "UQ0.D overlap duty cycle per column"),
        ("init_active_duty", init["init_active_duty"], D, "UQ0.D active duty cycle per column"),
        ("init_min_overlap_duty", init["init_min_overlap_duty"], D, "UQ0.D minimum overlap duty (1 word global)"),
        ("init_boost", init["init_boost"], boost_w, f"UQ{hw.boost_int_bits}.{hw.boost_frac_bits} boost per column"),
        ("boost_lut", init["boost_lut"], boost_w, f"UQ{hw.boost_int_bits}.{hw.boost_frac_bits}, 2^A entries"),
        ("input", x.astype(bool), I, "input vector per step, bit i = input i"),
        ("learn", flags, 1, "learn flag per step"),
        ("overlap", trace["overlap"], B_o, "raw overlap, step-major N x C"),
        ("boosted", trace["boosted"], boosted_w,
         f"boosted overlap UQ{B_o + hw.boost_int_bits}.{hw.boosted_frac_bits}, step-major N x C"),
        ("winners", trace["winners"].astype(bool), C, "winner mask per step, bit c = column c"),
        ("written_count", np.diff(wo), bitlen(C), "columns whose permanence row was rewritten, per learning step"),
        ("written_column", trace["written_column"], bitlen(C - 1), "rewritten columns, ascending per learning step"),
        ("written_perm", trace["written_perm"], P, "their permanence rows after the step"),
        ("overlap_duty", trace["overlap_duty"], D, "overlap duty after each learning step, L x C"),
        ("active_duty", trace["active_duty"], D, "active duty after each learning step, L x C"),
        ("min_overlap_duty", trace["min_overlap_duty"], D, "minimum overlap duty after each learning step"),
        ("boost", trace["boost"], boost_w, "boost factors after each learning step, L x C"),
        ("final_perm", final["final_perm"], P, "permanence memory after the last step"),
        ("final_overlap_duty", final["final_overlap_duty"], D, "after the last step"),
        ("final_active_duty", final["final_active_duty"], D, "after the last step"),
        ("final_min_overlap_duty", final["final_min_overlap_duty"], D, "after the last step"),
        ("final_boost", final["final_boost"], boost_w, "after the last step"),
    ]
    if not params["global_inhibition"]:
        # What the host writes at the update points (docs/golden.md, "Local inhibition").
        fields += [
            ("init_inhibition_radius", np.array([initial_radius], dtype=np.uint32), 32,
             "inhibition radius before step 0"),
            ("init_quota", initial_quota, bitlen(C), "kWTA quota per column before step 0"),
            ("inhibition_radius", trace["inhibition_radius"], 32, "inhibition radius after each learning step"),
            ("quota", trace["quota"], bitlen(C), "kWTA quota per column after each learning step, L x C"),
        ]
    extra_npz = {"written_offset": wo, "written_perm_offset": trace["written_perm_offset"]}
    cover = (coverage_counts(constants, hw.to_dict(), float(params["boost_strength"]),
                             {**{f[0]: np.asarray(f[1]) for f in fields}, **extra_npz})
             if params["global_inhibition"] else None)

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        files = {}
        npz_arrays = {}
        for name, arr, width, encoding in fields:
            arr = np.asarray(arr)
            words = arr.shape[0] if arr.dtype == bool and arr.ndim == 2 else arr.size
            digest = write_memh(tmp / f"{name}.mem", arr, width, f"{name}: {encoding}")
            files[f"{name}.mem"] = {"width_bits": int(width), "words": int(words), "encoding": encoding,
                                    "sha256": digest}
            npz_arrays[name] = arr.astype(np.int64) if name in _INDEX_ARRAYS else _narrowest(arr, width)
        npz_arrays.update(extra_npz)
        files["golden.npz"] = {"encoding": "numpy .npz of the same arrays (docs/golden.md)",
                               "sha256": _write_npz(tmp / "golden.npz", npz_arrays)}
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "tool_version": _core.__version__,
            **{k: config[k] for k in ("sp_params", "hw", "constants")},
            "widths": {"permanence": P, "overlap": B_o, "boost": boost_w, "boosted": boosted_w, "duty": D,
                       "boost_lut_address": hw.boost_lut_bits},
            "sizes": {**config["sizes"], "num_steps": N, "num_learn_steps": L,
                      "num_written_columns": int(wo[-1]), "num_written_words": int(trace["written_perm"].size)},
            "boost_in_inference": config["boost_in_inference"],
            "stimulus": stimulus or {"source": "array"},
            "coverage": cover,
            "files": files,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


COVERAGE_COUNTS = ("kwta_tie_at_cut", "fewer_than_k_eligible", "winner_at_threshold", "overlap_saturated",
                   "perm_inc_saturated", "perm_dec_saturated", "perm_bump_saturated", "raise_rounds",
                   "trim_to_zero", "weak_columns", "weak_at_equal", "weak_trim_to_zero")


def boost_lut_address(active_duty, target_q: int, duty_bits: int, lut_bits: int):
    """Boost-LUT address of an active duty (docs/datapath.md step 8): the duty difference
    a - t_q offset by 2^D, rounded to the nearest multiple of 2^(D+1-A) (RND) and
    saturated at the last entry (SAT). Works on ints and integer arrays."""
    sh = duty_bits + 1 - lut_bits
    biased = np.asarray(active_duty, dtype=np.int64) - target_q + (1 << duty_bits) + ((1 << sh) >> 1)
    return np.minimum(biased >> sh, (1 << lut_bits) - 1)


def coverage_counts(constants: dict, hw: dict, boost_strength: float, g: dict) -> dict:
    """How often each branch of the contract (docs/datapath.md) fires in a golden
    directory's vectors under global inhibition (the manifest's ``coverage``, defined in
    docs/golden.md). ``g``: the directory's arrays (``golden.npz`` names).

    The counts come from replaying the vectors: the permanence memory is rebuilt from
    ``init_perm`` and the written rows, and every fact counted is checked against the
    exported words it predicts (overlaps, winners, rewritten columns and rows); a
    disagreement raises RuntimeError, so a count cannot silently describe other data.
    """
    M, conn, inc, dec = constants["perm_max"], constants["conn_q"], constants["inc_q"], constants["dec_q"]
    bump_q, trim, theta, k = constants["bump_q"], constants["trim_q"], constants["stimulus"], constants["k"]
    t_q, D, A = constants["target_q"], hw["duty_bits"], hw["boost_lut_bits"]
    omax = (1 << constants["overlap_bits"]) - 1
    threshold = theta << hw["boosted_frac_bits"]
    offsets = np.asarray(g["pool_offset"], dtype=np.int64)
    C = offsets.size - 1
    column_of = np.repeat(np.arange(C), np.diff(offsets))
    pool_input = np.asarray(g["pool_input"], dtype=np.int64)
    perm = np.asarray(g["init_perm"], dtype=np.int64).copy()
    counts = dict.fromkeys(COVERAGE_COUNTS, 0)
    addresses = []
    min_duty = int(np.asarray(g["init_min_overlap_duty"]).ravel()[0])
    index = np.arange(C)

    def disagree(step, what):
        raise RuntimeError(f"coverage replay disagrees with the exported {what} at step {step}")

    def bump(p, mask):  # + bump_q, SAT at M, on the synapses in mask
        counts["perm_bump_saturated"] += int((mask & (p + bump_q > M)).sum())
        return np.where(mask, np.minimum(p + bump_q, M), p)

    def trim_pass(p, mask, key):  # p < trim_q -> 0 on the synapses in mask
        counts[key] += int((mask & (p > 0) & (p < trim)).sum())
        return np.where(mask & (p < trim), 0, p)

    max_rounds = -(-conn // bump_q) if bump_q else 0
    l = 0
    for s in range(np.asarray(g["learn"]).size):
        x = np.asarray(g["input"][s], dtype=bool)
        x_pool = x[pool_input]
        true_overlap = np.bincount(column_of, weights=(perm >= conn) & x_pool, minlength=C).astype(np.int64)
        if not np.array_equal(np.minimum(true_overlap, omax), g["overlap"][s]):
            disagree(s, "overlaps")
        counts["overlap_saturated"] += int((true_overlap > omax).sum())
        score = np.asarray(g["boosted"][s], dtype=np.int64)
        eligible = score >= threshold
        order = np.lexsort((index, -score))  # descending score, lower index first
        ranked = order[eligible[order]]
        won = np.zeros(C, dtype=bool)
        won[ranked[:k]] = True
        if not np.array_equal(won, np.asarray(g["winners"][s], dtype=bool)):
            disagree(s, "winners")
        if ranked.size < k:
            counts["fewer_than_k_eligible"] += 1
        elif k > 0:
            cut = score[ranked[k - 1]]
            counts["kwta_tie_at_cut"] += int((score[ranked] == cut).sum() > (score[ranked[:k]] == cut).sum())
        counts["winner_at_threshold"] += int((won & (score == threshold)).sum())
        if not g["learn"][s]:
            continue
        v, a = np.asarray(g["overlap_duty"][l], dtype=np.int64), np.asarray(g["active_duty"][l], dtype=np.int64)
        weak = v < min_duty
        counts["weak_columns"] += int(weak.sum())
        counts["weak_at_equal"] += int((v == min_duty).sum())
        if boost_strength > 0:
            addresses.append(boost_lut_address(a, t_q, D, A))
        written = np.flatnonzero(won | weak)
        lo, hi = g["written_offset"][l], g["written_offset"][l + 1]
        if not np.array_equal(written, g["written_column"][lo:hi]):
            disagree(s, "rewritten columns")
        w = won[column_of]
        counts["perm_inc_saturated"] += int((w & x_pool & (perm + inc > M)).sum())
        counts["perm_dec_saturated"] += int((w & ~x_pool & (perm < dec)).sum())
        p = np.where(w, np.where(x_pool, np.minimum(perm + inc, M), np.maximum(perm - dec, 0)), perm)
        for _ in range(max_rounds + 1):  # raise to threshold, all short winners at once
            short = won & (np.bincount(column_of, weights=w & (p >= conn), minlength=C) < theta)
            if not short.any():
                break
            counts["raise_rounds"] += int(short.sum())
            p = bump(p, short[column_of])
        p = trim_pass(p, w, "trim_to_zero")
        p = trim_pass(bump(p, weak[column_of]), weak[column_of], "weak_trim_to_zero")
        if not np.array_equal(p[(won | weak)[column_of]],
                              g["written_perm"][g["written_perm_offset"][l]:g["written_perm_offset"][l + 1]]):
            disagree(s, "permanence rows")
        perm = p
        min_duty = int(np.asarray(g["min_overlap_duty"][l]).ravel()[0])
        l += 1
    if addresses:
        used = np.concatenate(addresses)
        counts["boost_lut_address_min"], counts["boost_lut_address_max"] = int(used.min()), int(used.max())
    else:
        counts["boost_lut_address_min"] = counts["boost_lut_address_max"] = None
    return counts


def load(golden_dir) -> tuple[dict, dict]:
    """(manifest, arrays) of a golden directory, after checking the format version and
    the SHA-256 of every file; raises ValueError naming the file and the problem."""
    golden_dir = Path(golden_dir)
    mpath = golden_dir / "manifest.json"
    if not mpath.is_file():
        raise ValueError(f"{golden_dir}: no manifest.json (not a golden directory, or an incomplete one)")
    try:
        manifest = json.loads(mpath.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{mpath}: not valid JSON ({e})") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{mpath}: format {manifest.get('format')!r} version {manifest.get('format_version')!r}; "
                         f"this htmhw reads {FORMAT!r} version {FORMAT_VERSION}")
    for name, meta in manifest["files"].items():
        p = golden_dir / name
        if not p.is_file():
            raise ValueError(f"{p}: listed in the manifest but missing")
        if hashlib.sha256(p.read_bytes()).hexdigest() != meta["sha256"]:
            raise ValueError(f"{p}: SHA-256 does not match the manifest (file modified or corrupted)")
    with np.load(golden_dir / "golden.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    return manifest, arrays


def _narrowest(arr: np.ndarray, width: int) -> np.ndarray:
    """The smallest unsigned dtype holding ``width``-bit words (bool matrices stay bool)."""
    if arr.dtype == bool:
        return arr
    for dt in (np.uint8, np.uint16, np.uint32, np.uint64):
        if width <= 8 * np.dtype(dt).itemsize:
            return arr.astype(dt, copy=False)
    raise ValueError(f"width {width} does not fit 64 bits")


class _HashingWriter:
    def __init__(self, f):
        self.f, self.digest = f, hashlib.sha256()

    def write(self, b):
        self.digest.update(b)
        return self.f.write(b)

    def flush(self):
        self.f.flush()


def _write_npz(path, arrays: dict) -> str:
    """An uncompressed .npz with fixed zip metadata (numpy's savez stamps the
    current time, which would break byte-identical exports); returns its SHA-256."""
    with open(path, "wb") as raw:
        out = _HashingWriter(raw)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for name in sorted(arrays):
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                with zf.open(info, "w", force_zip64=True) as f:
                    np.lib.format.write_array(f, np.ascontiguousarray(arrays[name]), allow_pickle=False)
        return out.digest.hexdigest()


__all__ = ["export", "configuration_manifest", "load", "boost_lut_address", "coverage_counts", "COVERAGE_COUNTS",
           "random_inputs", "learn_schedule", "bitlen", "FORMAT_VERSION"]
