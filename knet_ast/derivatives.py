"""Forward mode and what is built on it: jvp, hvp, jacobian, hessian.

`jvp` generates tangent code (transform/forward.py). `hvp` is forward over
reverse: the tangent code of the generated gradient. `jacobian` takes one
reverse pass per output entry (a vector-Jacobian product with a one-hot
incoming gradient) or, when there are fewer input entries than output
entries, one forward pass per input entry; `hessian` is one hvp per input
entry. The differentiated argument may be a number, an array, or a
list/tuple/dict of them; results keep that structure.
"""
import numpy as np

from .api import GradFunction, grad
from .errors import KnetError
from .runtime.backend import array_module, is_array
from .transform.pipeline import build_jvp


class JvpFunction(GradFunction):
    """The Jacobian-vector product of a function, computed by generated tangent code.

    `jf(*args, tangent=v)` returns (value, directional derivative of the value along v),
    v shaped like the differentiated argument (a tuple of them for a tuple `wrt`).
    `.source` is the tangent code.

    Examples
    --------
    >>> def f(x):
    ...     return np.sin(x) * x
    >>> value, slope = knet.jvp(f)(2.0, tangent=1.0)       # sin x + x cos x
    >>> bool(np.isclose(slope, np.sin(2.0) + 2.0 * np.cos(2.0)))
    True
    >>> print(knet.jvp(f).source)                          # doctest: +ELLIPSIS
    def jvp_f(dx, x):
    ...
    """

    kind = "jvp"

    def _build(self):
        return build_jvp(self.primal, self.wrt, self.verbose)

    def __call__(self, *args, tangent, **kwargs):
        tangents = tuple(tangent) if self._wrt_tuple else (tangent,)
        if len(tangents) != len(self.wrt):
            raise KnetError(f"{self!r} takes one tangent per differentiated argument "
                            f"({len(self.wrt)}), got {len(tangents)}")
        return self._run(tangents, args, kwargs)


class _VjpFunction(GradFunction):
    """The vector-Jacobian product: `vf(*args, cotangent=u)` is the gradient of
    sum(f(*args) * u) (used by jacobian, row by row)."""

    kind = "vjp"

    def __call__(self, *args, cotangent, **kwargs):
        return self._run((cotangent,), args, kwargs)[1]


def jvp(func=None, wrt=0, verbose=0):
    """The Jacobian-vector product of `func` w.r.t. argument `wrt`, by forward mode.

    Returns a function called like `func` plus `tangent=v`, which returns
    (value, derivative along v). `.source` shows the generated tangent code.

    Examples
    --------
    >>> def f(w, x):
    ...     return np.sum(np.tanh(x @ w))
    >>> w, x, v = np.ones((3, 2)), np.ones((4, 3)) * 0.1, np.ones((3, 2))
    >>> value, dvalue = knet.jvp(f)(w, x, tangent=v)
    >>> bool(np.isclose(dvalue, np.sum(knet.grad(f)(w, x) * v)))
    True
    """
    if func is None:
        return lambda f: JvpFunction(f, wrt, False, verbose)
    return JvpFunction(func, wrt, False, verbose)


class HvpFunction:
    """The Hessian-vector product of a scalar function (forward over reverse).

    `hf(*args, tangent=v)` returns H v, shaped like the differentiated argument;
    `.source` is the tangent code of the generated gradient.

    Examples
    --------
    >>> def f(x):
    ...     return np.sum(np.sin(x))
    >>> hf = knet.hvp(f)
    >>> hf(np.array([0.0, np.pi / 2]), tangent=np.array([1.0, 1.0]))    # -sin(x) * v
    array([-0., -1.])
    >>> print(hf.source)                                                # doctest: +ELLIPSIS
    def jvp_grad_f(d_x, x):
    ...
    """

    def __init__(self, func, wrt=0, verbose=0):
        self.gradient = grad(func, wrt=wrt, verbose=verbose)
        self.tangent_code = JvpFunction(self.gradient, self.gradient.wrt[0], False, verbose)
        self.primal, self.wrt = func, self.gradient.wrt

    @property
    def source(self):
        return self.tangent_code.source

    def __call__(self, *args, tangent, **kwargs):
        return self.tangent_code(*args, tangent=tangent, **kwargs)[1]

    def __repr__(self):
        return f"<knet_ast hvp of {self.primal.__qualname__} w.r.t. {', '.join(self.wrt)}>"


