"""Zeros, accumulation and shape repair for adjoints: all shape logic lives here.

An adjoint is an array, a Python/NumPy scalar, None (a zero not yet
materialised), or a list/tuple/dict of those mirroring a container value.
Generated code calls these helpers only where the transform cannot know the
answer statically (containers, broadcasting, merges after loops and branches).
"""
import math
import numbers

import numpy as np

from ..errors import KnetError, NonScalarOutputError
from .backend import array_module, is_array

_SCALAR_TYPES = frozenset((float, int, np.float64, np.float32, np.float16))


class ArrayShape:
    """What the reverse sweep needs of an array it reads only for its shape: shape, dtype and
    array module. The tape saves this instead of the array (see `shape_of`)."""

    __slots__ = ("shape", "dtype", "xp")

    def __init__(self, x):
        self.shape, self.dtype, self.xp = x.shape, x.dtype, array_module(x)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape))

    def __repr__(self):
        return f"ArrayShape({self.shape}, {self.dtype})"


def shape_of(x):
    """An array's ArrayShape; anything else (numbers, containers of references) as it is."""
    if type(x) in _SCALAR_TYPES:
        return x
    return ArrayShape(x) if is_array(x) else x


def _zeros(x):
    if isinstance(x, ArrayShape):
        return x.xp.zeros(x.shape, x.dtype)
    return array_module(x).zeros_like(x)


