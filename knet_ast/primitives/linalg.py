"""Linear algebra: products (dot, matmul, vdot, inner, outer, tensordot, einsum, kron, cross),
diagonals and triangles, and np.linalg (inv, det, slogdet, solve, cholesky, eigh, pinv).

Matrix functions act on the last two axes and broadcast over the leading ones,
as NumPy does. cholesky and eigh read one triangle of a symmetric matrix; their
gradients are given symmetric (the convention of autograd and JAX), which is
the gradient w.r.t. any symmetric parametrisation of the input.
"""
import string

import numpy as np

from ..errors import KnetError
from ..runtime.accumulate import unbroadcast
from ..runtime.backend import array_module
from .reductions import _exclusive_products
from .registry import defgrad, method_like


def _t(m):
    """The matrix transpose of the last two axes."""
    return m.swapaxes(-1, -2)


def _matrices(value, shaped):
    """True if both operands are matrices (`shaped`, read only for its shape, may be the
    ArrayShape the tape keeps of it): the common case, whose gradients need no repair."""
    return getattr(value, "ndim", 0) == 2 and len(getattr(shaped, "shape", ())) == 2


def matmul_da(dy, a, b):
    """Gradient of a @ b w.r.t. a, for every NumPy matmul case (1-D, 2-D, batched)."""
    if _matrices(b, a):
        return dy @ b.T
    if np.ndim(b) == 1:
        da = dy[..., None] * b if np.ndim(a) > 1 else dy * b
    elif np.ndim(a) == 1:
        da = (b @ dy[..., None])[..., 0]
    else:
        da = dy @ _t(b)
    return unbroadcast(da, a)


def matmul_db(dy, a, b):
    """Gradient of a @ b w.r.t. b."""
    if _matrices(a, b):
        return a.T @ dy
    if np.ndim(a) == 1 and np.ndim(b) == 1:
        db = dy * a
    elif np.ndim(a) == 1:
        db = a[:, None] * dy[..., None, :]
    elif np.ndim(b) == 1:
        db = (_t(a) @ dy[..., None])[..., 0]
    else:
        db = _t(a) @ dy
    return unbroadcast(db, b)


def dot_da(dy, a, b):
    """Gradient of np.dot(a, b) w.r.t. a (contracts the last axis of a with b's second-to-last)."""
    if _matrices(b, a):
        return dy @ b.T
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(dy * b, a)
    xp = array_module(dy)
    contracted = max(np.ndim(b) - 2, 0)
    b_free = [i for i in range(np.ndim(b)) if i != contracted]
    y_b = list(range(np.ndim(a) - 1, np.ndim(dy)))
    return xp.tensordot(dy, b, (y_b, b_free))


def dot_db(dy, a, b):
    """Gradient of np.dot(a, b) w.r.t. b."""
    if _matrices(a, b):
        return a.T @ dy
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(dy * a, b)
    xp = array_module(dy)
    a_free = list(range(np.ndim(a) - 1))
    r = xp.tensordot(a, dy, (a_free, a_free))
    return xp.moveaxis(r, 0, max(np.ndim(b) - 2, 0))


def _tensordot_axes(axes, a_ndim):
    """np.tensordot's `axes` as two lists of non-negative axes (of a and of b)."""
    if np.ndim(axes) == 0:
        n = int(axes)
        return list(range(a_ndim - n, a_ndim)), list(range(n))
    axes_a, axes_b = axes
    axes_a = [axes_a] if np.ndim(axes_a) == 0 else list(axes_a)
    axes_b = [axes_b] if np.ndim(axes_b) == 0 else list(axes_b)
    return axes_a, axes_b