def hvp(func, wrt=0, verbose=0):
    """The Hessian-vector product of the scalar function `func` w.r.t. argument `wrt`:
    the generated gradient, differentiated in forward mode (forward over reverse).

    Examples
    --------
    >>> def f(x):
    ...     return np.sum(x ** 3)
    >>> knet.hvp(f)(np.array([1.0, 2.0]), tangent=np.array([1.0, 0.0]))    # 6 x * v
    array([6., 0.])
    """
    if not isinstance(wrt, (int, str)):
        raise KnetError("knet.hvp differentiates one argument: pass wrt as one index or name")
    return HvpFunction(func, wrt, verbose)


def jacobian(func, wrt=0, mode="auto"):
    """The Jacobian of `func` (an array- or number-valued function) w.r.t. argument `wrt`.

    The result has shape `output.shape + input.shape`; for a list/tuple/dict argument, the
    same structure with one such block per entry. `mode="reverse"` takes one gradient pass
    per output entry, `"forward"` one tangent pass per input entry, `"auto"` the fewer.

    Examples
    --------
    >>> def f(x):
    ...     return np.array([x[0] * x[1], np.sin(x[0])])
    >>> knet.jacobian(f)(np.array([1.0, 2.0])).round(4)
    array([[2.    , 1.    ],
           [0.5403, 0.    ]])
    """
    if mode not in ("auto", "reverse", "forward"):
        raise KnetError(f"jacobian mode={mode!r}: use 'auto', 'reverse' or 'forward'")
    if not isinstance(wrt, (int, str)):
        raise KnetError("knet.jacobian differentiates one argument: pass wrt as one index or name")
    forward = JvpFunction(func, wrt)
    reverse = _VjpFunction(func, wrt)
    position = forward._wrt_places[0][1]
    name = forward.wrt[0]

    def jacobian_function(*args, **kwargs):
        x = args[position] if position < len(args) else kwargs[name]
        y = func(*args, **kwargs)
        if not (is_array(y) or isinstance(y, (float, int, np.number))):
            raise KnetError(f"knet.jacobian of {func.__qualname__}: the function returned a "
                            f"{type(y).__name__}; it must return an array or a number")
        n_in, n_out = sum(np.size(leaf) for leaf in _leaves(x)), np.size(y)
        use_forward = mode == "forward" or (mode == "auto" and n_in < n_out)
        if use_forward:
            columns = [forward(*args, tangent=e, **kwargs)[1] for e in _basis(x)]
            return _assemble_columns(x, columns, np.shape(y))
        xp = array_module(y) if is_array(y) else np
        rows = []
        for k in range(n_out):
            seed = xp.zeros(np.shape(y), _dtype(y))
            seed.reshape(-1)[k] = 1
            rows.append(reverse(*args, cotangent=seed if np.ndim(y) else seed[()], **kwargs))
        return _assemble_rows(x, rows, np.shape(y))

    return jacobian_function


def hessian(func, wrt=0):
    """The Hessian of the scalar function `func` w.r.t. argument `wrt`, one Hessian-vector
    product (forward over reverse) per input entry.

    The result has shape `x.shape + x.shape`; for a list/tuple/dict argument, blocks
    `h[i][j]` of shape `x[i].shape + x[j].shape`.

    Examples
    --------
    >>> def f(x):
    ...     return x[0] ** 2 * x[1]
    >>> knet.hessian(f)(np.array([1.0, 3.0]))
    array([[6., 2.],
           [2., 0.]])
    """
    product = hvp(func, wrt)
    position = product.gradient._wrt_places[0][1]
    name = product.wrt[0]

    def hessian_function(*args, **kwargs):
        x = args[position] if position < len(args) else kwargs[name]
        columns = [product(*args, tangent=e, **kwargs) for e in _basis(x)]
        return _assemble_columns(x, columns, None)

    return hessian_function


