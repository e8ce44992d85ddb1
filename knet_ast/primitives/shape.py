"""Shape and assembly: reshaping, transposing, flipping and rolling, joining and splitting,
tiling and repeating, padding, sorting and taking, building arrays from lists; and the
non-differentiable shape queries, index functions and constructors."""
import numpy as np

from ..errors import KnetError
from ..runtime.accumulate import unbroadcast, unreduce, zeros_if_none, zeros_like_grad
from ..runtime.backend import array_module, is_array
from ..runtime.iteration import as_sequence, dict_from, make_closure
from . import registry
from .registry import defattr, defgrad, defmethod, method_like, nondiff


def _integer(y):
    """True if y is not a float (or complex) value: an integer or boolean output, which carries
    no gradient."""
    return not np.issubdtype(np.result_type(y), np.inexact)


def transpose_back(dy, axes):
    """Undo a transpose by `axes` (None, a tuple, or the tuple of *axes given to .transpose)."""
    if axes is not None and len(axes) == 1 and not isinstance(axes[0], int):
        axes = axes[0]
    if axes is None or len(axes) == 0:
        return dy.transpose()
    return dy.transpose(np.argsort([a % dy.ndim for a in axes]))


def cast_back(dy, x, y):
    """The gradient of y = x.astype(t): cast back to x's dtype; zero if t is not a float type."""
    if _integer(y):
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


def tolist_back(dy, x):
    """The gradient of x.tolist(): the nested list dy (None where unused) as an array like x."""
    xp = array_module(x)
    if np.ndim(x) == 0:
        return xp.asarray(0 if dy is None else dy, x.dtype)
    if dy is None:
        return xp.zeros(x.shape, x.dtype)
    return xp.stack([tolist_back(d, row) for d, row in zip(dy, x)])


def reshape_back(dy, a, order="C"):
    """Undo a reshape/ravel/flatten that read `a` in `order` ('C', 'F', or 'A'/'K' resolved
    from a's memory layout as NumPy does)."""
    if order in ("A", "K"):
        layout = getattr(a, "flags", None)
        fortran = layout is not None and layout.f_contiguous and not layout.c_contiguous
        if order == "K" and layout is not None and not (layout.c_contiguous or layout.f_contiguous):
            raise KnetError("ravel(order='K') of an array that is neither C- nor Fortran-ordered "
                            "is not differentiated; use order='C' or 'F'")
        order = "F" if fortran else "C"
    return dy.reshape(np.shape(a), order=order)


_KERNELS = {"transpose_back": transpose_back, "cast_back": cast_back, "item_back": item_back,
            "reshape_back": reshape_back,
            "tolist_back": tolist_back}
_RESHAPE_BACK = "dy.reshape(np.shape({}))"

defgrad(np.reshape, "a, shape=None, order='C', newshape=None", namespace=_KERNELS,
        a="reshape_back(dy, a, order)")
defgrad(np.ravel, "a, order='C'", namespace=_KERNELS, a="reshape_back(dy, a, order)")
defgrad(np.squeeze, "a, axis=None", a=_RESHAPE_BACK.format("a"))
defgrad(np.expand_dims, "a, axis", a=_RESHAPE_BACK.format("a"))
defgrad(np.transpose, "a, axes=None", a="transpose_back(dy, axes)", namespace=_KERNELS)
defgrad(np.copy, "a, order='K'", a="dy")

defmethod("reshape", "self, *shape, order='C'", namespace=_KERNELS,
          self="reshape_back(dy, self, order)")
for method in ("ravel", "flatten"):
    defmethod(method, "self, order='C'", namespace=_KERNELS, self="reshape_back(dy, self, order)")
defmethod("squeeze", "self, axis=None", self=_RESHAPE_BACK.format("self"))
defmethod("transpose", "self, *axes", self="transpose_back(dy, axes)", namespace=_KERNELS)
defmethod("astype", "self, dtype, *args, **kwargs", self="cast_back(dy, self, y)",
          namespace=_KERNELS)
defmethod("copy", "self, order='C'", self="dy")
defmethod("item", "self, *args", self="item_back(dy, self, args)", namespace=_KERNELS)
defmethod("tolist", "self", self="tolist_back(dy, self)", namespace=_KERNELS)
defattr("T", self="dy.T")
defattr("real", self="dy")  # real arrays only: complex numbers are not differentiated

