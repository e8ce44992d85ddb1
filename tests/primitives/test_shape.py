"""Rules of knet_ast/primitives/shape.py: reshape, transpose, squeeze, astype, item, .T, ..."""
import numpy as np
import pytest
from rule_tables import FLOAT, GENERIC, Case, check_case, check_float32, label

import knet_ast as knet
from knet_ast.runtime.iteration import as_sequence, dict_from, make_closure


def unary(fn):
    def loss(x, r):
        return np.sum(fn(x) * r)
    return loss


def with_arg(fn, arg):
    def loss(x, r):
        return np.sum(fn(x, arg) * r)
    return label(loss, arg=arg)


def with_args(fn, arg1, arg2):
    def loss(x, r):
        return np.sum(fn(x, arg1, arg2) * r)
    return label(loss, args=(arg1, arg2))


def reshape_keyword(x, r):
    return np.sum(np.reshape(x, shape=(4, 6)) * r)


def squeeze_keyword(x, r):
    return np.sum(np.squeeze(x, axis=(0, 2)) * r)


def transpose_keyword(x, r):
    return np.sum(np.transpose(x, axes=(2, 0, 1)) * r)


# --- methods and attributes: the name must appear in the source ---
def reshape_ints(x, r):
    return np.sum(x.reshape(4, 6) * r)


def reshape_tuple(x, r):
    return np.sum(x.reshape((3, -1)) * r)


def reshape_flat(x, r):
    return np.sum(x.reshape(-1) * r)


def ravel(x, r):
    return np.sum(x.ravel() * r)


def flatten(x, r):
    return np.sum(x.flatten() * r)


def squeeze(x, r):
    return np.sum(x.squeeze() * r)


def squeeze_axis(x, r):
    return np.sum(x.squeeze(axis=2) * r)


def transpose(x, r):
    return np.sum(x.transpose() * r)


def transpose_ints(x, r):
    return np.sum(x.transpose(1, 0, 2) * r)


def transpose_tuple(x, r):
    return np.sum(x.transpose((2, 0, 1)) * r)


def astype32(x, r):
    return np.sum(x.astype(np.float32) * r)


def astype64(x, r):
    return np.sum(x.astype(np.float64) * r)


def copy(x, r):
    return np.sum(x.copy() * r)


def item(x, r):
    return x.item() * r


def item_flat(x, r):
    return x.item(5) * r


def item_negative(x, r):
    return x.item(-2) * r


def item_tuple(x, r):
    return x.item((1, 2)) * r


def item_ints(x, r):
    return x.item(1, 2, -1) * r


def real_part(x, r):
    return np.sum(x.real * r)


def transposed(x, r):
    return np.sum(x.T * r)


def swapaxes(x, r):
    return np.sum(x.swapaxes(0, 2) * r)


def stack_keyword(xs, r):
    return np.sum(np.stack(xs, axis=-1) * r)


def concatenate_keyword(xs, r):
    return np.sum(np.concatenate(xs, axis=None) * r)


def array_nested(a, b, c, r):
    return np.sum(np.array([[a, b], [c, a]]) * r)


def array_float32(x, r):
    return np.sum(np.array(x, dtype=np.float32, ndmin=3) * r)


def sum_items(xs, r):
    return np.sum(sum(xs) * r)


def sum_start(xs, start, r):
    return np.sum(sum(xs, start) * r)


SHAPE = (2, 3, 4)

def loop_over(xs, r):
    total = 0.0
    for x in xs:  # the loop's iterable goes through as_sequence
        total = total + np.sum(x * r)
    return total


def list_of(xs, r):
    items = list(xs)
    return np.sum(items[0] * r) + np.sum(items[-1] * r * r)


def dict_comprehension(xs, r):
    squares = {k: x * x for k, x in zip("abca", xs)}  # a repeated key keeps the last value
    return np.sum(squares["a"] * r) + np.sum(squares["b"] * squares["c"] * r)


def apply_to(fn, x):
    return fn(x)


def closure_value(w, r):
    scaled = apply_to(lambda v: np.sin(v * w), 2.0)  # the lambda captures w: make_closure
    return np.sum(scaled * r)


