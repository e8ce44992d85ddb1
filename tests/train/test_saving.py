"""knet.save / knet.load: exact round trips of nested structures, the file format, errors,
atomic replacement when a write fails, and file permissions."""
import collections
import json
import os
import stat

import numpy as np
import pytest

import knet_ast as knet
from knet_ast import saving

rng = np.random.default_rng(11)


def assert_same(got, expected):
    """got equals expected exactly: same container types, keys, dtypes, shapes and values."""
    assert type(got) is type(expected), (type(got), type(expected))
    if isinstance(expected, np.ndarray):
        assert got.dtype == expected.dtype and got.shape == expected.shape
        assert np.array_equal(got, expected, equal_nan=expected.dtype.kind in "fc")
    elif isinstance(expected, (list, tuple)):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert_same(g, e)
    elif isinstance(expected, dict):
        assert list(got) == list(expected)
        for key in expected:
            assert type(key) is type(next(k for k in got if k == key))
            assert_same(got[key], expected[key])
    elif isinstance(expected, float) and np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == expected


def structure():
    return {
        "weights": [rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(5),
                    rng.integers(-10**12, 10**12, (2, 2)), np.array([True, False, True]),
                    np.array(2.5, dtype=np.float32), np.array(7), np.zeros((0, 3), np.float32)],
        "pair": (np.arange(3, dtype=np.uint8), "name", None),
        "layers": {1: {"w": np.ones((2, 1), np.float16), "b": None}, "1": [], 0: ()},
        "scalars": [1.5, -3, 0, 2**40, True, False, None, "ünïcödé", "", float("inf"), float("nan")],
        "empty": {},
        "nested": [[[np.array([[1.0]])]], ((1, (2, 3)),)],
    }


def test_round_trip_of_a_nested_structure(tmp_path):
    w = structure()
    path = tmp_path / "model.npz"
    knet.save(path, w)
    assert_same(knet.load(path), w)


def test_numpy_scalars_come_back_as_zero_d_arrays(tmp_path):
    knet.save(tmp_path / "s.npz", [np.float32(1.5), np.int64(3)])
    a, b = knet.load(tmp_path / "s.npz")
    assert_same(a, np.array(1.5, dtype=np.float32))
    assert_same(b, np.array(3, dtype=np.int64))


@pytest.mark.parametrize("w", [np.arange(4.0), [], {}, (), None, 3, "text"])
def test_round_trip_of_a_bare_value(tmp_path, w):
    knet.save(tmp_path / "w.npz", w)
    assert_same(knet.load(tmp_path / "w.npz"), w)


def test_the_file_is_a_plain_npz_without_pickles(tmp_path):
    arrays = [rng.standard_normal((2, 3)), np.arange(5, dtype=np.int32)]
    path = tmp_path / "plain.npz"
    knet.save(path, {"a": arrays[0], "b": [arrays[1], "x"]})
    with np.load(path, allow_pickle=False) as file:
        entries = [file[name] for name in file.files]
    for a in arrays:
        assert sum(e.dtype == a.dtype and e.shape == a.shape and np.array_equal(e, a) for e in entries) == 1
    assert all(e.dtype != object for e in entries)


