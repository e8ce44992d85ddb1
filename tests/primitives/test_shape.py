"""Rules of knet_ast/primitives/shape.py: reshape, transpose, squeeze, astype, item, .T,
joining and splitting, tiling, padding, flipping, sorting and taking, constructors, random
numbers."""
import numpy as np
import pytest
from rule_tables import (
    FLOAT,
    GENERIC,
    Case,
    check_case,
    check_float32,
    distinct,
    half,
    label,
    normal,
    positive,
    unary,
    unit,
    with_arg,
)

import knet_ast as knet
from knet_ast.runtime.iteration import as_sequence, dict_from, make_closure

pytestmark = pytest.mark.filterwarnings("ignore:`row_stack` alias is deprecated:DeprecationWarning")






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


# --- broadcasting, joining and splitting ---
def keyword_shape(x, r):
    return np.sum(np.broadcast_to(x, shape=(2, 3, 4)) * r)


def joined(fn):
    def loss(xs, r):
        return np.sum(fn(xs) * r)
    return label(loss, fn=fn.__name__)


def split_on_axis(fn, sections, axis, first=0, last=-1):
    """Uses two of the pieces (any others are unused and must send back zeros)."""
    def loss(x, r):
        pieces = fn(x, sections, axis=axis)
        return np.sum(pieces[first] * r) + np.sum(pieces[last] * pieces[last])
    return label(loss, sections=sections, axis=axis, used=(first, last))


def split_fixed(fn, sections, first=0, last=-1):
    """np.hsplit/vsplit/dsplit, which take no axis; uses two of the pieces."""
    def loss(x, r):
        pieces = fn(x, sections)
        return np.sum(pieces[first] * r) + np.sum(pieces[last] * pieces[last])
    return label(loss, sections=sections, used=(first, last))


def split_unpacked(x, r):
    left, _, right = np.split(x, 3, axis=1)
    return np.sum(left * r) + np.sum(right * right)


def array_split_one(x, r):  # only the middle one of three uneven pieces
    return np.sum(np.array_split(x, 3)[1] * r)


# --- tiling, repeating, padding ---
def with_axis(fn, arg, axis):
    def loss(x, r):
        return np.sum(fn(x, arg, axis=axis) * r)
    return label(loss, arg=arg, axis=axis)


def repeat_method(repeats, axis):
    def loss(x, r):
        return np.sum(x.repeat(repeats, axis=axis) * r)
    return label(loss, repeats=repeats, axis=axis)


def repeat_method_flat(x, r):
    return np.sum(x.repeat(2) * r)


def pad_constant(x, r):
    return np.sum(np.pad(x, ((0, 2), (1, 0)), mode="constant") * r)


def pad_value(pad_width):
    def loss(x, c, r):
        return np.sum(np.pad(x, pad_width, constant_values=c) * r)
    return label(loss, pad_width=pad_width)


# --- flipping, rolling, rotating, promoting, differencing ---
def flip_keyword(x, r):
    return np.sum(np.flip(x, axis=-1) * r)


def rot90(k, axes):
    def loss(x, r):
        return np.sum(np.rot90(x, k, axes) * r)
    return label(loss, k=k, axes=axes)


def rot90_keyword(x, r):
    return np.sum(np.rot90(x, k=3, axes=(2, 0)) * r)


def contiguous_float32(x, r):
    return np.sum(np.ascontiguousarray(x, dtype=np.float32) * r)


def fortran_of_transpose(x, r):
    return np.sum(np.asfortranarray(x.T) * r)


def diff(n, axis):
    def loss(x, r):
        return np.sum(np.diff(x, n=n, axis=axis) * r)
    return label(loss, n=n, axis=axis)


# --- sorting and taking ---
def sort_along(axis):
    def loss(x, r):
        return np.sum(np.sort(x, axis=axis) * r)
    return label(loss, axis=axis)


def take(indices, axis=None, mode="raise"):
    def loss(x, r):
        return np.sum(np.take(x, indices, axis=axis, mode=mode) * r)
    return label(loss, indices=indices, axis=axis, mode=mode)


def take_method(indices, axis=None, mode="raise"):
    def loss(x, r):
        return np.sum(x.take(indices, axis=axis, mode=mode) * r)
    return label(loss, indices=indices, axis=axis, mode=mode)


def take_method_flat(x, r):
    return np.sum(x.take([4, 0, 4]) * r)


