"""Rules of knet_ast/primitives/linalg.py: np.matmul, np.dot and the .dot method.

The `@` operator shares the matmul kernels; its rows are in test_arithmetic.py.
"""
import numpy as np
import pytest
from rule_tables import FLOAT, Case, check_case, check_float32

import knet_ast as knet


def binary(fn):
    def loss(a, b, r):
        return np.sum(fn(a, b) * r)
    return loss


def dot_method(a, b, r):
    return np.sum(a.dot(b) * r)


MATMUL_SHAPES = [((4,), (4,)), ((4,), (4, 5)), ((3, 4), (4,)), ((3, 4), (4, 5)),
                 ((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (4, 5)), ((1, 3, 4), (2, 4, 5)),
                 ((3, 4), (2, 4, 5)), ((4,), (2, 4, 5)), ((2, 3, 4), (4,)),
                 ((2, 1, 3, 4), (5, 4, 2))]
# np.dot contracts a's last axis with b's second-to-last and does not broadcast
DOT_SHAPES = [((4,), (4,)), ((4,), (4, 5)), ((3, 4), (4,)), ((3, 4), (4, 5)), ((2, 3, 4), (4,)),
              ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((4,), (2, 4, 5)), ((2, 3, 4), (5, 4, 2)),
              ((), (3, 4)), ((3, 4), ()), (FLOAT, (3, 4)), ((3, 4), FLOAT)]

LINALG = [Case(np.matmul, binary(np.matmul), shapes, wrt=(0, 1)) for shapes in MATMUL_SHAPES]
LINALG += [Case(np.matmul, binary(np.matmul), ((2, 3, 4), (4, 5)), wrt=wrt) for wrt in (0, 1)]
LINALG += [Case(np.dot, binary(np.dot), shapes, wrt=(0, 1)) for shapes in DOT_SHAPES]
LINALG += [Case(np.dot, binary(np.dot), ((3, 4), (4, 5)), wrt=wrt) for wrt in (0, 1)]
LINALG += [Case(("method", "dot"), dot_method, shapes, wrt=(0, 1))
           for shapes in DOT_SHAPES if shapes[0] not in (FLOAT, ())]  # shifted 0-d: no .dot
LINALG += [Case(("method", "dot"), dot_method, ((4,), (4, 5)), wrt=wrt) for wrt in (0, 1)]


@pytest.mark.parametrize("case", LINALG, ids=str)
def test_gradient_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", LINALG, ids=str)
def test_float32_stays_float32(case, monkeypatch):
    check_float32(case, monkeypatch)


def test_matmul_gradient_is_the_textbook_formula():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4) - 5
    r = np.ones((2, 4)) + np.arange(4.0)
    da, db = knet.grad(binary(np.matmul), wrt=(0, 1))(a, b, r)
    np.testing.assert_allclose(da, r @ b.T)
    np.testing.assert_allclose(db, a.T @ r)
