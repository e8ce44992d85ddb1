"""Rules of knet_ast/primitives/linalg.py: products (matmul, dot, vdot, inner, outer, tensordot,
einsum, kron, cross, vecdot), diagonals and triangles (trace, diagonal, diag, tril, triu, as
functions and methods) and np.linalg (inv, det, slogdet, solve, cholesky, eigh, eigvalsh, pinv).

The `@` operator shares the matmul kernels; its rows are in test_arithmetic.py.

cholesky, eigh and eigvalsh read one triangle of their input and give a symmetric gradient, so
their rows in LINALG differentiate a parameter b that the loss makes symmetric ((b + b^T) / 2, or
b b^T + n I): any direction of b moves the input symmetrically. The rows of SYMMETRIC pass the
symmetric matrix itself, and test_symmetric_input_gradient perturbs it along symmetric directions.
"""
import numpy as np
import pytest
from rule_tables import (
    FLOAT,
    Case,
    binary,
    check_case,
    check_float32,
    label,
    normal,
    unary,
    unit,
    whole,
    with_arg,
)

import knet_ast as knet

# --- losses: the primitive must appear in the loss's source ---


def dot_method(a, b, r):
    return np.sum(a.dot(b) * r)






def on_axes(fn, offset, axis1, axis2):
    def loss(x, r):
        return np.sum(fn(x, offset=offset, axis1=axis1, axis2=axis2) * r)
    return label(loss, offset=offset, axis1=axis1, axis2=axis2)


def along(fn, axis):
    def loss(a, b, r):
        return np.sum(fn(a, b, axis=axis) * r)
    return label(loss, axis=axis)


def tensordot(axes):
    def loss(a, b, r):
        return np.sum(np.tensordot(a, b, axes) * r)
    return label(loss, axes=axes)


def tensordot_keyword(a, b, r):
    return np.sum(np.tensordot(a, b, axes=([0, 2], [1, 0])) * r)


def einsum(subscripts):
    """np.einsum(subscripts, ...) with as many operands as the subscripts name."""
    def loss1(a, r):
        return np.sum(np.einsum(subscripts, a) * r)

    def loss2(a, b, r):
        return np.sum(np.einsum(subscripts, a, b) * r)

    def loss3(a, b, c, r):
        return np.sum(np.einsum(subscripts, a, b, c) * r)

    loss = (loss1, loss2, loss3)[subscripts.split("->")[0].count(",")]
    return label(loss, s=subscripts)


def einsum_optimized(a, b, c, r):
    return np.sum(np.einsum("ij,jk,kl->il", a, b, c, optimize=True) * r)


def trace_method(x, r):
    return np.sum(x.trace() * r)


def trace_method_args(offset, axis1, axis2):
    def loss(x, r):
        return np.sum(x.trace(offset, axis1, axis2) * r)
    return label(loss, offset=offset, axis1=axis1, axis2=axis2)


def diagonal_method(x, r):
    return np.sum(x.diagonal() * r)


def diagonal_method_args(offset, axis1, axis2):
    def loss(x, r):
        return np.sum(x.diagonal(offset=offset, axis1=axis1, axis2=axis2) * r)
    return label(loss, offset=offset, axis1=axis1, axis2=axis2)


def slogdet_unpacked(a, r):
    sign, logdet = np.linalg.slogdet(a)
    return np.sum(logdet * r)


def slogdet_field(a, r):
    return np.sum(np.linalg.slogdet(a).logabsdet * r)


def slogdet_index(a, r):
    return np.sum(np.linalg.slogdet(a)[1] * r)


def slogdet_sign(a, r):
    sign, logdet = np.linalg.slogdet(a)
    return np.sum(sign * r)


def slogdet_both(a, r):
    """The sign is piecewise constant: it adds nothing to the gradient."""
    sign, logdet = np.linalg.slogdet(a)
    return np.sum(sign * logdet * r)


def of_gram(fn):
    """fn(b b^T + n I): a symmetric positive definite input whatever b is."""
    def loss(b, r):
        a = b @ np.swapaxes(b, -1, -2) + 3.0 * np.eye(b.shape[-1], dtype=b.dtype)
        return np.sum(fn(a) * r)
    return loss


