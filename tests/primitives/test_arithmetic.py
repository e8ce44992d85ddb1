"""Rules of knet_ast/primitives/arithmetic.py: the operators + - * / % ** @ and unary - +."""
import operator

import numpy as np
import pytest
from rule_tables import FLOAT, Case, check_case, check_float32, half, near_two, nonzero, normal, positive

from knet_ast.primitives import registry
from knet_ast.primitives.registry import POW_CONSTANT


def zero_included(rng, shape):
    """Normal values with an exact 0 first."""
    values = rng.standard_normal(shape)
    values[0] = 0.0
    return values


def zero(rng, shape):
    return np.zeros(shape)


def add(x, y, r):
    return np.sum((x + y) * r)


def sub(x, y, r):
    return np.sum((x - y) * r)


def mul(x, y, r):
    return np.sum((x * y) * r)


def truediv(x, y, r):
    return np.sum((x / y) * r)


def mod(x, y, r):
    return np.sum((x % y) * r)


def power(x, y, r):
    return np.sum((x ** y) * r)


def cube(x, r):
    return np.sum((x ** 3) * r)


def halves(x, r):
    return np.sum((x ** 0.5) * r)


def polynomial(x, r):
    """x ** 0 is the constant 1, also at x = 0 (where b * x ** (b - 1) would be 0 * inf)."""
    return np.sum(x[:, None] ** np.arange(3) * r)


def polynomial_loop(c, x, r):
    total = 0.0
    for k in range(3):
        total = total + c[k] * x ** k
    return total * r


def matmul(x, y, r):
    return np.sum((x @ y) * r)


def concat(x, y, r):
    items = [x, 2.0 * x] + [y]  # list concatenation, not arithmetic
    return np.sum(np.stack(items) * r)


def neg(x, r):
    return np.sum((-x) * r)


def pos(x, r):
    return np.sum((+x) * r)


BROADCASTS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4)), ((3, 1), (1, 4)),
              ((2, 1, 4), (3, 1)), ((3, 4), ()), ((3, 4), FLOAT), (FLOAT, (3, 4))]

BINARY = [  # (key, loss, domains)
    (operator.add, add, normal),
    (operator.sub, sub, normal),
    (operator.mul, mul, normal),
    (operator.truediv, truediv, (normal, nonzero)),
    (operator.mod, mod, (half, near_two)),
    (operator.pow, power, (positive, normal)),
]

ARITHMETIC = [Case(key, loss, shapes, domain, wrt=(0, 1))
              for key, loss, domain in BINARY for shapes in BROADCASTS]
ARITHMETIC += [Case(key, loss, ((3, 4), (4,)), domain, wrt=wrt)
               for key, loss, domain in BINARY for wrt in (0, 1)]
ARITHMETIC += [
    Case(POW_CONSTANT, cube, ((3, 4),)),  # negative bases, integer exponent
    Case(POW_CONSTANT, cube, (FLOAT,)),
    Case(POW_CONSTANT, halves, ((3, 4),), positive),
    Case(operator.pow, polynomial, ((4,),), zero_included),
    Case(operator.pow, polynomial_loop, ((3,), FLOAT), (normal, zero), wrt=(0, 1)),
    Case(operator.neg, neg, ((3, 4),)),
    Case(operator.neg, neg, ((),)),
    Case(operator.neg, neg, (FLOAT,)),
    Case(operator.pos, pos, ((3, 4),)),
    Case(operator.pos, pos, (FLOAT,)),
]
ARITHMETIC += [Case(operator.matmul, matmul, shapes, wrt=(0, 1)) for shapes in [
    ((4,), (4,)), ((4,), (4, 5)), ((3, 4), (4,)), ((3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)),
    ((2, 3, 4), (4, 5)), ((1, 3, 4), (2, 4, 5)), ((4,), (2, 4, 5)), ((2, 3, 4), (4,))]]
ARITHMETIC += [Case(operator.matmul, matmul, ((2, 3, 4), (4, 5)), wrt=wrt) for wrt in (0, 1)]
ARITHMETIC += [Case(registry.CONCAT, concat, ((3, 2), (3, 2)), wrt=(0, 1))]


@pytest.mark.parametrize("case", ARITHMETIC, ids=str)
def test_gradient_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", ARITHMETIC, ids=str)
def test_float32_stays_float32(case, monkeypatch):
    check_float32(case, monkeypatch)