def tensordot_grad(dy, a, b, axes, wrt):
    """Gradient of np.tensordot(a, b, axes) w.r.t. a (wrt=0) or b (wrt=1)."""
    xp = array_module(dy)
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    axes_a, axes_b = _tensordot_axes(axes, a_nd)
    axes_a, axes_b = [i % a_nd for i in axes_a], [i % b_nd for i in axes_b]
    free_a = [i for i in range(a_nd) if i not in axes_a]
    free_b = [i for i in range(b_nd) if i not in axes_b]
    if wrt == 0:  # contract dy's b-part with b's free axes; a's contracted axes come out last
        g = xp.tensordot(dy, b, (list(range(len(free_a), np.ndim(dy))), free_b))
        kept = [axes_a[axes_b.index(i)] for i in sorted(axes_b)]  # b's remaining order
        return xp.transpose(g, np.argsort(free_a + kept))
    g = xp.tensordot(a, dy, (free_a, list(range(len(free_a)))))
    kept = [axes_b[axes_a.index(i)] for i in sorted(axes_a)]
    return xp.transpose(g, np.argsort(kept + free_b))


def _einsum_terms(subscripts, operands):
    """Explicit subscripts: the operands' terms and the output, ellipses as spare letters."""
    if not isinstance(subscripts, str):
        raise KnetError("np.einsum is differentiated with a subscripts string ('ij,jk->ik'); "
                        "the interleaved form einsum(a, [0, 1], b, [1, 2]) is not supported")
    text = subscripts.replace(" ", "")
    inputs, arrow, output = text.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(operands):
        raise KnetError(f"np.einsum subscripts {subscripts!r} name {len(terms)} operands, "
                        f"but {len(operands)} were given")
    width = max((np.ndim(x) - len(t.replace("...", "")) for t, x in zip(terms, operands)
                 if "..." in t), default=0)
    spare = "".join(c for c in string.ascii_letters if c not in text)[:width]

    def expand(term, ndim):
        if "..." not in term:
            return term
        n = ndim - len(term.replace("...", ""))
        return term.replace("...", spare[width - n:] if n else "")

    expanded = [expand(t, np.ndim(x)) for t, x in zip(terms, operands)]
    if arrow:
        output = output.replace("...", spare)
    else:  # implicit mode: the letters used once, in alphabetical order, after the ellipsis
        letters = "".join(expanded)
        output = spare + "".join(sorted(c for c in set(letters) if letters.count(c) == 1
                                        and c not in spare))
    return expanded, output


def einsum_grad(dy, subscripts, operands, index):
    """Gradient of np.einsum(subscripts, *operands) w.r.t. operand number `index`.

    The other operands and dy are contracted into the operand's term. A letter
    the operand repeats (a diagonal, 'ii') is put back with an identity matrix;
    one that only the operand has (summed within it) comes back broadcast;
    broadcast ellipsis axes are summed back by unbroadcast.
    """
    xp = array_module(dy)
    terms, output = _einsum_terms(subscripts, operands)
    term, x = terms[index], operands[index]
    sizes = {c: n for t, op in zip(terms + [output], list(operands) + [dy])
             for c, n in zip(t, np.shape(op)) if n != 1}
    known = set(output).union(*(terms[i] for i in range(len(terms)) if i != index))
    target, extra_terms, extra_ops = "", [], []
    fresh = iter(c for c in string.ascii_lowercase + string.ascii_uppercase
                 if c not in "".join(terms) + output)
    for c in term:
        n = sizes.get(c, 1)
        if c in target:  # a repeated letter: a new one, tied to the first by the identity
            new = next(fresh)
            extra_terms.append(c + new)
            extra_ops.append(xp.eye(n, dtype=dy.dtype))
            target += new
        else:
            if c not in known:  # summed within this operand only: broadcast back
                extra_terms.append(c)
                extra_ops.append(xp.ones(n, dy.dtype))
            target += c
    others = [t for i, t in enumerate(terms) if i != index]
    inputs = ",".join([output] + others + extra_terms)
    args = [dy] + [op for i, op in enumerate(operands) if i != index] + extra_ops
    return unbroadcast(xp.einsum(f"{inputs}->{target}", *args, optimize=len(args) > 2), x)


