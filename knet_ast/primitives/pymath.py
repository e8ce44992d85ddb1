"""Python's `math` module and the numeric builtins (scalars in, a Python float out).

Where a math function has a parameter named `y`, the rule calls it `y_`: in a
template `y` is the function's output.
"""
import builtins
import math

from ..runtime.accumulate import zeros_like_grad
from .elementwise import pow_da, pow_db
from .registry import defgrad, nondiff
from .shape import sum_items_grad


def digamma(x):
    """The logarithmic derivative of the gamma function, for real x (not 0, -1, -2, ...):
    the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 6, then the asymptotic series."""
    x = float(x)
    if x <= 0:  # reflection: psi(x) = psi(1 - x) - pi / tan(pi x)
        return digamma(1 - x) - math.pi / math.tan(math.pi * x)
    shift = 0.0
    while x < 6:
        shift -= 1 / x
        x += 1
    inv2 = 1 / (x * x)
    series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 / 132))))
    return shift + math.log(x) - 0.5 / x - series


def prod_items_grad(dy, items, start=1):
    """The gradient of math.prod(items, start): each item gets dy times the product of the
    others, computed without dividing (so zeros are exact)."""
    items = list(items)
    before, after = [start], [1]
    for item in items[:-1]:
        before.append(before[-1] * item)
    for item in reversed(items[1:]):
        after.append(after[-1] * item)
    return [dy * b * a for b, a in zip(before, reversed(after))]


def dist_grad(dy, p, q, y, sign):
    """The gradient of math.dist(p, q) = |p - q| w.r.t. p (sign=1) or q (sign=-1)."""
    if y == 0:
        return [zeros_like_grad(a) for a in p]
    return [sign * dy * (a - b) / y for a, b in zip(p, q)]


_KERNELS = {"pow_da": pow_da, "pow_db": pow_db, "digamma": digamma, "prod_items_grad": prod_items_grad,
            "dist_grad": dist_grad, "sum_items_grad": sum_items_grad}


def _unary(fn, template):
    defgrad(fn, "x", namespace=_KERNELS, x=template)


for _fn, _template in [
        (math.exp, "dy * y"), (math.expm1, "dy * (y + 1)"), (math.log1p, "dy / (1 + x)"),
        (math.log2, "dy / (x * math.log(2))"), (math.log10, "dy / (x * math.log(10))"),
        (math.sqrt, "0.5 * dy / y"), (math.sin, "dy * math.cos(x)"), (math.cos, "-dy * math.sin(x)"),
        (math.tan, "dy * (1 + y * y)"), (math.asin, "dy / math.sqrt(1 - x * x)"),
        (math.acos, "-dy / math.sqrt(1 - x * x)"), (math.atan, "dy / (1 + x * x)"),
        (math.sinh, "dy * math.cosh(x)"), (math.cosh, "dy * math.sinh(x)"),
        (math.tanh, "dy * (1 - y * y)"), (math.asinh, "dy / math.sqrt(x * x + 1)"),
        (math.acosh, "dy / math.sqrt(x * x - 1)"), (math.atanh, "dy / (1 - x * x)"),
        (math.fabs, "dy * np.sign(x)"), (math.degrees, "dy * (180 / math.pi)"),
        (math.radians, "dy * (math.pi / 180)"),
        (math.erf, "dy * (2 / math.sqrt(math.pi)) * math.exp(-x * x)"),
        (math.erfc, "-dy * (2 / math.sqrt(math.pi)) * math.exp(-x * x)"),
        (math.gamma, "dy * y * digamma(x)"), (math.lgamma, "dy * digamma(x)")]:
    _unary(_fn, _template)
if hasattr(math, "cbrt"):  # Python 3.11+
    _unary(math.cbrt, "dy / (3 * y * y)")
    _unary(math.exp2, "dy * y * math.log(2)")

defgrad(math.log, "x, base=2.718281828459045", x="dy / (x * math.log(base))",
        base="-dy * y / (base * math.log(base))")
defgrad(math.pow, "x, y_", x="pow_da(dy, x, y_)", y_="pow_db(dy, x, y)", namespace=_KERNELS)
defgrad(math.atan2, "y_, x", y_="dy * x / (x * x + y_ * y_)", x="-dy * y_ / (x * x + y_ * y_)")
defgrad(math.hypot, "*coordinates", coordinates="dy * coordinates[index] / y")
defgrad(math.copysign, "x, y_", x="dy * math.copysign(1.0, x) * math.copysign(1.0, y)")
defgrad(math.fmod, "x, y_", x="dy", y_="-dy * (x - y) / y_")  # (x - y) / y_ = trunc(x / y_)
defgrad(math.remainder, "x, y_", x="dy", y_="-dy * (x - y) / y_")
defgrad(math.ldexp, "x, i", x="dy * 2.0 ** i")
defgrad(math.fsum, "seq", seq="sum_items_grad(dy, seq)", namespace=_KERNELS, sequences=["seq"])
defgrad(math.prod, "iterable, *, start=1", iterable="prod_items_grad(dy, iterable, start)",
        start="dy * y / start", namespace=_KERNELS, sequences=["iterable"])
defgrad(math.dist, "p, q", p="dist_grad(dy, p, q, y, 1)", q="dist_grad(dy, p, q, y, -1)",
        namespace=_KERNELS, sequences=["p", "q"])

nondiff(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite, math.isclose,
        math.factorial, math.comb, math.perm, math.gcd, math.isqrt)

# --- builtins ---
defgrad(builtins.pow, "base, exp, mod=None", base="pow_da(dy, base, exp)",
        exp="pow_db(dy, base, y)", namespace=_KERNELS)
nondiff(round, hash, id, callable, hasattr, repr, str)
