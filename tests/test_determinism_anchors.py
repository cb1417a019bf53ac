"""Determinism of the anchor configurations (docs/determinism.md): the same seed and
inputs give byte-identical SDRs, state, golden directories and crossbar reports, run twice
and with 1 or 2 threads."""
import hashlib
import json

import numpy as np
import pytest

import htmhw
from htmhw import crossbar
from htmhw.hw import golden
from htmhw.configs import named_config
from htmhw.datasets import load_mnist


@pytest.fixture(scope="module")
def mnist_inputs(mnist_dir):
    images, _ = load_mnist(mnist_dir)
    return (images[:400] > 30).reshape(400, -1).astype(np.uint8)


def inputs_for(config, mnist_inputs):
    if config == "mnist":
        return mnist_inputs
    return golden.random_inputs(400, 1024, 102, 11)


def tree_digest(directory):
    """SHA-256 over every file's relative path and bytes, in sorted order."""
    h = hashlib.sha256()
    for f in sorted(p for p in directory.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(directory)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


@pytest.mark.mnist
@pytest.mark.parametrize("config", ["random", "mnist"])
@pytest.mark.parametrize("arith", ["float", "fixed"])
def test_anchor_runs_are_identical_twice_and_for_any_thread_count(config, arith, mnist_inputs):
    x = inputs_for(config, mnist_inputs)
    runs = []
    for _ in range(2):
        sp = htmhw.SpatialPooler(arithmetic=arith, **named_config(config))
        learned = sp.compute(x[:300], learn=True, output="dense")
        inferred = [sp.infer(x[300:], output="dense", n_threads=t) for t in (1, 2)]
        np.testing.assert_array_equal(inferred[0], inferred[1])  # 1 thread == 2 threads
        runs.append((learned, inferred[0], sp))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert runs[0][2] == runs[1][2]  # every state array, bit for bit
    assert runs[0][0].sum(axis=1).min() > 0  # the run did something


@pytest.mark.mnist
def test_golden_directories_and_crossbar_reports_are_byte_identical(tmp_path, mnist_inputs):
    x = mnist_inputs[:120]
    digests, reports = [], []
    for i in range(2):
        sp = htmhw.SpatialPooler(arithmetic="fixed", **named_config("mnist"))
        golden.export(tmp_path / f"g{i}", sp, x, learn="first:100")
        digests.append(tree_digest(tmp_path / f"g{i}"))
        rep = crossbar.estimate(sp, x, learn="first:100", preset_name="neurosim-ag-asi")
        reports.append((json.dumps(rep.to_dict(), sort_keys=True),
                        {k: np.asarray(v).tobytes() for k, v in rep.steps.items()}))
    assert digests[0] == digests[1]
    assert reports[0][0] == reports[1][0]
    assert reports[0][1].keys() == reports[1][1].keys()
    assert all(reports[0][1][k] == reports[1][1][k] for k in reports[0][1])


def test_non_ideal_crossbar_runs_are_reproducible():
    x = golden.random_inputs(200, 1024, 102, 5)
    out = []
    for _ in range(2):
        sp = htmhw.SpatialPooler(arithmetic="fixed", **named_config("random"))
        crossbar.attach_device(sp, crossbar.Device(levels=16, nonlinearity_ltp=2.4, nonlinearity_ltd=4.88,
                                                   c2c_sigma=0.035, d2d_sigma=0.1, stuck_on_rate=0.05,
                                                   stuck_off_rate=0.05), seed=9)
        out.append((sp.compute(x, learn=True, output="dense"), sp.infer(x, output="dense", n_threads=2), sp))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])
    assert out[0][2] == out[1][2]
