"""Linear algebra: dot, matmul (also the `@` operator and the `.dot` method)."""
import numpy as np

from ..runtime.accumulate import unbroadcast
from ..runtime.backend import array_module
from .registry import defgrad, defmethod


def matmul_da(dy, a, b):
    """Gradient of a @ b w.r.t. a, for every NumPy matmul case (1-D, 2-D, batched)."""
    if np.ndim(b) == 1:
        da = dy[..., None] * b if np.ndim(a) > 1 else dy * b
    elif np.ndim(a) == 1:
        da = (b @ dy[..., None])[..., 0]
    else:
        da = dy @ b.swapaxes(-1, -2)
    return unbroadcast(da, a)


def matmul_db(dy, a, b):
    """Gradient of a @ b w.r.t. b."""
    if np.ndim(a) == 1 and np.ndim(b) == 1:
        db = dy * a
    elif np.ndim(a) == 1:
        db = a[:, None] * dy[..., None, :]
    elif np.ndim(b) == 1:
        db = (a.swapaxes(-1, -2) @ dy[..., None])[..., 0]
    else:
        db = a.swapaxes(-1, -2) @ dy
    return unbroadcast(db, b)


def dot_da(dy, a, b):
    """Gradient of np.dot(a, b) w.r.t. a (contracts the last axis of a with b's second-to-last)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(dy * b, a)
    xp = array_module(dy)
    contracted = max(np.ndim(b) - 2, 0)
    b_free = [i for i in range(np.ndim(b)) if i != contracted]
    y_b = list(range(np.ndim(a) - 1, np.ndim(dy)))
    return xp.tensordot(dy, b, (y_b, b_free))


def dot_db(dy, a, b):
    """Gradient of np.dot(a, b) w.r.t. b."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(dy * a, b)
    xp = array_module(dy)
    a_free = list(range(np.ndim(a) - 1))
    r = xp.tensordot(a, dy, (a_free, a_free))
    return xp.moveaxis(r, 0, max(np.ndim(b) - 2, 0))


_KERNELS = {"matmul_da": matmul_da, "matmul_db": matmul_db, "dot_da": dot_da, "dot_db": dot_db}

defgrad(np.matmul, "a, b", a="matmul_da(dy, a, b)", b="matmul_db(dy, a, b)", namespace=_KERNELS)
defgrad(np.dot, "a, b", a="dot_da(dy, a, b)", b="dot_db(dy, a, b)", namespace=_KERNELS)
defmethod("dot", "self, b", self="dot_da(dy, self, b)", b="dot_db(dy, self, b)",
          namespace=_KERNELS)
