"""Rules of knet_ast/primitives/reductions.py: sum, mean, max, min as functions and methods."""
import numpy as np
import pytest
from rule_tables import GENERIC, Case, check_case, check_float32, distinct, label

import knet_ast as knet


def reduction(fn, axis, keepdims):
    def loss(x, r):
        return np.sum(fn(x, axis=axis, keepdims=keepdims) * r)
    return label(loss, axis=axis, keepdims=keepdims)


def positional_axis(fn, axis):
    def loss(x, r):
        return np.sum(fn(x, axis) * r)
    return label(loss, axis=axis)


def whole(fn):
    def loss(x, r):
        return fn(x) * r
    return loss


def method(name, axis, keepdims):
    """x.sum(axis=..., keepdims=...) and friends: the method name must be in the source."""
    def loss_sum(x, r):
        return np.sum(x.sum(axis=axis, keepdims=keepdims) * r)

    def loss_mean(x, r):
        return np.sum(x.mean(axis=axis, keepdims=keepdims) * r)

    def loss_max(x, r):
        return np.sum(x.max(axis=axis, keepdims=keepdims) * r)

    def loss_min(x, r):
        return np.sum(x.min(axis=axis, keepdims=keepdims) * r)

    loss = {"sum": loss_sum, "mean": loss_mean, "max": loss_max, "min": loss_min}[name]
    return label(loss, axis=axis, keepdims=keepdims)


def sum_all(x, r):
    return x.sum() * r


def mean_first(x, r):
    return np.sum(x.mean(0) * r)


def max_last(x, r):
    return np.sum(x.max(-1) * r)


def min_all(x, r):
    return x.min() * r


def mean_literal(x, r):
    return np.sum(np.mean(x, axis=(0, 2), keepdims=True) * r)


def sum_literal(x, r):
    return np.sum(x.sum(axis=-1, keepdims=True) * r)


def builtin_max_pair(x, r):
    return max(np.sum(x[0]), np.sum(x[1]) * 2.0) * r


def builtin_min_items(x, r):
    return min([x[0, 0], x[0, 1], x[1, 2]]) * r


def builtin_max_of_list(x, r):
    parts = []
    for i in range(x.shape[0]):
        parts.append(np.sum(x[i] * x[i]))
    return max(parts) * r


FUNCTIONS = [np.sum, np.mean, np.max, np.amax, np.min, np.amin]
AXES = [None, 0, 1, -1, (0, 2), (-1, 0), (0, 1, 2)]
SHAPE = (2, 3, 4)

REDUCTIONS = [Case(fn, reduction(fn, axis, keepdims), (SHAPE,), distinct)
              for fn in FUNCTIONS for axis in AXES for keepdims in (False, True)]
REDUCTIONS += [Case(fn, positional_axis(fn, -2), (SHAPE,), distinct) for fn in FUNCTIONS]
REDUCTIONS += [Case(fn, whole(fn), (shape,), distinct)
               for fn in FUNCTIONS for shape in [(5,), (), GENERIC]]
REDUCTIONS += [Case(("method", name), method(name, axis, keepdims), (SHAPE,), distinct)
               for name in ("sum", "mean", "max", "min")
               for axis in AXES for keepdims in (False, True)]
REDUCTIONS += [Case(("method", "sum"), sum_all, ((3, 4),)),
               Case(("method", "mean"), mean_first, ((3, 4),)),
               Case(("method", "max"), max_last, ((3, 4),), distinct),
               Case(("method", "min"), min_all, ((3, 4),), distinct),
               Case(np.mean, mean_literal, (SHAPE,)),
               Case(("method", "sum"), sum_literal, (SHAPE,)),
               Case(max, builtin_max_pair, ((2, 3),), distinct),
               Case(min, builtin_min_items, ((2, 3),), distinct),
               Case(max, builtin_max_of_list, ((3, 4),), distinct)]


@pytest.mark.parametrize("case", REDUCTIONS, ids=str)
def test_gradient_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", REDUCTIONS, ids=str)
def test_float32_stays_float32(case, monkeypatch):
    check_float32(case, monkeypatch)


# --- ties: every entry attaining the max/min gets an equal share of its gradient ---
TIED = np.array([[1.0, 3.0, 3.0],
                 [3.0, 2.0, 0.0]])
R = np.array([10.0, 20.0])


def max_rows(x, r):
    return np.sum(np.max(x, axis=1) * r)


def max_rows_kept(x, r):
    return np.sum(x.max(axis=-1, keepdims=True)[:, 0] * r)


def min_rows(x, r):
    return np.sum(np.amin(-x, axis=1) * r)


def max_columns(x, r):
    return np.sum(np.amax(x, axis=0) * np.array([r[0], r[1], r[0]]))


def max_all(x, r):
    return np.max(x) * r[0]


def min_all(x, r):
    return np.min(-x) * r[0]


def min_all_method(x, r):
    return (-x).min() * r[0]


# by hand: row 0 has its max 3 twice (10 / 2 each), row 1 once (20);
# columns: 3 > 1, 3 > 2, 3 > 0 win alone; 3 appears three times overall (10 / 3 each)
TIES = [
    (max_rows, [[0, 5, 5], [20, 0, 0]]),
    (max_rows_kept, [[0, 5, 5], [20, 0, 0]]),
    (min_rows, [[0, -5, -5], [-20, 0, 0]]),
    (max_columns, [[0, 20, 10], [10, 0, 0]]),
    (max_all, [[0, 10 / 3, 10 / 3], [10 / 3, 0, 0]]),
    (min_all, [[0, -10 / 3, -10 / 3], [-10 / 3, 0, 0]]),
    (min_all_method, [[0, -10 / 3, -10 / 3], [-10 / 3, 0, 0]]),
]


@pytest.mark.parametrize("loss, expected", TIES, ids=[loss.__name__ for loss, _ in TIES])
def test_ties_split_the_gradient_evenly(loss, expected):
    np.testing.assert_allclose(knet.grad(loss)(TIED, R), expected, rtol=1e-12)