SHAPES = [
    Case(np.reshape, with_arg(np.reshape, (4, 6)), (SHAPE,)),
    Case(np.reshape, with_arg(np.reshape, -1), (SHAPE,)),
    Case(np.reshape, reshape_keyword, (SHAPE,)),
    Case(np.ravel, unary(np.ravel), (SHAPE,)),
    Case(np.squeeze, unary(np.squeeze), ((1, 3, 1, 4),)),
    Case(np.squeeze, with_arg(np.squeeze, 1), ((3, 1, 4),)),
    Case(np.squeeze, squeeze_keyword, ((1, 3, 1, 4),)),
    Case(np.expand_dims, with_arg(np.expand_dims, 1), ((3, 4),)),
    Case(np.expand_dims, with_arg(np.expand_dims, (0, -1)), ((3, 4),)),
    Case(np.transpose, unary(np.transpose), (SHAPE,)),
    Case(np.transpose, with_arg(np.transpose, (1, 0, 2)), (SHAPE,)),
    Case(np.transpose, transpose_keyword, (SHAPE,)),
    Case(np.copy, unary(np.copy), (SHAPE,)),
    Case(np.moveaxis, with_args(np.moveaxis, 0, -1), (SHAPE,)),
    Case(np.moveaxis, with_args(np.moveaxis, (0, 1), (2, 0)), (SHAPE,)),
    Case(np.swapaxes, with_args(np.swapaxes, 0, 2), (SHAPE,)),
    Case(np.swapaxes, with_args(np.swapaxes, -1, 1), (SHAPE,)),
    Case(("method", "reshape"), reshape_ints, (SHAPE,)),
    Case(("method", "reshape"), reshape_tuple, ((3, 4),)),
    Case(("method", "reshape"), reshape_flat, (SHAPE,)),
    Case(("method", "ravel"), ravel, (SHAPE,)),
    Case(("method", "flatten"), flatten, (SHAPE,)),
    Case(("method", "squeeze"), squeeze, ((1, 3, 1, 4),)),
    Case(("method", "squeeze"), squeeze_axis, ((1, 3, 1, 4),)),
    Case(("method", "transpose"), transpose, (SHAPE,)),
    Case(("method", "transpose"), transpose_ints, (SHAPE,)),
    Case(("method", "transpose"), transpose_tuple, (SHAPE,)),
    Case(("method", "astype"), astype64, (SHAPE,)),
    Case(("method", "astype"), astype32, (SHAPE,), eps=0.1),  # float32 rounding; the loss is linear
    Case(("method", "copy"), copy, (SHAPE,)),
    Case(("method", "item"), item, ((1, 1),)),
    Case(("method", "item"), item, ((),)),
    Case(("method", "item"), item, (GENERIC,)),
    Case(("method", "item"), item_flat, ((3, 4),)),
    Case(("method", "item"), item_negative, ((3, 4),)),
    Case(("method", "item"), item_tuple, ((3, 4),)),
    Case(("method", "item"), item_ints, (SHAPE,)),
    Case(("attr", "T"), transposed, ((3, 4),)),
    Case(("attr", "real"), real_part, ((3, 4),)),
    Case(("attr", "T"), transposed, (SHAPE,)),
    Case(("method", "swapaxes"), swapaxes, (SHAPE,)),
    # --- assembly from lists ---
    Case(np.stack, unary(np.stack), ([(3, 4), (3, 4), (3, 4)],)),
    Case(np.stack, with_arg(np.stack, 1), ([(3, 4), (3, 4)],)),
    Case(np.stack, stack_keyword, ([(3,), (3,)],)),
    Case(np.concatenate, unary(np.concatenate), ([(2, 4), (3, 4), (1, 4)],)),
    Case(np.concatenate, with_arg(np.concatenate, -1), ([(3, 2), (3, 1)],)),
    Case(np.concatenate, concatenate_keyword, ([(2, 3), (4,), ()],)),
    Case(np.array, unary(np.array), ([FLOAT, GENERIC, ()],)),
    Case(np.array, unary(np.array), ([(3,), (3,)],)),
    Case(np.array, unary(np.array), (SHAPE,)),
    Case(np.array, array_nested, (FLOAT, FLOAT, ()), wrt=(0, 1, 2)),
    Case(np.array, array_float32, ((4,),), eps=0.1),  # float32 rounding; the loss is linear
    Case(np.asarray, unary(np.asarray), ([(3,), (3,)],)),
    Case(np.asarray, unary(np.asarray), ((3, 4),)),
    Case(sum, sum_items, ([(3, 4), (4,), FLOAT, (3, 1)],)),
    Case(sum, sum_items, ((3, 4),)),
    Case(sum, sum_start, ([(3, 4), (3, 4)], (4,)), wrt=(0, 1)),
    Case(sum, sum_start, ([FLOAT, FLOAT], FLOAT), wrt=(0, 1)),
    Case(as_sequence, loop_over, ([(3, 4), (3, 4), (3, 4)],)),
    Case(as_sequence, loop_over, ((5, 3, 4),)),
    Case(list, list_of, ([(3, 4), (3, 4), (3, 4)],)),
    Case(list, list_of, ((5, 3, 4),)),
    Case(make_closure, closure_value, ((3, 4),)),
    Case(dict_from, dict_comprehension, ([(3, 4), (3, 4), (3, 4), (3, 4)],)),
]


@pytest.mark.parametrize("case", SHAPES, ids=str)
def test_gradient_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", SHAPES, ids=str)
def test_float32_stays_float32(case, monkeypatch):
    check_float32(case, monkeypatch)


def test_item_gradient_is_one_hot():
    x = np.arange(12.0).reshape(3, 4)
    expected = np.zeros((3, 4))
    expected[1, 2] = 7.0
    np.testing.assert_array_equal(knet.grad(item_tuple)(x, 7.0), expected)
    np.testing.assert_array_equal(knet.grad(item_flat)(x, 7.0).ravel(), np.eye(12)[5] * 7.0)