def take_sorted(key, axis):
    """Gather x in the order that sorts the constant `key` (np.argsort carries no gradient)."""
    def loss(x, r):
        return np.sum(np.take_along_axis(x, np.argsort(key, axis=axis), axis=axis) * r)
    return label(loss, key=np.shape(key), axis=axis)


def take_along(indices, axis):
    indices = np.asarray(indices)

    def loss(x, r):
        return np.sum(np.take_along_axis(x, indices, axis=axis) * r)
    return label(loss, indices=np.asarray(indices).tolist(), axis=axis)


BINS = np.array([0, 2, 2, 5, 0, 1])  # bin 0 and bin 2 twice, 3 and 4 empty


def bincount(w, r):
    return np.sum(np.bincount(BINS, weights=w) * r)


def bincount_minlength(w, r):
    return np.sum(np.bincount(BINS, w, minlength=9) * r)


# --- constructors whose values carry a gradient ---
def full(shape):
    def loss(c, r):
        return np.sum(np.full(shape, c) * r)
    return label(loss, shape=shape)


def full_like(a, c, r):
    return np.sum(np.full_like(a, c) * r)


def linspace(num, endpoint=True, axis=0):
    def loss(start, stop, r):
        return np.sum(np.linspace(start, stop, num, endpoint=endpoint, axis=axis) * r)
    return label(loss, num=num, endpoint=endpoint, axis=axis)


def arange_scaled(start, step, r):
    """Always three values: (stop - start) / step is 2.5 whatever start and step are."""
    return np.sum(np.arange(start, start + 2.5 * step, step) * r)


def arange_from(start, r):
    return np.sum(np.arange(start, 5.0) * r)


def arange_stop(stop, r):
    return np.sum(np.arange(stop) * r)


def below_one(rng, shape):
    """Starts for np.arange(start, 5.0): always five values."""
    return rng.uniform(0.2, 0.8, shape)


def mid_three(rng, shape):
    """Stops for np.arange(stop): always four values."""
    return rng.uniform(3.2, 3.8, shape)


def above_two(rng, shape):
    """Upper bounds for np.random.uniform with `unit` lower bounds."""
    return rng.uniform(2.0, 3.0, shape)


# --- random numbers: the loss reseeds, so finite differences see the same noise (NumPy draws
# float64 samples, so the float32 check ends at the dtype of the gradients) ---
def random_normal(size):
    def loss(loc, scale, r):
        np.random.seed(0)
        return np.sum(np.random.normal(loc, scale, size) * r)
    return label(loss, size=size)


def random_normal_keywords(loc, scale, r):
    np.random.seed(1)
    return np.sum(np.random.normal(scale=scale, loc=loc, size=(2, 3)) * r)


def random_uniform(size):
    def loss(low, high, r):
        np.random.seed(0)
        return np.sum(np.random.uniform(low, high, size) * r)
    return label(loss, size=size)


def generator_normal(size):
    def loss(loc, scale, r):
        rng = np.random.default_rng(0)
        return np.sum(rng.normal(loc, scale, size) * r)
    return label(loss, size=size)


def generator_uniform(size):
    def loss(low, high, r):
        rng = np.random.default_rng(0)
        return np.sum(rng.uniform(low=low, high=high, size=size) * r)
    return label(loss, size=size)


MATRIX = (3, 4)
JOINS = [  # (function, list of input shapes)
    (np.hstack, [(3,), (2,)]), (np.hstack, [(), (3,)]), (np.hstack, [(2, 3), (2, 1)]),
    (np.hstack, [(2, 3, 4), (2, 1, 4)]),
    (np.vstack, [(3,), (3,)]), (np.vstack, [(2, 3), (1, 3)]), (np.vstack, [(3,), (2, 3)]),
    (np.vstack, [(2, 3, 4), (1, 3, 4)]), (np.vstack, [(), ()]),
    (np.dstack, [(3,), (3,)]), (np.dstack, [(2, 3), (2, 3)]), (np.dstack, [(2, 3, 1), (2, 3, 2)]),
    (np.dstack, [(2, 3), (2, 3, 2)]),
    (np.column_stack, [(3,), (3, 2)]), (np.column_stack, [(3,), (3,)]),
    (np.column_stack, [(3, 2), (3, 1), (3,)]),
]
if hasattr(np, "row_stack") and np.row_stack is not np.vstack:
    JOINS += [(np.row_stack, [(3,), (2, 3)]), (np.row_stack, [(2, 3), (2, 3)])]