nondiff(len, range, int, bool, isinstance, type, print, np.shape, np.ndim, np.size,
        np.argmax, np.argmin, np.argsort, np.argpartition, np.lexsort, np.nonzero,
        np.flatnonzero, np.argwhere, np.count_nonzero, np.searchsorted, np.digitize, np.any,
        np.all, np.zeros, np.ones, np.empty, np.eye, np.identity, np.tri, np.zeros_like,
        np.ones_like, np.empty_like, np.indices, np.diag_indices, np.tril_indices,
        np.triu_indices, np.ravel_multi_index, np.unravel_index, np.broadcast_shapes,
        np.result_type, np.can_cast, np.iscomplexobj, np.isrealobj, np.isscalar,
        np.may_share_memory, np.shares_memory, np.random.rand, np.random.randn,
        np.random.random, np.random.random_sample, np.random.randint, np.random.seed,
        np.random.standard_normal, np.random.default_rng)

defgrad(np.moveaxis, "a, source, destination", a="np.moveaxis(dy, destination, source)")
defgrad(np.swapaxes, "a, axis1, axis2", a="np.swapaxes(dy, axis1, axis2)")
method_like("swapaxes", np.swapaxes)


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
    if y is not None and _integer(y):
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


def dict_values_back(dy, d):
    """The gradient of d.values() (a view, used like a list) sent back to the dict d."""
    return {key: item for key, item in zip(d, dy) if item is not None}


def dict_values_grad(dy, keys, values):
    """The gradient of dict_from(keys, values) sent back to the list of values (a later equal
    key overwrites an earlier one, so only the last of equal keys receives it)."""
    last = {key: i for i, key in enumerate(keys)}
    return [None if dy is None or last[key] != i else dy.get(key) for i, key in enumerate(keys)]


_ASSEMBLY = {"list_grad": list_grad, "dict_values_grad": dict_values_grad,
             "dict_values_back": dict_values_back, "stack_grad": stack_grad, "concatenate_grad": concatenate_grad,
             "array_grad": array_grad, "sum_items_grad": sum_items_grad}

defgrad(dict_from, "keys, values", values="dict_values_grad(dy, keys, values)",
        namespace=_ASSEMBLY, sequences=["values"])
defgrad(make_closure, "function, names, values", values="list(dy)", sequences=["values"])
for _fn in (list, tuple):
    defgrad(_fn, "iterable=()", iterable="list_grad(dy, iterable)", namespace=_ASSEMBLY,
            sequences=["iterable"])
for _fn in (np.float64, np.float32, np.float16):  # np.float64(x): a cast, like float(x)
    defgrad(_fn, "x=0", x="dy")
defmethod("values", "self", self="dict_values_back(dy, self)", namespace=_ASSEMBLY)
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

# the iterable of a `for` loop: the very object (a list, a tuple, an array's rows), or a dict's keys
defgrad(as_sequence, "x", x="dy", sequences=["x"])
registry.SEQUENCE_OUTPUTS.add(as_sequence)


# --- joining and splitting ---
def _promoted_shape(a, promote):
    """The shape np.hstack & co. give `a` before joining (atleast_2d, a column, ...)."""
    return np.shape(promote(np.broadcast_to(False, np.shape(a))))


def _as_column(a):
    return a if a.ndim >= 2 else np.atleast_2d(a).T


_JOINS = {  # how each function promotes its inputs, and the axis it joins them along
    "hstack": (np.atleast_1d, lambda ndim: 0 if ndim == 1 else 1),
    "vstack": (np.atleast_2d, lambda ndim: 0),
    "dstack": (np.atleast_3d, lambda ndim: 2),
    "column_stack": (_as_column, lambda ndim: 1),
}


def joined_grad(dy, arrays, kind):
    """The pieces of dy that came from each input of np.hstack/vstack/dstack/column_stack."""
    promote, axis_for = _JOINS[kind]
    shapes = [_promoted_shape(a, promote) for a in arrays]
    axis = axis_for(len(shapes[0]))
    ends = np.cumsum([shape[axis] for shape in shapes])[:-1]
    pieces = array_module(dy).split(dy, [int(e) for e in ends], axis=axis)
    return [piece.reshape(np.shape(a)) for piece, a in zip(pieces, arrays)]


