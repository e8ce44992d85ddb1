"""knet.minibatch and knet.epochs: batch counts and contents, shuffling, conversion, errors."""
import math

import numpy as np
import pytest

import knet_ast as knet


def rows(n, width=3):
    """x whose row i is [i*width, ..., i*width + width - 1], and labels y[i] = i."""
    return np.arange(n * width, dtype=np.float64).reshape(n, width), np.arange(n, dtype=np.int64)


@pytest.mark.parametrize("n, b", [(10, 3), (12, 4), (5, 5), (7, 1), (3, 5), (0, 4)])
@pytest.mark.parametrize("partial", [False, True])
def test_batches_in_order(n, b, partial):
    x, y = rows(n)
    data = knet.minibatch(x, y, b, partial=partial)
    count = math.ceil(n / b) if partial else n // b
    assert len(data) == count
    batches = list(data)
    assert len(batches) == count
    for i, (xb, yb) in enumerate(batches):
        assert np.array_equal(xb, x[i * b:(i + 1) * b])
        assert np.array_equal(yb, y[i * b:(i + 1) * b])
    if partial and n:
        assert sum(len(yb) for _, yb in batches) == n
        assert len(batches[-1][1]) == n - (count - 1) * b
    if not partial:
        assert all(len(yb) == b for _, yb in batches)


def test_batches_of_x_alone():
    x, _ = rows(10)
    data = knet.minibatch(x, 4)
    batches = list(data)
    assert len(batches) == len(data) == 2
    assert all(isinstance(xb, np.ndarray) for xb in batches)
    assert np.array_equal(batches[1], x[4:8])
    assert [len(xb) for xb in knet.minibatch(x, 4, partial=True)] == [4, 4, 2]


def test_batchsize_larger_than_the_data():
    x, y = rows(3)
    assert list(knet.minibatch(x, y, 5)) == []
    [(xb, yb)] = knet.minibatch(x, y, 5, partial=True)
    assert np.array_equal(xb, x) and np.array_equal(yb, y)


def test_multidimensional_instances():
    x = np.random.default_rng(0).random((10, 1, 8, 8)).astype(np.float32)
    y = np.arange(10)
    batches = list(knet.minibatch(x, y, 4))
    assert [xb.shape for xb, _ in batches] == [(4, 1, 8, 8)] * 2
    assert np.array_equal(batches[1][0], x[4:8])


@pytest.mark.parametrize("batchsize", [0, -1, 2.0, 2.5, True, False, "2", None])
def test_bad_batchsize_raises(batchsize):
    x, y = rows(4)
    with pytest.raises(ValueError):
        knet.minibatch(x, y, batchsize)
    with pytest.raises(ValueError):
        knet.minibatch(x, batchsize)


def test_x_and_y_of_different_lengths_raise():
    x, _ = rows(5)
    with pytest.raises(ValueError):
        knet.minibatch(x, np.arange(4), 2)


@pytest.mark.parametrize("x", [[[1, 2], [3, 4]], (1, 2, 3), 5, np.float64(3.0), np.array(3.0)])
def test_non_array_x_raises_type_error(x):
    with pytest.raises(TypeError):
        knet.minibatch(x, 1)


def test_non_array_y_raises_type_error():
    x, _ = rows(4)
    with pytest.raises(TypeError):
        knet.minibatch(x, [0, 1, 2, 3], 2)


def test_wrong_number_of_positional_arguments_raises():
    x, y = rows(4)
    with pytest.raises(TypeError):
        knet.minibatch(x)
    with pytest.raises(TypeError):
        knet.minibatch(x, y, 2, 2)


# --- shuffling ---

def _epoch(data):
    return [(xb.copy(), yb.copy()) for xb, yb in data]


def test_a_shuffled_epoch_is_a_permutation_with_pairs_kept():
    x, y = rows(103)
    data = knet.minibatch(x, y, 10, shuffle=True, partial=True)
    batches = _epoch(data)
    assert len(batches) == 11
    labels = np.concatenate([yb for _, yb in batches])
    assert sorted(labels.tolist()) == list(range(103))  # every instance exactly once
    for xb, yb in batches:
        assert np.array_equal(xb, x[yb])  # x stays with its y
    assert not np.array_equal(labels, y)