def of_symmetric(fn):
    def loss(b, r):
        return np.sum(fn((b + np.swapaxes(b, -1, -2)) / 2) * r)
    return loss


# eigh: losses that depend on the eigenvectors only through sign-invariant v * v or v diag v^T
def eigh_values(b, r):
    w, v = np.linalg.eigh((b + np.swapaxes(b, -1, -2)) / 2)
    return np.sum(w * r)


def eigh_vectors(b, r):
    w, v = np.linalg.eigh((b + np.swapaxes(b, -1, -2)) / 2)
    return np.sum(v * v * r)


def eigh_both(b, r):
    w, v = np.linalg.eigh((b + np.swapaxes(b, -1, -2)) / 2)
    return np.sum((v * v + w[..., None, :]) * r)


def eigh_rebuilt(b, r):
    w, v = np.linalg.eigh((b + np.swapaxes(b, -1, -2)) / 2)
    return np.sum((v * np.sin(w)[..., None, :]) @ np.swapaxes(v, -1, -2) * r)


def eigh_fields(b, r):
    result = np.linalg.eigh((b + np.swapaxes(b, -1, -2)) / 2)
    return np.sum((result.eigenvectors ** 2 * np.cos(result.eigenvalues)[..., None, :]) * r)


def eigh_upper(b, r):
    w, v = np.linalg.eigh((b + np.swapaxes(b, -1, -2)) / 2, UPLO="U")
    return np.sum((v * v + w[..., None, :]) * r)


def eigh_direct(a, r):
    w, v = np.linalg.eigh(a)
    return np.sum((v * v + w[..., None, :]) * r)


def eigvalsh_upper(b, r):
    return np.sum(np.linalg.eigvalsh((b + np.swapaxes(b, -1, -2)) / 2, UPLO="U") * r)


def pinv_hermitian(a, r):
    return np.sum(np.linalg.pinv(a, hermitian=True) * r)


# --- input domains for matrix functions: (rng, shape) -> float64 array ---
def _eye(shape):
    return np.eye(shape[-2], shape[-1])


def invertible(rng, shape):
    """Strictly diagonally dominant (|diagonal| = n + 1, off-diagonal in (-1, 1)), with random
    signs on the diagonal: well conditioned, determinants of both signs."""
    signs = rng.choice([-1.0, 1.0], shape[:-1])[..., None]
    return unit(rng, shape) + (shape[-1] + 1) * _eye(shape) * signs


def full_rank(rng, shape):
    """Tall, wide or square, singular values within about [1, 3]."""
    return 0.3 * unit(rng, shape) + 2 * _eye(shape)


def spread(rng, shape):
    """Near diag(0, 2, 4, ...): the symmetric part has eigenvalues at least ~1 apart."""
    return 0.3 * unit(rng, shape) + np.diag(2.0 * np.arange(shape[-1]))


def symmetric_spread(rng, shape):
    b = spread(rng, shape)
    return (b + np.swapaxes(b, -1, -2)) / 2


def positive_definite(rng, shape):
    b = normal(rng, shape)
    return b @ np.swapaxes(b, -1, -2) + shape[-1] * _eye(shape)


def singular(rng, shape):
    """Whole numbers, the last row a copy of the first: det is exactly 0 and LAPACK finds the
    matrix singular, but det's gradient (the adjugate) is not 0."""
    a = whole(rng, shape)
    a[..., -1, :] = a[..., 0, :]
    return a