def place_diagonal(g, shape, offset=0, axis1=0, axis2=1):
    """Zeros of `shape` with g (or g broadcast along the diagonal) on the diagonal `offset` of
    axes axis1, axis2: the gradient of np.diagonal and np.trace."""
    xp = array_module(g)
    ndim = len(shape)
    axis1, axis2 = axis1 % ndim, axis2 % ndim
    rest = [shape[i] for i in range(ndim) if i not in (axis1, axis2)]
    out = xp.zeros(rest + [shape[axis1], shape[axis2]], g.dtype)
    n = max(0, min(shape[axis1] + min(offset, 0), shape[axis2] - max(offset, 0)))
    i = xp.arange(n)
    out[..., i - min(offset, 0), i + max(offset, 0)] = g
    return xp.moveaxis(out, (-2, -1), (axis1, axis2))


def trace_grad(dy, a, offset=0, axis1=0, axis2=1):
    return place_diagonal(array_module(dy).asarray(dy)[..., None], np.shape(a), offset, axis1, axis2)


def diag_grad(dy, v, k=0):
    """Gradient of np.diag(v, k): the diagonal of dy (v 1-D) or dy placed on one (v 2-D)."""
    xp = array_module(dy)
    if np.ndim(v) == 1:
        return xp.diagonal(dy, k)
    return place_diagonal(dy, np.shape(v), k)


def kron_grad(dy, a, b, wrt):
    """Gradient of np.kron(a, b): dy seen as a[i] * b[j] interleaved, summed over the other."""
    xp = array_module(dy)
    nd = max(np.ndim(a), np.ndim(b))
    sa = (1,) * (nd - np.ndim(a)) + np.shape(a)
    sb = (1,) * (nd - np.ndim(b)) + np.shape(b)
    blocks = dy.reshape([n for pair in zip(sa, sb) for n in pair])
    if wrt == 0:
        g = (blocks * xp.asarray(b).reshape([n for s in sb for n in (1, s)])).sum(
            axis=tuple(range(1, 2 * nd, 2)))
        return g.reshape(np.shape(a))
    g = (blocks * xp.asarray(a).reshape([n for s in sa for n in (s, 1)])).sum(
        axis=tuple(range(0, 2 * nd, 2)))
    return g.reshape(np.shape(b))


def solve_grad(dy, a, b, y, wrt):
    """Gradient of x = solve(a, b): db = solve(a^T, dy), da = -db x^T."""
    xp = array_module(dy)
    vector = np.ndim(b) == 1
    col = dy[..., None] if vector else dy
    db = xp.linalg.solve(_t(a), col)
    if wrt == 1:
        return unbroadcast(db[..., 0] if vector else db, b)
    x = y[..., None] if vector else y
    return unbroadcast(-db @ _t(x), a)


def cholesky_grad(dy, y):
    """Gradient of L = cholesky(a) (lower): sym(L^-T Phi(L^T dL) L^-1), where Phi keeps the
    lower triangle with its diagonal halved (Murray, 2016)."""
    xp = array_module(dy)
    phi = xp.tril(_t(y) @ dy)
    phi = phi - 0.5 * xp.tril(xp.triu(phi))  # halve the diagonal
    s = _solve_triangular(y, _t(_solve_triangular(y, _t(phi))))  # L^-T phi L^-1, via solves
    return 0.5 * (s + _t(s))


def _solve_triangular(lower, rhs):
    """lower^-T rhs, with lower the Cholesky factor (a general solve: no SciPy needed)."""
    return array_module(rhs).linalg.solve(_t(lower), rhs)


def eigh_grad(dy, a, y):
    """Gradient of (w, v) = eigh(a) for symmetric a with distinct eigenvalues:
    v (diag(dw) + F * (v^T dv)) v^T symmetrised, F_ij = 1 / (w_j - w_i) off the diagonal."""
    xp = array_module(a)
    w, v = y[0], y[1]
    dw, dv = dy[0], dy[1]
    inner = xp.zeros(np.shape(a), v.dtype)
    if dw is not None:
        inner = inner + xp.eye(w.shape[-1], dtype=v.dtype) * dw[..., None, :]
    if dv is not None:
        gap = w[..., None, :] - w[..., :, None]
        off = ~xp.eye(w.shape[-1], dtype=bool)
        f = xp.where(off, 1 / xp.where(off, gap, 1), 0)
        inner = inner + f * (_t(v) @ dv)
    g = v @ inner @ _t(v)
    return 0.5 * (g + _t(g))


