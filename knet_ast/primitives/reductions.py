"""Reductions and scans: sum, mean, prod, max/min, var/std, cumsum/cumprod, the nan* family,
average, norm and ptp, as functions and as array methods.

`axis` may be None, an int, negative, or a tuple wherever NumPy allows it;
`unreduce` puts the reduced axes back so the gradient broadcasts against `a`.
"""
import numpy as np

from ..errors import KnetError
from ..runtime.accumulate import unreduce, zeros_like_grad
from ..runtime.backend import array_module
from .registry import defgrad, method_like


def _axes(axis, ndim):
    """The reduced axes as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(sorted(int(a) % max(ndim, 1) for a in axes))


def _count(a, axis):
    """How many entries of `a` each output of a reduction over `axis` combines."""
    return int(np.prod([np.shape(a)[i] for i in _axes(axis, np.ndim(a))], dtype=np.int64))


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


def _exclusive_products(flat, xp):
    """For each entry along the last axis, the product of all the others (no division)."""
    ones = xp.ones(flat.shape[:-1] + (1,), flat.dtype)
    before = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], -1), -1)
    after = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(flat[..., 1:], -1)], -1), -1), -1)
    return before * after


def prod_grad(dy, a, axis=None, keepdims=False):
    """The gradient of prod(a, axis): dy times the product of the other entries, exact at zeros."""
    xp = array_module(a)
    a = xp.asarray(a)
    axes = _axes(axis, a.ndim)
    if a.size == 0:
        return xp.zeros(a.shape, a.dtype)
    ends = tuple(range(a.ndim - len(axes), a.ndim))
    moved = xp.moveaxis(a, axes, ends)
    others = _exclusive_products(moved.reshape(moved.shape[:a.ndim - len(axes)] + (-1,)), xp)
    return unreduce(dy, a, axis, keepdims) * xp.moveaxis(others.reshape(moved.shape), ends, axes)


def var_grad(dy, a, axis=None, ddof=0, keepdims=False):
    """The gradient of var(a, axis, ddof): 2 (a - mean) / (n - ddof)."""
    xp = array_module(a)
    a = xp.asarray(a)
    centred = a - a.mean(axis=axis, keepdims=True)
    return unreduce(dy, a, axis, keepdims) * centred * (2 / (_count(a, axis) - ddof))


def half_over(dy, y):
    """dy / (2 y), taken as 0 where y = 0 (std of equal values: 0 is a subgradient)."""
    xp = array_module(dy)
    zero = y == 0
    return xp.where(zero, 0 * dy, dy / (2 * xp.where(zero, 1, y)))


def std_grad(dy, a, y, axis=None, ddof=0, keepdims=False):
    """The gradient of std(a, axis, ddof) = sqrt(var): (a - mean) / ((n - ddof) std)."""
    return var_grad(half_over(dy, y), a, axis, ddof, keepdims)


def cumsum_grad(dy, a, axis=None):
    """The gradient of cumsum(a, axis): the reversed cumulative sum of dy (flattened for None)."""
    xp = array_module(dy)
    if axis is None:
        return xp.flip(xp.cumsum(xp.flip(dy.ravel()))).reshape(np.shape(a))
    return xp.flip(xp.cumsum(xp.flip(dy, axis), axis), axis)


def cumprod_grad(dy, a, y, axis=None):
    """The gradient of cumprod(a, axis): entry i gets sum over j >= i of dy_j * y_j / a_i,
    computed without dividing where `a` has zeros (then in O(n^2) along the axis)."""
    xp = array_module(dy)
    shape = np.shape(a)
    a = xp.asarray(a)
    if axis is None:
        a, dy, y, axis = a.ravel(), dy.ravel(), y.ravel(), 0
    if not bool((a == 0).any()):
        return cumsum_grad(dy * y, a, axis).reshape(shape) / a.reshape(shape)
    a, dy = xp.moveaxis(a, axis, -1), xp.moveaxis(dy, axis, -1)
    n = a.shape[-1]
    eye = xp.eye(n, dtype=bool)
    rows = xp.where(eye, xp.ones((), a.dtype), a[..., None, :])  # row i: a with a_i set to 1
    partial = xp.cumprod(rows, -1) * xp.triu(xp.ones((n, n), a.dtype))  # j >= i only
    grad = (partial * dy[..., None, :]).sum(-1)
    return xp.moveaxis(grad, -1, axis).reshape(shape)


def nan_mask(a, g):
    """g with zeros where `a` is NaN (those entries were left out of the reduction)."""
    xp = array_module(g)
    return xp.where(xp.isnan(a), xp.zeros((), g.dtype), g)


def _finite_count(a, axis):
    """How many non-NaN entries each output combines, in a's float dtype."""
    xp = array_module(a)
    return (~xp.isnan(a)).sum(axis=axis, keepdims=True).astype(a.dtype)


