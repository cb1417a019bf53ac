"""Seeds, pickling and the checksummed state file."""
import hashlib
import pickle
import struct

import numpy as np
import pytest

import htmhw
from htmhw._fileformat import FORMAT_VERSION, MAGIC, write_state
from htmhw.nupic import SpatialPooler as NupicSP

PARAMS = dict(input_dimensions=(10, 10), column_dimensions=(16, 16), potential_radius=3, potential_pct=0.5,
              global_inhibition=True, local_area_density=0.04, stimulus_threshold=1, syn_perm_active_inc=0.05,
              syn_perm_inactive_dec=0.01, boost_strength=2.0, duty_cycle_period=50,
              min_pct_overlap_duty_cycle=0.05, seed=1234)


def inputs(n, seed):
    return (np.random.default_rng(seed).random((n, 100)) < 0.2).astype(np.uint8)


def same_state(a, b):
    sa, sb = a.__getstate__(), b.__getstate__()
    if sa.keys() != sb.keys():
        return False
    for key in sa:
        if isinstance(sa[key], np.ndarray):
            if sa[key].dtype != sb[key].dtype or not np.array_equal(sa[key], sb[key]):
                return False
        elif sa[key] != sb[key]:
            return False
    return True


@pytest.fixture()
def trained():
    sp = htmhw.SpatialPooler(**PARAMS)
    sp.compute(inputs(80, 0), learn=True)
    return sp


def test_same_seed_gives_identical_sdrs_and_state():
    a, b = htmhw.SpatialPooler(**PARAMS), htmhw.SpatialPooler(**PARAMS)
    assert same_state(a, b)
    X = inputs(60, 1)
    sdr_a = a.compute(X, learn=True, output="dense")
    sdr_b = b.compute(X, learn=True, output="dense")
    np.testing.assert_array_equal(sdr_a, sdr_b)
    assert sdr_a.sum(axis=1).max() == int(0.04 * 256)  # a real run, not all-empty SDRs
    assert same_state(a, b) and a == b


def test_different_seeds_give_different_pools():
    a = htmhw.SpatialPooler(**PARAMS)
    b = htmhw.SpatialPooler(**dict(PARAMS, seed=1235))
    # same pool sizes (the topology is seed-independent) ...
    np.testing.assert_array_equal(a.potential().sum(axis=1), b.potential().sum(axis=1))
    # ... but different samples for most columns, and different permanences
    differing = np.any(a.potential() != b.potential(), axis=1)
    assert differing.mean() > 0.9
    assert a != b


def test_seed_minus_one_records_a_concrete_seed():
    a = htmhw.SpatialPooler(**dict(PARAMS, seed=-1))
    b = htmhw.SpatialPooler(**dict(PARAMS, seed=-1))
    for sp in (a, b):
        seed = sp.params["seed"]
        assert isinstance(seed, int) and 0 <= seed < 2**64
    assert a.params["seed"] != b.params["seed"]  # drawn from the OS (a 2**-64 coincidence otherwise)
    # the recorded seed reproduces the pooler
    again = htmhw.SpatialPooler(**dict(PARAMS, seed=a.params["seed"]))
    assert again == a
    nupic = NupicSP(inputDimensions=(10, 10), columnDimensions=(16, 16), seed=-1)
    assert 0 <= nupic.getSeed() < 2**64


def test_pickle_round_trip_and_continued_learning(trained):
    copy = pickle.loads(pickle.dumps(trained))
    assert copy == trained and same_state(copy, trained)
    assert copy.params == trained.params
    X = inputs(50, 2)
    out_a = trained.compute(X, learn=True, output="dense")
    out_b = copy.compute(X, learn=True, output="dense")
    np.testing.assert_array_equal(out_a, out_b)
    assert copy == trained
    np.testing.assert_array_equal(trained.infer(X, output="dense"), copy.infer(X, output="dense"))


def test_nupic_pickle_round_trip():
    sp = NupicSP(inputDimensions=(100,), columnDimensions=(64,), potentialRadius=100, globalInhibition=True,
                 localAreaDensity=0.1, boostStrength=1.0, seed=5)
    X = inputs(30, 3)
    for x in X:
        sp.compute(x, True, np.zeros(64, dtype=np.uint8))
    copy = pickle.loads(pickle.dumps(sp))
    a, b = np.zeros(64, dtype=np.uint8), np.zeros(64, dtype=np.uint8)
    for x in inputs(20, 4):
        sp.compute(x, True, a)
        copy.compute(x, True, b)
        assert np.array_equal(a, b)
    np.testing.assert_array_equal(sp.getBoostFactors(), copy.getBoostFactors())
    assert copy.getIterationNum() == sp.getIterationNum() == 50


