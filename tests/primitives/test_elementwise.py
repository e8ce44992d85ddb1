"""Rules of knet_ast/primitives/elementwise.py: ufuncs, abs/float, maximum/minimum, power, where,
clip. (The math module's rules are in test_pymath.py.)"""
import numpy as np
import pytest
from rule_tables import (
    FLOAT,
    GENERIC,
    Case,
    binary,
    check_case,
    check_float32,
    half,
    label,
    mask,
    near_two,
    nonzero,
    normal,
    positive,
    unary,
    unit,
    whole,
)

import knet_ast as knet


# --- domains of this file (the shared ones are in rule_tables.py) ---
def uniform(low, high):
    def domain(rng, shape):
        return rng.uniform(low, high, shape)
    domain.__name__ = f"uniform({low},{high})"
    return domain


inside_unit = uniform(-0.9, 0.9)  # arcsin, arccos, arctanh: away from the poles at +-1
above_one = uniform(1.2, 3.0)     # arccosh: away from its pole at 1


def minus_near_two(rng, shape):
    """Negative divisors for mod/fmod; with a `half` dividend, x1 / x2 stays away from integers."""
    return -near_two(rng, shape)


def integers(rng, shape):
    """Integer exponents for ldexp."""
    return rng.integers(-3, 4, shape)


def with_zeros(rng, shape):
    """Normal values with every third entry exactly 0 (a 0-d sample is 0)."""
    x = np.asarray(rng.standard_normal(shape))
    x.flat[::3] = 0.0
    return x


def with_infinities(rng, shape):
    """Normal values with +inf and -inf entries (a 0-d sample is +inf)."""
    x = np.asarray(rng.standard_normal(shape))
    x.flat[::4] = np.inf
    x.flat[1::4] = -np.inf
    return x


def lower_bound(rng, shape):
    """Values in {-2, -1}: with a `half` argument (k + 0.5), never within 0.5 of it."""
    return rng.integers(-2, 0, shape).astype(np.float64)


def upper_bound(rng, shape):
    """Values in {1, 2}."""
    return rng.integers(1, 3, shape).astype(np.float64)


# --- losses ---




def where(condition, x1, x2, r):
    return np.sum(np.where(condition, x1, x2) * r)


def nan_to_num_bounded(x, r):
    return np.sum(np.nan_to_num(x, posinf=10.0, neginf=-10.0) * r)


def clip(a, a_min, a_max, r):
    return np.sum(np.clip(a, a_min, a_max) * r)


def clip_keywords(a, a_min, a_max, r):
    return np.sum(np.clip(a, a_min=a_min, a_max=a_max) * r)


def clip_min_max(a, a_min, a_max, r):  # NumPy 2's spelling
    return np.sum(np.clip(a, min=a_min, max=a_max) * r)


def clip_method(a, a_min, a_max, r):
    return np.sum(a.clip(a_min, a_max) * r)


def clip_method_min_max(a, a_min, a_max, r):  # ndarray.clip's parameters are min and max
    return np.sum(a.clip(min=a_min, max=a_max) * r)


def conjugate_method(x, r):
    return np.sum(x.conjugate() * r)


def conj_method(x, r):
    return np.sum(x.conj() * r)


def clip_below(a, a_min, r):
    return np.sum(np.clip(a, a_min, None) * r)


def clip_above(a, a_max, r):
    return np.sum(np.clip(a, None, a_max) * r)


SCALARS_AND_ARRAYS = [(3, 4), (), GENERIC, FLOAT]

UNARY = [  # (function, domain): log, sqrt and friends on positive inputs, |x| away from 0
    (np.exp, normal), (np.exp2, normal), (np.expm1, normal), (np.log, positive),
    (np.log2, positive), (np.log10, positive), (np.log1p, positive), (np.sqrt, positive),
    (np.cbrt, nonzero), (np.square, normal), (np.reciprocal, nonzero),
    (np.sin, normal), (np.cos, normal), (np.tan, unit), (np.arcsin, inside_unit),
    (np.arccos, inside_unit), (np.arctan, normal), (np.sinh, normal), (np.cosh, normal),
    (np.tanh, normal), (np.arcsinh, normal), (np.arccosh, above_one), (np.arctanh, inside_unit),
    (np.deg2rad, normal), (np.radians, normal), (np.rad2deg, normal), (np.degrees, normal),
    (np.sinc, nonzero), (np.abs, nonzero), (abs, nonzero), (np.fabs, nonzero),
    (np.negative, normal), (np.positive, normal), (np.conjugate, normal), (np.real, normal),
    (np.nan_to_num, normal),
]

ELEMENTWISE = [Case(fn, unary(fn), (shape,), domain)
               for fn, domain in UNARY for shape in SCALARS_AND_ARRAYS]
ELEMENTWISE += [Case(float, unary(float), (shape,)) for shape in [(), GENERIC, FLOAT]]
ELEMENTWISE += [Case(("method", "conjugate"), conjugate_method, (shape,)) for shape in SCALARS_AND_ARRAYS]
ELEMENTWISE += [Case(("method", "conj"), conj_method, (shape,))  # a Python float has no .conj()
                for shape in [(3, 4), (), GENERIC]]
