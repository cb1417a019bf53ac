"""Golden-vector export (docs/golden.md): content against the step-by-step model,
file encoding, determinism, integrity checks and errors."""
import json

import numpy as np
import pytest

import htmhw
from htmhw.hw import golden
from htmhw.cli import main as cli_main
from htmhw.configs import named_config
from htmhw.datapath import HardwareConfig
from htmhw.hw.memh import memh_bytes

from test_datapath import _Rng


def parse_mem(path):
    """Independent $readmemh reader: skip // comments, one hex word per line."""
    words = []
    for line in path.read_text().splitlines():
        line = line.split("//")[0].strip()
        if line:
            words.append(int(line, 16))
    return words


def small_sp(**over):
    params = dict(named_config("tiny"), input_dimensions=(40,), column_dimensions=(12,), potential_radius=40,
                  potential_pct=0.5, local_area_density=0.25, stimulus_threshold=2, boost_strength=2.0,
                  min_pct_overlap_duty_cycle=0.6, duty_cycle_period=32)
    hw = over.pop("hw", None)
    params.update(over)
    return htmhw.SpatialPooler(arithmetic="fixed", hw=hw, **params)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    sp = small_sp(hw=HardwareConfig(permanence_bits=6))
    x = golden.random_inputs(160, 40, 3, seed=3)
    out = tmp_path_factory.mktemp("g") / "gold"
    manifest = golden.export(out, sp, x, "first:120", stimulus={"source": "random", "seed": 3})
    return sp, x, out, manifest


def test_export_matches_the_step_by_step_model(exported):
    sp, x, out, manifest = exported
    _, arrays = golden.load(out)
    ref = htmhw.SpatialPooler.__new__(htmhw.SpatialPooler)
    ref.__setstate__(sp.__getstate__())
    words, offsets = ref.permanence_memory()
    assert np.array_equal(arrays["init_perm"], words)
    assert np.array_equal(arrays["pool_offset"], offsets)
    l = 0
    bumped_seen = 0
    for t in range(x.shape[0]):
        learn = t < 120
        before = ref.permanence_memory()[0].astype(int)
        tr = ref.trace(x[t], learn=learn)
        assert np.array_equal(arrays["overlap"][t], tr["overlaps"])
        assert np.array_equal(arrays["boosted"][t], tr["boosted_overlaps"])
        assert np.array_equal(np.flatnonzero(arrays["winners"][t]), tr["winners"])
        if not learn:
            continue
        after = ref.permanence_memory()[0].astype(int)
        lo, hi = arrays["written_offset"][l], arrays["written_offset"][l + 1]
        cols = arrays["written_column"][lo:hi]
        assert np.array_equal(cols, np.union1d(tr["winners"], tr["bumped_columns"]))
        bumped_seen += len(tr["bumped_columns"])
        rows = np.concatenate([after[offsets[c]:offsets[c + 1]] for c in cols]) if len(cols) else np.zeros(0)
        p0, p1 = arrays["written_perm_offset"][l], arrays["written_perm_offset"][l + 1]
        assert np.array_equal(arrays["written_perm"][p0:p1], rows)
        # Every column outside the written list kept its row.
        untouched = np.setdiff1d(np.arange(ref.num_columns), cols)
        for c in untouched:
            assert np.array_equal(before[offsets[c]:offsets[c + 1]], after[offsets[c]:offsets[c + 1]])
        assert np.array_equal(arrays["overlap_duty"][l], tr["overlap_duty"])
        assert np.array_equal(arrays["active_duty"][l], tr["active_duty"])
        assert np.array_equal(arrays["boost"][l], tr["boost"])
        assert arrays["min_overlap_duty"][l, 0] == tr["min_overlap_duty"][0]
        l += 1
    assert l == manifest["sizes"]["num_learn_steps"] == 120
    assert bumped_seen > 0  # the config exercises weak-column bumps, so written rows are more than winners
    assert np.array_equal(arrays["final_perm"], ref.permanence_memory()[0])
    assert np.array_equal(arrays["final_boost"], ref.state_q()["boost"])