# --- the table ---
MATMUL_SHAPES = [((4,), (4,)), ((4,), (4, 5)), ((3, 4), (4,)), ((3, 4), (4, 5)),
                 ((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (4, 5)), ((1, 3, 4), (2, 4, 5)),
                 ((3, 4), (2, 4, 5)), ((4,), (2, 4, 5)), ((2, 3, 4), (4,)),
                 ((2, 1, 3, 4), (5, 4, 2))]
# np.dot contracts a's last axis with b's second-to-last and does not broadcast
DOT_SHAPES = [((4,), (4,)), ((4,), (4, 5)), ((3, 4), (4,)), ((3, 4), (4, 5)), ((2, 3, 4), (4,)),
              ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((4,), (2, 4, 5)), ((2, 3, 4), (5, 4, 2)),
              ((), (3, 4)), ((3, 4), ()), (FLOAT, (3, 4)), ((3, 4), FLOAT)]
VDOT_SHAPES = [((4,), (4,)), ((2, 3), (6,)), ((2, 3), (3, 2)), ((2, 1, 2), (4,))]
INNER_SHAPES = [((4,), (4,)), ((2, 4), (3, 4)), ((2, 3, 4), (5, 4)), ((4,), (2, 3, 4)),
                ((), (2, 3)), ((2, 3), ()), (FLOAT, (2, 3)), ((3,), ())]
# np.outer flattens both inputs
OUTER_SHAPES = [((3,), (4,)), ((2, 3), (4,)), ((3,), (2, 2)), ((2, 2), (3, 1)), ((), (3,)),
                ((), ())]
TENSORDOT = [  # (axes, a's shape, b's shape)
    (0, (2, 3), (4,)), (1, (2, 3), (3, 4)), (2, (2, 3, 4), (3, 4, 5)), (2, (3, 4), (3, 4)),
    (([1, 0], [0, 1]), (3, 2, 4), (2, 3, 5)), (([2], [0]), (2, 3, 4), (4, 5)),
    (([0, 2], [2, 0]), (2, 3, 4), (4, 5, 2)), ((1, 0), (2, 3), (3, 4)),
    (([-1], [0]), (2, 3, 4), (4, 5)), (([-1, -3], [0, 2]), (2, 3, 4), (4, 5, 2)),
    ((-2, -1), (3, 2), (4, 3)), (3, (2, 3, 4), (2, 3, 4)),
]
EINSUM = [  # (subscripts, operand shapes)
    ("ij,jk->ik", ((2, 3), (3, 4))),
    ("ij,jk", ((2, 3), (3, 4))),                    # implicit output: the letters used once
    ("ji", ((2, 3),)),                              # implicit: the output is sorted, 'ij'
    ("ii->i", ((3, 3),)),
    ("ii", ((3, 3),)),                              # implicit trace
    ("ij->", ((2, 3),)),
    ("ij->ji", ((2, 3),)),
    ("bij,bjk->bik", ((2, 2, 3), (2, 3, 4))),
    ("...ij,...jk->...ik", ((3, 4), (2, 4, 5))),    # fewer leading dims
    ("...ij,...jk->...ik", ((2, 1, 3, 4), (5, 4, 2))),  # fewer leading dims and a size-1 one
    ("...ii->...i", ((2, 3, 3),)),
    ("...i,...i", ((2, 3), (3,))),                 # implicit with ellipsis
    ("i,i->", ((4,), (4,))),
    ("i,i", ((4,), (4,))),
    ("i,j->ij", ((3,), (4,))),
    ("ijk->kj", ((2, 3, 4),)),
    ("ij,ij,ij->i", ((2, 3), (2, 3), (2, 3))),
    ("ij,jk,kl->il", ((2, 3), (3, 4), (4, 2))),
    ("iij->j", ((3, 3, 2),)),                       # repeated index inside a 3-D operand
    ("iji->ij", ((3, 2, 3),)),                      # repeated index, not adjacent
    ("ij,j->i", ((2, 3), (3,))),
    ("i...->...", ((3, 2, 4),)),
    ("ij,jk->i", ((2, 3), (3, 4))),                 # k is summed within b only
    ("ij,kl->ik", ((2, 3), (4, 5))),                # j and l each summed within one operand
    ("ij,ji->", ((2, 3), (3, 2))),
    ("ij,ij->ij", ((1, 3), (2, 3))),                # a size-1 labelled axis broadcasts
    ("ij,jk->ik", ((2, 1), (3, 4))),                # ... also a contracted one
    ("...i,...i->...", ((2, 1, 3), (4, 3))),
    ("iij->i", ((3, 3, 2),)),                       # repeated, and j summed within
    (",ij->ij", ((), (2, 3))),                      # a 0-d operand
    ("aB,Bc", ((2, 3), (3, 4))),                    # capitals
    (" ij , jk -> ik ", ((3, 2), (2, 4))),          # spaces
]
KRON_SHAPES = [((3,), (2,)), ((2, 3), (3, 2)), ((3,), (2, 2)), ((2, 2), (3,)),
               ((2, 1, 2), (2, 3)), ((), (2, 3))]
CROSS = [(-1, (3,), (3,)), (-1, (4, 3), (4, 3)), (-1, (4, 3), (3,)), (-1, (2, 1, 3), (4, 3)),
         (0, (3, 4), (3, 4)), (1, (2, 3, 4), (2, 3, 4))]
VECDOT = [(-1, (3,), (3,)), (-1, (2, 3), (2, 3)), (-1, (2, 3), (3,)), (-1, (2, 1, 3), (4, 3)),
          (0, (3, 2), (3, 2))]
ON_AXES = [(0, 1, 2, (2, 3, 4)), (1, 2, 0, (2, 3, 4)), (-1, -1, -3, (2, 3, 4)),
           (1, 0, 1, (3, 4))]
SOLVE_SHAPES = [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3, 2)), ((2, 3, 3), (2, 3, 2)),
                ((2, 3, 3), (3,)), ((2, 1, 3, 3), (4, 3, 1))]