ELEMENTWISE += [Case(np.sinc, label(unary(np.sinc), x="with_zeros"), (shape,), with_zeros)
                for shape in SCALARS_AND_ARRAYS]  # sinc'(0) = 0
ELEMENTWISE += [Case(np.nan_to_num, nan_to_num_bounded, (shape,), domain)
                for domain in (normal, with_infinities) for shape in SCALARS_AND_ARRAYS]

BROADCASTS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((3, 4), FLOAT),
              (FLOAT, (3, 4))]
BINARY = [  # (function, domains): maximum and friends on whole/half inputs, so they never tie
    (np.maximum, (whole, half)), (np.maximum, (half, whole)), (np.minimum, (whole, half)),
    (np.minimum, (half, whole)), (np.fmax, (whole, half)), (np.fmax, (half, whole)),
    (np.fmin, (whole, half)), (np.fmin, (half, whole)),
    (np.power, (positive, normal)), (np.float_power, (positive, normal)),
    (np.add, normal), (np.subtract, normal), (np.multiply, normal), (np.divide, (normal, nonzero)),
    (np.mod, (half, near_two)), (np.mod, (half, minus_near_two)),
    (np.fmod, (half, near_two)), (np.fmod, (half, minus_near_two)),
    (np.hypot, nonzero), (np.arctan2, nonzero), (np.logaddexp, normal), (np.logaddexp2, normal),
]


def binary_loss(fn, domain):
    """binary(fn), labelled by its domains where a function has rows on several."""
    if sum(other is fn for other, _ in BINARY) == 1:
        return binary(fn)
    return label(binary(fn), x1=domain[0].__name__, x2=domain[1].__name__)


ELEMENTWISE += [Case(fn, binary_loss(fn, domain), shapes, domain, wrt=(0, 1))
                for fn, domain in BINARY for shapes in BROADCASTS]
ELEMENTWISE += [Case(fn, binary_loss(fn, domain), ((3, 4), (4,)), domain, wrt=wrt)
                for fn, domain in BINARY for wrt in (0, 1)]  # one argument at a time
# differentiable in the first argument only
ELEMENTWISE += [Case(np.copysign, binary(np.copysign), shapes, nonzero)
                for shapes in BROADCASTS + [((3, 4), ())]]
