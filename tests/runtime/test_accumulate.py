"""The runtime helpers, checked by adjoint identities: <A^T g, v> == <g, A v>."""
import numpy as np
import pytest

from knet_ast.errors import NonScalarOutputError
from knet_ast.runtime.accumulate import (
    add_at,
    add_grad,
    finalize_grad,
    grad_item,
    seed_gradient,
    unbroadcast,
    unreduce,
    zeros_like_grad,
)

rng = np.random.default_rng(0)


@pytest.mark.parametrize("gshape, xshape", [
    ((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 4), (3, 1)), ((3, 4), (1, 4)), ((3, 4), ()),
    ((2, 3, 4), (3, 1)), ((2, 3, 4), (1, 1, 4)), ((5,), (1,)),
])
def test_unbroadcast_is_the_adjoint_of_broadcasting(gshape, xshape):
    g, v = rng.standard_normal(gshape), rng.standard_normal(xshape)
    result = unbroadcast(g, np.zeros(xshape))
    assert np.shape(result) == xshape
    assert np.isclose(np.sum(result * v), np.sum(g * np.broadcast_to(v, gshape)))


def test_unbroadcast_to_a_python_float_sums_everything():
    g = rng.standard_normal((2, 3))
    assert np.isclose(unbroadcast(g, 1.5), g.sum())


def test_unbroadcast_keeps_float32():
    g = rng.standard_normal((3, 4)).astype(np.float32)
    assert unbroadcast(g, np.zeros(4, np.float32)).dtype == np.float32


@pytest.mark.parametrize("axis, keepdims", [
    (None, False), (0, False), (1, True), (-1, False), ((0, 2), False), ((0, 2), True),
])
def test_unreduce_is_the_adjoint_of_sum(axis, keepdims):
    x = rng.standard_normal((2, 3, 4))
    reduced = x.sum(axis=axis, keepdims=keepdims)
    g, v = rng.standard_normal(np.shape(reduced)), rng.standard_normal(x.shape)
    back = unreduce(g, x, axis, keepdims)
    assert back.shape == x.shape
    assert np.isclose(np.sum(back * v), np.sum(g * v.sum(axis=axis, keepdims=keepdims)))


@pytest.mark.parametrize("index", [
    2, -1, slice(1, None, 2), (slice(None), 0), np.array([0, 0, 3, 1, 0]),
    (np.array([1, 1]), np.array([2, 2])), np.array([True, False, True, True, False]), None,
    (Ellipsis, 1),
])
def test_add_at_is_the_adjoint_of_indexing(index):
    x = rng.standard_normal((5, 4))
    g = rng.standard_normal(np.shape(x[index]))
    v = rng.standard_normal(x.shape)
    da = add_at(None, x, index, g)
    assert np.isclose(np.sum(da * v), np.sum(g * v[index]))


def test_add_at_accumulates_without_modifying_the_previous_adjoint():
    x = np.zeros(3)
    previous = np.ones(3)
    da = add_at(previous, x, np.array([0, 0]), np.array([1.0, 2.0]))
    assert np.array_equal(previous, np.ones(3))
    assert np.array_equal(da, [4.0, 1.0, 1.0])


def test_add_at_on_containers_fills_only_the_indexed_entries():
    w = [np.zeros(2), np.zeros(3), np.zeros(1)]
    dw = add_at(None, w, 1, np.ones(3))
    assert dw[0] is None and dw[2] is None and np.array_equal(dw[1], np.ones(3))
    dw2 = add_at(dw, w, slice(0, 2), [np.ones(2), np.ones(3)])
    assert np.array_equal(dw2[1], 2 * np.ones(3)) and dw[0] is None
    dd = add_at(None, {"a": 1.0, "b": 2.0}, "b", 3.0)
    assert dd == {"b": 3.0}


def test_add_grad_treats_none_as_zero_and_recurses():
    assert add_grad(None, 2.0) == 2.0 and add_grad(2.0, None) == 2.0
    assert add_grad([1.0, None], [None, 2.0]) == [1.0, 2.0]
    assert add_grad({"a": 1.0}, {"a": 2.0, "b": 1.0}) == {"a": 3.0, "b": 1.0}


def test_grad_item_gives_zeros_for_missing_entries():
    x = np.ones((2, 2))
    assert np.array_equal(grad_item(None, 0, x), np.zeros((2, 2)))
    assert np.array_equal(grad_item([None, 5.0], 0, x), np.zeros((2, 2)))
    assert grad_item({"k": 4.0}, "k", 1.0) == 4.0


def test_finalize_grad_matches_structure_types_and_dtypes():
    Pair = __import__("collections").namedtuple("Pair", "a b")
    x = {"w": [np.zeros((2, 2), np.float32), (1.0, np.float32(2))], "p": Pair(np.zeros(3), 4.0)}
    d = {"w": [np.ones((2, 2)), None]}
    out = finalize_grad(d, x)
    assert list(out) == ["w", "p"]
    assert out["w"][0].dtype == np.float32 and np.array_equal(out["w"][0], np.ones((2, 2)))
    assert type(out["w"][1]) is tuple and out["w"][1] == (0.0, np.float32(0))
    assert type(out["w"][1][1]) is np.float32
    assert isinstance(out["p"], Pair) and out["p"].b == 0.0 and out["p"].a.shape == (3,)


def test_finalize_grad_never_returns_a_read_only_or_aliased_array():
    x = np.zeros((2, 3))
    view = np.broadcast_to(np.ones(3), (2, 3))
    out = finalize_grad(view, x)
    assert out.flags.writeable
    assert finalize_grad(x, x) is not x


def test_zeros_like_grad_of_a_structure():
    z = zeros_like_grad([np.ones(2, np.float32), {"a": 3.0}, "label"])
    assert z[0].dtype == np.float32 and z[1] == {"a": 0.0} and z[2] is None


@pytest.mark.parametrize("value", [np.ones(3), np.ones((1, 2)), "text", [1.0]])
def test_seed_gradient_rejects_non_scalars(value):
    with pytest.raises(NonScalarOutputError):
        seed_gradient(value)


@pytest.mark.parametrize("value", [2.5, 3, np.float32(1.0), np.array(2.0), np.ones((1, 1))])
def test_seed_gradient_is_one_with_the_value_type(value):
    seed = seed_gradient(value)
    assert np.all(seed == 1)
    assert np.shape(seed) == np.shape(value)
    if isinstance(value, (np.ndarray, np.generic)):
        assert seed.dtype == value.dtype