# --- structured arguments: leaves, one-hot directions, blocks ---
def _leaves(x):
    """The numbers and arrays of a (nested) list/tuple/dict, in order."""
    if isinstance(x, dict):
        return [leaf for value in x.values() for leaf in _leaves(value)]
    if isinstance(x, (list, tuple)):
        return [leaf for value in x for leaf in _leaves(value)]
    return [x]


def _rebuild(x, leaves):
    """x's structure with its leaves replaced, in order, by `leaves` (an iterator)."""
    if isinstance(x, dict):
        return type(x)((key, _rebuild(value, leaves)) for key, value in x.items())
    if isinstance(x, (list, tuple)):
        items = [_rebuild(value, leaves) for value in x]
        return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
    return next(leaves)


def _dtype(x):
    dtype = getattr(x, "dtype", np.float64)
    return dtype if np.issubdtype(dtype, np.inexact) else np.float64


def _zero(leaf):
    if is_array(leaf):
        return array_module(leaf).zeros(leaf.shape, _dtype(leaf))
    return 0.0


def _basis(x):
    """One direction per entry of x: x's structure, zeros but a one at that entry."""
    leaves = _leaves(x)
    for i, leaf in enumerate(leaves):
        for k in range(int(np.size(leaf))):
            parts = [_zero(other) for other in leaves]
            if is_array(leaf):
                parts[i].reshape(-1)[k] = 1
            else:
                parts[i] = 1.0
            yield _rebuild(x, iter(parts))


def _assemble_columns(x, columns, out_shape):
    """Blocks of a Jacobian from its columns (one per entry of x, each shaped like the
    output, or like x itself when out_shape is None: a Hessian)."""
    leaves, start = _leaves(x), 0
    blocks = []
    for leaf in leaves:
        n = int(np.size(leaf))
        mine = columns[start:start + n]
        start += n
        if out_shape is None:  # Hessian: each column is shaped like x
            parts = [_stack_last([_leaves(c)[j] for c in mine], np.shape(leaf))
                     for j in range(len(leaves))]
            blocks.append(_rebuild(x, iter(parts)))
        else:
            blocks.append(_stack_last(mine, np.shape(leaf)))
    if out_shape is None:
        if len(leaves) == 1 and not isinstance(x, (list, tuple, dict)):
            return _leaves(blocks[0])[0]
        # h[i][j]: blocks[j] holds d(grad)/d(x_j) for every i
        return _rebuild(x, iter([_rebuild(x, iter([_leaves(blocks[j])[i]
                                                    for j in range(len(leaves))]))
                                 for i in range(len(leaves))]))
    return _rebuild(x, iter(blocks))


def _stack_last(columns, in_shape):
    """Columns (each of the output's shape) stacked along new trailing axes of `in_shape`."""
    arrays = [c if is_array(c) else np.asarray(c) for c in columns]
    xp = array_module(arrays[0]) if arrays and is_array(arrays[0]) else np
    out = xp.stack(arrays, axis=-1) if arrays else xp.zeros((0,))
    return out.reshape(np.shape(arrays[0]) + tuple(in_shape)) if in_shape else out[..., 0]


def _assemble_rows(x, rows, out_shape):
    """Blocks of a Jacobian from its rows (one per output entry, each shaped like x)."""
    leaves = len(_leaves(x))
    blocks = []
    for j in range(leaves):
        parts = [_leaves(row)[j] for row in rows]
        arrays = [p if is_array(p) else np.asarray(p) for p in parts]
        xp = array_module(arrays[0]) if is_array(arrays[0]) else np
        stacked = xp.stack(arrays)
        blocks.append(stacked.reshape(tuple(out_shape) + np.shape(arrays[0])))
    return _rebuild(x, iter(blocks))


__all__ = ["jvp", "hvp", "jacobian", "hessian", "JvpFunction", "HvpFunction"]