def split_grad(dy, y, axis):
    """The gradient of the pieces y = np.split(ary, ..., axis) joined back (unused ones: zeros)."""
    pieces = [zeros_like_grad(piece) if d is None else d for d, piece in zip(dy, y)]
    return array_module(pieces[0]).concatenate(pieces, axis=axis)


def hsplit_axis(ary):
    return 0 if np.ndim(ary) == 1 else 1


# --- tiling, repeating, padding ---
def tile_grad(dy, a, reps):
    """The gradient of np.tile(a, reps): dy seen as (reps_i, shape_i) blocks, summed over reps."""
    reps = (int(reps),) if np.ndim(reps) == 0 else tuple(reps)
    shape = np.shape(a)
    ndim = max(len(shape), len(reps))
    shape_p, reps_p = (1,) * (ndim - len(shape)) + shape, (1,) * (ndim - len(reps)) + reps
    blocks = dy.reshape([n for pair in zip(reps_p, shape_p) for n in pair])
    return blocks.sum(axis=tuple(range(0, 2 * ndim, 2))).reshape(shape)


def repeat_grad(dy, a, repeats, axis=None):
    """The gradient of np.repeat(a, repeats, axis): each entry collects its copies."""
    xp = array_module(dy)
    shape = np.shape(a)
    if axis is None:
        dy, axis, shape_r = dy.ravel(), 0, (int(np.prod(shape, dtype=np.int64)),)
    else:
        axis, shape_r = axis % len(shape), shape
    n = shape_r[axis]
    if np.size(repeats) == 1:
        r = int(np.ravel(repeats)[0])
        g = dy.reshape(dy.shape[:axis] + (n, r) + dy.shape[axis + 1:]).sum(axis + 1)
    else:
        owner = xp.asarray(np.repeat(np.arange(n), np.asarray(repeats)))
        g = xp.zeros(shape_r, dy.dtype)
        xp.add.at(g, (slice(None),) * axis + (owner,), dy)
    return g.reshape(shape)


def pad_grad(dy, array, pad_width, mode, constant_values, wrt):
    """The gradient of np.pad(array, pad_width) in 'constant' mode: the middle of dy (for the
    array) or the sum of the padding (for a scalar constant_values)."""
    if mode != "constant":
        raise KnetError(f"np.pad is differentiated in mode='constant' only, not mode={mode!r}: "
                        "pad with np.concatenate of slices instead")
    if wrt == "constant" and np.ndim(constant_values) != 0:
        raise KnetError("np.pad's constant_values is differentiated when it is one number; "
                        "pad with np.concatenate to give each side its own differentiated value")
    if isinstance(pad_width, dict):
        raise KnetError("np.pad with a dict of pad widths is not differentiated; pass one "
                        "(before, after) pair per axis")
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (np.ndim(array), 2))
    middle = tuple(slice(int(before), int(before) + n) for (before, _), n in
                   zip(widths, np.shape(array)))
    inner = dy[middle]
    return inner if wrt == "array" else dy.sum() - inner.sum()


# --- sorting and taking ---
def sort_grad(dy, a, axis=-1):
    """The gradient of np.sort(a, axis): dy sent back through the sorting permutation (tied
    values take the gradient of the positions a stable sort gives them)."""
    xp = array_module(dy)
    a = xp.asarray(a)
    if axis is None:
        return sort_grad(dy, a.ravel(), 0).reshape(a.shape)
    order = xp.argsort(a, axis=axis, kind="stable")
    return xp.take_along_axis(dy, xp.argsort(order, axis=axis), axis=axis)


def _normalize_indices(indices, n, mode):
    if mode == "wrap":
        return indices % n
    if mode == "clip":
        return np.clip(indices, 0, n - 1)
    return indices


def take_grad(dy, a, indices, axis=None, mode="raise"):
    """The gradient of np.take(a, indices, axis): dy added at the taken entries (repeats add)."""
    xp = array_module(dy)
    shape = np.shape(a)
    out = xp.zeros(int(np.prod(shape, dtype=np.int64)) if axis is None else shape, dy.dtype)
    axis_ = 0 if axis is None else axis % len(shape)
    index = _normalize_indices(xp.asarray(indices), out.shape[axis_], mode)
    xp.add.at(out, (slice(None),) * axis_ + (index,), dy)
    return out.reshape(shape)