MATRIX_SHAPES = [(3, 3), (2, 3, 3)]
PINV_SHAPES = [(4, 3), (3, 4), (3, 3), (2, 4, 3), (2, 3, 5)]


def pairs(key, loss, shapes, domain=normal):
    """Rows for a two-input rule: both inputs at once, then (on the first shapes) each alone."""
    rows = [Case(key, loss, s, domain, wrt=(0, 1)) for s in shapes]
    return rows + [Case(key, loss, shapes[0], domain, wrt=wrt) for wrt in (0, 1)]


def operands(n):
    return tuple(range(n)) if n > 1 else 0


LINALG = [Case(np.matmul, binary(np.matmul), shapes, wrt=(0, 1)) for shapes in MATMUL_SHAPES]
LINALG += [Case(np.matmul, binary(np.matmul), ((2, 3, 4), (4, 5)), wrt=wrt) for wrt in (0, 1)]
LINALG += [Case(np.dot, binary(np.dot), shapes, wrt=(0, 1)) for shapes in DOT_SHAPES]
LINALG += [Case(np.dot, binary(np.dot), ((3, 4), (4, 5)), wrt=wrt) for wrt in (0, 1)]
LINALG += [Case(("method", "dot"), dot_method, shapes, wrt=(0, 1))
           for shapes in DOT_SHAPES if shapes[0] not in (FLOAT, ())]  # shifted 0-d: no .dot
LINALG += [Case(("method", "dot"), dot_method, ((4,), (4, 5)), wrt=wrt) for wrt in (0, 1)]

# --- other products ---
LINALG += pairs(np.vdot, binary(np.vdot), VDOT_SHAPES)
LINALG += pairs(np.inner, binary(np.inner), INNER_SHAPES[1:]) + [
    Case(np.inner, binary(np.inner), INNER_SHAPES[0], wrt=(0, 1))]
LINALG += pairs(np.outer, binary(np.outer), OUTER_SHAPES)
LINALG += [Case(np.tensordot, tensordot(axes), (sa, sb), wrt=(0, 1)) for axes, sa, sb in TENSORDOT]
LINALG += [Case(np.tensordot, tensordot(axes), (sa, sb), wrt=wrt)
           for axes, sa, sb in TENSORDOT[4:6] for wrt in (0, 1)]
LINALG += [Case(np.tensordot, tensordot_keyword, ((2, 3, 4), (4, 2, 5)), wrt=(0, 1))]
LINALG += [Case(np.einsum, einsum(s), shapes, wrt=operands(len(shapes))) for s, shapes in EINSUM]
LINALG += [Case(np.einsum, einsum(s), shapes, wrt=wrt) for s, shapes in EINSUM
           if s in ("ij,jk->ik", "ij,ij,ij->i", "ij,jk->i") or s.startswith("...ij")
           for wrt in range(len(shapes))]