def eigvalsh_grad(dy, a):
    xp = array_module(a)
    _, v = xp.linalg.eigh(a)
    g = (v * dy[..., None, :]) @ _t(v)
    return 0.5 * (g + _t(g))


def slogdet_grad(dy, a):
    """Gradient of (sign, log|det a|) = slogdet(a): the sign is piecewise constant."""
    xp = array_module(a)
    if dy[1] is None:
        return xp.zeros(np.shape(a), a.dtype)
    return xp.asarray(dy[1])[..., None, None] * _t(xp.linalg.inv(a))


def pinv_grad(dy, a, y, hermitian=False):
    """Gradient of p = pinv(a) where a has constant rank (Golub and Pereyra, 1973); symmetric
    for hermitian=True, where NumPy reads a as symmetric."""
    xp = array_module(dy)
    m, n = np.shape(a)[-2:]
    p, pt = y, _t(y)
    left = xp.eye(m, dtype=dy.dtype) - a @ p   # I - a p
    right = xp.eye(n, dtype=dy.dtype) - p @ a  # I - p a
    g = -pt @ dy @ pt + left @ _t(dy) @ p @ pt + pt @ p @ _t(dy) @ right
    return 0.5 * (g + _t(g)) if hermitian else g


def det_grad(dy, a):
    """Gradient of det(a): dy times the cofactor matrix, through the SVD a = u diag(s) vh so
    that singular matrices work too: det(u) det(vh) u diag(prod of the other s) vh."""
    xp = array_module(a)
    u, s, vh = xp.linalg.svd(a)
    others = _exclusive_products(s, xp)
    signs = xp.linalg.det(u) * xp.linalg.det(vh)
    return (xp.asarray(dy) * signs)[..., None, None] * ((u * others[..., None, :]) @ vh)


def _along_last(fn, dy, a, b, axis, wrt):
    """Apply a gradient `fn(dy, a, b)` written for vectors along the last axis to vectors
    along `axis` of each input (NumPy moves it last before broadcasting)."""
    xp = array_module(dy)
    am, bm, dym = (xp.moveaxis(xp.asarray(v), axis, -1) for v in (a, b, dy))
    g = unbroadcast(fn(dym, am, bm), am if wrt == 0 else bm)
    return xp.moveaxis(g, -1, axis)


def cross_grad(dy, a, b, axis, wrt):
    """Gradient of np.cross(a, b) of 3-vectors along `axis`: cross(b, dy) and cross(dy, a)."""
    if np.shape(a)[axis] != 3 or np.shape(b)[axis] != 3:
        raise KnetError("np.cross is differentiated for 3-vectors only; for 2-vectors write "
                        "a[0] * b[1] - a[1] * b[0]")
    xp = array_module(dy)
    if wrt == 0:
        return _along_last(lambda d, a, b: xp.cross(b, d), dy, a, b, axis, 0)
    return _along_last(lambda d, a, b: xp.cross(d, a), dy, a, b, axis, 1)


def vecdot_grad(dy, x1, x2, axis, wrt):
    """Gradient of np.vecdot(x1, x2, axis): dy times the other vector."""
    other = (lambda d, a, b: d * b) if wrt == 0 else (lambda d, a, b: d * a)
    return _along_last(other, array_module(dy).expand_dims(dy, axis), x1, x2, axis, wrt)


_KERNELS = {fn.__name__: fn for fn in (
    matmul_da, matmul_db, dot_da, dot_db, tensordot_grad, einsum_grad, place_diagonal, trace_grad,
    diag_grad, kron_grad, solve_grad, cholesky_grad, eigh_grad, eigvalsh_grad, slogdet_grad,
    pinv_grad, det_grad, cross_grad, vecdot_grad)}
_KERNELS["transpose_last"] = _t