def test_without_partial_a_shuffled_epoch_has_distinct_instances():
    x, y = rows(103)
    labels = np.concatenate([yb for _, yb in knet.minibatch(x, y, 10, shuffle=True)])
    assert len(labels) == 100 and len(set(labels.tolist())) == 100


def test_each_epoch_is_shuffled_anew():
    x, y = rows(100)
    data = knet.minibatch(x, y, 10, shuffle=True)
    first = np.concatenate([yb for _, yb in data])
    second = np.concatenate([yb for _, yb in data])
    assert not np.array_equal(first, second)


def test_seed_makes_the_order_reproducible():
    x, y = rows(100)
    data = knet.minibatch(x, y, 10, shuffle=True)
    knet.seed(123)
    first = np.concatenate([yb for _, yb in data])
    knet.seed(123)
    second = np.concatenate([yb for _, yb in data])
    knet.seed(124)
    other = np.concatenate([yb for _, yb in data])
    assert np.array_equal(first, second)
    assert not np.array_equal(first, other)


# --- conversion ---

def test_default_leaves_batches_unchanged():
    x = np.arange(12, dtype=np.float64).reshape(6, 2)
    y = np.arange(6, dtype=np.int32)
    xb, yb = next(iter(knet.minibatch(x, y, 3)))
    assert xb.dtype == np.float64 and yb.dtype == np.int32


def test_xtype_dtype_converts_and_labels_stay_int():
    x, y = rows(6)
    xb, yb = next(iter(knet.minibatch(x, y, 3, xtype=np.float32)))
    assert xb.dtype == np.float32 and np.array_equal(xb, x[:3].astype(np.float32))
    assert yb.dtype == np.int64 and np.array_equal(yb, y[:3])


def test_ytype_dtype_converts():
    x, y = rows(6)
    _, yb = next(iter(knet.minibatch(x, y, 3, ytype=np.float64)))
    assert yb.dtype == np.float64 and np.array_equal(yb, [0.0, 1.0, 2.0])


def test_callables_are_applied_to_each_batch():
    x, y = rows(6)
    seen = []

    def double(a):
        seen.append(a.shape)
        return a * 2

    batches = list(knet.minibatch(x, y, 3, xtype=double, ytype=lambda a: a.tolist()))
    assert seen == [(3, 3), (3, 3)]
    assert np.array_equal(batches[1][0], 2 * x[3:])
    assert batches[1][1] == [3, 4, 5]


def test_array_type_converts():
    x, _ = rows(4)
    xb = next(iter(knet.minibatch(x, 2, xtype=knet.ArrayType(np.float16))))
    assert xb.dtype == np.float16 and np.array_equal(xb, x[:2])


# --- iteration ---

def test_data_is_re_iterable():
    x, y = rows(10)
    data = knet.minibatch(x, y, 3)
    first, second = _epoch(data), _epoch(data)
    assert len(first) == len(second) == 3
    for (x1, y1), (x2, y2) in zip(first, second):
        assert np.array_equal(x1, x2) and np.array_equal(y1, y2)


def test_repr_mentions_the_batches():
    x, y = rows(10)
    text = repr(knet.minibatch(x, y, 3))
    assert "batches" in text and "3" in text and "10" in text


def test_epochs_chains_passes():
    x, y = rows(10)
    data = knet.minibatch(x, y, 3)
    repeated = knet.epochs(data, 4)
    assert len(repeated) == 12
    batches = list(repeated)
    assert len(batches) == 12
    for i, (xb, yb) in enumerate(batches):
        assert np.array_equal(yb, y[(i % 3) * 3:(i % 3 + 1) * 3])
    assert list(knet.epochs(data, 0)) == []
    assert len(list(knet.epochs(data, 2))) == 6  # iterable again


def test_epochs_of_shuffled_data_reshuffle_each_pass():
    x, y = rows(50)
    batches = list(knet.epochs(knet.minibatch(x, y, 50, shuffle=True), 3))
    orders = [yb.tolist() for _, yb in batches]
    assert all(sorted(o) == list(range(50)) for o in orders)
    assert orders[0] != orders[1] or orders[1] != orders[2]
