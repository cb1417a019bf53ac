"""File formats: saved SOM state (the pooler's is in test_sp_seeds_and_persistence.py) and
sweep rows are written atomically, carry a version and a checksum, and a truncated,
bit-flipped, wrong-version or wrong-config file is refused with a message naming the file."""
import json
import struct

import numpy as np
import pytest

import htmhw
from htmhw import sweep as S
from htmhw._fileformat import MAGIC, StateFileError


@pytest.fixture(scope="module")
def som_file(tmp_path_factory):
    X = np.random.default_rng(1).random((300, 12)).astype(np.float32)
    enc = htmhw.SOMEncoder(n_rows=6, n_cols=5, lattice="hex", n_epochs=3, n_active=4, random_state=3).fit(X)
    path = tmp_path_factory.mktemp("som") / "enc.htmhw"
    enc.save(path)
    return enc, X, path


def test_som_save_load_round_trip(som_file):
    enc, X, path = som_file
    back = htmhw.SOMEncoder.load(path)
    np.testing.assert_array_equal(back.weights_, enc.weights_)
    assert back.get_params() == enc.get_params()
    assert (back.transform(X) != enc.transform(X)).nnz == 0
    assert back.quantization_error_ == enc.quantization_error_
    assert path.read_bytes()[: len(MAGIC)] == MAGIC
    assert not list(path.parent.glob(".htmhw-*.tmp"))  # the temporary file was renamed, not left behind


def corrupt(path, tmp_path, name, edit):
    blob = bytearray(path.read_bytes())
    edit(blob)
    out = tmp_path / name
    out.write_bytes(bytes(blob))
    return out


@pytest.mark.parametrize("name, edit, message", [
    ("truncated", lambda b: b.__delitem__(slice(len(b) // 2, None)), "checksum mismatch|truncated"),
    ("flipped-header", lambda b: b.__setitem__(40, b[40] ^ 0x20), "checksum mismatch"),
    ("flipped-weights", lambda b: b.__setitem__(len(b) - 40, b[len(b) - 40] ^ 1), "checksum mismatch"),
    ("version", lambda b: b.__setitem__(slice(8, 12), struct.pack("<I", 99)), "format version 99"),
    ("magic", lambda b: b.__setitem__(slice(0, 8), b"NOTHTMHW"), "bad magic"),
])
def test_som_corrupted_files_are_refused(som_file, tmp_path, name, edit, message):
    _, _, path = som_file
    bad = corrupt(path, tmp_path, name, edit)
    with pytest.raises(StateFileError, match=message) as info:
        htmhw.SOMEncoder.load(bad)
    assert str(bad) in str(info.value)


def test_som_wrong_config_and_wrong_kind_are_refused(som_file, tmp_path):
    enc, _, _ = som_file
    from htmhw._fileformat import read_state, write_state

    meta, arrays, kind = read_state(som_file[2], "htmhw-som")
    meta["params"]["n_rows"] = 7  # 35 units, the weights hold 30
    write_state(tmp_path / "cfg.htmhw", kind, meta, arrays)
    with pytest.raises(StateFileError, match=r"cfg.htmhw: invalid SOM encoder state .*35 units"):
        htmhw.SOMEncoder.load(tmp_path / "cfg.htmhw")
    sp = htmhw.SpatialPooler(input_dimensions=(8,), column_dimensions=(4,), potential_radius=8,
                             global_inhibition=True, local_area_density=0.25, seed=1)
    sp.save(tmp_path / "sp.htmhw")
    with pytest.raises(StateFileError, match="expected one of"):
        htmhw.SOMEncoder.load(tmp_path / "sp.htmhw")
    with pytest.raises(StateFileError, match="expected one of"):
        htmhw.SpatialPooler.load(som_file[2])


def test_som_save_needs_a_fitted_encoder(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        htmhw.SOMEncoder().save(tmp_path / "x.htmhw")


def test_sweep_rows_and_spec_are_validated(tmp_path):
    spec = {"name": "t", "protocol": {"name": "digits", "n_train": 200, "n_test": 50}, "base": {"arithmetic": "fixed"},
            "grid": {"permanence_bits": [4, 8]}, "metrics": ["accuracy"]}
    out = tmp_path / "s"
    S.run(spec, out, n_workers=0, progress=False)
    rows = sorted((out / "rows").glob("*.json"))
    assert len(rows) == 2 and json.loads((out / "spec.json").read_text())["format"] == S.SPEC_FORMAT
    rows[0].write_text(rows[0].read_text()[:30])  # truncated by hand (the writer never leaves this)
    with pytest.raises(ValueError, match=f"{rows[0].name}: not a valid row file"):
        S.report(out, plots=False)
    other = rows[1].with_name("0000000000000000.json")
    rows[1].rename(other)
    rows[0].unlink()
    with pytest.raises(ValueError, match="task_id does not match the file name"):
        S.read_rows(out)
    other.unlink()
    spec_file = out / "spec.json"
    data = json.loads(spec_file.read_text())
    data["format"] = 99
    spec_file.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="format"):
        S.resume(out, n_workers=0, progress=False)
