"""Reductions: sum, mean, max, min, as functions and as array methods."""
import numpy as np

from ..runtime.accumulate import unreduce
from ..runtime.backend import array_module
from .registry import defgrad, defmethod


def extremum_share(x, y, axis=None, keepdims=False):
    """Where x attains its max/min y along axis; tied entries share the gradient equally."""
    xp = array_module(x)
    x = xp.asarray(x)  # np.max also takes lists
    hit = (x == unreduce(y, x, axis, keepdims)).astype(xp.result_type(x, np.float32))
    return hit / hit.sum(axis=axis, keepdims=True)


_EXTREMUM = {"extremum_share": extremum_share}
_SUM = "a, axis=None, dtype=None, out=None, keepdims=False"
_MAX = "a, axis=None, out=None, keepdims=False"

defgrad(np.sum, _SUM, a="unreduce(dy, a, axis, keepdims)")
defgrad(np.mean, _SUM, a="unreduce(dy, a, axis, keepdims) * reduced_fraction(y, a)")
for fn in (np.max, np.amax, np.min, np.amin):
    defgrad(fn, _MAX, namespace=_EXTREMUM,
            a="unreduce(dy, a, axis, keepdims) * extremum_share(a, y, axis, keepdims)")

defmethod("sum", _SUM.replace("a,", "self,", 1),
          self="unreduce(dy, self, axis, keepdims)")
defmethod("mean", _SUM.replace("a,", "self,", 1),
          self="unreduce(dy, self, axis, keepdims) * reduced_fraction(y, self)")
for name in ("max", "min"):
    defmethod(name, _MAX.replace("a,", "self,", 1), namespace=_EXTREMUM,
              self="unreduce(dy, self, axis, keepdims) * extremum_share(self, y, axis, keepdims)")