LINALG += [Case(np.einsum, einsum_optimized, ((2, 3), (3, 4), (4, 2)), wrt=(0, 1, 2))]
LINALG += pairs(np.kron, binary(np.kron), KRON_SHAPES)
LINALG += [Case(np.cross, along(np.cross, axis), (sa, sb), wrt=(0, 1)) for axis, sa, sb in CROSS]
LINALG += [Case(np.cross, binary(np.cross), ((4, 3), (4, 3)), wrt=wrt) for wrt in (0, 1)]
if hasattr(np, "vecdot"):  # NumPy 2
    LINALG += [Case(np.vecdot, along(np.vecdot, axis), (sa, sb), wrt=(0, 1))
               for axis, sa, sb in VECDOT]
    LINALG += pairs(np.vecdot, binary(np.vecdot), [((2, 3), (2, 3))])

# --- diagonals and triangles ---
LINALG += [Case(np.trace, unary(np.trace), (shape,)) for shape in ((3, 4), (3, 3), (2, 2, 3))]
LINALG += [Case(np.trace, with_arg(np.trace, k), ((3, 4),)) for k in (-1, 0, 1, 5)]
LINALG += [Case(np.trace, on_axes(np.trace, *args), (shape,)) for *args, shape in ON_AXES]
LINALG += [Case(("method", "trace"), trace_method, ((3, 4),)),
           Case(("method", "trace"), trace_method_args(1, 1, 2), ((2, 3, 4),)),
           Case(("method", "trace"), trace_method_args(-1, 2, 0), ((2, 3, 4),))]
LINALG += [Case(np.diagonal, unary(np.diagonal), (shape,)) for shape in ((3, 4), (2, 3, 4))]
LINALG += [Case(np.diagonal, with_arg(np.diagonal, k), (shape,))
           for shape in ((3, 4), (4, 3)) for k in (-1, 1, 2)]
LINALG += [Case(np.diagonal, on_axes(np.diagonal, *args), (shape,)) for *args, shape in ON_AXES]
LINALG += [Case(("method", "diagonal"), diagonal_method, ((4, 3),)),
           Case(("method", "diagonal"), diagonal_method_args(0, 1, 2), ((2, 3, 4),)),
           Case(("method", "diagonal"), diagonal_method_args(1, 2, 0), ((2, 3, 4),))]
LINALG += [Case(np.diag, unary(np.diag), ((3,),)), Case(np.diag, unary(np.diag), ((3, 4),))]
LINALG += [Case(np.diag, with_arg(np.diag, k), ((3,),)) for k in (1, -2)]
LINALG += [Case(np.diag, with_arg(np.diag, k), (shape,))
           for shape in ((3, 4), (4, 3)) for k in (-1, 1, 2, 5)]  # 5: an empty diagonal
LINALG += [Case(fn, with_arg(fn, k), (shape,)) for fn in (np.tril, np.triu)
           for shape in ((3, 4), (4, 3), (2, 3, 4)) for k in (-1, 0, 1)]
LINALG += [Case(fn, unary(fn), ((3, 3),)) for fn in (np.tril, np.triu)]

# --- np.linalg ---
LINALG += [Case(fn, unary(fn), (shape,), invertible)
           for fn in (np.linalg.inv, np.linalg.det) for shape in MATRIX_SHAPES + [(1, 1)]]
LINALG += [Case(np.linalg.slogdet, loss, (shape,), invertible)
           for loss in (slogdet_unpacked, slogdet_field, slogdet_index, slogdet_sign, slogdet_both)
           for shape in MATRIX_SHAPES]
LINALG += pairs(np.linalg.solve, binary(np.linalg.solve), SOLVE_SHAPES, (invertible, normal))
LINALG += [Case(np.linalg.solve, binary(np.linalg.solve), shapes, (invertible, normal), wrt=wrt)
           for shapes in SOLVE_SHAPES[2:] for wrt in (0, 1)]  # a batched, b broadcast
LINALG += [Case(np.linalg.cholesky, of_gram(np.linalg.cholesky), (shape,))
           for shape in MATRIX_SHAPES + [(4, 4)]]
