"""Elementwise functions: NumPy ufuncs and the builtins that act like them.

Binary rules wrap their gradient in `unbroadcast(g, x)`; the transform drops
the call where it knows the shapes already agree.
"""
import numpy as np

from ..runtime.backend import array_module, is_array
from .registry import defgrad, elementwise, method_like, nondiff


def pow_db(dy, a, y):
    """d(a**b)/db = a**b log a, taken as 0 where a <= 0 (the limit at a = 0 for b > 0)."""
    xp = array_module(y)
    log_a = xp.log(xp.where(a > 0, a, 1))
    return dy * y * (log_a if np.ndim(a) else float(log_a))  # a scalar base must not promote dy


def pow_da(dy, a, b):
    """d(a**b)/da = b a**(b-1), taken as 0 where b = 0 (also at a = 0, where a**(b-1) is
    infinite): x ** 0 is the constant 1."""
    if not is_array(b) and np.ndim(b) == 0:
        return 0 * dy if b == 0 else dy * b * a ** (b - 1)
    return dy * b * a ** array_module(b).where(b == 0, 1, b - 1)


def sinc_grad(dy, x, y):
    """d sinc(x)/dx = (cos(pi x) - sinc(x)) / x, and 0 at x = 0."""
    xp = array_module(y)
    safe = xp.where(x == 0, 1, x)
    return dy * xp.where(x == 0, 0, (xp.cos(np.pi * x) - y) / safe)


def clip_grad(dy, a, a_min, a_max, lower, upper, wrt):
    """The gradient of clip(a, a_min, a_max) = minimum(maximum(a, a_min), a_max), as NumPy
    computes it (bounds given as min=/max= too; None: no bound), w.r.t. 'a', 'min' or 'max'.
    A value equal to a bound counts as inside: its gradient goes to `a`."""
    xp = array_module(dy)
    lo = a_min if a_min is not None else lower
    hi = a_max if a_max is not None else upper
    a = xp.asarray(a)
    t = a if lo is None else xp.maximum(a, lo)
    kept = xp.ones((), bool) if hi is None else t <= hi  # t passed through the upper bound
    if wrt == "max":
        return dy * ~kept
    if lo is None:
        return dy * kept if wrt == "a" else 0 * dy
    return dy * (kept & (a >= lo) if wrt == "a" else kept & (a < lo))


_KERNELS = {"pow_da": pow_da, "pow_db": pow_db, "sinc_grad": sinc_grad, "clip_grad": clip_grad}

# --- exponentials and logarithms ---
defgrad(np.exp, "x", x="dy * y")
defgrad(np.exp2, "x", x="dy * y * math.log(2)")
defgrad(np.expm1, "x", x="dy * (y + 1)")
defgrad(np.log, "x", x="dy / x")
defgrad(np.log2, "x", x="dy / (x * math.log(2))")
defgrad(np.log10, "x", x="dy / (x * math.log(10))")
defgrad(np.log1p, "x", x="dy / (1 + x)")
defgrad(np.sqrt, "x", x="0.5 * dy / y")
defgrad(np.cbrt, "x", x="dy / (3 * y * y)")
defgrad(np.square, "x", x="2 * dy * x")
defgrad(np.reciprocal, "x", x="-dy * y * y")

# --- trigonometric and hyperbolic ---
defgrad(np.sin, "x", x="dy * np.cos(x)")
defgrad(np.cos, "x", x="-dy * np.sin(x)")
defgrad(np.tan, "x", x="dy * (1 + y * y)")
defgrad(np.arcsin, "x", x="dy / np.sqrt(1 - x * x)")
defgrad(np.arccos, "x", x="-dy / np.sqrt(1 - x * x)")
defgrad(np.arctan, "x", x="dy / (1 + x * x)")
defgrad(np.sinh, "x", x="dy * np.cosh(x)")
defgrad(np.cosh, "x", x="dy * np.sinh(x)")
defgrad(np.tanh, "x", x="dy * (1 - y * y)")
defgrad(np.arcsinh, "x", x="dy / np.sqrt(x * x + 1)")
defgrad(np.arccosh, "x", x="dy / np.sqrt(x * x - 1)")
defgrad(np.arctanh, "x", x="dy / (1 - x * x)")
defgrad(np.deg2rad, "x", x="dy * (math.pi / 180)")
defgrad(np.radians, "x", x="dy * (math.pi / 180)")
defgrad(np.rad2deg, "x", x="dy * (180 / math.pi)")
defgrad(np.degrees, "x", x="dy * (180 / math.pi)")
defgrad(np.sinc, "x", x="sinc_grad(dy, x, y)", namespace=_KERNELS)

# --- sign and magnitude ---
defgrad(np.abs, "x", x="dy * np.sign(x)")  # np.absolute is the same function
defgrad(np.fabs, "x", x="dy * np.sign(x)")
defgrad(abs, "x", x="dy * np.sign(x)")
defgrad(np.negative, "x", x="-dy")
defgrad(np.positive, "x", x="dy")
defgrad(np.conjugate, "x", x="dy")  # real arrays only; np.conj is the same function
defgrad(np.real, "val", val="dy")
defgrad(float, "x", x="dy")
defgrad(np.nan_to_num, "x, copy=True, nan=0.0, posinf=None, neginf=None", x="dy * np.isfinite(x)")
defgrad(np.copysign, "x1, x2", x1="unbroadcast(dy * np.sign(x1) * np.sign(y), x1)")
defgrad(np.ldexp, "x1, x2", x1="unbroadcast(np.ldexp(dy, x2), x1)")

