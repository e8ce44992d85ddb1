"""Reductions: sum, mean, max, min, as functions and as array methods."""
import numpy as np

from ..runtime.accumulate import unreduce, zeros_like_grad
from ..runtime.backend import array_module
from .registry import defgrad, defmethod


def extremum_share(x, y, axis=None, keepdims=False):
    """Where x attains its max/min y along axis; tied entries share the gradient equally."""
    xp = array_module(x)
    x = xp.asarray(x)  # np.max also takes lists
    hit = (x == unreduce(y, x, axis, keepdims)).astype(xp.result_type(x, np.float32))
    return hit / hit.sum(axis=axis, keepdims=True)


def first_extremum_grad(dy, iterable, y):
    """The gradient of the builtin max/min(iterable): dy to the first item equal to the result
    (the one Python returns), zeros to the others."""
    items = list(iterable)
    chosen = next(i for i, item in enumerate(items) if item is y or item == y)
    return [dy if i == chosen else zeros_like_grad(item) for i, item in enumerate(items)]


_EXTREMUM = {"extremum_share": extremum_share, "first_extremum_grad": first_extremum_grad}
_SUM = "a, axis=None, dtype=None, out=None, keepdims=False"
_MAX = "a, axis=None, out=None, keepdims=False"

defgrad(np.sum, _SUM, a="unreduce(dy, a, axis, keepdims)")
defgrad(np.mean, _SUM, a="unreduce(dy, a, axis, keepdims) * reduced_fraction(y, a)")
for fn in (np.max, np.amax, np.min, np.amin):
    defgrad(fn, _MAX, namespace=_EXTREMUM,
            a="unreduce(dy, a, axis, keepdims) * extremum_share(a, y, axis, keepdims)")

for fn in (max, min):  # max(a, b) is read as max([a, b])
    defgrad(fn, "iterable", namespace=_EXTREMUM, sequences=["iterable"],
            iterable="first_extremum_grad(dy, iterable, y)")

defmethod("sum", _SUM.replace("a,", "self,", 1),
          self="unreduce(dy, self, axis, keepdims)")
defmethod("mean", _SUM.replace("a,", "self,", 1),
          self="unreduce(dy, self, axis, keepdims) * reduced_fraction(y, self)")
for name in ("max", "min"):
    defmethod(name, _MAX.replace("a,", "self,", 1), namespace=_EXTREMUM,
              self="unreduce(dy, self, axis, keepdims) * extremum_share(self, y, axis, keepdims)")
