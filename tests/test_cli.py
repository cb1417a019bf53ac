"""The ``htmhw`` command line, run as a subprocess like a user would."""
import json
import struct
import subprocess
import sys

import pytest

from htmhw.cli import main
from htmhw.configs import named_config

DIGITS_SP = named_config("digits")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "htmhw.cli", *args], capture_output=True, text=True, timeout=300)


def test_demo_json(tmp_path):
    out = tmp_path / "demo"
    proc = run_cli("demo", "--out", str(out), "--json", "--n-train", "600", "--epochs", "1", "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["n_train"] == 600 and result["n_test"] == 1797 - 600  # sklearn's digits: 1,797 samples
    assert result["epochs"] == 1
    columns = DIGITS_SP["column_dimensions"][0] * DIGITS_SP["column_dimensions"][1]
    assert result["num_columns"] == columns == 1024
    # at most int(density * columns) = 102 winners per digit -> sparsity <= 102 / 1024 = 0.0996
    k = int(DIGITS_SP["local_area_density"] * columns)
    assert k / columns - 0.005 <= result["sdr_sparsity"] <= round(k / columns, 4)
    for key in ("accuracy_sdr", "accuracy_raw_pixels"):
        assert 0.5 < result[key] <= 1.0, key  # ten classes: chance is 0.1
    assert result["learn_steps_per_s"] > 0 and result["infer_steps_per_s"] > 0
    # the figure is a real PNG with an IHDR chunk of non-zero size
    png = (out / "digits_sdrs.png").read_bytes()
    assert png[:8] == PNG_MAGIC and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert width > 100 and height > 100
    assert result["figure"] == str(out / "digits_sdrs.png")
    assert json.loads((out / "demo.json").read_text()) == result


def test_demo_text_quiet_and_deterministic(tmp_path):
    args = ("--n-train", "300", "--epochs", "1", "--seed", "7")
    text = run_cli("demo", "--out", str(tmp_path / "t"), *args)
    assert text.returncode == 0, text.stderr
    assert "accuracy on SDRs" in text.stdout and "digits_sdrs.png" in text.stdout
    quiet = run_cli("demo", "--out", str(tmp_path / "q"), *args, "--quiet")
    assert quiet.returncode == 0 and quiet.stdout == ""
    assert (tmp_path / "q" / "digits_sdrs.png").read_bytes()[:8] == PNG_MAGIC
    # same seed, same results (timings and paths aside)
    results = [json.loads((tmp_path / d / "demo.json").read_text()) for d in ("t", "q")]
    for r in results:
        del r["learn_steps_per_s"], r["infer_steps_per_s"], r["figure"]
    assert results[0] == results[1]


def test_bad_arguments_exit_non_zero_with_a_message(tmp_path):
    proc = run_cli("demo", "--out", str(tmp_path / "x"), "--n-train", "1")
    assert proc.returncode != 0
    assert "--n-train" in proc.stderr and "usage:" in proc.stderr
    assert proc.stdout == ""
    assert not (tmp_path / "x").exists()  # nothing was written


@pytest.mark.parametrize("args,message", [
    (["demo", "--epochs", "0"], "--epochs"),
    (["demo", "--seed", "-1"], "--seed"),
    (["demo", "--n-train", "many"], "--n-train"),
    (["demo", "--bogus"], "--bogus"),
    (["frobnicate"], "frobnicate"),
    ([], "command"),
])
def test_bad_arguments_in_process(args, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as info:
        main(args + (["--out", str(tmp_path / "x")] if args[:1] == ["demo"] else []))
    assert info.value.code != 0
    err = capsys.readouterr().err
    assert message in err and "usage:" in err
    assert not (tmp_path / "x").exists()


def test_no_prefix_abbreviations():
    """`--data` is demo som's alias of --mnist-dir, not an abbreviation of --dataset; an
    abbreviation of a longer flag is refused, not guessed."""
    proc = run_cli("demo", "som", "--data", "/nonexistent/mnist")
    assert proc.returncode == 2 and "--mnist-dir /nonexistent/mnist: no MNIST test files" in proc.stderr, proc.stderr
    proc = run_cli("demo", "--n-tr", "300")
    assert proc.returncode == 2 and "n-tr" in proc.stderr


@pytest.mark.parametrize("args,usage,message", [
    (["demo", "--n-train", "-1"], "usage: htmhw demo ", "--n-train must be in [10, 1697]"),
    (["demo", "--n-train", "5000"], "usage: htmhw demo ", "--n-train must be in [10, 1697]"),
    (["demo", "mnist", "--dta", "X"], "usage: htmhw demo mnist ", "unrecognized arguments: --dta X"),
    (["golden", "export", "out/x", "--bogus"], "usage: htmhw golden export ", "unrecognized arguments: --bogus"),
])
def test_errors_print_the_subcommands_usage(args, usage, message, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "htmhw.cli", *args], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(usage) and message in proc.stderr, proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_som_demo_named_directory_without_mnist_is_an_error(tmp_path):
    out = tmp_path / "som"
    proc = run_cli("demo", "som", "--mnist-dir", str(tmp_path / "none"), "--out", str(out))
    assert proc.returncode == 2 and f"--mnist-dir {tmp_path / 'none'}: no MNIST test files" in proc.stderr
    assert not out.exists()  # no fallback to the 8x8 digits


def test_golden_export_announces_its_size_and_refuses_a_huge_one(tmp_path):
    small = run_cli("golden", "export", str(tmp_path / "t"), "--config", "tiny", "--steps", "200")
    assert small.returncode == 0, small.stderr
    announced = float(small.stdout.split("writing about ")[1].split(" MB")[0])
    written = sum(f.stat().st_size for f in (tmp_path / "t").iterdir())
    assert 0.7 * written / 1e6 <= announced <= 1.3 * written / 1e6  # an estimate within 30 %
    big = run_cli("golden", "export", str(tmp_path / "big"), "--config", "mnist", "--source", "mnist",
                  "--steps", "10000")
    assert big.returncode == 2 and big.stdout == ""
    assert "--steps 10000 would write about 2." in big.stderr and "--force" in big.stderr
    assert not (tmp_path / "big").exists()


def test_golden_export_names_a_corrupt_npy_source(tmp_path):
    for content, message in ((b"garbage", "not a .npy file"), (b"\x93NUMPY\x01\x00", "not a readable .npy array")):
        src = tmp_path / "in.npy"
        src.write_bytes(content)
        proc = run_cli("golden", "export", str(tmp_path / "g"), "--source", str(src))
        assert proc.returncode == 2 and f"{src}: {message}" in proc.stderr, proc.stderr
