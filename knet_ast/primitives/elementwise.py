"""Elementwise functions (NumPy ufuncs and Python builtins)."""
import math

import numpy as np

from ..runtime.backend import array_module
from .registry import defgrad, elementwise, nondiff


def pow_db(dy, a, y):
    """d(a**b)/db = a**b log a, taken as 0 where a <= 0 (the limit at a = 0 for b > 0)."""
    xp = array_module(y)
    log_a = xp.log(xp.where(a > 0, a, 1))
    return dy * y * (log_a if np.ndim(a) else float(log_a))  # a scalar base must not promote dy


# --- exponentials and logarithms ---
defgrad(np.exp, "x", x="dy * y")
defgrad(np.expm1, "x", x="dy * (y + 1)")
defgrad(np.log, "x", x="dy / x")
defgrad(np.log1p, "x", x="dy / (1 + x)")
defgrad(np.sqrt, "x", x="0.5 * dy / y")
defgrad(np.square, "x", x="2 * dy * x")

# --- trigonometric and hyperbolic ---
defgrad(np.sin, "x", x="dy * np.cos(x)")
defgrad(np.cos, "x", x="-dy * np.sin(x)")
defgrad(np.tanh, "x", x="dy * (1 - y * y)")

# --- sign and magnitude ---
defgrad(np.abs, "x", x="dy * np.sign(x)")
defgrad(abs, "x", x="dy * np.sign(x)")
defgrad(np.negative, "x", x="-dy")
defgrad(float, "x", x="dy")

# --- binary: ties in maximum/minimum split the gradient evenly ---
defgrad(np.maximum, "x1, x2",
        x1="unbroadcast(dy * (x1 > x2) + 0.5 * dy * (x1 == x2), x1)",
        x2="unbroadcast(dy * (x2 > x1) + 0.5 * dy * (x1 == x2), x2)")
defgrad(np.minimum, "x1, x2",
        x1="unbroadcast(dy * (x1 < x2) + 0.5 * dy * (x1 == x2), x1)",
        x2="unbroadcast(dy * (x2 < x1) + 0.5 * dy * (x1 == x2), x2)")
defgrad(np.power, "x1, x2", x1="unbroadcast(dy * x2 * x1 ** (x2 - 1), x1)",
        x2="unbroadcast(pow_db(dy, x1, y), x2)",
        namespace={"pow_db": pow_db})
defgrad(np.where, "condition, x1, x2", x1="unbroadcast(np.where(condition, dy, 0), x1)",
        x2="unbroadcast(np.where(condition, 0, dy), x2)")

elementwise(np.exp, np.expm1, np.log, np.log1p, np.sqrt, np.square, np.sin, np.cos, np.tanh,
            np.abs, abs, np.negative, np.maximum, np.minimum, np.power, np.where)

# --- Python's math module (scalars) ---
defgrad(math.exp, "x", x="dy * y")
defgrad(math.expm1, "x", x="dy * (y + 1)")
defgrad(math.log, "x", x="dy / x")
defgrad(math.log1p, "x", x="dy / (1 + x)")
defgrad(math.sqrt, "x", x="0.5 * dy / y")
defgrad(math.sin, "x", x="dy * np.cos(x)")
defgrad(math.cos, "x", x="-dy * np.sin(x)")
defgrad(math.tan, "x", x="dy * (1 + y * y)")
defgrad(math.tanh, "x", x="dy * (1 - y * y)")
defgrad(math.fabs, "x", x="dy * np.sign(x)")
defgrad(math.pow, "x, y_", x="dy * y_ * x ** (y_ - 1)", y_="pow_db(dy, x, y)", namespace={"pow_db": pow_db})

nondiff(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite)
nondiff(np.sign, np.floor, np.ceil, np.round, np.rint, np.trunc, np.isnan, np.isinf,
        np.isfinite, np.floor_divide, np.equal, np.not_equal, np.less, np.less_equal,
        np.greater, np.greater_equal, np.logical_and, np.logical_or, np.logical_not)
