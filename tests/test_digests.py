"""Committed SHA-256 digests of golden vectors and SDRs (tests/digests.json).

The determinism tests elsewhere compare runs inside one process; these compare against
outputs recorded once, so a change of output on another platform, compiler, numpy or
Python version, or from a code change, is seen. When a change of output is deliberate
(a contract change, documented in docs/datapath.md), regenerate the file and commit it
with the change:

    python3 tests/test_digests.py --update

Golden directories are digested through their ``.mem`` files (the hardware words, plain
text); SDRs through the bytes of the (n, columns) uint8 matrix.
"""
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import htmhw
from htmhw.hw import golden
from htmhw.configs import named_config

DIGESTS = Path(__file__).resolve().parent / "digests.json"

# (name, config, hw fields, overrides of the config, steps, stimulus seed, learn schedule)
GOLDEN_CASES = [
    ("tiny-stress-global", "tiny-stress", {}, {}, 300, 5, True),
    ("tiny-local-p4", "tiny", {"permanence_bits": 4}, {"global_inhibition": False, "potential_radius": 4}, 200, 9,
     "every:2"),
    ("mnist-256-shape-random", "mnist-256", {}, {}, 40, 3, True),
]
# (name, config, overrides, arithmetic)
SDR_CASES = [(f"{name}-{arith}", cfg, over, arith)
             for name, cfg, over in (("digits-global", "digits", {}),
                                     ("digits-local", "digits", {"global_inhibition": False,
                                                                 "potential_radius": 3}))
             for arith in ("float", "fixed")]


def golden_digest(case, tmp_dir: Path) -> str:
    name, cfg, hw, over, steps, seed, learn = case
    sp = htmhw.SpatialPooler(arithmetic="fixed", hw=hw or None, **dict(named_config(cfg), **over))
    x = golden.random_inputs(steps, sp.num_inputs, max(1, sp.num_inputs // 10), seed)
    manifest = golden.export(tmp_dir / name, sp, x, learn=learn)
    h = hashlib.sha256()
    for fname in sorted(manifest["files"]):
        if fname.endswith(".mem"):
            h.update(f"{fname} {manifest['files'][fname]['sha256']}\n".encode())
    return h.hexdigest()


def sdr_digest(case) -> str:
    name, cfg, over, arith = case
    X, _ = htmhw.datasets.load_digits_binary()
    X = X.reshape(len(X), -1)
    sp = htmhw.SpatialPooler(arithmetic=arith, **dict(named_config(cfg), **over))
    learned = sp.compute(X[:400], learn=True, output="dense")
    inferred = sp.infer(X[400:600], output="dense")
    h = hashlib.sha256()
    for a in (learned, inferred):
        h.update(np.ascontiguousarray(a, dtype=np.uint8).tobytes())
    return h.hexdigest()


def _recorded() -> dict:
    return json.loads(DIGESTS.read_text())


@pytest.mark.parametrize("case", GOLDEN_CASES, ids=[c[0] for c in GOLDEN_CASES])
def test_golden_vectors_match_the_committed_digest(case, tmp_path):
    assert golden_digest(case, tmp_path) == _recorded()["golden"][case[0]], (
        f"golden vectors of {case[0]} changed; if deliberate, run python3 tests/test_digests.py --update")


@pytest.mark.parametrize("case", SDR_CASES, ids=[c[0] for c in SDR_CASES])
def test_sdrs_match_the_committed_digest(case):
    assert sdr_digest(case) == _recorded()["sdr"][case[0]], (
        f"SDRs of {case[0]} changed; if deliberate, run python3 tests/test_digests.py --update")


def test_the_digests_cover_both_arithmetics_and_inhibitions():
    recorded = _recorded()
    assert set(recorded["golden"]) == {c[0] for c in GOLDEN_CASES}
    assert set(recorded["sdr"]) == {c[0] for c in SDR_CASES}
    # distinct outputs: a digest of an empty or constant output would repeat
    assert len(set(recorded["golden"].values())) == len(GOLDEN_CASES)
    assert len(set(recorded["sdr"].values())) == len(SDR_CASES)


if __name__ == "__main__":
    import tempfile

    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python3 tests/test_digests.py --update")
    with tempfile.TemporaryDirectory() as d:
        out = {"golden": {c[0]: golden_digest(c, Path(d)) for c in GOLDEN_CASES},
               "sdr": {c[0]: sdr_digest(c) for c in SDR_CASES}}
    DIGESTS.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {DIGESTS}")