# --- products ---
defgrad(np.matmul, "a, b", a="matmul_da(dy, a, b)", b="matmul_db(dy, a, b)", namespace=_KERNELS)
defgrad(np.dot, "a, b", a="dot_da(dy, a, b)", b="dot_db(dy, a, b)", namespace=_KERNELS)
method_like("dot", np.dot)
defgrad(np.vdot, "a, b", a="(dy * b).reshape(np.shape(a))", b="(dy * a).reshape(np.shape(b))")
defgrad(np.inner, "a, b", namespace=_KERNELS,
        a="unbroadcast(dy * b, a) if np.ndim(a) == 0 or np.ndim(b) == 0 else "
          "tensordot_grad(dy, a, b, ([-1], [-1]), 0)",
        b="unbroadcast(dy * a, b) if np.ndim(a) == 0 or np.ndim(b) == 0 else "
          "tensordot_grad(dy, a, b, ([-1], [-1]), 1)")
defgrad(np.outer, "a, b", a="(dy @ np.ravel(b)).reshape(np.shape(a))",
        b="(np.ravel(a) @ dy).reshape(np.shape(b))")
defgrad(np.tensordot, "a, b, axes=2", namespace=_KERNELS, a="tensordot_grad(dy, a, b, axes, 0)",
        b="tensordot_grad(dy, a, b, axes, 1)")
defgrad(np.einsum, "subscripts, *operands, out=None, dtype=None, order='K', casting='safe', "
        "optimize=False", namespace=_KERNELS, operands="einsum_grad(dy, subscripts, operands, index)")
defgrad(np.kron, "a, b", namespace=_KERNELS, a="kron_grad(dy, a, b, 0)", b="kron_grad(dy, a, b, 1)")
defgrad(np.cross, "a, b, *, axis=-1", namespace=_KERNELS, a="cross_grad(dy, a, b, axis, 0)",
        b="cross_grad(dy, a, b, axis, 1)")
if hasattr(np, "vecdot"):  # NumPy 2
    defgrad(np.vecdot, "x1, x2, *, axis=-1", namespace=_KERNELS,
            x1="vecdot_grad(dy, x1, x2, axis, 0)", x2="vecdot_grad(dy, x1, x2, axis, 1)")

# --- diagonals and triangles ---
defgrad(np.trace, "a, offset=0, axis1=0, axis2=1, dtype=None, out=None", namespace=_KERNELS,
        a="trace_grad(dy, a, offset, axis1, axis2)")
method_like("trace", np.trace)
defgrad(np.diagonal, "a, offset=0, axis1=0, axis2=1", namespace=_KERNELS,
        a="place_diagonal(dy, np.shape(a), offset, axis1, axis2)")
method_like("diagonal", np.diagonal)
defgrad(np.diag, "v, k=0", namespace=_KERNELS, v="diag_grad(dy, v, k)")
defgrad(np.tril, "m, k=0", m="unbroadcast(np.tril(dy, k), m)")  # a 1-D m is broadcast to rows
defgrad(np.triu, "m, k=0", m="unbroadcast(np.triu(dy, k), m)")

# --- np.linalg ---
defgrad(np.linalg.inv, "a", namespace=_KERNELS, a="-transpose_last(y) @ dy @ transpose_last(y)")
defgrad(np.linalg.det, "a", namespace=_KERNELS, a="det_grad(dy, a)")
defgrad(np.linalg.slogdet, "a", namespace=_KERNELS, a="slogdet_grad(dy, a)")
defgrad(np.linalg.solve, "a, b", namespace=_KERNELS, a="solve_grad(dy, a, b, y, 0)",
        b="solve_grad(dy, a, b, y, 1)")
defgrad(np.linalg.cholesky, "a", namespace=_KERNELS, a="cholesky_grad(dy, y)")
defgrad(np.linalg.eigh, "a, UPLO='L'", namespace=_KERNELS, a="eigh_grad(dy, a, y)")
defgrad(np.linalg.eigvalsh, "a, UPLO='L'", namespace=_KERNELS, a="eigvalsh_grad(dy, a)")
defgrad(np.linalg.pinv, "a, rcond=None, hermitian=False, *, rtol=None", namespace=_KERNELS,
        a="pinv_grad(dy, a, y, hermitian)")