LINALG += [Case(np.linalg.eigh, loss, (shape,), spread)
           for loss in (eigh_values, eigh_vectors, eigh_both, eigh_rebuilt, eigh_fields, eigh_upper)
           for shape in MATRIX_SHAPES]
LINALG += [Case(np.linalg.eigvalsh, of_symmetric(np.linalg.eigvalsh), (shape,), spread)
           for shape in MATRIX_SHAPES + [(4, 4)]]
LINALG += [Case(np.linalg.eigvalsh, eigvalsh_upper, ((3, 3),), spread)]
LINALG += [Case(np.linalg.pinv, unary(np.linalg.pinv), (shape,), full_rank) for shape in PINV_SHAPES]

# symmetric inputs passed as they are: see test_symmetric_input_gradient
SYMMETRIC = [Case(np.linalg.cholesky, unary(np.linalg.cholesky), (shape,), positive_definite)
             for shape in MATRIX_SHAPES]
SYMMETRIC += [Case(np.linalg.eigh, eigh_direct, (shape,), symmetric_spread)
              for shape in MATRIX_SHAPES]
SYMMETRIC += [Case(np.linalg.eigvalsh, unary(np.linalg.eigvalsh), (shape,), symmetric_spread)
              for shape in MATRIX_SHAPES]
SYMMETRIC += [Case(np.linalg.pinv, pinv_hermitian, (shape,), positive_definite)
              for shape in MATRIX_SHAPES]  # hermitian=True reads one triangle too
# the rules that read one triangle give symmetric gradients
SYMMETRIC_GRADIENT = (np.linalg.cholesky, np.linalg.eigh, np.linalg.eigvalsh, np.linalg.pinv)

LINALG += [
    # np.tril/np.triu broadcast a 1-D input to a 2-D output
    Case(np.tril, with_arg(np.tril, 0), ((3,),)),
    Case(np.triu, with_arg(np.triu, 1), ((3,),)),
    # a non-negative axis on inputs of different ndim: NumPy moves the axis to the end of
    # each input before broadcasting
    Case(np.vecdot, along(np.vecdot, 0), ((3,), (3, 4)), wrt=(0, 1)),
    Case(np.cross, along(np.cross, 0), ((3,), (3, 4)), wrt=(0, 1)),
    # det at a singular matrix: the gradient (the adjugate) exists
    Case(np.linalg.det, unary(np.linalg.det), ((3, 3),), singular),
]


@pytest.mark.parametrize("case", LINALG, ids=str)
def test_gradient_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", LINALG + SYMMETRIC, ids=str)
def test_float32_stays_float32(case, monkeypatch):
    check_float32(case, monkeypatch)


def _symmetric(m):
    return (m + np.swapaxes(m, -1, -2)) / 2


@pytest.mark.parametrize("case", SYMMETRIC, ids=str)
def test_symmetric_input_gradient(case):
    """The gradient is symmetric and matches finite differences along symmetric directions
    (a general direction would leave the triangle the primitive reads)."""
    a, r = case.inputs()
    g = knet.grad(case.loss)(a, r)
    if case.key in SYMMETRIC_GRADIENT:
        np.testing.assert_allclose(g, np.swapaxes(g, -1, -2), atol=1e-12)
    v = _symmetric(np.random.default_rng(1).standard_normal(a.shape))
    eps = 1e-6
    numeric = (case.loss(a + eps * v, r) - case.loss(a - eps * v, r)) / (2 * eps)
    np.testing.assert_allclose(np.sum(g * v), numeric, rtol=1e-6, atol=1e-8)


# --- against independent computations ---
def _rng():
    return np.random.default_rng(7)


def test_matmul_gradient_is_the_textbook_formula():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4) - 5
    r = np.ones((2, 4)) + np.arange(4.0)
    da, db = knet.grad(binary(np.matmul), wrt=(0, 1))(a, b, r)
    np.testing.assert_allclose(da, r @ b.T)
    np.testing.assert_allclose(db, a.T @ r)