def test_save_load_is_bit_identical(trained, tmp_path):
    path = tmp_path / "sp.htmhw"
    trained.save(path)
    assert path.read_bytes()[:8] == MAGIC
    loaded = htmhw.SpatialPooler.load(path)
    assert loaded == trained and same_state(loaded, trained)
    assert loaded.params == trained.params
    # writing the loaded pooler again gives the same bytes
    loaded.save(tmp_path / "again.htmhw")
    assert (tmp_path / "again.htmhw").read_bytes() == path.read_bytes()
    # and it continues exactly like the original
    X = inputs(40, 5)
    np.testing.assert_array_equal(trained.compute(X, learn=True, output="dense"),
                                  loaded.compute(X, learn=True, output="dense"))
    assert loaded == trained
    # no temporary files are left behind by the atomic write
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.htmhw", "sp.htmhw"]


def test_save_load_large_seed(tmp_path):
    sp = htmhw.SpatialPooler(**dict(PARAMS, seed=2**64 - 1))  # does not fit a JSON double
    sp.save(tmp_path / "s")
    assert htmhw.SpatialPooler.load(tmp_path / "s").params["seed"] == 2**64 - 1


def test_nupic_save_load(tmp_path):
    sp = NupicSP(inputDimensions=(100,), columnDimensions=(64,), potentialRadius=100, globalInhibition=True,
                 localAreaDensity=0.1, seed=5)
    sp.compute(inputs(1, 6)[0], True, np.zeros(64, dtype=np.uint8))
    sp.save(tmp_path / "n")
    loaded = NupicSP.load(tmp_path / "n")
    for c in (0, 17, 63):
        np.testing.assert_array_equal(loaded.getPermanence(c), sp.getPermanence(c))
    assert loaded.getIterationNum() == 1


# -- corrupted files -----------------------------------------------------------------------


@pytest.fixture()
def saved(trained, tmp_path):
    path = tmp_path / "sp.htmhw"
    trained.save(path)
    return path, path.read_bytes()


def write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_truncated_file_is_rejected(saved, tmp_path):
    _, data = saved
    with pytest.raises(ValueError, match="truncated"):
        htmhw.SpatialPooler.load(write(tmp_path, "short", data[:-100]))
    with pytest.raises(ValueError, match="truncated"):
        htmhw.SpatialPooler.load(write(tmp_path, "tiny", data[:30]))
    with pytest.raises(ValueError, match="truncated"):
        htmhw.SpatialPooler.load(write(tmp_path, "empty", b""))


@pytest.mark.parametrize("where", [0.3, 0.5, 0.9, -1])
def test_flipped_byte_is_rejected(saved, tmp_path, where):
    _, data = saved
    flipped = bytearray(data)
    i = len(data) - 1 if where == -1 else int(len(data) * where)  # header, payload or the checksum itself
    flipped[i] ^= 0x01
    with pytest.raises(ValueError, match="checksum"):
        htmhw.SpatialPooler.load(write(tmp_path, "flip", bytes(flipped)))


def test_wrong_magic_is_rejected(saved, tmp_path):
    _, data = saved
    with pytest.raises(ValueError, match="magic"):
        htmhw.SpatialPooler.load(write(tmp_path, "magic", b"NOTHTMHW" + data[8:]))


def test_wrong_version_is_rejected(saved, tmp_path):
    _, data = saved
    body = bytearray(data[:-32])
    assert struct.unpack("<I", bytes(body[8:12]))[0] == FORMAT_VERSION
    body[8:12] = struct.pack("<I", FORMAT_VERSION + 1)
    forged = bytes(body) + hashlib.sha256(bytes(body)).digest()  # a valid checksum for the new bytes
    with pytest.raises(ValueError, match=rf"version {FORMAT_VERSION + 1}"):
        htmhw.SpatialPooler.load(write(tmp_path, "version", forged))


def test_wrong_kind_and_inconsistent_state_are_rejected(trained, tmp_path):
    path = tmp_path / "other"
    write_state(path, "something.else", {}, {"x": np.zeros(3, dtype=np.uint8)})
    with pytest.raises(ValueError, match="something.else"):
        htmhw.SpatialPooler.load(path)
    # a well-formed file whose content is not a valid pooler (permanence out of [0, 1])
    state = trained.__getstate__()
    arrays = {k: v for k, v in state.items() if isinstance(v, np.ndarray)}
    arrays["permanences"] = arrays["permanences"].copy()
    arrays["permanences"][0] = 2.0
    meta = {k: v for k, v in state.items() if not isinstance(v, np.ndarray)}
    meta["params"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in meta["params"].items()}
    meta["params"]["seed"] = str(meta["params"]["seed"])
    write_state(tmp_path / "bad", "htmhw.SpatialPooler", meta, arrays)
    with pytest.raises(ValueError, match="permanence"):
        htmhw.SpatialPooler.load(tmp_path / "bad")
