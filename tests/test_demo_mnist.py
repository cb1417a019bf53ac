"""`htmhw demo mnist` on a small subset (run as a subprocess, like a user), and the
NuPIC-style forum example on 500 digits."""
import csv
import importlib.util
import json
import os
import pkgutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import htmhw
from htmhw._param_table import HW

REPO = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SP_METHODS = ["back_projection", "back_projection_perm", "union", "union_fit", "ridge", "nearest", "nearest_top10"]
METHODS = SP_METHODS + ["som_prototypes"]


def demo_warnings_policy():
    """PYTHONWARNINGS for the demo: every warning is an error, except deprecations raised inside other
    packages (matplotlib's own pyparsing calls on some versions): ours are errors, module by module,
    because -W/PYTHONWARNINGS match a module name exactly, not by prefix."""
    ours = ["htmhw"] + [f"htmhw.{m.name}" for m in pkgutil.iter_modules(htmhw.__path__)]
    return ",".join(["error", "ignore::DeprecationWarning", "ignore::PendingDeprecationWarning"]
                    + [f"error::{category}:{module}" for module in ours
                       for category in ("DeprecationWarning", "PendingDeprecationWarning")])


def run_cli(*args, **env_vars):
    env = dict(os.environ, PYTHONWARNINGS=demo_warnings_policy(), **env_vars)  # the demo must not warn
    return subprocess.run([sys.executable, "-m", "htmhw.cli", *args], capture_output=True, text=True, timeout=600,
                          env=env)


def png_size(path):
    png = Path(path).read_bytes()
    assert png[:8] == PNG_MAGIC and png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