def nanmean_grad(dy, a, axis=None, keepdims=False):
    count = _finite_count(a, axis)
    return nan_mask(a, unreduce(dy, a, axis, keepdims) / count)


def nanvar_grad(dy, a, axis=None, ddof=0, keepdims=False):
    xp = array_module(a)
    count = _finite_count(a, axis)
    centred = a - xp.nanmean(a, axis=axis, keepdims=True)
    return nan_mask(a, unreduce(dy, a, axis, keepdims) * 2 * centred / (count - ddof))


def nanprod_grad(dy, a, axis=None, keepdims=False):
    xp = array_module(a)
    return nan_mask(a, prod_grad(dy, xp.where(xp.isnan(a), 1, a), axis, keepdims))


def average_grad(dy, a, y, axis, weights, keepdims, wrt):
    """The gradient of average(a, axis, weights) w.r.t. `a` (wrt='a') or `weights`
    (`returned=True` is not in the rule's signature, so such calls are refused)."""
    xp = array_module(a)
    a = xp.asarray(a)
    if weights is None:
        return unreduce(dy, a, axis, keepdims) / _count(a, axis)
    w = xp.asarray(weights)
    if w.shape != a.shape:  # 1-D weights along one axis
        shape = [1] * a.ndim
        shape[int(axis) % a.ndim] = w.size
        w = w.reshape(shape)
    g = unreduce(dy, a, axis, keepdims) / w.sum(axis=axis, keepdims=True)
    if wrt == "a":
        return g * w
    dw = g * (a - unreduce(y, a, axis, keepdims))
    if np.shape(weights) != a.shape:
        dw = dw.sum(axis=tuple(i for i in range(a.ndim) if i != int(axis) % a.ndim))
    return dw


def norm_grad(dy, x, y, ord=None, axis=None, keepdims=False):
    """The gradient of np.linalg.norm for every vector `ord` and the matrix norms
    'fro', 'nuc', 1, -1, 2, -2, inf, -inf (at ties, tied entries share the gradient)."""
    xp = array_module(x)
    x = xp.asarray(x)
    matrix = (axis is None and ord is not None and x.ndim == 2) or \
        (axis is not None and np.ndim(axis) == 1 and len(axis) == 2)
    if not matrix and axis is None:  # the flattened array
        v = x.ravel()
        dy, y = xp.broadcast_to(xp.reshape(dy, ()), v.shape), xp.reshape(y, ())
        return _vector_norm_grad(dy, v, xp.broadcast_to(y, v.shape), ord, None).reshape(x.shape)
    if not matrix:
        return _vector_norm_grad(unreduce(dy, x, axis, keepdims), x, unreduce(y, x, axis, keepdims),
                                 ord, axis)
    rows, cols = _axes(axis, x.ndim) if axis is None else tuple(int(a) % x.ndim for a in axis)
    if not keepdims:
        dy, y = xp.expand_dims(dy, sorted((rows, cols))), xp.expand_dims(y, sorted((rows, cols)))
    return dy * _matrix_norm_grad(x, y, ord, rows, cols)


def _vector_norm_grad(g, v, y, ord, axis):
    xp = array_module(v)
    sign = xp.sign(v)
    if ord is None or ord == 2:
        return g * v / xp.where(y == 0, 1, y)
    if ord == 1:
        return g * sign
    if ord == 0:
        return xp.zeros_like(g)
    if ord in (np.inf, -np.inf):
        return g * sign * extremum_share(xp.abs(v), y, axis, True)
    scale = xp.where(y == 0, 1, y) ** (ord - 1)
    return g * sign * xp.abs(v) ** (ord - 1) / scale


def _matrix_norm_grad(x, y, ord, rows, cols):
    xp = array_module(x)
    if ord in (None, "fro"):
        return x / xp.where(y == 0, 1, y)
    if ord in (1, -1, np.inf, -np.inf):
        summed = cols if ord in (np.inf, -np.inf) else rows  # 1: column sums; inf: row sums
        sums = xp.abs(x).sum(axis=summed, keepdims=True)
        return xp.sign(x) * extremum_share(sums, y, tuple(sorted((rows, cols))), True)
    m = xp.moveaxis(x, (rows, cols), (-2, -1))
    u, _, vh = xp.linalg.svd(m, full_matrices=False)
    if ord == "nuc":
        g = u @ vh
    elif ord in (2, -2):
        k = 0 if ord == 2 else -1
        g = u[..., :, k:k + 1 or None] @ vh[..., k:k + 1 or None, :]
    else:
        raise KnetError(f"np.linalg.norm with ord={ord!r} on a matrix is not differentiated")
    return xp.moveaxis(g, (-2, -1), (rows, cols))


