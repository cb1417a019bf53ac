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