def take_along_axis_grad(dy, arr, indices, axis):
    """The gradient of np.take_along_axis(arr, indices, axis)."""
    xp = array_module(dy)
    shape = np.shape(arr)
    if axis is None:
        return take_grad(dy, arr, indices)
    axis = axis % len(shape)
    grids = list(xp.indices(dy.shape, sparse=True))
    grids = [g % n for g, n in zip(grids, shape)]  # a size-1 axis of arr broadcast by indices
    grids[axis] = xp.asarray(indices)
    out = xp.zeros(shape, dy.dtype)
    xp.add.at(out, tuple(grids), dy)
    return out


def roll_back(dy, shift, axis=None):
    """Undo np.roll(a, shift, axis)."""
    back = -shift if np.ndim(shift) == 0 else tuple(-s for s in shift)
    return array_module(dy).roll(dy, back, axis)


def diff_grad(dy, a, n=1, axis=-1):
    """The gradient of np.diff(a, n, axis): n times, d(a[1:] - a[:-1])."""
    xp = array_module(dy)
    axis = axis % np.ndim(a)
    for _ in range(n):
        widths = [(0, 0)] * dy.ndim
        before, after = list(widths), list(widths)
        before[axis], after[axis] = (1, 0), (0, 1)
        dy = xp.pad(dy, before) - xp.pad(dy, after)
    return dy


# --- constructors whose fill value can carry a gradient (none if they make integers) ---
def fill_grad(dy, fill_value, y):
    """The gradient of np.full(shape, fill_value) and np.full_like."""
    return zeros_like_grad(fill_value) if _integer(y) else unbroadcast(dy, fill_value)


def linspace_grad(dy, start, stop, num, endpoint, axis, y, wrt):
    """The gradient of np.linspace(start, stop, num): out = start + t (stop - start)."""
    target = start if wrt == "start" else stop
    if _integer(y):
        return zeros_like_grad(target)
    xp = array_module(dy)
    t = xp.linspace(0.0, 1.0, num, endpoint=endpoint, dtype=dy.dtype)
    shape = [1] * dy.ndim
    shape[axis % dy.ndim] = num
    weight = t.reshape(shape) if wrt == "stop" else 1 - t.reshape(shape)
    return unbroadcast((dy * weight).sum(axis=axis % dy.ndim), target)


def arange_grad(dy, start, stop, step, y, wrt):
    """The gradient of np.arange(start, stop, step) = start + i * step (a single argument is
    `stop`, which only sets the length)."""
    if stop is None or _integer(y):
        return 0.0 * dy.sum()
    if wrt == "start":
        return dy.sum()
    return (dy * array_module(dy).arange(dy.size)).sum()


_SHAPES = {fn.__name__: fn for fn in (
    joined_grad, split_grad, hsplit_axis, tile_grad, repeat_grad, pad_grad, sort_grad, take_grad,
    take_along_axis_grad, roll_back, diff_grad, fill_grad, linspace_grad, arange_grad)}

defgrad(np.broadcast_to, "array, shape, subok=False", array="unbroadcast(dy, array)")
for _kind in _JOINS:
    defgrad(getattr(np, _kind), "tup", namespace=_SHAPES, sequences=["tup"],
            tup=f"joined_grad(dy, tup, {_kind!r})")
if hasattr(np, "row_stack") and np.row_stack is not np.vstack:  # deprecated alias
    defgrad(np.row_stack, "tup", namespace=_SHAPES, sequences=["tup"],
            tup="joined_grad(dy, tup, 'vstack')")
for _fn in (np.split, np.array_split):
    defgrad(_fn, "ary, indices_or_sections, axis=0", namespace=_SHAPES,
            ary="split_grad(dy, y, axis)")
defgrad(np.hsplit, "ary, indices_or_sections", namespace=_SHAPES,
        ary="split_grad(dy, y, hsplit_axis(ary))")
defgrad(np.vsplit, "ary, indices_or_sections", namespace=_SHAPES, ary="split_grad(dy, y, 0)")
defgrad(np.dsplit, "ary, indices_or_sections", namespace=_SHAPES, ary="split_grad(dy, y, 2)")

