"""Rules of knet_ast/primitives/pymath.py: Python's math module and the builtin pow
(scalars in, a Python float out), and the digamma kernel behind gamma/lgamma."""
import math

import numpy as np
import pytest
from checkgrad import leaves
from rule_tables import (
    FLOAT,
    GENERIC,
    Case,
    check_case,
    check_float32,
    half,
    label,
    near_two,
    nonzero,
    normal,
    positive,
    unit,
)
from test_elementwise import (
    above_one,
    binary,
    inside_unit,
    minus_near_two,
    unary,
    uniform,
)

from knet_ast.primitives.pymath import digamma


def ternary(fn):
    def loss(x1, x2, x3, r):
        return np.sum(fn(x1, x2, x3) * r)
    return loss


def log_base_two(x, r):
    return np.sum(math.log(x, 2.0) * r)


def math_cube(x, r):  # negative bases, integer exponent
    return np.sum(math.pow(x, 3.0) * r)


def builtin_cube(x, r):
    return np.sum(pow(x, 3) * r)


def prod_start(items, start, r):
    return np.sum(math.prod(items, start=start) * r)


def ldexp_by(i):
    """math.ldexp(x, i) for a Python int i (it refuses NumPy integers)."""
    def loss(x, r):
        return np.sum(math.ldexp(x, i) * r)
    return label(loss, i=i)


def with_zeros(rng, shape):
    """Normal values, each 0 with probability 0.2 (for math.prod's lists)."""
    x = rng.standard_normal(shape)
    return np.where(rng.random(shape) < 0.2, 0.0, x)


def domain_name(domain):
    return getattr(domain, "__name__", "?")


SCALARS = [FLOAT, GENERIC, ()]  # math functions take anything with __float__

UNARY = [  # (function, domain)
    (math.exp, normal), (math.expm1, normal), (math.log, positive), (math.log1p, positive),
    (math.log2, positive), (math.log10, positive), (math.sqrt, positive),
    (math.sin, normal), (math.cos, normal), (math.tan, unit), (math.asin, inside_unit),
    (math.acos, inside_unit), (math.atan, normal), (math.sinh, normal), (math.cosh, normal),
    (math.tanh, normal), (math.asinh, normal), (math.acosh, above_one), (math.atanh, inside_unit),
    (math.fabs, nonzero), (math.degrees, normal), (math.radians, normal),
    (math.erf, normal), (math.erfc, normal),
    # gamma/lgamma use digamma: positive x, then negative x where Gamma > 0 and where Gamma < 0
    (math.gamma, uniform(0.5, 8.0)), (math.gamma, uniform(-1.7, -1.3)),
    (math.gamma, uniform(-2.7, -2.3)), (math.lgamma, uniform(0.5, 8.0)),
    (math.lgamma, uniform(-1.7, -1.3)), (math.lgamma, uniform(-2.7, -2.3)),
]
if hasattr(math, "cbrt"):  # Python 3.11+
    UNARY += [(math.cbrt, nonzero), (math.exp2, normal)]

BINARY = [  # (function, domains, wrt)
    (math.log, (positive, uniform(1.5, 4.0)), (0, 1)), (math.log, (positive, uniform(0.2, 0.7)), (0, 1)),
    (math.pow, (positive, normal), (0, 1)), (pow, (positive, normal), (0, 1)),
    (math.atan2, (nonzero, nonzero), (0, 1)), (math.hypot, (nonzero, nonzero), (0, 1)),
    (math.copysign, (nonzero, nonzero), 0),  # constant in its second argument
    (math.fmod, (half, near_two), (0, 1)), (math.fmod, (half, minus_near_two), (0, 1)),
    # remainder jumps where x / y is a half-integer: (k + 0.5) / ~2 stays >= 0.15 from one
    (math.remainder, (half, near_two), (0, 1)), (math.remainder, (half, minus_near_two), (0, 1)),
]


def unary_loss(fn, domain):
    """unary(fn), labelled by its domain where a function has rows on several."""
    if sum(other is fn for other, _ in UNARY) == 1:
        return unary(fn)
    return label(unary(fn), x=domain_name(domain))


def binary_loss(fn, domain):
    """binary(fn), labelled by its domains where a function has rows on several."""
    if sum(other is fn for other, _, _ in BINARY) == 1:
        return binary(fn)
    return label(binary(fn), x1=domain_name(domain[0]), x2=domain_name(domain[1]))