def unbroadcast(g, x):
    """Sum `g` down to the shape of `x`, undoing NumPy broadcasting."""
    try:
        if g.shape == x.shape:  # the common case first: nothing to undo
            return g
    except AttributeError:
        if type(g) in _SCALAR_TYPES and type(x) in _SCALAR_TYPES:
            return g
    if isinstance(x, (list, tuple)) and isinstance(g, (list, tuple)):
        raise KnetError(
            "`+` joined two lists or tuples that knet_ast could not recognise as such when it "
            "wrote the gradient; build them from a display (`xs = []`, `xs = xs + [v]`) or "
            "join them with np.concatenate / np.stack")
    shape, gshape = _shape(x), _shape(g)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead < 0 or (lead == 0 and math.prod(gshape) < math.prod(shape)):
        return array_module(g).broadcast_to(g, shape)  # g was broadcast against x: spread it
    kept = tuple(lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    if not kept:  # only leading axes were added (a bias row): one sum, no reshape
        return g.sum(axis=0 if lead == 1 else tuple(range(lead)))
    return g.sum(axis=tuple(range(lead)) + kept, keepdims=True).reshape(shape)


def _shape(x):
    shape = getattr(x, "shape", None)
    if shape is not None:
        return shape
    return () if isinstance(x, numbers.Number) else np.shape(x)


def unreduce(g, x, axis=None, keepdims=False):
    """Broadcast the gradient of a reduction over `axis` back to the shape of `x`."""
    shape = np.shape(x)
    xp = array_module(g)
    if axis is not None and not keepdims:
        axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
        ndim = len(shape)
        for a in sorted(a % ndim for a in axes):
            g = xp.expand_dims(g, a)
    return xp.broadcast_to(g, shape)


def mean_grad(g, x, y, axis=None, keepdims=False):
    """The gradient of y = mean(x, axis): g divided by the number of entries averaged, then
    broadcast back to the shape of `x` (dividing first touches only the reduced values)."""
    count = math.prod(_shape(x)) // max(np.size(y), 1)
    g = g / count if count else g
    if axis is None and np.ndim(g) == 0:  # the mean of everything: one value everywhere
        xp = x.xp if isinstance(x, ArrayShape) else array_module(x)
        out = xp.empty(_shape(x), getattr(g, "dtype", np.float64))
        out.fill(g)
        return out
    return unreduce(g, x, axis, keepdims)


def add_grad(a, b):
    """a + b for adjoints, where either may be None (zero) or a container."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, (list, tuple)) and not is_array(b):
        return type(a)(add_grad(p, q) for p, q in zip(a, b))
    if isinstance(a, dict):
        out = dict(a)
        for key, value in b.items():
            out[key] = add_grad(out.get(key), value)
        return out
    return a + b


def add_at(da, x, index, g):
    """da + (g placed at x[index] in zeros shaped like x). `da` is never modified."""
    if da is not None:
        if isinstance(x, (list, tuple)):
            da = list(da)
        elif isinstance(x, dict):
            da = dict(da)
        else:
            xp = x.xp if isinstance(x, ArrayShape) else array_module(x)
            da = xp.array(da, copy=True)  # da may be a NumPy scalar
    return add_in_place(da, x, index, g)


def add_in_place(da, x, index, g):
    """add_at that writes into `da` itself and returns it (None: a new zero). The transform
    uses it where `da` can only be the array or list an earlier add_at made for this adjoint,
    which nothing else holds (transform/inplace.py): a loop over x[i] then costs O(1) per
    step instead of a copy of the whole gradient."""
    if type(index) is int and type(da) is np.ndarray:  # one entry or row: the common case
        da[index] += g
        return da
    if isinstance(x, (list, tuple)):
        if da is None:
            da = [None] * len(x)
        if isinstance(index, slice):
            for position, item in zip(range(len(x))[index], _items(g, x[index])):
                da[position] = add_grad(da[position], item)
        else:
            da[index] = add_grad(da[index], g)
        return da
    if isinstance(x, dict):
        if da is None:
            da = {}
        da[index] = add_grad(da.get(index), g)
        return da
    if da is None:
        da = _zeros(x)
    if _is_row_index(index, da) and array_module(da) is np:
        _add_rows(da, index, g)
    elif _may_repeat(index):
        array_module(da).add.at(da, index, g)
    else:
        da[index] += g
    return da


def copy_slice(x, index):
    """A copy of x[index], saved before `x[index] = v` overwrites it."""
    if _may_repeat(index):
        hits = array_module(x).zeros(x.shape, np.int32)
        array_module(x).add.at(hits, index, 1)
        if int(hits.max(initial=0)) > 1:
            raise KnetError(
                "writing into an array through an index array with repeated entries "
                "(`h[[0, 2, 2]] = v`): NumPy keeps only the last value written to each entry, "
                "which knet_ast does not differentiate; write each entry once, or build the "
                "array with np.add.at-free code (e.g. a sum of one-hot products)")
    part = x[index]
    return part.copy() if is_array(part) else part


def zero_at(d, index):
    """d with zeros at `index` (a new array): the adjoint of an array before a write to
    `index`, whose old values there no longer reach the result."""
    out = array_module(d).array(d, copy=True)
    out[index] = 0
    return out


def add_field(da, x, field, g):
    """da + (g placed at field `field` of the namedtuple x)."""
    fields = getattr(x, "_fields", None)
    if fields is None or field not in fields:
        raise KnetError(
            f"cannot send a gradient through the attribute .{field} of a {type(x).__name__}: "
            "differentiated arguments are numbers, arrays, and lists, tuples (namedtuples "
            "included) and dicts of them")
    return add_at(da, x, fields.index(field), g)


def grad_item(dt, key, x):
    """The adjoint of element `key` of a container whose adjoint is `dt`."""
    if dt is None:
        return zeros_like_grad(x)
    item = dt.get(key) if isinstance(dt, dict) else dt[key]
    return zeros_like_grad(x) if item is None else item


def zeros_like_grad(x):
    """A zero adjoint with the structure, shape and dtype of `x`."""
    if is_array(x) or isinstance(x, ArrayShape):
        return _zeros(x)
    if isinstance(x, (list, tuple)):
        return _rebuild(x, [zeros_like_grad(v) for v in x])
    if isinstance(x, dict):
        return type(x)((k, zeros_like_grad(v)) for k, v in x.items())
    if isinstance(x, np.generic):
        return x.dtype.type(0)
    if isinstance(x, numbers.Number) and not isinstance(x, bool):
        return 0.0
    return None


def zeros_if_none(d, x):
    return zeros_like_grad(x) if d is None else d


def seed_gradient(y):
    """The incoming gradient 1 for a scalar result `y`."""
    if type(y) is float:
        return 1.0
    if isinstance(y, np.inexact):  # a NumPy scalar: 1 of its type
        return y.dtype.type(1)
    if isinstance(y, numbers.Number) and not isinstance(y, (bool, np.generic)):
        return 1.0
    if (is_array(y) or isinstance(y, np.generic)) and y.size == 1:
        return array_module(y).ones_like(y)
    raise NonScalarOutputError(_describe_nonscalar(y))


def finalize_grad(d, x):
    """Give the adjoint `d` the exact structure, shape, dtype and type of `x`."""
    if type(d) is np.ndarray and type(x) is np.ndarray and d.shape == x.shape and \
            d.dtype == x.dtype and d is not x and d.flags.writeable:
        return d  # the common case first: a fresh array of the right kind
    if type(x) is float and type(d) in _SCALAR_TYPES:
        return float(d)
    if type(x) is list and type(d) is list and len(d) == len(x):
        return [finalize_grad(part, v) for part, v in zip(d, x)]
    if isinstance(x, (list, tuple)):
        parts = [None] * len(x) if d is None else d
        return _rebuild(x, [finalize_grad(parts[i], v) for i, v in enumerate(x)])
    if isinstance(x, dict):
        return type(x)((k, finalize_grad(None if d is None else _get(d, k), v))
                       for k, v in x.items())
    if is_array(x):
        xp = array_module(x)
        dtype = x.dtype if xp.issubdtype(x.dtype, xp.inexact) else xp.float64  # ints: no truncating
        if d is None:
            return xp.zeros(x.shape, dtype)
        d = xp.asarray(d)
        if d.shape != x.shape:
            if d.size != x.size:
                raise KnetError(_wrong_shape(d, x))
            d = d.reshape(x.shape)
        if d.dtype != dtype:
            d = d.astype(dtype)
        if d is x or not d.flags.writeable:
            d = d.copy()
        return d
    if isinstance(x, np.generic):
        kind = x.dtype.type if np.issubdtype(x.dtype, np.inexact) else np.float64
        return kind(0 if d is None else d)
    if isinstance(x, numbers.Number) and not isinstance(x, bool):
        if d is not None and np.size(d) != 1:
            raise KnetError(_wrong_shape(d, x))
        return 0.0 if d is None else float(d)
    return None


def _wrong_shape(d, x):
    return (f"a gradient of shape {np.shape(d)} reached an argument of shape {np.shape(x)}. If "
            "you registered a rule (knet.defgrad, knet.primitive), its template must return the "
            "shape of its parameter: wrap it in unbroadcast(..., x) where NumPy broadcast x; "
            "otherwise this is a bug in knet_ast, please report it with the function")


def unshare(tree, seen=None):
    """Copy any array that appears twice in a gradient tree, so in-place updates stay apart."""
    if type(tree) in _SCALAR_TYPES or type(tree) is np.ndarray:
        if seen is None:
            return tree  # a single gradient shares with nothing
    elif seen is None and type(tree) is list and all(type(g) is np.ndarray for g in tree) and \
            len({id(g) for g in tree}) == len(tree):
        return tree  # the usual parameter list: all distinct arrays
    seen = set() if seen is None else seen
    if isinstance(tree, (list, tuple)):
        return _rebuild(tree, [unshare(item, seen) for item in tree])
    if isinstance(tree, dict):
        return type(tree)((k, unshare(v, seen)) for k, v in tree.items())
    if is_array(tree):
        if id(tree) in seen:
            return tree.copy()
        seen.add(id(tree))
    return tree


def _items(g, like):
    if g is None:
        return [None] * len(like)
    return list(g)


def _get(d, key):
    return d.get(key) if isinstance(d, dict) else d[key]


def _rebuild(like, values):
    if isinstance(like, tuple) and hasattr(like, "_fields"):  # namedtuple
        return type(like)(*values)
    if type(like) not in (list, tuple):  # a subclass (a Closure): its gradient is a plain tuple
        return tuple(values) if isinstance(like, tuple) else list(values)
    return type(like)(values)


def _is_row_index(index, out):
    """True for one integer array picking rows of a matrix or higher (an embedding lookup)."""
    return isinstance(index, np.ndarray) and index.dtype.kind in "iu" and out.ndim >= 2


def _add_rows(out, index, g):
    """out[index] += g, rows picked more than once adding up: the picked rows sorted and summed
    with np.add.reduceat, several times faster than np.add.at for embedding gradients."""
    if index.size == 0:
        return
    flat = index.reshape(-1).astype(np.intp, copy=False)
    flat = np.where(flat < 0, flat + out.shape[0], flat)
    rows = np.broadcast_to(g, index.shape + out.shape[1:]).reshape((flat.size,) + out.shape[1:])
    order = np.argsort(flat, kind="stable")
    picked = flat[order]
    starts = np.flatnonzero(np.concatenate([[True], picked[1:] != picked[:-1]]))
    out[picked[starts]] += np.add.reduceat(rows[order], starts, axis=0)


def _may_repeat(index):
    """True if `index` holds an integer array, whose entries can repeat."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, list) or (is_array(part) and part.dtype.kind in "iu"):
            return True
    return False


def _describe_nonscalar(y):
    shape = getattr(y, "shape", None)
    kind = type(y).__name__ + (f" of shape {tuple(shape)}" if shape is not None else "")
    return (f"the differentiated function must return a scalar, but it returned a {kind}; "
            "reduce it (np.sum, np.mean) or index one element")


# --- the transposes of the helpers above: the rules of a gradient's own gradient ---
def broadcast_like(g, like):
    """`g` spread to the shape of `like`: the transpose of unbroadcast(like, x)."""
    if like is None or g is None:
        return g
    shape = _shape(like)
    if _shape(g) == shape:
        return g
    return array_module(g).broadcast_to(g, shape)


def reduce_like(g, like, axis=None, keepdims=False):
    """`g` summed over `axis` to the shape of `like`: the transpose of unreduce(like, x, axis)."""
    if like is None or g is None:
        return g
    out = array_module(g).sum(g, axis=axis, keepdims=keepdims)
    return out.reshape(_shape(like)) if _shape(out) != _shape(like) else out


def mean_grad_back(g, like, x, y, axis=None, keepdims=False):
    """The transpose of mean_grad(like, x, y, axis, keepdims)."""
    count = math.prod(_shape(x)) // max(np.size(y), 1)
    out = reduce_like(g, like, axis, keepdims)
    return out / count if count and out is not None else out


def take_at(g, index, like):
    """The part of `g` at `index`, summed to the shape of `like`: the transpose of add_at."""
    part = None if g is None else g.get(index) if isinstance(g, dict) else g[index]
    if part is None:
        return zeros_like_grad(like)
    return unbroadcast(part, like) if is_array(part) else part


def grad_item_back(g, dt, key):
    """The transpose of grad_item(dt, key, x): `g` placed at `key` of a zero like `dt`."""
    return None if dt is None else add_at(None, dt, key, g)


def finalize_back(g, d):
    """The transpose of finalize_grad(d, x): `g` with the shape of `d` (None where d is)."""
    if d is None or g is None:  # d had no gradient yet: nothing reaches it
        return g
    if is_array(d) and is_array(g) and g.shape != d.shape:
        return g.reshape(d.shape)
    return g
