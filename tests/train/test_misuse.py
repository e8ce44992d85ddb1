"""Misuse of the training toolkit gets a clear error, never a silently wrong result
(each case found in review: it used to run and do the wrong thing)."""
import io
import os

import numpy as np
import pytest

import knet_ast as knet
from knet_ast import data


def sq(w, x):
    return np.sum((w - x) ** 2)


def test_train_keeps_the_state_of_a_single_arrays_optimizer():
    w = np.zeros(3)
    opt = knet.optimizers(w, knet.Momentum, lr=0.1)   # a bare Momentum for a bare array
    knet.train(sq, w, [np.ones(3)], opt)
    velocity = opt.state[0].copy()
    knet.train(sq, w, [np.ones(3)], opt)
    assert np.all(velocity != 0) and np.all(opt.state[0] != velocity)  # carried, not restarted


@pytest.mark.parametrize("w", [0.0, np.float32(0)])
def test_train_refuses_a_number_it_cannot_update_in_place(w):
    with pytest.raises(TypeError, match="in place"):
        knet.train(sq, w, [1.0])


def test_train_refuses_no_optimizer():
    with pytest.raises(TypeError, match="needs an optimizer"):
        knet.train(sq, [np.zeros(3)], [np.ones(3)], None)


def test_epochs_refuses_a_generator_and_bad_counts():
    with pytest.raises(TypeError, match="list"):
        knet.epochs((x for x in [1, 2]), 3)
    for n in (2.5, -1, True):
        with pytest.raises(ValueError):
            knet.epochs([1], n)


def test_progress_over_an_iterable_without_len():
    out = io.StringIO()
    assert list(knet.progress(iter([0.5, 0.25]), file=out)) == [0.5, 0.25]
    assert "loss=" not in _bar(range(3))  # integers are not losses


def _bar(items):
    out = io.StringIO()
    list(knet.progress(items, every=0, file=out))
    return out.getvalue()


@pytest.mark.parametrize("g", [np.ones(4), np.ones((1, 4)), np.float64(1)])
def test_a_gradient_of_the_wrong_shape_is_refused(g):
    w = np.zeros((3, 4))
    with pytest.raises(ValueError, match="shape"):
        knet.update(w, g, knet.SGD())
    assert not w.any()


def test_one_optimizer_for_two_arrays_is_refused():
    opt, a, b = knet.Adam(), np.zeros(3), np.zeros(3)
    knet.update(a, np.ones(3), opt)
    with pytest.raises(ValueError, match="another array"):
        knet.update(b, np.ones(3), opt)


def test_a_parameter_without_an_optimizer_is_refused():
    w = {"W": np.zeros(2)}
    opt = knet.optimizers(w, knet.SGD)
    w["b"] = np.zeros(2)
    with pytest.raises(KeyError, match="'b'"):
        knet.update(w, {"W": np.ones(2), "b": np.ones(2)}, opt)
    opt["b"] = None  # frozen on purpose
    knet.update(w, {"W": np.ones(2), "b": np.ones(2)}, opt)
    assert not w["b"].any() and w["W"].all()


@pytest.mark.parametrize("make", [lambda: knet.SGD(gclip=-1), lambda: knet.Adam(beta1=1),
                                  lambda: knet.Momentum(gamma=-0.1), lambda: knet.Rmsprop(eps=0),
                                  lambda: knet.Adadelta(rho=1.5)])
def test_out_of_range_options_are_refused(make):
    with pytest.raises(ValueError):
        make()


def test_a_float32_scalar_parameter_stays_float32():
    w = {"scale": np.float32(1.0)}
    opt = knet.optimizers(w, knet.Adam, lr=0.1)
    knet.update(w, {"scale": np.float32(2.0)}, opt)
    assert type(w["scale"]) is np.float32 and w["scale"] < 1


def test_optimizers_from_a_used_instance_start_fresh():
    used = knet.Adam()
    knet.update(np.zeros(3), np.ones(3), used)
    fresh = knet.optimizers([np.zeros(2)], used)[0]
    assert fresh.t == 0 and fresh.state is None and fresh.lr == used.lr


def test_param_dimensions_and_atype():
    assert knet.param(np.int64(5)).shape == (5,)
    assert knet.param0(np.int64(5)).shape == (5,)
    with pytest.raises(ValueError):
        knet.param(True)
    with pytest.raises(TypeError, match="dtype"):
        knet.param(3, atype=list)
    with pytest.raises(TypeError, match="floating"):
        knet.param(3, atype=np.int64)


@pytest.mark.parametrize("content", [b"not a zip", None])
def test_load_of_a_file_save_did_not_write(tmp_path, content):
    path = tmp_path / "x.npz"
    if content is None:
        np.save(path, np.arange(3))
        path = tmp_path / "x.npz.npy"
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match="knet.save"):
        knet.load(path)


def test_save_errors_name_the_users_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "no")):
        knet.save(tmp_path / "no" / "m.npz", [np.ones(2)])
    with pytest.raises(IsADirectoryError, match=str(tmp_path)):
        knet.save(tmp_path, [np.ones(2)])
    assert os.listdir(tmp_path) == []


def test_save_keeps_a_private_files_mode_and_writes_through_a_symlink(tmp_path):
    target = tmp_path / "model.npz"
    knet.save(target, [np.ones(2)])
    os.chmod(target, 0o600)
    link = tmp_path / "latest.npz"
    link.symlink_to(target)
    knet.save(link, [np.zeros(2)])
    assert link.is_symlink() and (os.stat(target).st_mode & 0o777) == 0o600
    assert not knet.load(target)[0].any()


def test_a_cache_that_is_not_a_directory(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("KNET_DATA", str(tmp_path / "file"))
    with pytest.raises(data.DownloadError, match="KNET_DATA"):
        data.cache_dir()


@pytest.mark.parametrize("batchsize, seqlength", [(0, 5), (2, 0), (2, -3), (2.0, 5)])
def test_sequence_batches_sizes(batchsize, seqlength):
    with pytest.raises(ValueError):
        data.sequence_batches(np.arange(100), batchsize, seqlength)


def test_small_data_helpers_check_their_arguments():
    with pytest.raises(ValueError, match="repeats"):
        data.char_ids("ab", vocab="aab")
    for fraction in (-0.5, 1.5):
        with pytest.raises(ValueError):
            data.split(10, fraction)
    assert data.strip_gutenberg("head\n***START OF THE BOOK***\nbody\n***END OF THE BOOK***") == "body"
    assert data.stdlib_text(0) == ""
    assert len(knet.minibatch(np.zeros((10, 2)), np.int64(5))) == 2


@pytest.mark.parametrize("w", [3, True, "a"])
def test_update_refuses_a_parameter_that_is_not_a_float(w):
    with pytest.raises(TypeError, match="cannot be trained"):
        knet.update(w, 1.0, knet.SGD())