# --- arithmetic ufuncs (the operators' rules are in arithmetic.py) ---
defgrad(np.add, "x1, x2", x1="unbroadcast(dy, x1)", x2="unbroadcast(dy, x2)")
defgrad(np.subtract, "x1, x2", x1="unbroadcast(dy, x1)", x2="unbroadcast(-dy, x2)")
defgrad(np.multiply, "x1, x2", x1="unbroadcast(dy * x2, x1)", x2="unbroadcast(dy * x1, x2)")
defgrad(np.divide, "x1, x2", x1="unbroadcast(dy / x2, x1)", x2="unbroadcast(-dy * y / x2, x2)")
defgrad(np.mod, "x1, x2", x1="unbroadcast(dy, x1)",  # np.remainder is the same function
        x2="unbroadcast(-dy * np.floor_divide(x1, x2), x2)")
defgrad(np.fmod, "x1, x2", x1="unbroadcast(dy, x1)", x2="unbroadcast(-dy * np.trunc(x1 / x2), x2)")
defgrad(np.power, "x1, x2", x1="unbroadcast(pow_da(dy, x1, x2), x1)",
        x2="unbroadcast(pow_db(dy, x1, y), x2)", namespace=_KERNELS)
defgrad(np.float_power, "x1, x2", x1="unbroadcast(pow_da(dy, np.float64(x1), x2), x1)",
        x2="unbroadcast(pow_db(dy, x1, y), x2)", namespace=_KERNELS)

# --- binary: ties in maximum/minimum split the gradient evenly (fmax/fmin also skip NaN) ---
_MAX = dict(x1="unbroadcast(dy * (x1 > x2) + 0.5 * dy * (x1 == x2), x1)",
            x2="unbroadcast(dy * (x2 > x1) + 0.5 * dy * (x1 == x2), x2)")
_MIN = dict(x1="unbroadcast(dy * (x1 < x2) + 0.5 * dy * (x1 == x2), x1)",
            x2="unbroadcast(dy * (x2 < x1) + 0.5 * dy * (x1 == x2), x2)")
defgrad(np.maximum, "x1, x2", **_MAX)
defgrad(np.minimum, "x1, x2", **_MIN)
_FMAX = dict(  # the argument fmax/fmin returned gets dy (a NaN never equals y); ties split
    x1="unbroadcast(dy * ((y == x1) & (x1 != x2)) + 0.5 * dy * (x1 == x2), x1)",
    x2="unbroadcast(dy * ((y == x2) & (x1 != x2)) + 0.5 * dy * (x1 == x2), x2)")
defgrad(np.fmax, "x1, x2", **_FMAX)
defgrad(np.fmin, "x1, x2", **_FMAX)
defgrad(np.hypot, "x1, x2", x1="unbroadcast(dy * x1 / y, x1)", x2="unbroadcast(dy * x2 / y, x2)")
defgrad(np.arctan2, "x1, x2", x1="unbroadcast(dy * x2 / (x1 * x1 + x2 * x2), x1)",
        x2="unbroadcast(-dy * x1 / (x1 * x1 + x2 * x2), x2)")
defgrad(np.logaddexp, "x1, x2", x1="unbroadcast(dy * np.exp(x1 - y), x1)",
        x2="unbroadcast(dy * np.exp(x2 - y), x2)")
defgrad(np.logaddexp2, "x1, x2", x1="unbroadcast(dy * np.exp2(x1 - y), x1)",
        x2="unbroadcast(dy * np.exp2(x2 - y), x2)")
defgrad(np.where, "condition, x1, x2", x1="unbroadcast(np.where(condition, dy, 0), x1)",
        x2="unbroadcast(np.where(condition, 0, dy), x2)")
defgrad(np.clip, "a, a_min=None, a_max=None, out=None, *, min=None, max=None", namespace=_KERNELS,
        a="unbroadcast(clip_grad(dy, a, a_min, a_max, min, max, 'a'), a)",
        a_min="unbroadcast(clip_grad(dy, a, a_min, a_max, min, max, 'min'), a_min)",
        min="unbroadcast(clip_grad(dy, a, a_min, a_max, min, max, 'min'), min)",
        a_max="unbroadcast(clip_grad(dy, a, a_min, a_max, min, max, 'max'), a_max)",
        max="unbroadcast(clip_grad(dy, a, a_min, a_max, min, max, 'max'), max)")
method_like("clip", np.clip)
method_like("conjugate", np.conjugate)
method_like("conj", np.conjugate)

elementwise(np.exp, np.exp2, np.expm1, np.log, np.log2, np.log10, np.log1p, np.sqrt, np.cbrt,
            np.square, np.reciprocal, np.sin, np.cos, np.tan, np.arcsin, np.arccos, np.arctan,
            np.sinh, np.cosh, np.tanh, np.arcsinh, np.arccosh, np.arctanh, np.deg2rad, np.radians,
            np.rad2deg, np.degrees, np.sinc, np.abs, np.fabs, abs, np.negative, np.positive,
            np.conjugate, np.nan_to_num, np.copysign, np.ldexp, np.add, np.subtract, np.multiply,
            np.divide, np.mod, np.fmod, np.power, np.float_power, np.maximum, np.minimum, np.fmax,
            np.fmin, np.hypot, np.arctan2, np.logaddexp, np.logaddexp2, np.where, np.clip)

# Piecewise constant (zero gradient almost everywhere), boolean, or integer-valued.
nondiff(np.sign, np.heaviside, np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix,
        np.signbit, np.isnan, np.isinf, np.isfinite, np.isneginf, np.isposinf, np.isclose,
        np.allclose, np.array_equal, np.array_equiv, np.iscomplex, np.isreal, np.imag,
        np.floor_divide, np.equal, np.not_equal, np.less, np.less_equal, np.greater,
        np.greater_equal, np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
        np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert, np.left_shift, np.right_shift,
        np.gcd, np.lcm, np.spacing)