SHAPES += [
    Case(np.broadcast_to, with_arg(np.broadcast_to, (2, 3, 4)), ((3, 1),)),
    Case(np.broadcast_to, with_arg(np.broadcast_to, (3, 4)), ((4,),)),
    Case(np.broadcast_to, with_arg(np.broadcast_to, (2, 3)), ((),)),
    Case(np.broadcast_to, with_arg(np.broadcast_to, (2, 3)), (FLOAT,)),
    Case(np.broadcast_to, keyword_shape, ((2, 1, 4),)),
]
SHAPES += [Case(fn, joined(fn), (shapes,)) for fn, shapes in JOINS]
SHAPES += [
    Case(np.split, split_on_axis(np.split, 3, 0), ((6, 2),)),
    Case(np.split, split_on_axis(np.split, [1, 4], 1, 1, 2), ((2, 6),)),
    Case(np.split, split_on_axis(np.split, [2, 9], 0, 0, 1), ((5, 2),)),  # the last one is empty
    Case(np.split, split_on_axis(np.split, 2, -1), ((2, 3, 4),)),
    Case(np.split, split_unpacked, ((2, 6),)),
    Case(np.array_split, split_on_axis(np.array_split, 3, 0), ((7, 2),)),
    Case(np.array_split, split_on_axis(np.array_split, 4, 1, 1, 3), ((2, 6),)),
    Case(np.array_split, split_on_axis(np.array_split, [2], 1), ((2, 5),)),
    Case(np.array_split, array_split_one, ((8,),)),
    Case(np.hsplit, split_fixed(np.hsplit, 3), ((6,),)),
    Case(np.hsplit, split_fixed(np.hsplit, [1, 3], 0, 1), ((2, 4),)),
    Case(np.vsplit, split_fixed(np.vsplit, 2), ((4, 3),)),
    Case(np.vsplit, split_fixed(np.vsplit, [1, 2], 2, 1), ((4, 3),)),
    Case(np.dsplit, split_fixed(np.dsplit, [1]), ((2, 3, 4),)),
    Case(np.dsplit, split_fixed(np.dsplit, 2, 1, 0), ((2, 3, 4),)),
    # --- tiling, repeating, padding ---
    Case(np.tile, with_arg(np.tile, 3), ((2, 3),)),
    Case(np.tile, with_arg(np.tile, (2, 1, 3)), ((2, 3),)),  # reps longer than ndim
    Case(np.tile, with_arg(np.tile, (2,)), ((2, 3, 4),)),  # reps shorter than ndim
    Case(np.tile, with_arg(np.tile, (3, 2)), ((),)),
    Case(np.repeat, with_arg(np.repeat, 2), (MATRIX,)),
    Case(np.repeat, with_arg(np.repeat, [1, 0, 2, 3]), ((2, 2),)),
    Case(np.repeat, with_axis(np.repeat, 3, 0), (MATRIX,)),
    Case(np.repeat, with_axis(np.repeat, [2, 0, 1], 0), ((3, 2),)),
    Case(np.repeat, with_axis(np.repeat, [1, 3, 0, 2], -1), (MATRIX,)),
    Case(np.repeat, with_axis(np.repeat, [2], 1), (MATRIX,)),
    Case(("method", "repeat"), repeat_method_flat, (MATRIX,)),
    Case(("method", "repeat"), repeat_method(2, -1), (MATRIX,)),
    Case(("method", "repeat"), repeat_method([0, 2, 1], 0), ((3, 2),)),
    Case(("method", "repeat"), repeat_method([3, 1, 0, 1], None), ((2, 2),)),
    Case(np.pad, with_arg(np.pad, 1), (MATRIX,)),
    Case(np.pad, with_arg(np.pad, (1, 2)), ((2, 3, 2),)),
    Case(np.pad, with_arg(np.pad, ((1, 0), (2, 3))), (MATRIX,)),
    Case(np.pad, pad_constant, (MATRIX,)),
    Case(np.pad, pad_value(2), ((3,), FLOAT), wrt=(0, 1)),
    Case(np.pad, pad_value(((0, 1), (2, 0))), (MATRIX, GENERIC), wrt=(0, 1)),
    # --- flipping, rolling, rotating, promoting, differencing ---
    Case(np.flip, unary(np.flip), ((2, 3, 4),)),
    Case(np.flip, with_arg(np.flip, 1), ((2, 3, 4),)),
    Case(np.flip, with_arg(np.flip, (0, 2)), ((2, 3, 4),)),
    Case(np.flip, flip_keyword, (MATRIX,)),
    Case(np.fliplr, unary(np.fliplr), (MATRIX,)),
    Case(np.fliplr, unary(np.fliplr), ((2, 3, 4),)),
    Case(np.flipud, unary(np.flipud), (MATRIX,)),
    Case(np.flipud, unary(np.flipud), ((5,),)),
    Case(np.roll, with_arg(np.roll, 5), (MATRIX,)),  # axis None: the flattened array
    Case(np.roll, with_axis(np.roll, -1, 1), (MATRIX,)),
    Case(np.roll, with_axis(np.roll, 7, 0), (MATRIX,)),
    Case(np.roll, with_axis(np.roll, (1, -2), (0, 1)), (MATRIX,)),
    Case(np.roll, with_axis(np.roll, (1, 2), (2, 0)), ((2, 3, 4),)),
]
SHAPES += [Case(np.rot90, rot90(k, (0, 1)), (MATRIX,)) for k in (1, 2, 3, -1, 5)]
SHAPES += [
    Case(np.rot90, unary(np.rot90), (MATRIX,)),
    Case(np.rot90, rot90(1, (1, 2)), ((2, 3, 4),)),
    Case(np.rot90, rot90_keyword, ((2, 3, 4),)),
]
SHAPES += [Case(fn, unary(fn), (shape,))
           for fn in (np.atleast_1d, np.atleast_2d, np.atleast_3d)
           for shape in ((), (3,), MATRIX, (2, 3, 4), FLOAT)]