def ptp_grad(dy, a, axis=None, keepdims=False):
    xp = array_module(a)
    a = xp.asarray(a)
    top, bottom = a.max(axis=axis, keepdims=True), a.min(axis=axis, keepdims=True)
    return unreduce(dy, a, axis, keepdims) * (extremum_share(a, top, axis, True)
                                              - extremum_share(a, bottom, axis, True))


_KERNELS = {fn.__name__: fn for fn in (
    extremum_share, first_extremum_grad, prod_grad, var_grad, std_grad, cumsum_grad, cumprod_grad,
    half_over, nan_mask, nanmean_grad, nanvar_grad, nanprod_grad, average_grad, norm_grad, ptp_grad)}
_SUM = "a, axis=None, dtype=None, out=None, keepdims=False"
_MAX = "a, axis=None, out=None, keepdims=False"
_VAR = "a, axis=None, dtype=None, out=None, ddof=0, keepdims=False"
_SCAN = "a, axis=None, dtype=None, out=None"


_REDUCTIONS = {  # name: (signature, template in `a`, functions)
    "sum": (_SUM, "unreduce(dy, a, axis, keepdims)", [np.sum]),
    "mean": (_SUM, "mean_grad(dy, a, y, axis, keepdims)", [np.mean]),
    "prod": (_SUM, "prod_grad(dy, a, axis, keepdims)", [np.prod]),
    "max": (_MAX, "unreduce(dy, a, axis, keepdims) * extremum_share(a, y, axis, keepdims)",
            [np.max, np.amax]),
    "min": (_MAX, "unreduce(dy, a, axis, keepdims) * extremum_share(a, y, axis, keepdims)",
            [np.min, np.amin]),
    "var": (_VAR, "var_grad(dy, a, axis, ddof, keepdims)", [np.var]),
    "std": (_VAR, "std_grad(dy, a, y, axis, ddof, keepdims)", [np.std]),
    "cumsum": (_SCAN, "cumsum_grad(dy, a, axis)", [np.cumsum]),
    "cumprod": (_SCAN, "cumprod_grad(dy, a, y, axis)", [np.cumprod]),
    "ptp": (_MAX, "ptp_grad(dy, a, axis, keepdims)", [np.ptp]),
}
for _method_name, (_signature, _template, _functions) in _REDUCTIONS.items():
    for _fn in _functions:
        defgrad(_fn, _signature, namespace=_KERNELS, a=_template)
    if _method_name != "ptp":  # ndarray.ptp was removed in NumPy 2
        method_like(_method_name, _functions[0])

defgrad(np.nansum, _SUM, namespace=_KERNELS, a="nan_mask(a, unreduce(dy, a, axis, keepdims))")
defgrad(np.nanmean, _SUM, namespace=_KERNELS, a="nanmean_grad(dy, a, axis, keepdims)")
defgrad(np.nanprod, _SUM, namespace=_KERNELS, a="nanprod_grad(dy, a, axis, keepdims)")
defgrad(np.nanvar, _VAR, namespace=_KERNELS, a="nanvar_grad(dy, a, axis, ddof, keepdims)")
defgrad(np.nanstd, _VAR, namespace=_KERNELS, a="nanvar_grad(half_over(dy, y), a, axis, ddof, keepdims)")
for _fn in (np.nanmax, np.nanmin):
    defgrad(_fn, _MAX, namespace=_KERNELS,
            a="unreduce(dy, a, axis, keepdims) * extremum_share(a, y, axis, keepdims)")
defgrad(np.average, "a, axis=None, weights=None, *, keepdims=False", namespace=_KERNELS,
        a="average_grad(dy, a, y, axis, weights, keepdims, 'a')",
        weights="average_grad(dy, a, y, axis, weights, keepdims, 'weights')")
defgrad(np.linalg.norm, "x, ord=None, axis=None, keepdims=False", namespace=_KERNELS,
        x="norm_grad(dy, x, y, ord, axis, keepdims)")

for _fn in (max, min):  # max(a, b) is read as max([a, b])
    defgrad(_fn, "iterable", namespace=_KERNELS, sequences=["iterable"],
            iterable="first_extremum_grad(dy, iterable, y)")