def test_replaying_written_rows_reconstructs_the_final_memory(exported):
    _, _, out, _ = exported
    _, a = golden.load(out)
    mem = a["init_perm"].astype(int).copy()
    off = a["pool_offset"]
    k = 0
    for col in a["written_column"]:
        n = off[col + 1] - off[col]
        mem[off[col]:off[col + 1]] = a["written_perm"][k:k + n]
        k += n
    assert k == a["written_perm"].size
    assert np.array_equal(mem, a["final_perm"])
    assert not np.array_equal(a["init_perm"], a["final_perm"])


def test_mem_files_decode_to_the_npz_arrays(exported):
    _, x, out, manifest = exported
    _, a = golden.load(out)
    files = manifest["files"]
    for name in ("init_perm", "pool_offset", "pool_input", "overlap", "boosted", "written_perm", "boost",
                 "boost_lut", "learn", "final_perm"):
        words = parse_mem(out / f"{name}.mem")
        assert words == [int(v) for v in a[name].reshape(-1)], name
        assert len(words) == files[f"{name}.mem"]["words"]
        width = files[f"{name}.mem"]["width_bits"]
        assert max(words) < 2 ** width
        lines = [l for l in (out / f"{name}.mem").read_text().splitlines() if not l.startswith("//")]
        assert {len(l) for l in lines} == {(width + 3) // 4}, name
    # Wide words: bit i of the hex word is input i / column c.
    inputs = parse_mem(out / "input.mem")
    for t in (0, 1, 57):
        assert inputs[t] == sum(1 << i for i in np.flatnonzero(x[t]))
    winners = parse_mem(out / "winners.mem")
    assert winners[5] == sum(1 << int(c) for c in np.flatnonzero(a["winners"][5]))
    masks = parse_mem(out / "pool_mask.mem")
    off = a["pool_offset"]
    for c in (0, 11):
        assert masks[c] == sum(1 << int(i) for i in a["pool_input"][off[c]:off[c + 1]])
    assert files["overlap.mem"]["width_bits"] == manifest["constants"]["overlap_bits"]
    assert files["boosted.mem"]["width_bits"] == (manifest["constants"]["overlap_bits"] + 3 + 4)


def test_manifest_describes_sizes_and_constants(exported):
    sp, x, out, manifest = exported
    m = json.loads((out / "manifest.json").read_text())
    assert m == manifest
    assert m["format"] == "htmhw-golden" and m["format_version"] == 1
    assert m["tool_version"] == htmhw.__version__
    assert m["hw"]["permanence_bits"] == 6
    assert m["constants"]["perm_max"] == 63
    assert m["constants"]["k"] == 3  # int(0.25 * 12)
    assert m["sizes"]["num_steps"] == 160 and m["sizes"]["num_columns"] == 12
    assert m["stimulus"] == {"source": "random", "seed": 3}
    assert set(m["files"]) == {p.name for p in out.iterdir()} - {"manifest.json"}


def test_export_is_byte_identical_and_leaves_the_pooler_alone(tmp_path, exported):
    sp, x, out, _ = exported
    state = sp.__getstate__()
    again = tmp_path / "again"
    golden.export(again, sp, x, "first:120", stimulus={"source": "random", "seed": 3})
    for f in out.iterdir():
        assert (again / f.name).read_bytes() == f.read_bytes(), f.name
    after = sp.__getstate__()
    assert all(np.array_equal(np.asarray(state[k]), np.asarray(after[k])) for k in state)
    other = tmp_path / "other"
    golden.export(other, sp, golden.random_inputs(160, 40, 3, seed=4), "first:120")
    assert (other / "winners.mem").read_bytes() != (out / "winners.mem").read_bytes()


def test_load_rejects_corrupted_and_foreign_directories(tmp_path, exported):
    _, x, out, _ = exported
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    data = bytearray((bad / "winners.mem").read_bytes())
    data[-3] ^= 0x01
    (bad / "winners.mem").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="winners.mem.*SHA-256"):
        golden.load(bad)
    (bad / "winners.mem").write_bytes((out / "winners.mem").read_bytes())
    (bad / "boost.mem").unlink()
    with pytest.raises(ValueError, match="boost.mem.*missing"):
        golden.load(bad)
    m = json.loads((out / "manifest.json").read_text())
    m["format_version"] = 99
    (bad / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ValueError, match="version 99"):
        golden.load(bad)
    with pytest.raises(ValueError, match="no manifest"):
        golden.load(tmp_path)