@pytest.mark.mnist
@pytest.mark.parametrize("arith", ["float", "fixed"])
def test_demo_mnist_small_subset_writes_its_files(tmp_path, mnist_dir, arith):
    out = tmp_path / arith
    proc = run_cli("demo", "mnist", "--data", str(mnist_dir), "--arith", arith, "--n-train", "800", "--n-test", "200",
                   "--n-show", "6", "--threads", "2", "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["arithmetic"] == arith and result["n_train"] == 800 and result["n_test"] == 200
    assert result["protocol"] == "mnist-10k subset" and result["num_columns"] == 6272
    assert (result["hw"] is None) == (arith == "float")
    assert json.loads((out / "demo_mnist.json").read_text()) == result
    width, height = png_size(out / "reconstruction.png")
    assert width > 400 and height > 600  # 6 digits x (2 + 8 method) rows
    with open(out / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["method"] for r in rows] == METHODS == [m["method"] for m in result["methods"]]
    for r, m in zip(rows, result["methods"]):
        for key in ("mse", "psnr", "ssim", "bit_precision", "bit_recall", "fit_s", "reconstruct_s"):
            assert float(r[key]) == pytest.approx(m[key], rel=1e-5, abs=1e-9), (r["method"], key)
        assert 0 <= m["mse"] <= 1 and -1 <= m["ssim"] <= 1 and 0 <= m["bit_recall"] <= 1
        assert m["psnr"] == pytest.approx(10 * np.log10(1 / m["mse"]), rel=1e-9)
    by = {m["method"]: m for m in result["methods"]}
    assert by["union"]["bit_recall"] > 0.95  # the plain union turns on nearly everything
    assert by["ridge"]["psnr"] > by["back_projection"]["psnr"] + 2
    # The SOM's 16 prototypes average to a digit-like image, far from the union's filled blob.
    assert by["som_prototypes"]["psnr"] > by["union"]["psnr"] + 5
    for key in ("accuracy_sdr_learned_sp_features", "accuracy_sdr_learning_pass_features", "accuracy_raw_pixels"):
        assert 0.6 < result[key] <= 1.0, key
    assert all(v >= 0 for v in result["timings_s"].values())


@pytest.mark.heavy
@pytest.mark.mnist
def test_demo_mnist_text_table(tmp_path, mnist_dir):
    proc = run_cli("demo", "mnist", "--data", str(mnist_dir), "--n-train", "300", "--n-test", "50",
                   "--out", str(tmp_path / "t"))
    assert proc.returncode == 0, proc.stderr
    for text in ("PSNR dB", "ridge decoder", "nearest SDR (top-10 average)", "raw pixels", "reconstruction.png"):
        assert text in proc.stdout
    quiet = run_cli("demo", "mnist", "--data", str(mnist_dir), "--n-train", "300", "--n-test", "50",
                    "--out", str(tmp_path / "q"), "--quiet", "--no-som")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    with open(tmp_path / "q" / "metrics.csv") as f:
        assert [r["method"] for r in csv.DictReader(f)] == SP_METHODS


PERMANENCE_BITS = f"--permanence-bits must be {HW['permanence_bits'].allowed}"  # an integer in [2, 16]


@pytest.mark.parametrize("args,message", [
    (["--n-train", "5"], "--n-train must be >= 10"),
    (["--n-test", "0"], "--n-test must be >= 1"),
    (["--n-train", "9000", "--n-test", "2000"], "--n-train + --n-test must be <= 10000"),
    (["--threads", "0"], "--threads must be in|--threads must be >= 1"),
    (["--arith", "fixed", "--permanence-bits", "0"], PERMANENCE_BITS),
    # the datapath's lower bound, for float runs too (the option once accepted 1)
    (["--permanence-bits", "1"], PERMANENCE_BITS),
    (["--arith", "fixed", "--permanence-bits", "17"], PERMANENCE_BITS),
    (["--threshold", "300"], "--threshold must be in [0, 255)"),
    (["--threshold", "-1"], "--threshold must be in [0, 255)"),
])
def test_demo_mnist_bad_arguments(tmp_path, mnist_dir, args, message):
    out = tmp_path / "x"
    proc = run_cli("demo", "mnist", "--data", str(mnist_dir), "--out", str(out), *args)
    assert proc.returncode == 2 and proc.stdout == ""
    assert any(m in proc.stderr for m in message.split("|")), proc.stderr
    assert not out.exists()


def test_demo_mnist_missing_data_is_a_clear_error(tmp_path):
    """A directory the user named (--mnist-dir, its alias --data, HTMHW_DATA) that holds no MNIST
    is an error in command-line terms naming it, never a fallback to another copy."""
    for flag in ("--mnist-dir", "--data"):
        proc = run_cli("demo", "mnist", flag, str(tmp_path / "nowhere"), "--out", str(tmp_path / "x"))
        assert proc.returncode == 2 and proc.stdout == ""
        assert f"--mnist-dir {tmp_path / 'nowhere'}: no MNIST test files there" in proc.stderr, proc.stderr
        assert "download=True" not in proc.stderr and "directory=" not in proc.stderr
    proc = run_cli("demo", "mnist", "--out", str(tmp_path / "x"), HTMHW_DATA=str(tmp_path / "empty"))
    assert proc.returncode == 2 and f"HTMHW_DATA={tmp_path / 'empty'}: no MNIST test files" in proc.stderr
    assert not (tmp_path / "x").exists()
    bad = run_cli("demo", "mnist", "--arith", "double")
    assert bad.returncode == 2 and "--arith" in bad.stderr


@pytest.mark.mnist
def test_nupic_forum_example_on_500_digits(tmp_path, mnist_dir):
    path = REPO / "examples" / "nupic_mnist_reconstruction.py"
    spec = importlib.util.spec_from_file_location("nupic_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    out = tmp_path / "recon.png"
    corr = example.main(["--mnist-dir", str(mnist_dir), "--n-train", "500", "--out", str(out)])
    assert png_size(out)[0] > 300
    assert len(corr) == 8 and np.mean(corr) > 0.4  # back-projections resemble their digits
    # the recipe's loop over getConnectedSynapses is exactly htmhw.reconstruct.BackProjection
    assert example.LAST_RUN["max_abs_diff_vs_htmhw_reconstruct"] == 0.0
    assert example.LAST_RUN["ridge_psnr"] > example.LAST_RUN["back_projection_psnr"]
