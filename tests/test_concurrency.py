"""Concurrency: heavy calls release the GIL, separate objects in separate Python
threads give the serial results, and one object used from several threads is serialized by
its lock (docs/determinism.md "Threads") — never a crash or a torn result."""
import threading
import time

import numpy as np
import pytest

import htmhw
from htmhw.configs import named_config
from htmhw.hw.golden import random_inputs

ARITHS = ("float", "fixed")


def pooler(arith, seed=1):
    return htmhw.SpatialPooler(arithmetic=arith, **dict(named_config("random"), seed=seed))


def stimulus(n=300, seed=3):
    return random_inputs(n, 1024, 102, seed)


def run_threads(fns):
    errors, results = [], [None] * len(fns)

    def wrap(i, f):
        try:
            results[i] = f()
        except BaseException as e:  # noqa: BLE001 - reported by the test
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(i, f)) for i, f in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


@pytest.mark.parametrize("arith", ARITHS)
def test_separate_poolers_in_threads_equal_serial_runs(arith):
    x = stimulus()
    serial = []
    for seed in (1, 2, 3):
        sp = pooler(arith, seed)
        serial.append((sp.compute(x, learn=True, output="dense"), sp.infer(x, output="dense")))
    sps = [pooler(arith, seed) for seed in (1, 2, 3)]
    threaded = run_threads([lambda sp=sp: (sp.compute(x, learn=True, output="dense"), sp.infer(x, output="dense"))
                            for sp in sps])
    for (a_learn, a_inf), (b_learn, b_inf) in zip(serial, threaded):
        np.testing.assert_array_equal(a_learn, b_learn)
        np.testing.assert_array_equal(a_inf, b_inf)


@pytest.mark.parametrize("arith", ARITHS)
def test_compute_releases_the_gil(arith):
    # While one thread runs a long compute, the main thread keeps executing Python: with the
    # GIL held for the whole call, the counter could not advance until the call returned.
    sp, x = pooler(arith), stimulus(3000)
    done = threading.Event()
    ticks_during = []

    def work():
        sp.compute(x, learn=True, output="sparse")
        done.set()

    t = threading.Thread(target=work)
    t.start()
    ticks = 0
    while not done.is_set():
        ticks += 1
        time.sleep(0)
    ticks_during.append(ticks)
    t.join()
    assert ticks_during[0] > 100


@pytest.mark.parametrize("arith", ARITHS)
def test_one_pooler_shared_by_threads_is_serialized(arith):
    # Two threads learn on one pooler at the same time, a third reads its state meanwhile.
    # The lock makes the calls whole: the final state equals one of the two serial orders.
    # 150 steps a call: long enough for the calls to overlap, short enough for the TSan job.
    x1, x2 = stimulus(150, 5), stimulus(150, 6)

    def serial(order):
        sp = pooler(arith)
        for x in order:
            sp.compute(x, learn=True, output="sparse")
        return sp

    expected = [serial((x1, x2)), serial((x2, x1))]
    for _ in range(3):
        sp = pooler(arith)
        reads = []

        def reader(sp=sp, reads=reads):
            for _ in range(50):
                p = sp.permanences()
                reads.append(p.shape)

        run_threads([lambda sp=sp: sp.compute(x1, learn=True, output="sparse"),
                     lambda sp=sp: sp.compute(x2, learn=True, output="sparse"), reader])
        assert sp.iteration_learn_num == 300
        assert any(sp == e for e in expected)
        assert set(reads) == {(sp.num_columns, sp.num_inputs)}


def test_som_encoder_threads_equal_serial(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.random((400, 16)).astype(np.float32)
    encs = [htmhw.SOMEncoder(n_rows=8, n_cols=8, n_epochs=3, n_active=4, random_state=s) for s in (1, 2)]
    serial = [htmhw.SOMEncoder(**e.get_params()).fit(X).transform(X).toarray() for e in encs]
    threaded = run_threads([lambda e=e: e.fit(X).transform(X).toarray() for e in encs])
    for a, b in zip(serial, threaded):
        np.testing.assert_array_equal(a, b)