def test_export_errors(tmp_path, exported):
    sp, x, out, _ = exported
    with pytest.raises(ValueError, match="exists"):
        golden.export(out, sp, x)
    float_sp = htmhw.SpatialPooler(**named_config("tiny"))
    with pytest.raises(ValueError, match="arithmetic='fixed'"):
        golden.export(tmp_path / "f", float_sp, np.zeros((3, 16), np.uint8))
    with pytest.raises(ValueError, match="learn schedule"):
        golden.export(tmp_path / "s", sp, x, "sometimes")
    with pytest.raises(ValueError, match="learn"):
        golden.export(tmp_path / "s", sp, x, np.ones(5, bool))
    with pytest.raises(ValueError):
        golden.export(tmp_path / "s", sp, x[:, :30])
    with pytest.raises(ValueError, match="at least one row"):
        golden.export(tmp_path / "s", sp, x[:0])
    with pytest.raises(TypeError):
        golden.export(tmp_path / "s", "not a pooler", x)
    assert not any(p.name.startswith(".s.tmp") for p in tmp_path.iterdir())


def test_learn_schedules():
    assert golden.learn_schedule("first:3", 5).tolist() == [1, 1, 1, 0, 0]
    assert golden.learn_schedule("every:3", 7).tolist() == [1, 0, 0, 1, 0, 0, 1]
    assert golden.learn_schedule(False, 2).tolist() == [0, 0]
    with pytest.raises(ValueError, match="K >= 1"):
        golden.learn_schedule("every:0", 4)


def test_random_inputs_follow_the_documented_prng():
    x = golden.random_inputs(6, 50, 7, seed=99)
    assert x.shape == (6, 50) and set(np.unique(x)) == {0, 1}
    assert (x.sum(axis=1) == 7).all()
    for r in range(6):
        rng = _Rng(99, r + 1)
        idx = list(range(50))
        for i in range(7):
            j = i + rng.below(50 - i)
            idx[i], idx[j] = idx[j], idx[i]
        assert sorted(idx[:7]) == np.flatnonzero(x[r]).tolist()
    assert np.array_equal(golden.random_inputs(6, 50, 7, seed=99), x)
    with pytest.raises(ValueError, match="num_active"):
        golden.random_inputs(2, 10, 11, seed=1)
    with pytest.raises(ValueError, match="seed"):
        golden.random_inputs(2, 10, 1, seed=-1)


def test_memh_encoding_by_hand():
    text = memh_bytes(np.array([0, 5, 4095], np.uint16), 12, "demo").decode()
    assert text == "// demo\n// width 12 bits, 3 words\n000\n005\nfff\n"
    wide = memh_bytes(np.array([[1, 0, 0, 0, 0, 1], [0, 1, 1, 1, 1, 0]], bool), 6).decode().splitlines()[2:]
    assert wide == ["21", "1e"]
    with pytest.raises(ValueError, match="does not fit"):
        memh_bytes(np.array([16]), 4)
    with pytest.raises(ValueError, match="unsigned"):
        memh_bytes(np.array([-1]), 4)
    with pytest.raises(TypeError):
        memh_bytes(np.array([0.5]), 4)


def test_cli_export_and_check(tmp_path, capsys):
    out = tmp_path / "cli"
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"sp": named_config("tiny"), "hw": {"permanence_bits": 4}}))
    assert cli_main(["golden", "export", str(out), "--config", str(cfg), "--steps", "50", "--seed", "5",
                     "--learn", "first:40", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["num_steps"] == 50 and result["num_learn_steps"] == 40
    m = json.loads((out / "manifest.json").read_text())
    assert m["hw"]["permanence_bits"] == 4 and m["stimulus"]["seed"] == 5
    assert cli_main(["golden", "check", str(out)]) == 0
    assert "checksums OK" in capsys.readouterr().out
    # exists without --force -> a clear error and exit code 2
    assert cli_main(["golden", "export", str(out), "--config", "tiny", "--steps", "5"]) == 2
    assert "exists" in capsys.readouterr().err
    assert cli_main(["golden", "export", str(out), "--config", "tiny", "--steps", "5", "--force",
                     "--hw", "permanence_bits=20"]) == 2
    assert "permanence_bits" in capsys.readouterr().err
    assert cli_main(["golden", "export", str(tmp_path / "d"), "--config", "tiny", "--source", "digits"]) == 2
    assert "64 inputs" in capsys.readouterr().err