SHAPES += [Case(fn, unary(fn), (shape,))
           for fn in (np.ascontiguousarray, np.asfortranarray, np.asanyarray)
           for shape in ((), (3,), MATRIX)]
SHAPES += [
    Case(np.ascontiguousarray, contiguous_float32, (MATRIX,), eps=0.1),  # float32 rounding
    Case(np.asfortranarray, fortran_of_transpose, (MATRIX,)),
]
SHAPES += [Case(np.diff, diff(n, axis), (shape,))
           for n, axis, shape in ((1, -1, (3, 5)), (1, 0, (4, 3)), (2, 0, (5, 3)),
                                  (2, -1, (2, 3, 5)), (3, 0, (6,)))]
SHAPES += [Case(np.diff, unary(np.diff), (MATRIX,))]
# --- sorting and taking ---
SHAPES += [Case(np.sort, sort_along(axis), (shape,), distinct)
           for axis, shape in ((-1, MATRIX), (0, MATRIX), (None, MATRIX), (1, (2, 3, 4)),
                               (-1, (6,)))]
SHAPES += [Case(np.sort, unary(np.sort), (MATRIX,), distinct)]
TAKES = [  # (indices, axis, mode) on a (3, 4) matrix; repeated indices accumulate
    ([0, 5, 5, 11, 0], None, "raise"),
    ([[0, 2], [2, 2]], 0, "raise"),
    ([3, 0, 3, -1], 1, "raise"),
    ([[1], [1]], -1, "raise"),
    (2, 1, "raise"),
    ([-1, 4, 7, 1], 1, "wrap"),
    ([-13, 25, 3], None, "wrap"),
    ([-2, 9, 1, 2], 0, "clip"),
    ([[-5, 30]], None, "clip"),
]
SHAPES += [Case(np.take, take(indices, axis, mode), (MATRIX,)) for indices, axis, mode in TAKES]
SHAPES += [Case(np.take, with_arg(np.take, [1, 1, 7]), (MATRIX,))]
SHAPES += [Case(("method", "take"), take_method(indices, axis, mode), (MATRIX,))
           for indices, axis, mode in TAKES[1::2]]