defgrad(np.tile, "A, reps", namespace=_SHAPES, A="tile_grad(dy, A, reps)")
defgrad(np.repeat, "a, repeats, axis=None", namespace=_SHAPES, a="repeat_grad(dy, a, repeats, axis)")
method_like("repeat", np.repeat)
defgrad(np.pad, "array, pad_width, mode='constant', *, constant_values=0", namespace=_SHAPES,
        array="pad_grad(dy, array, pad_width, mode, constant_values, 'array')",
        constant_values="pad_grad(dy, array, pad_width, mode, constant_values, 'constant')")

defgrad(np.flip, "m, axis=None", m="np.flip(dy, axis)")
defgrad(np.fliplr, "m", m="np.fliplr(dy)")
defgrad(np.flipud, "m", m="np.flipud(dy)")
defgrad(np.roll, "a, shift, axis=None", namespace=_SHAPES, a="roll_back(dy, shift, axis)")
defgrad(np.rot90, "m, k=1, axes=(0, 1)", m="np.rot90(dy, -k, axes)")
for _fn in (np.atleast_1d, np.atleast_2d, np.atleast_3d):
    defgrad(_fn, "ary", ary=_RESHAPE_BACK.format("ary"))
defgrad(np.ascontiguousarray, "a, dtype=None", a="array_grad(dy, a, y)", namespace=_ASSEMBLY)
defgrad(np.asfortranarray, "a, dtype=None", a="array_grad(dy, a, y)", namespace=_ASSEMBLY)
defgrad(np.asanyarray, "a, dtype=None, order=None", a="array_grad(dy, a, y)", namespace=_ASSEMBLY)
defgrad(np.diff, "a, n=1, axis=-1", namespace=_SHAPES, a="diff_grad(dy, a, n, axis)")

defgrad(np.sort, "a, axis=-1, kind=None, order=None", namespace=_SHAPES, a="sort_grad(dy, a, axis)")
defgrad(np.take, "a, indices, axis=None, out=None, mode='raise'", namespace=_SHAPES,
        a="take_grad(dy, a, indices, axis, mode)")
method_like("take", np.take)
defgrad(np.take_along_axis, "arr, indices, axis", namespace=_SHAPES,
        arr="take_along_axis_grad(dy, arr, indices, axis)")
defgrad(np.bincount, "x, weights=None, minlength=0", weights="dy[x]")

defgrad(np.full, "shape, fill_value, dtype=None, order='C'", namespace=_SHAPES,
        fill_value="fill_grad(dy, fill_value, y)")
defgrad(np.full_like, "a, fill_value, dtype=None, order='K', subok=True, shape=None",
        namespace=_SHAPES, fill_value="fill_grad(dy, fill_value, y)")
defgrad(np.linspace, "start, stop, num=50, endpoint=True, *, dtype=None, axis=0", namespace=_SHAPES,
        start="linspace_grad(dy, start, stop, num, endpoint, axis, y, 'start')",
        stop="linspace_grad(dy, start, stop, num, endpoint, axis, y, 'stop')")
defgrad(np.arange, "start, stop=None, step=None, dtype=None", namespace=_SHAPES,
        start="arange_grad(dy, start, stop, step, y, 'start')",
        step="arange_grad(dy, start, stop, step, y, 'step')")

# --- random numbers: location and scale carry gradients (the reparametrisation trick) ---
def uniform_fraction(y, low, high):
    """u in y = low + (high - low) u; where high == low every u gives y, and 1/2 splits dy."""
    xp = array_module(y)
    width = xp.asarray(high - low)
    return xp.where(width == 0, 0.5, (y - low) / xp.where(width == 0, 1, width))


_SHAPES["uniform_fraction"] = uniform_fraction
_NORMAL = dict(loc="unbroadcast(dy, loc)", scale="unbroadcast(dy * (y - loc) / scale, scale)")
_UNIFORM = dict(low="unbroadcast(dy * (1 - uniform_fraction(y, low, high)), low)",
                high="unbroadcast(dy * uniform_fraction(y, low, high), high)")
defgrad(np.random.normal, "loc=0.0, scale=1.0, size=None", **_NORMAL)
defgrad(np.random.uniform, "low=0.0, high=1.0, size=None", namespace=_SHAPES, **_UNIFORM)
defmethod("normal", "self, loc=0.0, scale=1.0, size=None", **_NORMAL)
defmethod("uniform", "self, low=0.0, high=1.0, size=None", namespace=_SHAPES, **_UNIFORM)