ELEMENTWISE += [Case(np.ldexp, binary(np.ldexp), shapes, (normal, integers)) for shapes in [
    ((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((3, 4), ()), (FLOAT, (3, 4)),
    ((), GENERIC), (FLOAT, GENERIC)]]  # a float exponent is a TypeError, so no FLOAT there

ELEMENTWISE += [Case(knet.relu, unary(knet.relu), (shape,), half)  # its rule is in knet_ast/nn.py
                for shape in [(3, 4), (), FLOAT]]
ELEMENTWISE += [Case(np.where, where, shapes, (mask, normal, normal), wrt=wrt) for shapes, wrt in [
    (((3, 4), (3, 4), (3, 4)), (1, 2)), (((3, 4), (4,), (3, 1)), (1, 2)),
    (((3, 4), (3, 4), FLOAT), (1, 2)), (((4,), (3, 4), (3, 4)), 1), (((4,), (3, 4), (3, 4)), 2)]]

# clip: `half` arguments against bounds in {-2, -1} and {1, 2}, so every entry is at least 0.5
# from a bound and the (3, 4) samples have entries below, inside and above
CLIP_BOUNDS = (half, lower_bound, upper_bound)
ELEMENTWISE += [Case(np.clip, loss, shapes, CLIP_BOUNDS, wrt=wrt)
                for loss in (clip, clip_keywords) for shapes, wrt in [
                    (((3, 4), FLOAT, FLOAT), 0), (((3, 4), (3, 4), (3, 4)), (0, 1, 2)),
                    (((3, 4), (4,), (3, 1)), (0, 1, 2)), (((3, 4), (), GENERIC), (0, 1, 2)),
                    ((FLOAT, (3, 4), (3, 4)), (0, 1, 2)), ((GENERIC, (), FLOAT), (0, 1, 2)),
                    ((GENERIC, FLOAT, FLOAT), (0, 1, 2))]]
ELEMENTWISE += [Case(("method", "clip"), clip_method, shapes, CLIP_BOUNDS, wrt=wrt) for shapes, wrt in [
    (((3, 4), FLOAT, FLOAT), 0), (((3, 4), (3, 4), (3, 4)), (0, 1, 2)),
    (((3, 4), (4,), (3, 1)), (0, 1, 2)), (((), (), GENERIC), (0, 1, 2)),
    ((GENERIC, FLOAT, FLOAT), (0, 1, 2))]]
ELEMENTWISE += [Case(np.clip, loss, shapes, (half, bound), wrt=wrt)
                for loss, bound in [(clip_below, lower_bound), (clip_above, upper_bound)]
                for shapes, wrt in [(((3, 4), (3, 4)), (0, 1)), (((3, 4), FLOAT), 0),
                                    ((FLOAT, FLOAT), (0, 1))]]

# min=/max= keywords, Python-float arguments (comparisons give Python bools), a_min > a_max
# (NumPy then gives a_max everywhere)
ELEMENTWISE += [
    Case(np.clip, clip_min_max, ((3, 4), (3, 4), (3, 4)), CLIP_BOUNDS, wrt=(0, 1, 2)),
    Case(np.clip, clip_min_max, ((3, 4), FLOAT, FLOAT), CLIP_BOUNDS, wrt=0),
    Case(("method", "clip"), clip_method_min_max, ((3, 4), (3, 4), (3, 4)), CLIP_BOUNDS, wrt=(0, 1, 2)),
    Case(np.clip, clip, (FLOAT, FLOAT, FLOAT), CLIP_BOUNDS, wrt=(0, 1, 2)),
    Case(np.clip, clip_keywords, (FLOAT, FLOAT, FLOAT), CLIP_BOUNDS, wrt=(0, 1, 2)),
    Case(np.clip, clip, (FLOAT, FLOAT, (3, 4)), CLIP_BOUNDS, wrt=(0, 1, 2)),
    Case(np.clip, clip, ((3, 4), (3, 4), (3, 4)), (half, upper_bound, lower_bound), wrt=(0, 1, 2)),
]


@pytest.mark.parametrize("case", ELEMENTWISE, ids=str)
def test_gradient_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", ELEMENTWISE, ids=str)
def test_float32_stays_float32(case, monkeypatch):
    check_float32(case, monkeypatch)


def test_clip_rows_reach_both_bounds():
    a, a_min, a_max, _ = Case(np.clip, clip, ((3, 4), (3, 4), (3, 4)), CLIP_BOUNDS).inputs()
    assert (a < a_min).any() and (a > a_max).any() and ((a_min < a) & (a < a_max)).any()


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


WEIGHTS = np.array([1.0, 2.0, 4.0, 8.0])


def fmax(x1, x2):
    return np.sum(np.fmax(x1, x2) * WEIGHTS[:3])


def fmin(x1, x2):
    return np.sum(np.fmin(x1, x2) * WEIGHTS[:3])


@pytest.mark.parametrize("loss", [fmax, fmin])
def test_fmax_fmin_send_the_gradient_past_nan(loss):
    # fmax/fmin return the other argument where one is NaN, so the weight goes to that one;
    # in the last entry fmax takes x1 = 2 and fmin takes x2 = -1
    x1, x2 = np.array([1.0, np.nan, 2.0]), np.array([np.nan, 3.0, -1.0])
    dx1, dx2 = knet.grad(loss, wrt=(0, 1))(x1, x2)
    np.testing.assert_array_equal(dx1, [1.0, 0.0, 4.0] if loss is fmax else [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(dx2, [0.0, 2.0, 0.0] if loss is fmax else [0.0, 2.0, 4.0])


def clip_weighted(a, a_min, a_max):
    return np.sum(np.clip(a, a_min, a_max) * WEIGHTS)


def clip_weighted_keywords(a, a_min, a_max):
    return np.sum(np.clip(a, a_min=a_min, a_max=a_max) * WEIGHTS)


@pytest.mark.parametrize("loss", [clip_weighted, clip_weighted_keywords])
@pytest.mark.parametrize("bounds", ["arrays", "floats"])
def test_clip_ties_go_to_a(loss, bounds):
    # a at the lower bound, at the upper bound, below, above: clip is the identity on the
    # closed interval [-1, 2], so the ties' weights go to `a`, the others' to the bound hit
    a = np.array([-1.0, 2.0, -3.0, 4.0])
    a_min, a_max = (np.full(4, -1.0), np.full(4, 2.0)) if bounds == "arrays" else (-1.0, 2.0)
    da, dmin, dmax = knet.grad(loss, wrt=(0, 1, 2))(a, a_min, a_max)
    np.testing.assert_array_equal(da, [1.0, 2.0, 0.0, 0.0])
    expected_min, expected_max = np.array([0.0, 0.0, 4.0, 0.0]), np.array([0.0, 0.0, 0.0, 8.0])
    if bounds == "floats":  # a Python float bound gets the total
        expected_min, expected_max = expected_min.sum(), expected_max.sum()
    np.testing.assert_array_equal(dmin, expected_min)
    np.testing.assert_array_equal(dmax, expected_max)


def nan_to_num_weighted(x):
    return np.sum(np.nan_to_num(x) * WEIGHTS)


def test_nan_to_num_passes_no_gradient_to_non_finite_entries():
    # nan_to_num is constant (0, the largest float, the smallest) at NaN, +inf and -inf
    with np.errstate(over="ignore", invalid="ignore"):  # the loss itself is inf - inf
        dx = knet.grad(nan_to_num_weighted)(np.array([np.nan, np.inf, -np.inf, 1.5]))
    np.testing.assert_array_equal(dx, [0.0, 0.0, 0.0, 8.0])