SHAPES += [Case(("method", "take"), take_method_flat, (MATRIX,))]
KEY = np.random.default_rng(7).permutation(12).reshape(3, 4)  # a constant to sort by
SHAPES += [
    Case(np.take_along_axis, take_sorted(KEY, 0), (MATRIX,)),
    Case(np.take_along_axis, take_sorted(KEY, 1), (MATRIX,)),
    Case(np.take_along_axis, take_sorted(KEY.ravel(), None), ((12,),)),
    Case(np.take_along_axis, take_sorted(KEY, None), (MATRIX,)),  # flat indices into x
    Case(np.take_along_axis, take_along([[0, 0, 2], [1, 1, 1]], 1), ((2, 3),)),  # repeats add
    Case(np.take_along_axis, take_along([[2, 0, 0, 1], [2, 2, 1, 0]], 0), ((3, 1),)),
    Case(np.take_along_axis, take_along([[2], [0]], 0), (MATRIX,)),
    Case(np.bincount, bincount, ((6,),)),
    Case(np.bincount, bincount_minlength, ((6,),)),
    # --- constructors ---
    Case(np.full, full((3, 4)), (FLOAT,)),
    Case(np.full, full((3, 4)), (GENERIC,)),
    Case(np.full, full((2, 4)), ((4,),)),
    Case(np.full, full((3, 4)), ((3, 1),)),
    Case(np.full, full(5), ((),)),
    Case(np.full_like, full_like, (MATRIX, FLOAT), wrt=1),
    Case(np.full_like, full_like, (MATRIX, (4,)), wrt=1),
    Case(np.full_like, full_like, ((2, 3, 4), (3, 1)), wrt=1),
    Case(np.linspace, linspace(5), (FLOAT, FLOAT), wrt=(0, 1)),
    Case(np.linspace, linspace(4, endpoint=False), (GENERIC, GENERIC), wrt=(0, 1)),
    Case(np.linspace, linspace(1), (FLOAT, FLOAT), wrt=(0, 1)),
    Case(np.linspace, linspace(6), ((3,), (3,)), wrt=(0, 1)),
    Case(np.linspace, linspace(4, False), ((2, 3), (3,)), wrt=(0, 1)),
    Case(np.linspace, linspace(5, axis=1), ((3,), (3,)), wrt=(0, 1)),
    Case(np.linspace, linspace(3, axis=1), ((2, 3), (1, 3)), wrt=(0, 1)),
    Case(np.linspace, linspace(4, False, -1), (FLOAT, (2,)), wrt=(0, 1)),
    Case(np.arange, arange_scaled, (FLOAT, FLOAT), (normal, positive), wrt=(0, 1)),
    Case(np.arange, arange_scaled, (GENERIC, GENERIC), (normal, positive), wrt=(0, 1)),
    Case(np.arange, arange_from, (FLOAT,), below_one),
    Case(np.arange, arange_stop, (FLOAT,), mid_three),
    # --- random numbers ---
    Case(np.random.normal, random_normal((3, 4)), (FLOAT, FLOAT), (normal, positive), wrt=(0, 1)),
    Case(np.random.normal, random_normal((3, 4)), ((4,), (3, 1)), (normal, positive), wrt=(0, 1)),
    Case(np.random.normal, random_normal(None), ((3,), (3,)), (normal, positive), wrt=(0, 1)),
    Case(np.random.normal, random_normal_keywords, ((3,), FLOAT), (normal, positive), wrt=(0, 1)),
    Case(np.random.uniform, random_uniform((3, 4)), (FLOAT, FLOAT), (unit, above_two),
         wrt=(0, 1)),
    Case(np.random.uniform, random_uniform((2, 3)), ((3,), (2, 1)), (unit, above_two),
         wrt=(0, 1)),
    Case(np.random.uniform, random_uniform(None), ((4,), (4,)), (unit, above_two), wrt=(0, 1)),
    Case(("method", "normal"), generator_normal((3, 4)), (FLOAT, FLOAT), (normal, positive),
         wrt=(0, 1)),
    Case(("method", "normal"), generator_normal((2, 3)), ((3,), (2, 1)), (normal, positive),
         wrt=(0, 1)),
    Case(("method", "uniform"), generator_uniform((3, 4)), (FLOAT, FLOAT), (unit, above_two),
         wrt=(0, 1)),
    Case(("method", "uniform"), generator_uniform(None), ((3,), (3,)), (unit, above_two),
         wrt=(0, 1)),
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


# --- refusals: clear errors instead of wrong gradients ---
def pad_reflect(x, r):
    return np.sum(np.pad(x, 1, mode="reflect") * r)


def sort_in_place(x, r):
    x.sort()
    return np.sum(x * r)


def sort_copy_in_place(x, r):
    y = x * 2.0
    y.sort(axis=0)
    return np.sum(y * r)


def sort_row_in_place(x, r):
    row = x[1]
    row.sort()
    return np.sum(row * r[1])


def test_pad_outside_constant_mode_is_refused():
    x = np.arange(12.0).reshape(3, 4)
    with pytest.raises(knet.KnetError, match="mode"):
        knet.grad(pad_reflect)(x, np.ones((5, 6)))


@pytest.mark.parametrize("loss", [sort_in_place, sort_copy_in_place, sort_row_in_place],
                         ids=lambda loss: loss.__name__)
def test_sort_method_in_place_is_refused(loss):
    x = np.array([[3.0, 1.0, 2.0, 0.0], [1.5, 0.5, 2.5, -1.0], [0.0, 4.0, -2.0, 1.0]])
    with pytest.raises(knet.KnetError):
        knet.grad(loss)(x, np.ones((3, 4)))


def tolist_rows(x, r):
    rows = x.tolist()
    picked = [[row[0], row[2]] for row in rows[::2]]  # rows 0 and 2, two entries each
    return np.sum(np.array(picked) * r)


def tolist_scalar(x, r):
    return x.tolist() * r


SHAPES += [Case(("method", "tolist"), tolist_rows, ((3, 4),)),
           Case(("method", "tolist"), tolist_scalar, ((),))]


def tuple_of_rows(x, r):
    rows = tuple(x)
    return np.sum(np.stack([rows[0], rows[2]]) * r)


def dict_values(x, r):
    parts = {"a": x[0], "b": x[1] * 2.0, "c": x[2]}
    picked = list(parts.values())
    return np.sum(np.stack([picked[0], picked[1]]) * r)


SHAPES += [Case(tuple, tuple_of_rows, ((3, 4),)),
           Case(("method", "values"), dict_values, ((3, 4),))]
# the narrower casts round their input: a wide step keeps the finite differences honest
SHAPES += [Case(fn, unary(fn), (shape,), eps=eps, rtol=tol, atol=tol)
           for fn, eps, tol in [(np.float64, 1e-6, 1e-5), (np.float32, 1e-2, 1e-4), (np.float16, 0.25, 1e-2)]
           for shape in [FLOAT, GENERIC, ()]]


# --- by hand ---
def split_middle(x, r):
    return np.sum(np.split(x, 3)[1] * r)


def take_repeated(x, r):
    return np.sum(np.take(x, [1, 1, 1, 4]) * r)


def test_unused_split_pieces_get_zeros():
    expected = np.zeros((6, 2))
    expected[2:4] = 5.0
    np.testing.assert_array_equal(knet.grad(split_middle)(np.ones((6, 2)), 5.0), expected)


def test_repeated_indices_accumulate():
    expected = np.array([[0.0, 3.0, 0.0], [0.0, 1.0, 0.0]])
    np.testing.assert_array_equal(knet.grad(take_repeated)(np.ones((2, 3)), 1.0), expected)




# --- integer outputs carry no gradient; pad's constants; refusals ---
def full_int(c, r):
    return np.sum(np.full((3, 4), c, dtype=int) * r)


INTEGERS = np.arange(12).reshape(3, 4)


def full_like_int(c, r):
    return np.sum(np.full_like(INTEGERS, c) * r)


def linspace_int(start, r):
    return np.sum(np.linspace(start, start + 3.0, 4, dtype=int) * r)


def arange_int(start, r):
    return np.sum(np.arange(start, 3.9, dtype=int) * r)


def pad_two_constants(x, r):
    return np.sum(np.pad(x, 1, constant_values=(1.0, 2.0)) * r)


def pad_dict_width(x, r):
    return np.sum(np.pad(x, {0: (1, 2)}) * r)


def sort_result_assigned(x, r):
    y = x * 2.0
    _ = y.sort()
    return np.sum(y * r)


INTEGER_OUTPUTS = [Case(np.full, full_int, (FLOAT,), half),
                   Case(np.full_like, full_like_int, (FLOAT,), half),
                   Case(np.linspace, linspace_int, (FLOAT,), half),
                   Case(np.arange, arange_int, (FLOAT,), below_one),
                   Case(np.pad, pad_two_constants, (MATRIX,))]


@pytest.mark.parametrize("case", INTEGER_OUTPUTS, ids=str)
def test_integer_outputs_and_pad_constants(case):
    check_case(case)


def uniform_degenerate(x):
    np.random.seed(0)
    return np.sum(np.random.uniform(x, x, 3) * np.array([1.0, 2.0, 4.0]))


def test_uniform_of_an_empty_interval_is_its_bound():
    assert knet.grad(uniform_degenerate)(0.5) == 7.0  # y = x for every draw


def test_pad_with_a_dict_of_widths_is_refused_clearly():
    with pytest.raises(knet.KnetError, match="dict"):
        knet.grad(pad_dict_width)(np.ones((3, 4)), np.ones((6, 4)))


def test_sort_method_used_as_a_value_is_refused():
    with pytest.raises(knet.InputMutationError, match="sort"):
        knet.grad(sort_result_assigned)(np.ones((3, 4)), np.ones((3, 4)))
