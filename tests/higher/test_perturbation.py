"""Perturbation confusion: a gradient taken inside a function that is itself differentiated.

The inner gradient is differentiated as code (its generated source), so the outer
derivative sees every way the inner one depends on x: through its argument and through
what the inner function captures. Expected values are worked out by hand.
"""
import numpy as np
import pytest

import knet_ast as knet


def times(y, x):
    return x * y


d_times = knet.grad(times)  # d/dy (x y) = x


def through_a_gradient_object(x):
    return x * d_times(x, x)       # x * x


def through_an_inline_gradient(x):
    return x * knet.grad(times)(x, x)


def nested_adds(x):
    def inner(y):
        return x + y
    return x * knet.grad(inner)(x)  # x * 1: the outer derivative is 1, not 2


def nested_times(x):
    def inner(y):
        return x * y
    return x * knet.grad(inner)(x)  # x * x


def nested_in_a_loop(x):
    total = 0.0
    for k in range(3):
        def inner(y):
            return np.sin(k * x * y)  # noqa: B023 (called at once, in this iteration)
        total = total + knet.grad(inner)(1.0)  # k x cos(k x)
    return total


CASES = [
    (through_a_gradient_object, lambda x: 2 * x),
    (through_an_inline_gradient, lambda x: 2 * x),
    (nested_adds, lambda x: 1.0),
    (nested_times, lambda x: 2 * x),
    (nested_in_a_loop, lambda x: sum(k * np.cos(k * x) - k * k * x * np.sin(k * x)
                                     for k in range(3))),
]


@pytest.mark.parametrize("f, derivative", CASES, ids=[c[0].__name__ for c in CASES])
@pytest.mark.parametrize("x", [0.3, -1.7, 2.5])
def test_gradient_inside_a_differentiated_function(f, derivative, x):
    assert float(knet.grad(f)(x)) == pytest.approx(derivative(x), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("f", [nested_times, nested_in_a_loop], ids=lambda f: f.__name__)
def test_forward_mode_and_second_order_agree_with_finite_differences(f):
    x, h = 0.7, 1e-5
    slope = knet.jvp(f)(x, tangent=1.0)[1]
    assert slope == pytest.approx((f(x + h) - f(x - h)) / (2 * h), rel=1e-7)
    df = knet.grad(f)
    assert float(knet.grad(df)(x)) == pytest.approx((df(x + h) - df(x - h)) / (2 * h), rel=1e-6)


def test_the_function_still_runs_as_plain_python():
    assert nested_times(3.0) == pytest.approx(9.0)
    assert nested_adds(3.0) == pytest.approx(3.0)
