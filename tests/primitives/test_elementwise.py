"""Rules of knet_ast/primitives/elementwise.py: ufuncs, abs/float, maximum/minimum, power, where."""
import math

import numpy as np
import pytest
from rule_tables import (
    FLOAT,
    GENERIC,
    Case,
    check_case,
    check_float32,
    half,
    mask,
    nonzero,
    normal,
    positive,
    unit,
    whole,
)

import knet_ast as knet


def unary(fn):
    def loss(x, r):
        return np.sum(fn(x) * r)
    return loss


def binary(fn):
    def loss(x1, x2, r):
        return np.sum(fn(x1, x2) * r)
    return loss


def where(condition, x1, x2, r):
    return np.sum(np.where(condition, x1, x2) * r)


UNARY = [  # (function, domain): log, sqrt and friends on positive inputs, |x| away from 0
    (np.exp, normal), (np.expm1, normal), (np.log, positive), (np.log1p, positive),
    (np.sqrt, positive), (np.square, normal), (np.sin, normal), (np.cos, normal),
    (np.tanh, normal), (np.abs, nonzero), (abs, nonzero), (np.negative, normal),
]

ELEMENTWISE = [Case(fn, unary(fn), (shape,), domain)
               for fn, domain in UNARY for shape in [(3, 4), (), GENERIC, FLOAT]]
ELEMENTWISE += [Case(float, unary(float), (shape,)) for shape in [(), GENERIC, FLOAT]]

MATH = [  # Python's math module: scalars in, a Python float out
    (math.exp, normal), (math.expm1, normal), (math.log, positive), (math.log1p, positive),
    (math.sqrt, positive), (math.sin, normal), (math.cos, normal), (math.tan, unit),
    (math.tanh, normal), (math.fabs, nonzero),
]
ELEMENTWISE += [Case(fn, unary(fn), (shape,), domain)
                for fn, domain in MATH for shape in [FLOAT, GENERIC, ()]]
ELEMENTWISE += [Case(math.pow, binary(math.pow), shapes, (positive, normal), wrt=(0, 1))
                for shapes in [(FLOAT, FLOAT), (GENERIC, FLOAT), (FLOAT, ())]]

BROADCASTS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((3, 4), FLOAT),
              (FLOAT, (3, 4))]
BINARY = [(np.maximum, (whole, half)), (np.maximum, (half, whole)), (np.minimum, (whole, half)),
          (np.minimum, (half, whole)), (np.power, (positive, normal))]
ELEMENTWISE += [Case(fn, binary(fn), shapes, domain, wrt=(0, 1))
                for fn, domain in BINARY for shapes in BROADCASTS]
ELEMENTWISE += [Case(fn, binary(fn), ((3, 4), (4,)), domain, wrt=wrt)
                for fn, domain in BINARY[::2] for wrt in (0, 1)]
ELEMENTWISE += [Case(knet.relu, unary(knet.relu), (shape,), half)  # its rule is in knet_ast/nn.py
                for shape in [(3, 4), (), FLOAT]]
ELEMENTWISE += [Case(np.where, where, shapes, (mask, normal, normal), wrt=wrt) for shapes, wrt in [
    (((3, 4), (3, 4), (3, 4)), (1, 2)), (((3, 4), (4,), (3, 1)), (1, 2)),
    (((3, 4), (3, 4), FLOAT), (1, 2)), (((4,), (3, 4), (3, 4)), 1), (((4,), (3, 4), (3, 4)), 2)]]


@pytest.mark.parametrize("case", ELEMENTWISE, ids=str)
def test_gradient_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", ELEMENTWISE, ids=str)
def test_float32_stays_float32(case, monkeypatch):
    check_float32(case, monkeypatch)


def maximum(x1, x2):
    return np.sum(np.maximum(x1, x2) * np.array([1.0, 2.0, 4.0]))


def minimum(x1, x2):
    return np.sum(np.minimum(x1, x2) * np.array([1.0, 2.0, 4.0]))


@pytest.mark.parametrize("loss", [maximum, minimum])
def test_ties_split_the_gradient_evenly(loss):
    # x1 wins, tie, x2 wins for maximum; the other way round for minimum
    x1, x2 = np.array([3.0, 1.0, -2.0]), np.array([0.0, 1.0, 5.0])
    dx1, dx2 = knet.grad(loss, wrt=(0, 1))(x1, x2)
    first = [1.0, 1.0, 0.0] if loss is maximum else [0.0, 1.0, 4.0]
    second = [0.0, 1.0, 4.0] if loss is maximum else [1.0, 1.0, 0.0]
    np.testing.assert_array_equal(dx1, first)
    np.testing.assert_array_equal(dx2, second)