MATH_RULES = [Case(fn, unary_loss(fn, domain), (shape,), domain)
              for fn, domain in UNARY for shape in SCALARS]
MATH_RULES += [Case(fn, binary_loss(fn, domain), shapes, domain, wrt=wrt)
               for fn, domain, wrt in BINARY
               for shapes in [(FLOAT, FLOAT), (GENERIC, FLOAT), (FLOAT, ()), ((), GENERIC)]]
MATH_RULES += [Case(math.ldexp, ldexp_by(i), (shape,)) for i in (-2, 3) for shape in SCALARS]
MATH_RULES += [Case(math.log, log_base_two, (shape,), positive) for shape in SCALARS]
MATH_RULES += [Case(key, loss, (shape,)) for key, loss in [(math.pow, math_cube), (pow, builtin_cube)]
               for shape in SCALARS]
MATH_RULES += [Case(math.hypot, ternary(math.hypot), shapes, nonzero, wrt=(0, 1, 2))
               for shapes in [(FLOAT, FLOAT, FLOAT), (GENERIC, (), FLOAT)]]
MATH_RULES += [Case(math.hypot, unary(math.hypot), (shape,), nonzero) for shape in SCALARS]  # |x|

# sequences: a list of scalars in, a list of gradients out
LISTS = [[FLOAT] * 4, [GENERIC] * 3, [FLOAT, GENERIC, ()], [FLOAT]]
MATH_RULES += [Case(math.fsum, unary(math.fsum), (shapes,)) for shapes in LISTS]
MATH_RULES += [Case(math.prod, unary(math.prod), (shapes,)) for shapes in LISTS]
PROD_WITH_ZEROS = Case(math.prod, label(unary(math.prod), x="with_zeros"), ([FLOAT] * 5,), with_zeros)
MATH_RULES += [PROD_WITH_ZEROS]
MATH_RULES += [Case(math.prod, prod_start, (shapes, FLOAT), (normal, nonzero), wrt=(0, 1))
               for shapes in [[FLOAT] * 3, [GENERIC, ()]]]
MATH_RULES += [Case(math.dist, binary(math.dist), shapes, wrt=(0, 1)) for shapes in [
    ([FLOAT] * 3, [FLOAT] * 3), ([GENERIC, FLOAT], [(), FLOAT]), ([FLOAT], [FLOAT])]]


@pytest.mark.parametrize("case", MATH_RULES, ids=str)
def test_gradient_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", MATH_RULES, ids=str)
def test_float32_stays_float32(case, monkeypatch):
    if not any(np.result_type(leaf) == np.float32 for leaf in leaves(case.inputs(np.float32)[:-1])):
        pytest.skip("every float input is a Python float, which has no float32 form")
    check_float32(case, monkeypatch)


def test_prod_row_has_a_zero_and_a_nonzero():
    # with exactly one zero, that item's gradient is the product of the others (nonzero)
    items = PROD_WITH_ZEROS.inputs()[0]
    assert items.count(0.0) == 1 and len(items) > 1


# digamma(x) = d lgamma(x) / dx: also for x < 0, where lgamma is log |Gamma(x)|
@pytest.mark.parametrize("x", [0.1, 0.5, 1.0, 2.5, 5.9, 6.0, 6.1, 10.0, 50.0, 1e3,
                               -0.1, -0.5, -1.5, -2.3, -3.7, -10.4])
def test_digamma_is_the_derivative_of_lgamma(x):
    h = 1e-4  # five-point stencil: error ~ h^4 lgamma^(5) / 30
    numeric = (8 * (math.lgamma(x + h) - math.lgamma(x - h))
               - (math.lgamma(x + 2 * h) - math.lgamma(x - 2 * h))) / (12 * h)
    assert digamma(x) == pytest.approx(numeric, rel=1e-8, abs=1e-8)


EULER_GAMMA = 0.57721566490153286


@pytest.mark.parametrize("x, expected", [
    (1.0, -EULER_GAMMA),
    (2.0, 1 - EULER_GAMMA),                        # psi(x + 1) = psi(x) + 1 / x
    (0.5, -EULER_GAMMA - 2 * math.log(2)),
    (-0.5, -EULER_GAMMA - 2 * math.log(2) + 2),    # psi(x) = psi(x + 1) - 1 / x
    (0.25, -EULER_GAMMA - math.pi / 2 - 3 * math.log(2)),
])
def test_digamma_known_values(x, expected):
    assert digamma(x) == pytest.approx(expected, rel=1e-10, abs=1e-12)