def test_a_path_without_npz_suffix_is_used_as_is(tmp_path):
    path = tmp_path / "weights.jld2"
    knet.save(str(path), [np.arange(3)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.jld2"]
    assert_same(knet.load(str(path)), [np.arange(3)])


def test_a_relative_path_in_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    knet.save("w.npz", {"k": 1})
    assert (tmp_path / "w.npz").exists()
    assert knet.load("w.npz") == {"k": 1}


def test_load_converts_arrays_with_atype(tmp_path):
    w = {"w": rng.standard_normal((2, 2)), "i": np.arange(3), "lr": 0.5}
    knet.save(tmp_path / "w.npz", w)
    got = knet.load(tmp_path / "w.npz", atype=np.float32)
    assert got["w"].dtype == np.float32 and got["i"].dtype == w["i"].dtype  # ids stay integers
    assert np.array_equal(got["w"], w["w"].astype(np.float32))
    assert np.array_equal(got["i"], [0, 1, 2])
    assert got["lr"] == 0.5 and type(got["lr"]) is float
    assert knet.load(tmp_path / "w.npz", atype=lambda a: a.tolist())["i"] == [0, 1, 2]


@pytest.mark.parametrize("w", [object(), {1, 2}, [np.arange(2), {3}], {"f": len}, b"bytes",
                               collections.namedtuple("P", "a b")(1, 2), 1 + 2j])
def test_unsupported_leaves_raise_type_error(tmp_path, w):
    with pytest.raises(TypeError):
        knet.save(tmp_path / "w.npz", w)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("key", [(1, 2), 1.5, None, True])
def test_unsupported_dict_keys_raise_type_error(tmp_path, key):
    with pytest.raises(TypeError):
        knet.save(tmp_path / "w.npz", {key: 1})
    assert list(tmp_path.iterdir()) == []


def test_object_arrays_are_refused(tmp_path):
    with pytest.raises(TypeError):
        knet.save(tmp_path / "w.npz", [np.array([{"a": 1}, None], dtype=object)])
    assert list(tmp_path.iterdir()) == []


def test_loading_an_npz_not_written_by_save_raises(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, w=np.arange(3))
    with pytest.raises(ValueError):
        knet.load(path)


def test_loading_an_unknown_structure_entry_raises(tmp_path):
    path = tmp_path / "odd.npz"
    np.savez(path, __structure__=np.array(json.dumps({"set": [1, 2]})))
    with pytest.raises(ValueError):
        knet.load(path)


# --- atomic replacement ---

def _crashing_savez(error):
    def savez(file, *args, **kwargs):
        file.write(b"PK\x03\x04 half a zip file")
        raise error
    return savez


@pytest.mark.parametrize("error", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_a_crash_mid_save_keeps_the_old_file(tmp_path, monkeypatch, error):
    path = tmp_path / "model.npz"
    old = {"w": np.arange(4.0), "step": 10}
    knet.save(path, old)
    before = path.read_bytes()
    monkeypatch.setattr(saving.np, "savez", _crashing_savez(error))
    with pytest.raises(type(error)):
        knet.save(path, {"w": np.zeros(4), "step": 11})
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]  # no temporaries left
    assert path.read_bytes() == before
    assert_same(knet.load(path), old)


@pytest.mark.parametrize("error", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_a_crash_mid_save_leaves_nothing_when_there_was_no_file(tmp_path, monkeypatch, error):
    monkeypatch.setattr(saving.np, "savez", _crashing_savez(error))
    with pytest.raises(type(error)):
        knet.save(tmp_path / "model.npz", [np.arange(3)])
    assert list(tmp_path.iterdir()) == []


def test_saving_over_a_file_replaces_it(tmp_path):
    path = tmp_path / "model.npz"
    knet.save(path, [np.arange(3)])
    knet.save(path, {"new": "value"})
    assert knet.load(path) == {"new": "value"}
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


# --- permissions ---

@pytest.fixture
def umask():
    """Set the process umask for one test, then restore it."""
    previous = os.umask(0o022)
    yield os.umask
    os.umask(previous)


def test_saved_files_are_not_private_under_the_default_umask(tmp_path, umask):
    umask(0o022)
    path = tmp_path / "model.npz"
    knet.save(path, [np.arange(3)])
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode & 0o044 == 0o044  # group and others can read, as for any file open() makes
    assert mode & 0o022 == 0


def test_saved_file_mode_follows_the_current_umask_like_open(tmp_path, umask):
    umask(0o037)
    reference = tmp_path / "reference"
    reference.write_bytes(b"")
    path = tmp_path / "model.npz"
    knet.save(path, [np.arange(3)])
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(reference.stat().st_mode) == 0o640