def test_einsum_matches_matmul_and_trace_formulas():
    rng = _rng()
    a, b, r = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    da, db = knet.grad(einsum("ij,jk->ik"), wrt=(0, 1))(a, b, r)
    np.testing.assert_allclose(da, r @ b.T)
    np.testing.assert_allclose(db, a.T @ r)
    np.testing.assert_allclose(knet.grad(einsum("ii"))(rng.standard_normal((3, 3)), 2.5),
                               2.5 * np.eye(3))


def test_trace_gradient_is_the_identity():
    np.testing.assert_array_equal(knet.grad(unary(np.trace))(np.ones((3, 4)), 2.0),
                                  2.0 * np.eye(3, 4))


def test_kron_gradient_sums_each_block():
    rng = _rng()
    a, b, r = rng.standard_normal((2, 3)), rng.standard_normal((4, 2)), rng.standard_normal((8, 6))
    da, db = knet.grad(binary(np.kron), wrt=(0, 1))(a, b, r)
    blocks = [[r[4 * i:4 * i + 4, 2 * j:2 * j + 2] for j in range(3)] for i in range(2)]
    np.testing.assert_allclose(da, [[np.sum(blocks[i][j] * b) for j in range(3)] for i in range(2)])
    np.testing.assert_allclose(db, sum(a[i, j] * blocks[i][j] for i in range(2) for j in range(3)))


def test_logdet_and_det_gradients_are_the_inverse_transpose():
    a = invertible(_rng(), (3, 3))
    inv_t = np.linalg.inv(a).T
    for loss in (slogdet_unpacked, slogdet_field):
        np.testing.assert_allclose(knet.grad(loss)(a, 1.0), inv_t)
    np.testing.assert_allclose(knet.grad(unary(np.linalg.det))(a, 1.0), np.linalg.det(a) * inv_t)


def test_solve_gradient_wrt_b_is_the_inverse_transpose():
    rng = _rng()
    a, b, r = invertible(rng, (3, 3)), rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    np.testing.assert_allclose(knet.grad(binary(np.linalg.solve), wrt=1)(a, b, r),
                               np.linalg.inv(a).T @ r)


def test_pinv_of_a_square_matrix_has_the_gradient_of_inv():
    rng = _rng()
    a, r = invertible(rng, (3, 3)), rng.standard_normal((3, 3))
    inv_t = np.linalg.inv(a).T
    np.testing.assert_allclose(knet.grad(unary(np.linalg.pinv))(a, r), -inv_t @ r @ inv_t)


def cholesky_logdet(a):
    return 2 * np.sum(np.log(np.diagonal(np.linalg.cholesky(a))))


def eigvalsh_logdet(a):
    return np.sum(np.log(np.linalg.eigvalsh(a)))


def eigh_logdet(a):
    w, v = np.linalg.eigh(a)
    return np.sum(np.log(w))


@pytest.mark.parametrize("logdet", [cholesky_logdet, eigvalsh_logdet, eigh_logdet])
def test_logdet_through_a_factorisation_has_gradient_inverse(logdet):
    """log det a of a symmetric positive definite a; its symmetric gradient is inv(a)."""
    a = positive_definite(_rng(), (3, 3))
    np.testing.assert_allclose(logdet(a), np.linalg.slogdet(a)[1])
    np.testing.assert_allclose(knet.grad(logdet)(a), np.linalg.inv(a), atol=1e-12)


def test_eigenvalue_sum_has_gradient_identity():
    a = symmetric_spread(_rng(), (2, 3, 3))
    np.testing.assert_allclose(knet.grad(unary(np.linalg.eigvalsh))(a, np.ones((2, 3))),
                               np.broadcast_to(np.eye(3), (2, 3, 3)), atol=1e-12)


def test_rebuilding_from_eigh_gives_the_symmetric_part():
    """v diag(w) v^T = (b + b^T) / 2, whose gradient is (r + r^T) / 2."""
    def rebuilt(b, r):
        w, v = np.linalg.eigh((b + b.T) / 2)
        return np.sum((v * w) @ v.T * r)

    rng = _rng()
    b, r = spread(rng, (3, 3)), rng.standard_normal((3, 3))
    np.testing.assert_allclose(knet.grad(rebuilt)(b, r), _symmetric(r), atol=1e-12)
