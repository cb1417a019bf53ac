"""Design-space sweeps (htmhw.sweep, `htmhw sweep`): spec validation, grid and random
search, Pareto fronts, a real two-worker LocalCluster killed midway and resumed, failures as
rows, the CLI as a subprocess, and GridSearchCV through joblib's dask backend."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from htmhw import sweep as S
from htmhw.sweep import execution as SE

# dask.distributed is a test dependency (htmhw[test]): missing, these tests fail, they do not skip.
from dask.distributed import Client, LocalCluster

# dask.distributed leaves an unbound TCP socket to the garbage collector while it starts a
# LocalCluster; the suite turns every warning into an error, so that one (not ours) is let through.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning")


def digits_spec(**over):
    spec = {"name": "t", "protocol": "digits", "base": {"arithmetic": "fixed"},
            "grid": {"permanence_bits": [4, 8], "boost_strength": [0.0, 1.0]},
            "metrics": ["accuracy", "psnr", "crossbar"]}
    spec.update(over)
    return spec


def stable(row):
    return {k: v for k, v in row.items() if k not in S.VOLATILE_COLUMNS}


@pytest.fixture(scope="module")
def cluster_client():
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


# -- spec ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, word", [
    ({"grd": {}}, "grd"),
    ({"grid": {"permanence_bitz": [4]}}, "permanence_bitz"),
    ({"grid": {"permanence_bits": []}}, "grid.permanence_bits"),
    ({"metrics": ["accuracy", "speed"]}, "metrics"),
    ({"protocol": "cifar"}, "protocol"),
    ({"protocol": {"name": "digits", "n_train": 5}}, "protocol.n_train"),
    ({"folds": 0}, "folds"),
    ({"seeds": [1, 1]}, "seeds"),
    ({"seeds": [-1]}, "seeds"),
    ({"random": {"n": 2, "params": {"boost_strength": {"uniform": [0, 1]}}}}, "grid or random"),
    ({"crossbar": {"preset": "nope"}}, "crossbar.preset"),
    ({"reconstruction": "magic"}, "reconstruction"),
    ({"base": {"config": "huge"}}, "base.config"),
])
def test_invalid_spec_names_the_key(bad, word):
    with pytest.raises(ValueError, match=word.replace("(", r"\(").replace(".", r"\.")):
        S.normalize_spec(digits_spec(**bad))


@pytest.mark.parametrize("dist, word", [
    ({"uniform": [1, 0]}, "lo <= hi"),
    ({"loguniform": [0, 1]}, "lo > 0"),
    ({"randint": [0.5, 3]}, "integers"),
    ({"normal": [0, 1]}, "one of"),
    ({"choice": []}, "non-empty"),
])
def test_invalid_random_distribution(dist, word):
    spec = digits_spec(random={"n": 3, "seed": 1, "params": {"boost_strength": dist}})
    del spec["grid"]
    with pytest.raises(ValueError, match=word):
        S.normalize_spec(spec)


def test_normalized_spec_is_a_fixed_point_and_yaml_equals_json(tmp_path):
    spec = S.normalize_spec(digits_spec())
    assert S.normalize_spec(json.loads(json.dumps(spec))) == spec
    import yaml  # a test dependency (the [test] extra): missing fails, it does not skip
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(digits_spec()))
    assert S.load_spec(path) == spec
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="bad.json"):
        S.load_spec(bad)


def test_grid_order_and_count():
    spec = S.normalize_spec(digits_spec(grid={"permanence_bits": [4, 6, 8], "boost_strength": [0.0, 2.0]}))
    cfgs = S.configurations(spec)
    assert cfgs == [{"permanence_bits": b, "boost_strength": s} for b in (4, 6, 8) for s in (0.0, 2.0)]
    spec2 = S.normalize_spec(dict(digits_spec(grid={"permanence_bits": [4, 6, 8], "boost_strength": [0.0, 2.0]}),
                                  seeds=[1, 2], folds=3))
    tasks = S.tasks(spec2)
    assert len(tasks) == 6 * 2 * 3
    assert len({t["task_id"] for t in tasks}) == 36 and len({t["config_id"] for t in tasks}) == 6
    # The id changes with anything that changes the result, not otherwise.
    assert [t["task_id"] for t in S.tasks(spec2)] == [t["task_id"] for t in tasks]
    spec3 = S.normalize_spec(dict(digits_spec(grid={"permanence_bits": [4, 6, 8], "boost_strength": [0.0, 2.0]}),
                                  seeds=[1, 2], folds=3, reconstruction="nearest"))
    assert not {t["task_id"] for t in S.tasks(spec3)} & {t["task_id"] for t in tasks}
    with pytest.raises(ValueError, match="duplicate"):
        S.tasks(S.normalize_spec(digits_spec(grid={"permanence_bits": [4, 4]})))


def test_random_search_distributions_and_reproducibility():
    params = {"boost_strength": {"uniform": [1.0, 3.0]}, "syn_perm_active_inc": {"loguniform": [0.001, 0.1]},
              "permanence_bits": {"randint": [4, 6]}, "global_inhibition": {"choice": [True, False]}}
    spec = digits_spec(random={"n": 3000, "seed": 7, "params": params})
    del spec["grid"]
    cfgs = S.configurations(S.normalize_spec(spec))
    assert len(cfgs) == 3000
    boost = np.array([c["boost_strength"] for c in cfgs])
    inc = np.array([c["syn_perm_active_inc"] for c in cfgs])
    bits = np.array([c["permanence_bits"] for c in cfgs])
    assert boost.min() >= 1.0 and boost.max() < 3.0 and abs(boost.mean() - 2.0) < 0.05
    # log-uniform: log10 uniform on [-3, -1], mean -2
    assert inc.min() >= 0.001 and inc.max() < 0.1 and abs(np.log10(inc).mean() + 2.0) < 0.05
    assert set(bits.tolist()) == {4, 5, 6} and all(isinstance(b, int) for b in bits.tolist())
    assert all(np.abs(np.bincount(bits)[4:] / 3000 - 1 / 3) < 0.04)
    inh = np.mean([c["global_inhibition"] for c in cfgs])
    assert abs(inh - 0.5) < 0.04
    assert S.configurations(S.normalize_spec(spec)) == cfgs  # same seed, same draws
    spec["random"]["seed"] = 8
    assert S.configurations(S.normalize_spec(spec)) != cfgs


def test_folds_partition_the_samples():
    proto = S.normalize_spec(digits_spec(folds=4))["protocol"]
    n = proto["n_train"] + proto["n_test"]
    tests = []
    for f in range(4):
        train, test = SE._split(proto, f, 4)
        assert not set(train) & set(test) and len(train) + len(test) == n
        tests.append(test)
    assert sorted(np.concatenate(tests).tolist()) == list(range(n))
    train, test = SE._split(proto, 0, 1)
    assert train.tolist() == list(range(1200)) and test.tolist() == list(range(1200, 1797))


def test_pareto_front_known_answer():
    # (accuracy up, energy down)
    pts = [[0.90, 10.0],   # front
           [0.95, 20.0],   # front
           [0.94, 25.0],   # dominated by 0.95 @ 20
           [0.90, 12.0],   # dominated by 0.90 @ 10
           [0.97, 50.0],   # front
           [0.97, 50.0],   # duplicate: neither dominates the other, both on the front
           [np.nan, 1.0]]  # never on the front
    assert S.pareto_front(pts, (True, False)).tolist() == [True, True, False, False, True, True, False]
    with pytest.raises(ValueError, match="values"):
        S.pareto_front([[1, 2, 3]], (True, False))


# -- running ------------------------------------------------------------------------------------------

def test_spec_whose_rows_cannot_run_is_refused_before_anything_runs(tmp_path):
    spec = digits_spec(grid={"permanence_bits": [4, 1, 8], "boost_strength": [0.0]})  # 1 bit is invalid
    with pytest.raises(S.SweepError, match=r"permanence_bits=1, boost_strength=0.0 cannot run: .*permanence_bits"):
        S.run(spec, tmp_path / "s", n_workers=0, progress=False)
    assert not (tmp_path / "s").exists()  # nothing ran, nothing was written
    with pytest.raises(S.SweepError, match="samples"):  # the digits protocol has 1,797
        S.run(dict(spec, grid={"permanence_bits": [4]}, protocol={"name": "digits", "n_train": 1700,
                                                                  "n_test": 200}), tmp_path / "n", n_workers=0)
    with pytest.raises(S.SweepError, match="no MNIST test files"):
        S.run(dict(spec, grid={"permanence_bits": [4]}, protocol="mnist-10k", base={"config": "mnist",
              "arithmetic": "fixed"}, data=str(tmp_path / "none")), tmp_path / "d", n_workers=0)


def fail_when(monkeypatch, predicate, error="RuntimeError: device lost"):
    """Make SE._measure raise for the parameter sets matching ``predicate`` (a run-time
    failure that no check before the run can see)."""
    measure = SE._measure

    def patched(spec, params, seed, fold):
        if predicate(params):
            raise RuntimeError(error.split(": ", 1)[1])
        return measure(spec, params, seed, fold)

    monkeypatch.setattr(SE, "_measure", patched)


def test_first_tasks_failing_alike_stop_the_sweep(tmp_path, monkeypatch):
    fail_when(monkeypatch, lambda p: True)
    spec = digits_spec(grid={"permanence_bits": [4, 5, 6, 7, 8]})
    with pytest.raises(S.SweepError, match="first 3 tasks all failed with the same error.*device lost"):
        S.run(spec, tmp_path / "s", n_workers=0, progress=False)
    assert len(list((tmp_path / "s" / "rows").iterdir())) == 3  # the other two never ran


def test_serial_run_rows_are_sensible_and_failures_are_rows(tmp_path, monkeypatch):
    fail_when(monkeypatch, lambda p: p["permanence_bits"] == 6)
    spec = digits_spec(grid={"permanence_bits": [4, 6, 8], "boost_strength": [0.0]})
    s = S.run(spec, tmp_path / "s", n_workers=0, progress=False)
    assert (s["tasks"], s["finished"], s["failed"], s["missing"]) == (3, 3, 1, 0)
    rows = {r["p.permanence_bits"]: r for r in S.read_rows(tmp_path / "s").values()}
    assert rows[6]["status"] == "error" and rows[6]["error"] == "RuntimeError: device lost"
    for b in (4, 8):
        r = rows[b]
        assert r["status"] == "ok" and r["num_columns"] == 1024
        assert 0.5 < r["accuracy"] <= 1.0  # ten classes: far above chance
        assert abs(r["sparsity"] - 0.1) < 0.01  # local_area_density 0.1
        assert r["psnr_db"] > 5 and r["energy_per_inference_pj"] > 0 and r["area_um2"] > 0
        assert r["energy_per_learning_pj"] > r["energy_per_inference_pj"]  # writes cost energy
        assert r["digital_energy_per_learning_pj"] > r["digital_energy_per_inference_pj"] > 0
        assert r["digital_latency_per_inference_ns"] > 0 and r["digital_area_um2"] > 0
    # The whole chip's area follows the permanence width (the controller's memory), in both designs.
    assert rows[4]["area_um2"] < rows[8]["area_um2"] and rows[4]["digital_area_um2"] < rows[8]["digital_area_um2"]
    lines = (tmp_path / "s" / "results.csv").read_text().splitlines()
    assert len(lines) == 4 and lines[0].startswith("task_id,config_id,seed,fold,status,")
    # A second `run` into the same directory is refused; resume with a different spec too.
    with pytest.raises(ValueError, match="resume"):
        S.run(spec, tmp_path / "s", n_workers=0, progress=False)
    with pytest.raises(ValueError, match="different sweep"):
        S.run(digits_spec(), tmp_path / "s", n_workers=0, progress=False, resume=True)
    # retry_failed reruns only the failed task (it fails again: the same row).
    before = S.read_rows(tmp_path / "s")
    S.resume(tmp_path / "s", n_workers=0, progress=False, retry_failed=True)
    after = S.read_rows(tmp_path / "s")
    assert {k: stable(v) for k, v in after.items()} == {k: stable(v) for k, v in before.items()}
    assert all(after[k]["wall_time_s"] == before[k]["wall_time_s"] for k in after if after[k]["status"] == "ok")


def test_crossbar_metric_needs_fixed_point(tmp_path):
    spec = digits_spec(base={"arithmetic": "float"}, grid={"boost_strength": [0.0]})
    with pytest.raises(S.SweepError, match="crossbar.*fixed"):
        S.run(spec, tmp_path / "f", n_workers=0, progress=False)


@pytest.mark.heavy
def test_local_cluster_matches_serial_and_scales_by_config(tmp_path, cluster_client):
    spec = digits_spec(seeds=[1, 2])
    serial = S.run(spec, tmp_path / "serial", n_workers=0, progress=False)
    dist = S.run(spec, tmp_path / "dask", client=cluster_client, progress=False)
    a, b = S.read_rows(tmp_path / "serial"), S.read_rows(tmp_path / "dask")
    assert len(a) == 8 and a.keys() == b.keys()
    assert {k: stable(v) for k, v in a.items()} == {k: stable(v) for k, v in b.items()}
    assert serial["pareto_accuracy_vs_energy_per_inference_pj"] == dist["pareto_accuracy_vs_energy_per_inference_pj"]
    assert serial["pareto_accuracy_vs_digital_area_um2"] == dist["pareto_accuracy_vs_digital_area_um2"]
    # The two seeds are different runs of one configuration: aggregate averages them.
    agg = S.aggregate(a.values())
    assert len(agg) == 4 and all(c["runs"] == 2 for c in agg)


KILL_SPEC = {"name": "kill", "protocol": {"name": "mnist-10k", "n_train": 1000, "n_test": 300},
             "base": {"config": "mnist", "arithmetic": "fixed"},
             "grid": {"permanence_bits": [5, 6, 7, 8], "boost_strength": [0.0, 1.0, 2.0]},
             "metrics": ["accuracy", "crossbar"], "crossbar": {"steps": 50}}


@pytest.mark.heavy
def test_killed_sweep_resumes_without_redoing_rows(tmp_path, mnist_dir):
    spec = dict(KILL_SPEC, data=str(mnist_dir))
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec))
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    rows_dir, log = out / "rows", tmp_path / "stderr.txt"
    with open(log, "wb") as err, subprocess.Popen(
            [sys.executable, "-m", "htmhw.cli", "sweep", "run", str(spec_path), "--out", str(out), "--workers", "2",
             "--quiet"], env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=err) as proc:
        deadline = time.time() + 240
        while time.time() < deadline and not (rows_dir.is_dir() and len(list(rows_dir.glob("*.json"))) >= 2):
            assert proc.poll() is None, log.read_text()[-2000:]
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)  # the client and its LocalCluster, no cleanup
        proc.wait()
    before = {f.name: f.read_bytes() for f in rows_dir.glob("*.json")}
    total = len(S.tasks(S.normalize_spec(spec)))
    assert 2 <= len(before) < total, "the sweep finished before it could be killed: make its tasks longer"

    summary = S.resume(out, n_workers=2, progress=False)
    assert (summary["finished"], summary["missing"], summary["failed"]) == (total, 0, 0)
    after = {f.name: f.read_bytes() for f in rows_dir.glob("*.json")}
    assert len(after) == total
    assert all(after[name] == data for name, data in before.items())  # finished rows were not redone
    csv_lines = (out / "results.csv").read_text().splitlines()[1:]
    ids = [line.split(",")[0] for line in csv_lines]
    assert sorted(ids) == sorted(t["task_id"] for t in S.tasks(S.normalize_spec(spec)))  # each exactly once

    single = S.run(spec, tmp_path / "single", n_workers=0, progress=False)
    assert single["finished"] == total
    a, b = S.read_rows(out), S.read_rows(tmp_path / "single")
    assert {k: stable(v) for k, v in a.items()} == {k: stable(v) for k, v in b.items()}


# -- CLI ----------------------------------------------------------------------------------------------

def run_cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "htmhw.cli", *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.heavy
def test_cli_sweep_run_report_and_errors(tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(digits_spec(grid={"permanence_bits": [4, 8]})))
    out = tmp_path / "out"
    proc = run_cli("sweep", "run", str(spec), "--out", str(out), "--workers", "0", "--json")
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    assert (s["tasks"], s["finished"], s["failed"]) == (2, 2, 0)
    assert len(s["figures"]) == 4 and all(f.endswith(".png") and os.path.getsize(f) > 1000 for f in s["figures"])
    rep = run_cli("sweep", "report", str(out), "--no-plots")
    assert rep.returncode == 0 and "2/2 tasks finished" in rep.stdout and "Pareto front" in rep.stdout
    again = run_cli("sweep", "run", str(spec), "--out", str(out), "--workers", "0")
    assert again.returncode == 2 and "resume" in again.stderr
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(digits_spec(grid={"permanence_bitz": [4]})))
    proc = run_cli("sweep", "run", str(bad), "--out", str(tmp_path / "b"), "--workers", "0")
    assert proc.returncode == 2 and "permanence_bitz" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("sweep", "resume", str(tmp_path / "nowhere"))
    assert proc.returncode == 2 and "spec.json" in proc.stderr
    failing = tmp_path / "fail.json"
    failing.write_text(json.dumps(digits_spec(grid={"permanence_bits": [1, 4]})))
    proc = run_cli("sweep", "run", str(failing), "--out", str(tmp_path / "f"), "--workers", "0", "--quiet")
    assert proc.returncode == 2 and proc.stdout == "" and "permanence_bits=1 cannot run" in proc.stderr


@pytest.mark.parametrize("cmd", [[], ["demo"], ["demo", "mnist"], ["demo", "som"], ["golden", "export"],
                                 ["hdl", "verify"], ["hdl", "resources"], ["crossbar", "report"],
                                 ["sweep"], ["sweep", "run"], ["sweep", "resume"], ["sweep", "report"], ["bench"]])
def test_every_command_has_help_with_examples(cmd):
    proc = run_cli(*cmd, "--help", timeout=60)
    assert proc.returncode == 0 and "usage: htmhw" in proc.stdout
    assert "example" in proc.stdout


def test_cli_bench_json():
    proc = run_cli("bench", "--config", "tiny", "--steps", "300", "--json")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["steps"] == 300 and r["num_columns"] == 8
    assert all(r[a]["learn_steps_per_s"] > 0 and r[a]["infer_steps_per_s"] > 0 for a in ("float", "fixed"))
    bad = run_cli("bench", "--threads", "0")
    assert bad.returncode == 2 and "--threads" in bad.stderr


# -- scikit-learn through joblib's dask backend -------------------------------------------------------

def test_gridsearchcv_on_dask_matches_serial(cluster_client):
    import joblib
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    import htmhw
    from htmhw.datasets import load_digits_binary

    X, y = load_digits_binary()
    X = X.reshape(len(X), -1)[:600].astype(np.uint8) * 255
    y = y[:600]
    pipe = make_pipeline(htmhw.SpatialPoolerTransformer(n_columns=256, local_area_density=0.05, binarize_threshold=7,
                                                        random_state=3), LogisticRegression(C=0.1, max_iter=300))
    grid = {"spatialpoolertransformer__n_columns": [128, 256], "spatialpoolertransformer__local_area_density":
            [0.05, 0.1]}
    # A second "score" records the process that fitted each candidate x fold: joblib batches fits into dask
    # tasks adaptively, so counting tasks says nothing about how many fits ran where; the pids do.
    scoring = {"accuracy": "accuracy", "pid": lambda estimator, X_, y_: float(os.getpid())}
    serial = GridSearchCV(pipe, grid, cv=3, scoring=scoring, refit="accuracy").fit(X, y)

    worker_pids = {float(p) for p in cluster_client.run(os.getpid).values()}
    assert float(os.getpid()) not in worker_pids
    with joblib.parallel_backend("dask"):
        dist = GridSearchCV(pipe, grid, cv=3, scoring=scoring, refit="accuracy", n_jobs=-1).fit(X, y)
    fitted_in = np.concatenate([dist.cv_results_[f"split{i}_test_pid"] for i in range(3)])
    assert len(fitted_in) == 12 and set(fitted_in) <= worker_pids  # 4 candidates x 3 folds, all on the workers
    assert set(serial.cv_results_["split0_test_pid"]) == {float(os.getpid())}
    np.testing.assert_array_equal(serial.cv_results_["mean_test_accuracy"], dist.cv_results_["mean_test_accuracy"])
    assert serial.best_params_ == dist.best_params_


# -- hardware design parameters and the cycle model ---------------------------------------------------

HDL_SPEC = {"name": "lanes", "protocol": {"name": "digits", "n_train": 200, "n_test": 100},
            "base": {"arithmetic": "fixed"}, "metrics": ["accuracy", "hdl_cycles"], "hdl": {"clock_mhz": 50}}


def digits_run_inputs():
    """The protocol's inputs, loaded here from the public API: pixels > 7, learn on the first
    200 digits, test on the next 100 (HDL_SPEC's protocol)."""
    from htmhw.datasets import load_digits_binary

    X, _ = load_digits_binary(7)
    X = X.reshape(len(X), -1).astype(np.uint8)
    return X[:200], X[200:300]


def test_hdl_cycles_metric_is_the_cycle_model_of_each_design(tmp_path):
    import htmhw
    from htmhw.configs import named_config
    from htmhw.hw import hdl

    spec = dict(HDL_SPEC, grid={"hdl_top": ["sp_top", "sp_accel"], "hdl_column_lanes": [1, 4]})
    S.run(spec, tmp_path / "s", n_workers=0, progress=False)
    rows = {(r["p.hdl_top"], r["p.hdl_column_lanes"]): r for r in S.read_rows(tmp_path / "s").values()}
    assert len(rows) == 4 and all(r["status"] == "ok" for r in rows.values()), rows
    xtr, xte = digits_run_inputs()
    for (top, lanes), r in rows.items():
        # The same pooler (configuration digits, seed 1) learns through the cycle model itself and
        # then runs the test digits: the row must be exactly these means.
        sp = htmhw.SpatialPooler("fixed", htmhw.HardwareConfig(), **named_config("digits"))
        learn = hdl.model_cycles(sp, xtr, learn=True, top=top, column_lanes=lanes)["total"]
        infer = hdl.model_cycles(sp, xte, learn=False, top=top, column_lanes=lanes)["total"]
        assert len(learn) == 200 and len(infer) == 100
        assert r["hdl_cycles_per_learning_step"] == float(learn.mean())
        assert r["hdl_cycles_per_inference_step"] == float(infer.mean())
        # steps/s at the spec's 50 MHz: 50e6 cycles per second over the mean cycles per step.
        assert r["hdl_learning_steps_per_s"] == pytest.approx(50e6 / learn.mean(), rel=1e-12)
        assert r["hdl_inference_steps_per_s"] == pytest.approx(50e6 / infer.mean(), rel=1e-12)
        assert r["hdl_cycles_per_learning_step"] > r["hdl_cycles_per_inference_step"]  # learning adds phases
    for top in ("sp_top", "sp_accel"):  # more column lanes: fewer cycles, learning and inference
        for what in ("learning", "inference"):
            assert rows[(top, 4)][f"hdl_cycles_per_{what}_step"] < rows[(top, 1)][f"hdl_cycles_per_{what}_step"]
    # sp_accel's overlap of every column in one cycle beats sp_top's one synapse per cycle.
    assert rows[("sp_accel", 1)]["hdl_cycles_per_inference_step"] < rows[("sp_top", 4)]["hdl_cycles_per_inference_step"]
    # The design is not the pooler: every design has the accuracy of a run without the metric
    # (the cycle model runs on copies).
    S.run(dict(HDL_SPEC, metrics=["accuracy"], hdl=None), tmp_path / "plain", n_workers=0, progress=False)
    (plain,) = S.read_rows(tmp_path / "plain").values()
    assert {r["accuracy"] for r in rows.values()} == {plain["accuracy"]}
    assert "hdl_cycles_per_learning_step" not in plain


def test_more_synapse_lanes_fewer_cycles_and_no_clock_no_rate(tmp_path):
    spec = dict(HDL_SPEC, grid={"hdl_synapse_lanes": [1, 8]}, metrics=["hdl_cycles"])
    del spec["hdl"]  # no clock: cycles only
    S.run(spec, tmp_path / "s", n_workers=0, progress=False)
    rows = {r["p.hdl_synapse_lanes"]: r for r in S.read_rows(tmp_path / "s").values()}
    assert rows[8]["hdl_cycles_per_learning_step"] < rows[1]["hdl_cycles_per_learning_step"]
    assert rows[8]["hdl_cycles_per_inference_step"] < rows[1]["hdl_cycles_per_inference_step"]
    assert not any("steps_per_s" in k and k.startswith("hdl") for r in rows.values() for k in r)


@pytest.mark.parametrize("over, words", [
    # The design refuses these lane settings (hdl_ref/README.md, "Lanes", "sp_accel").
    ({"base": {"arithmetic": "fixed", "hdl_top": "sp_accel", "hdl_synapse_lanes": 4}},
     ["hdl_synapse_lanes=4", "sp_accel has column lanes"]),
    ({"grid": {"hdl_column_lanes": [2, 3]}}, ["hdl_column_lanes=3", "power of two"]),
    ({"base": {"arithmetic": "fixed", "global_inhibition": False, "hdl_column_lanes": 2}},
     ["hdl_column_lanes=2", "local inhibition"]),
    ({"base": {"arithmetic": "fixed", "hdl_top": "sp_accel", "global_inhibition": False}},
     ["hdl_top='sp_accel'", "global inhibition only"]),
    ({"base": {"arithmetic": "fixed", "hdl_perm_lanes": 2}}, ["hdl_perm_lanes=2", "sp_accel's"]),
    ({"base": {"arithmetic": "fixed", "hdl_top": "sp_local"}}, ["hdl_top='sp_local'", "sp_top', 'sp_accel"]),
    ({"base": {"arithmetic": "fixed", "hdl_column_lanes": 2.0}}, ["hdl_column_lanes=2.0", "integer"]),
    ({"base": {"arithmetic": "fixed", "hdl_column_lanes": 1024}}, ["hdl_column_lanes=1024", "2 column groups"]),
    # The spec itself.
    ({"grid": {"hdl_column_lanes": [1, 2]}, "metrics": ["accuracy"], "hdl": None},
     ["hdl_column_lanes", "add one of them to metrics"]),
    ({"hdl": {"clock_mhz": 0}}, ["hdl.clock_mhz", "(0, 10000]"]),
    ({"hdl": {"clock_hz": 1e8}}, ["hdl", "clock_hz"]),
    ({"metrics": ["accuracy"]}, ["hdl holds options of the metric 'hdl_cycles'"]),
    ({"base": {"arithmetic": "float"}}, ["hdl_cycles", "fixed"]),
])
def test_bad_hardware_design_is_refused_before_anything_runs(tmp_path, over, words):
    with pytest.raises(S.SweepError) as e:
        S.run(dict(HDL_SPEC, **over), tmp_path / "s", n_workers=0, progress=False)
    for w in words:
        assert w in str(e.value)
    assert not (tmp_path / "s").exists()


def test_hardware_pareto_front_in_the_report(tmp_path):
    from htmhw.sweep import results as SR

    # Hand-made rows (cycles per learning step, LUTs), two seeds of each configuration.
    points = {"a": (2000.0, 2200), "b": (700.0, 4300), "c": (900.0, 5000),  # c: dominated by b
              "d": (90.0, 19000), "e": (90.0, 21000)}                        # e: dominated by d
    rows = {f"{cid}{seed}": {"task_id": f"{cid}{seed}", "config_id": cid, "status": "ok", "p.hdl_top": cid,
                             "hdl_cycles_per_learning_step": cyc, "lut": lut, "hdl_learning_steps_per_s": 1e8 / cyc}
            for cid, (cyc, lut) in points.items() for seed in (1, 2)}
    spec = S.normalize_spec(dict(HDL_SPEC, grid={"hdl_top": ["sp_top", "sp_accel"]}))
    configs = S.aggregate(rows.values())
    s = SR._summarize(spec, rows, configs)
    front = s["pareto_hdl_cycles_per_learning_step_vs_lut"]
    assert [c["params"]["hdl_top"] for c in front] == ["a", "b", "d"]  # ascending LUTs
    assert [c["hdl_cycles_per_learning_step"] for c in front] == [2000.0, 700.0, 90.0]
    text = S.format_summary(dict(s, figures=[]))
    assert "Pareto front, hardware" in text and text.count("cycles/learning step") == 3
    paths = SR._plot_pareto(tmp_path, None, "t", configs)
    assert [os.path.basename(p) for p in paths] == ["pareto_hdl_lut.png"] and os.path.getsize(paths[0]) > 1000


# -- FPGA resources ------------------------------------------------------------------------------------

def test_resource_counts_by_target():
    ice = {"SB_LUT4": 5, "SB_DFFE": 2, "SB_DFF": 1, "SB_CARRY": 4, "SB_RAM40_4K": 3}
    assert S.resource_counts(ice, "ice40") == {"lut": 5, "ff": 3, "bram": 3}
    xc7 = {"LUT6": 2, "LUT3": 1, "FDRE": 4, "FDSE": 1, "RAMB18E1": 1, "CARRY4": 7, "MUXF7": 2}
    assert S.resource_counts(xc7, "xc7") == {"lut": 3, "ff": 5, "bram": 1}
    gen = {"$_AND_": 3, "$_DFF_P_": 2, "$_SDFFE_PP0P_": 1, "$_MUX_": 2, "$mem_v2": 1}
    assert S.resource_counts(gen, "generic") == {"ff": 3, "bram": 1}


@pytest.mark.hdl
def test_resources_metric_synthesizes_the_configuration(tmp_path):
    # 4 columns x 64 inputs: the smallest pooler on the digits (a real yosys synthesis).
    spec = {"name": "r", "protocol": {"name": "digits", "n_train": 100, "n_test": 50},
            "base": {"arithmetic": "fixed", "column_dimensions": [4], "potential_radius": 8,
                     "local_area_density": 0.25},
            "grid": {"permanence_bits": [4]}, "metrics": ["resources"], "resources": {"target": "ice40"}}
    s = S.run(spec, tmp_path / "r", n_workers=0, progress=False)
    (row,) = S.read_rows(tmp_path / "r").values()
    assert s["failed"] == 0, s["failures"]
    assert row["lut"] > 100 and row["ff"] > 100  # a pooler is not a handful of cells
    assert row["hdl_cells"] >= row["lut"] + row["ff"]


@pytest.mark.hdl
def test_resources_follow_the_swept_design(tmp_path):
    # The 4-column pooler above, sp_top with 1 and 2 column lanes: the wider design has more
    # LUTs and fewer cycles, in one sweep.
    spec = {"name": "r", "protocol": {"name": "digits", "n_train": 100, "n_test": 50},
            "base": {"arithmetic": "fixed", "column_dimensions": [4], "potential_radius": 8,
                     "local_area_density": 0.25},
            "grid": {"hdl_column_lanes": [1, 2]}, "metrics": ["hdl_cycles", "resources"],
            "resources": {"target": "ice40"}}
    s = S.run(spec, tmp_path / "r", n_workers=0, progress=False)
    assert s["failed"] == 0, s["failures"]
    rows = {r["p.hdl_column_lanes"]: r for r in S.read_rows(tmp_path / "r").values()}
    assert rows[2]["lut"] > rows[1]["lut"]
    assert rows[2]["hdl_cycles_per_learning_step"] < rows[1]["hdl_cycles_per_learning_step"]
    front = s["pareto_hdl_cycles_per_learning_step_vs_lut"]
    assert len(front) == 2  # a trade-off: neither design dominates
