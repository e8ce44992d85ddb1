"""Shape and assembly: reshape, transpose, ravel, squeeze, astype, copy, .T, moveaxis, stack,
concatenate, np.array, builtin sum; and the non-differentiable shape queries and constructors."""
import numpy as np

from ..runtime.accumulate import unbroadcast, unreduce, zeros_if_none
from ..runtime.backend import array_module, is_array
from ..runtime.iteration import as_sequence, dict_from, make_closure
from .registry import defattr, defgrad, defmethod, nondiff


def transpose_back(dy, axes):
    """Undo a transpose by `axes` (None, a tuple, or the tuple of *axes given to .transpose)."""
    if axes is not None and len(axes) == 1 and not isinstance(axes[0], int):
        axes = axes[0]
    if axes is None or len(axes) == 0:
        return dy.transpose()
    return dy.transpose(np.argsort([a % dy.ndim for a in axes]))


def cast_back(dy, x, y):
    """The gradient of y = x.astype(t): cast back to x's dtype; zero if t is not a float type."""
    if not np.issubdtype(np.result_type(y), np.inexact):
        return array_module(dy).zeros(np.shape(x), np.result_type(x))
    return dy.astype(np.result_type(x), copy=False)


def item_back(dy, x, index):
    """The gradient of x.item(*index): dy at that one element, zeros elsewhere."""
    index = index[0] if len(index) == 1 else index  # x.item(5), x.item((1, 2)), x.item(1, 2)
    if isinstance(index, tuple):
        index = np.ravel_multi_index(index, x.shape, mode="wrap") if index else 0
    flat = array_module(x).zeros(x.size, dtype=x.dtype)
    flat[index % x.size] = dy
    return flat.reshape(x.shape)


_KERNELS = {"transpose_back": transpose_back, "cast_back": cast_back, "item_back": item_back}
_RESHAPE_BACK = "dy.reshape(np.shape({}))"

defgrad(np.reshape, "a, shape=None, order='C', newshape=None", a=_RESHAPE_BACK.format("a"))
defgrad(np.ravel, "a, order='C'", a=_RESHAPE_BACK.format("a"))
defgrad(np.squeeze, "a, axis=None", a=_RESHAPE_BACK.format("a"))
defgrad(np.expand_dims, "a, axis", a=_RESHAPE_BACK.format("a"))
defgrad(np.transpose, "a, axes=None", a="transpose_back(dy, axes)", namespace=_KERNELS)
defgrad(np.copy, "a, order='K'", a="dy")

for method in ("reshape", "ravel", "flatten", "squeeze"):
    defmethod(method, "self, *args, **kwargs", self=_RESHAPE_BACK.format("self"))
defmethod("transpose", "self, *axes", self="transpose_back(dy, axes)", namespace=_KERNELS)
defmethod("astype", "self, dtype, *args, **kwargs", self="cast_back(dy, self, y)",
          namespace=_KERNELS)
defmethod("copy", "self, order='C'", self="dy")
defmethod("item", "self, *args", self="item_back(dy, self, args)", namespace=_KERNELS)
defattr("T", self="dy.T")
defattr("real", self="dy")  # real arrays only: complex numbers are not differentiated

nondiff(len, range, int, bool, isinstance, type, print, np.shape, np.ndim, np.size,
        np.argmax, np.argmin, np.argsort, np.zeros, np.ones, np.empty, np.full, np.arange,
        np.linspace, np.eye, np.identity, np.zeros_like, np.ones_like, np.empty_like,
        np.full_like)

defgrad(np.moveaxis, "a, source, destination", a="np.moveaxis(dy, destination, source)")
defgrad(np.swapaxes, "a, axis1, axis2", a="np.swapaxes(dy, axis1, axis2)")
defmethod("swapaxes", "self, axis1, axis2", self="dy.swapaxes(axis1, axis2)")


# --- assembly: building arrays from lists of values ---
def stack_grad(dy, arrays, axis=0):
    """The pieces of dy that came from each entry of np.stack(arrays, axis)."""
    return [dy.take(i, axis=axis) for i in range(len(arrays))]


def concatenate_grad(dy, arrays, axis=0):
    """The pieces of dy that came from each entry of np.concatenate(arrays, axis)."""
    if axis is None:
        sizes = [np.size(a) for a in arrays]
        flat = np.split(dy, np.cumsum(sizes)[:-1])
        return [piece.reshape(np.shape(a)) for piece, a in zip(flat, arrays)]
    ends = np.cumsum([np.shape(a)[axis] for a in arrays])[:-1]
    return np.split(dy, ends, axis=axis)


def array_grad(dy, obj, y=None):
    """The gradient of y = np.array(obj) sent back into the (nested) list or value obj."""
    if y is not None and not np.issubdtype(np.result_type(y), np.inexact):
        return array_grad(array_module(dy).zeros_like(dy), obj)  # an integer cast: no gradient
    if isinstance(obj, (list, tuple)):
        return [array_grad(dy[i], item) for i, item in enumerate(obj)]
    return dy.reshape(np.shape(obj)) if np.ndim(dy) else dy


def sum_items_grad(dy, iterable):
    """The gradient of the builtin sum(iterable): each item receives dy (unbroadcast)."""
    if isinstance(iterable, (list, tuple)):
        return [unbroadcast(dy, item) for item in iterable]
    return unreduce(dy, iterable, 0)


def list_grad(dy, iterable):
    """The gradient of list(iterable): a list back into a list or tuple, stacked into an array."""
    if is_array(iterable):
        return array_module(iterable).stack([zeros_if_none(d, row) for d, row in zip(dy, iterable)])
    return list(dy)


def dict_values_grad(dy, keys, values):
    """The gradient of dict_from(keys, values) sent back to the list of values (a later equal
    key overwrites an earlier one, so only the last of equal keys receives it)."""
    last = {key: i for i, key in enumerate(keys)}
    return [None if dy is None or last[key] != i else dy.get(key) for i, key in enumerate(keys)]


_ASSEMBLY = {"list_grad": list_grad, "dict_values_grad": dict_values_grad, "stack_grad": stack_grad, "concatenate_grad": concatenate_grad,
             "array_grad": array_grad, "sum_items_grad": sum_items_grad}

defgrad(dict_from, "keys, values", values="dict_values_grad(dy, keys, values)",
        namespace=_ASSEMBLY, sequences=["values"])
defgrad(make_closure, "function, names, values", values="list(dy)", sequences=["values"])
defgrad(list, "iterable=()", iterable="list_grad(dy, iterable)", namespace=_ASSEMBLY,
        sequences=["iterable"])
defgrad(np.stack, "arrays, axis=0, out=None", arrays="stack_grad(dy, arrays, axis)",
        namespace=_ASSEMBLY, sequences=["arrays"])
defgrad(np.concatenate, "arrays, axis=0, out=None", arrays="concatenate_grad(dy, arrays, axis)",
        namespace=_ASSEMBLY, sequences=["arrays"])
defgrad(np.array, "object, dtype=None, copy=True, order='K', subok=False, ndmin=0",
        object="array_grad(dy, object, y)", namespace=_ASSEMBLY, sequences=["object"])
defgrad(np.asarray, "a, dtype=None, order=None", a="array_grad(dy, a, y)", namespace=_ASSEMBLY,
        sequences=["a"])
defgrad(sum, "iterable, start=0", iterable="sum_items_grad(dy, iterable)", start="unbroadcast(dy, start)",
        namespace=_ASSEMBLY, sequences=["iterable"])

defgrad(as_sequence, "x", x="dy")  # the iterable of a `for` loop: the very object, or its keys
