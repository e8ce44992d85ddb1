"""Forward mode and what is built on it: knet.jvp, knet.hvp, knet.jacobian, knet.hessian.

Every derivative is checked against numbers computed without knet_ast's forward mode:
- a jvp against central finite differences of f along a random direction v (any output
  shape), and for a scalar f also against <knet.grad(f), v> (reverse mode);
- an hvp against central finite differences of knet.grad(f) along v, and against the
  Hessian applied to v;
- a Jacobian in one mode against the other and against finite differences, column by column;
- a Hessian against finite differences of knet.grad, and against its own transpose.
Points and directions come from seeded generators; inputs stay away from kinks (max, abs,
branches) so that central differences are accurate.

Rows marked xfail are knet_ast bugs (strict: a fix makes them fail until unmarked).
"""
import numpy as np
import pytest
from checkgrad import inner, leaves, random_like, shift, tree_map
from tables import case, fixed, make_args, normal, number, positive, tree, uniform

import knet_ast as knet
from knet_ast.errors import NoRuleError

EPS = 1e-6


# --- helpers ---------------------------------------------------------------------------

def direction(x, rng):
    """A random float64 direction shaped like x (a number, array, or list/tuple/dict)."""
    return tree_map(lambda leaf: random_like(leaf, rng), x)


def moved(args, wrts, directions, step):
    out = list(args)
    for index, v in zip(wrts, directions):
        out[index] = tree_map(lambda leaf, d: shift(leaf, d, step), args[index], v)
    return out


def central(f, args, wrts, directions, eps=EPS):
    """(f(x + eps v) - f(x - eps v)) / (2 eps), for any tree of outputs."""
    plus, minus = f(*moved(args, wrts, directions, eps)), f(*moved(args, wrts, directions, -eps))
    return tree_map(lambda a, b: (np.asarray(a, np.float64) - np.asarray(b, np.float64))
                    / (2 * eps), plus, minus)


def unit_directions(x):
    """x's structure, zeros but a one at one entry, for each entry in turn."""
    flat = leaves(x)
    for i, leaf in enumerate(flat):
        for k in range(int(np.size(leaf))):
            parts = [np.zeros(np.shape(other)) for other in flat]
            parts[i].reshape(-1)[k] = 1.0
            it = iter(parts)
            yield tree_map(lambda other, it=it: next(it) if np.ndim(other) else float(next(it)), x)


def flatten(tree_):
    return np.concatenate([np.ravel(leaf) for leaf in leaves(tree_)])


def assert_close(actual, expected, rtol=1e-5, atol=1e-7, what="value"):
    """Same tree structure, same shapes, close leaves."""
    got, want = leaves(actual), leaves(expected)
    assert len(got) == len(want), f"{what}: {len(got)} leaves, expected {len(want)}"
    for k, (a, b) in enumerate(zip(got, want)):
        assert np.shape(a) == np.shape(b), f"{what}[{k}]: shape {np.shape(a)}, expected {np.shape(b)}"
        assert np.allclose(a, b, rtol=rtol, atol=atol), f"{what}[{k}]: {a!r}, expected {b!r}"


def check_jvp(f, args, wrt=0, rtol=1e-5, atol=1e-7, seed=0):
    """knet.jvp(f, wrt) along a random direction: f's value, finite differences, and for a
    scalar f, reverse mode."""
    wrts = wrt if isinstance(wrt, tuple) else (wrt,)
    rng = np.random.default_rng(seed + 1000)
    vs = [direction(args[i], rng) for i in wrts]
    tangent = tuple(vs) if isinstance(wrt, tuple) else vs[0]
    value, slope = knet.jvp(f, wrt=wrt)(*args, tangent=tangent)
    assert_close(value, f(*args), rtol=1e-12, atol=1e-12, what="value")
    assert_close(slope, central(f, args, wrts, vs), rtol, atol, what="tangent")
    if np.ndim(value) == 0:
        g = knet.grad(f, wrt=wrt)(*args)
        expected = sum(inner(gi, vi) for gi, vi in zip(g if isinstance(wrt, tuple) else (g,), vs))
        assert np.isclose(float(slope), expected, rtol=1e-9, atol=1e-12), (slope, expected)
    return value, slope


def rows_of(table):
    return [row.param() for row in table]


# --- functions: elementwise and broadcasting --------------------------------------------

def sin_times_tanh(x):
    return np.sum(np.sin(x) * np.tanh(x))


def exp_log_sqrt(x):
    return np.exp(x) + np.log(x) * np.sqrt(x)


def maximum_of_two(x, y):
    return np.maximum(x, 0.5 * y) * x


def where_branches(x):
    return np.where(x > 0, x ** 2, -np.sin(x))


def abs_power(x):
    return np.sum(np.abs(x) ** 1.5)


def powers(x, y):
    return x ** 3 + x ** y + 2.0 ** x


def divide_and_negate(x, y):
    return -x / (1.0 + y * y)


def scalar_plus_array(a, x):
    return a + x * a


def scalar_times_sum(a, x):
    return a * np.sum(np.cos(x))


def bias_rows(w, b, x):
    return np.tanh(x @ w + b)


def column_bias(x, c):
    return x * c + c


# --- reductions ------------------------------------------------------------------------

def sum_axis(x):
    return np.sum(x * x, axis=0)


def mean_keepdims(x):
    return np.mean(np.sin(x), axis=1, keepdims=True) * x


def max_axis(x):
    return np.max(x, axis=1)


def min_keepdims(x):
    return np.min(x, axis=0, keepdims=True)


def prod_axis(x):
    return np.prod(x, axis=1)


def var_axis(x):
    return np.var(x, axis=0)


def std_keepdims(x):
    return np.std(x, axis=1, keepdims=True)


def whole_reductions(x):
    return np.max(x) + np.min(x) * np.prod(x) + np.var(x) - np.std(x) + np.mean(x)


def method_sum(x):
    return x.sum(axis=0) * x.mean(axis=1).sum()


def method_reductions(x):
    return x.max(axis=1) + x.min(axis=1) + x.prod(axis=1) + x.var(axis=1) + x.std(axis=1)


def method_whole(x):
    return x.max() * x.var() + x.sum()


# --- linear operations -----------------------------------------------------------------

def reshape_transpose(x):
    return np.transpose(np.reshape(x, (3, 4))) * 2.0


def dot_t(x):
    return x.T @ np.sin(x)


def concatenate_stack(x, y):
    both = np.concatenate([x, y * y], axis=0)
    return np.stack([both, np.cos(both)], axis=1)


def slices(x):
    return x[1:] * x[:-1]


def column_and_row(x):
    return x[:, 0] * x[1, 1] + x[2] @ x[:2, 1]


def method_reshape(x):
    return x.reshape(-1).sum() * x.reshape(2, 6)


# --- products and linear algebra -------------------------------------------------------

def matmul(a, b):
    return a @ b


def np_dot(a, b):
    return np.dot(np.tanh(a), b)


def einsum_contract(a, b):
    return np.einsum("ij,jk->ik", a, b) + np.einsum("ij->i", a * a)[:, None]


def dot_method(a, b):
    return a.dot(b)


def inverse(a):
    return np.linalg.inv(a)


def determinant(a):
    return np.linalg.det(a)


def solve(a, b):
    return np.linalg.solve(a, b)


def solve_then_sum(a, b):
    return np.sum(np.linalg.solve(a, b) ** 2) + np.log(np.abs(np.linalg.det(a)))


# --- knet's own functions --------------------------------------------------------------

def relu_layer(w, x):
    return knet.relu(x @ w)


def sigm_layer(w, x):
    return knet.sigm(x @ w)


def logsumexp_rows(x):
    return knet.logsumexp(x, axis=1)


def nll_loss(w, x, labels):
    return knet.nll(x @ w, labels)


def well_conditioned(n):
    return lambda rng: np.eye(n) * 2.0 + 0.3 * rng.standard_normal((n, n))


LABELS = fixed(np.array([0, 2, 1, 2, 0]))

PRIMITIVE_CASES = [
    # elementwise
    case(sin_times_tanh, normal(3, 4)),
    case(exp_log_sqrt, positive(5)),
    case(maximum_of_two, normal(6), normal(6), wrt=(0, 1)),
    case(where_branches, normal(7)),
    case(abs_power, normal(5)),
    case(powers, positive(4), positive(4), wrt=(0, 1)),
    case(powers, number(0.5, 2.0), number(0.5, 2.0), wrt=(0, 1), label="numbers"),
    case(divide_and_negate, normal(2, 3), normal(2, 3), wrt=(0, 1)),
    # broadcasting
    case(scalar_plus_array, number(), normal(3, 2)),
    case(scalar_plus_array, number(), normal(3, 2), wrt=(0, 1), label="both"),
    case(scalar_times_sum, number(), normal(4), wrt=(0, 1)),
    case(bias_rows, normal(3, 2), normal(2), normal(5, 3), wrt=1, label="bias"),
    case(bias_rows, normal(3, 2), normal(2), normal(5, 3), wrt=(0, 1, 2), label="all"),
    case(column_bias, normal(4, 3), normal(4, 1), wrt=(0, 1)),
    # reductions
    case(sum_axis, normal(3, 4)),
    case(mean_keepdims, normal(3, 4)),
    case(max_axis, normal(3, 4)),
    case(min_keepdims, normal(3, 4)),
    case(prod_axis, normal(3, 4)),
    case(var_axis, normal(3, 4)),
    case(std_keepdims, normal(3, 4)),
    case(whole_reductions, normal(2, 3)),
    case(method_sum, normal(3, 4)),
    case(method_reductions, normal(3, 4)),
    case(method_whole, normal(3, 4)),
    # linear
    case(reshape_transpose, normal(2, 6)),
    case(dot_t, normal(4, 3)),
    case(concatenate_stack, normal(2, 3), normal(3, 3), wrt=(0, 1)),
    case(slices, normal(6)),
    case(column_and_row, normal(3, 2)),
    case(method_reshape, normal(3, 4)),
    # products and linear algebra
    case(matmul, normal(3, 4), normal(4, 2), wrt=(0, 1)),
    case(matmul, normal(3, 4), normal(4), wrt=1, label="vector"),
    case(np_dot, normal(3, 4), normal(4, 2), wrt=(0, 1)),
    case(einsum_contract, normal(3, 4), normal(4, 2), wrt=(0, 1)),
    case(dot_method, normal(3, 4), normal(4, 2), wrt=(0, 1)),
    case(inverse, well_conditioned(3)),
    case(determinant, well_conditioned(3)),
    case(solve, well_conditioned(3), normal(3, 2), wrt=(0, 1)),
    case(solve, well_conditioned(3), normal(3), wrt=(0, 1), label="vector"),
    case(solve_then_sum, well_conditioned(3), normal(3, 2), wrt=(0, 1)),
    # knet's functions
    case(relu_layer, normal(3, 4), normal(5, 3), wrt=(0, 1)),
    case(sigm_layer, normal(3, 4), normal(5, 3), wrt=(0, 1)),
    case(logsumexp_rows, normal(4, 3)),
    case(nll_loss, normal(3, 3), normal(5, 3), LABELS, wrt=(0, 1)),
]


@pytest.mark.parametrize("f, makers, wrt, rtol, atol", rows_of(PRIMITIVE_CASES))
def test_jvp_of_primitives(f, makers, wrt, rtol, atol):
    for seed in (0, 1):
        check_jvp(f, make_args(makers, seed), wrt, rtol, atol, seed)


# --- control flow ----------------------------------------------------------------------

def loop_from_constant(x):
    total = 0.0
    for i in range(3):
        total = total + np.sum(np.sin(x * (i + 1)))
    return total


def loop_array_from_constant(x, n):
    acc = np.zeros(3)
    scale = 1.0
    for _ in range(n):
        acc = acc * 0.5 + np.tanh(x) * scale
        scale = scale * np.sum(x * x)
    return acc


def loop_over_rows(x):
    total = 0.0
    for row in x:
        total = total + np.sum(row) ** 2
    return total


def while_doubling(x):
    while np.sum(x * x) < 20.0:
        x = x * 1.5 + 0.1
    return x


def while_counter(x):
    k = 0
    y = x
    while k < 4:
        y = np.sin(y) + x
        k = k + 1
    return np.sum(y * y)


def branch_on_value(x):
    if np.sum(x) > 0:
        y = np.exp(x) * 2.0
    else:
        y = np.sin(x) * x
    return y


def branch_on_number(a, x):
    if a > 0.5:
        return a * a * x
    return np.cos(a) * x


def helper_square(x):
    return x * x


def helper_layer(w, x):
    return np.tanh(x @ w)


def calls_helpers(w, x):
    h = helper_layer(w, x)
    return np.sum(helper_square(h)) + np.sum(helper_square(w))


def recursive_power(x, n):
    if n == 0:
        return np.ones_like(x)
    return x * recursive_power(x, n - 1)


def recursive_sum(x, n):
    return np.sum(recursive_power(np.sin(x), n))


def nested_closure(x, w):
    def layer(h):
        return np.tanh(h @ w)

    def twice(h):
        return layer(layer(h))

    return twice(x)


def closure_reads_outer(x):
    scale = np.sum(x)

    def scaled(y):
        return y * scale

    return scaled(np.cos(x))


def predict(w, x):
    for i in range(0, len(w), 2):
        x = np.tanh(x @ w[i] + w[i + 1])
    return x


def list_params(w, x):
    return predict(w, x)


def dict_params(p, x):
    h = np.tanh(x @ p["w"] + p["b"])
    return np.sum(h * p["scale"])


def tuple_params(p, x):
    w, b = p
    return x @ w + b


def mixed_args(w, x, y):
    d = predict(w, x) - y
    return np.mean(d * d)


def mlp_params(*sizes):
    makers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        makers += [normal(n_in, n_out, scale=0.7), normal(n_out, scale=0.3)]
    return tree(makers)


CONTROL_CASES = [
    case(loop_from_constant, normal(4)),
    case(loop_array_from_constant, normal(3, scale=0.5), fixed(3)),
    case(loop_array_from_constant, normal(3, scale=0.5), fixed(0), label="no-trip"),
    case(loop_over_rows, normal(4, 3)),
    case(while_doubling, uniform(0.3, 1.0, 4)),
    case(while_counter, normal(3)),
    case(branch_on_value, uniform(0.1, 1.0, 4), label="then"),
    case(branch_on_value, uniform(-1.0, -0.1, 4), label="else"),
    case(branch_on_number, number(0.6, 1.0), normal(3), wrt=(0, 1), label="then"),
    case(branch_on_number, number(-1.0, 0.4), normal(3), wrt=(0, 1), label="else"),
    case(calls_helpers, normal(3, 2), normal(4, 3), wrt=(0, 1)),
    case(recursive_power, normal(4), fixed(3)),
    case(recursive_sum, normal(4), fixed(4)),
    case(nested_closure, normal(4, 3), normal(3, 3, scale=0.5), wrt=(0, 1)),
    case(closure_reads_outer, normal(5)),
    case(list_params, mlp_params(3, 4, 2), normal(5, 3)),
    case(list_params, mlp_params(3, 4, 2), normal(5, 3), wrt=(0, 1), label="both"),
    case(dict_params, tree({"w": normal(3, 4), "b": normal(4), "scale": number()}), normal(2, 3)),
    case(tuple_params, tree((normal(3, 2), normal(2))), normal(4, 3)),
    case(mixed_args, mlp_params(3, 4, 2), normal(5, 3), normal(5, 2), wrt=(2, 0)),
]


@pytest.mark.parametrize("f, makers, wrt, rtol, atol", rows_of(CONTROL_CASES))
def test_jvp_through_control_flow(f, makers, wrt, rtol, atol):
    for seed in (0, 1):
        check_jvp(f, make_args(makers, seed), wrt, rtol, atol, seed)


def test_tangent_keeps_the_structure_of_the_argument():
    rng = np.random.default_rng(3)
    p = {"w": rng.standard_normal((3, 4)), "b": rng.standard_normal(4), "scale": 0.7}
    x = rng.standard_normal((2, 3))
    v = direction(p, rng)
    value, slope = knet.jvp(dict_params)(p, x, tangent=v)
    assert np.ndim(slope) == 0
    assert np.isclose(slope, central(dict_params, (p, x), (0,), [v]), rtol=1e-6)
    # a tangent of zeros gives a zero derivative
    zeros = tree_map(lambda leaf: np.zeros_like(leaf) if np.ndim(leaf) else 0.0, p)
    assert knet.jvp(dict_params)(p, x, tangent=zeros)[1] == 0.0


def test_wrt_by_name_matches_wrt_by_position():
    rng = np.random.default_rng(4)
    w, x, y = make_args([mlp_params(3, 4, 2)], 4)[0], rng.standard_normal((5, 3)), \
        rng.standard_normal((5, 2))
    vx = rng.standard_normal(x.shape)
    by_name = knet.jvp(mixed_args, wrt="x")(w, x, y, tangent=vx)[1]
    by_index = knet.jvp(mixed_args, wrt=1)(w, x, y, tangent=vx)[1]
    assert np.isclose(by_name, central(mixed_args, (w, x, y), (1,), [vx]), rtol=1e-6)
    assert np.isclose(by_name, by_index, rtol=1e-12)
    vw, vy = direction(w, rng), rng.standard_normal(y.shape)
    both = knet.jvp(mixed_args, wrt=("y", "w"))(w, x, y, tangent=(vy, vw))[1]
    expected = central(mixed_args, (w, x, y), (2, 0), [vy, vw])
    assert np.isclose(both, expected, rtol=1e-6)
    # a tuple wrt is linear in its tangents
    parts = knet.jvp(mixed_args, wrt="y")(w, x, y, tangent=vy)[1] + \
        knet.jvp(mixed_args, wrt="w")(w, x, y, tangent=vw)[1]
    assert np.isclose(both, parts, rtol=1e-10)


def test_jvp_is_linear_in_the_tangent():
    rng = np.random.default_rng(5)
    x, u, v = (rng.standard_normal((3, 4)) for _ in range(3))
    jf = knet.jvp(method_reductions)
    combined = jf(x, tangent=2.0 * u - 3.0 * v)[1]
    assert np.allclose(combined, 2.0 * jf(x, tangent=u)[1] - 3.0 * jf(x, tangent=v)[1])


def test_jvp_keyword_arguments():
    rng = np.random.default_rng(6)
    x, v = rng.standard_normal(4), rng.standard_normal(4)
    value, slope = knet.jvp(recursive_sum)(x, tangent=v, n=3)
    assert np.isclose(value, recursive_sum(x, 3))
    assert np.isclose(slope, central(lambda x: recursive_sum(x, 3), (x,), (0,), [v]), rtol=1e-6)


# --- hvp -------------------------------------------------------------------------------

def inverse_sum(a):
    return np.sum(np.linalg.inv(a) ** 2)


def max_min_loss(x):
    return np.max(x) ** 2 * np.min(np.sin(x)) + np.sum(np.maximum(x, 0.0) ** 3)


def mlp_loss(w, x, y):
    h = np.tanh(x @ w[0] + w[1])
    d = h @ w[2] + w[3] - y
    return np.mean(d * d)


def smooth_penalty(v):
    return np.sum(v * v) + 0.1 * np.sum(np.sin(v))


def loop_loss(w, x):
    total = 0.0
    h = x
    for layer in w:
        h = np.tanh(h @ layer)
        total = total + smooth_penalty(layer)
    return np.sum(h * h) + 0.01 * total


def softmax_classifier(w, x, labels):
    return knet.nll(x @ w[0] + w[1], labels)


def cubic_scalar(x):
    return np.sum(x ** 3) * np.sum(np.exp(x * 0.3)) + np.sum(np.sin(x[1:] * x[:-1]))


def quadratic_in_second(a, x):
    return np.sum(a * x * x) + np.sum(np.sin(x))


# losses on primitives whose gradient rule calls a kernel function (prod_grad, solve_grad...)
def prod_loss(x):
    return np.prod(x) + np.sum(np.prod(x.reshape(2, 2), axis=0) ** 2)


def var_std_loss(x):
    return np.var(x) * np.std(x)


def solve_loss(b, a):
    return np.sum(np.linalg.solve(a, b) ** 2)


def log_det_loss(a):
    return np.log(np.linalg.det(a))


def clip_loss(x):
    return np.sum(np.clip(x, -0.5, 0.5) ** 2) + np.sum(x * x)


def norm_loss(x):
    return np.linalg.norm(x) ** 3


def array_power_loss(x, y):
    return np.sum(x ** y)


def exponent_loss(y, x):
    return np.sum(x ** y) + np.sum(2.0 ** y)


def self_power_loss(x):
    return np.sum(x ** x)


def loop_powers(x):
    total = 0.0
    for k in range(1, 4):
        total = total + np.sum(x ** k)
    return total


KERNEL_BUG = ("hvp: the gradient calls a kernel ({}) that has no forward rule, and transforming "
              "its source raises")


HVP_CASES = [
    case(mlp_loss, mlp_params(3, 4, 2), normal(5, 3), normal(5, 2)),
    case(mlp_loss, mlp_params(3, 4, 2), normal(5, 3), normal(5, 2), wrt=1, label="x"),
    case(quadratic_in_second, normal(4), normal(4), wrt=1),
    case(loop_loss, tree([normal(3, 3, scale=0.6), normal(3, 2, scale=0.6)]), normal(4, 3)),
    case(softmax_classifier, tree([normal(3, 3), normal(3)]), normal(5, 3), LABELS),
    case(cubic_scalar, normal(4)),
    case(sin_times_tanh, normal(3, 4)),
    case(inverse_sum, well_conditioned(3)),
    case(max_min_loss, normal(5)),
    case(recursive_sum, normal(4), fixed(3)),
    case(prod_loss, uniform(0.5, 1.5, 4), xfail=KERNEL_BUG.format("prod_grad")),
    case(var_std_loss, normal(5), xfail=KERNEL_BUG.format("half_over of var_grad/std_grad")),
    case(solve_loss, normal(3, 2), well_conditioned(3), xfail=KERNEL_BUG.format("solve_grad")),
    case(log_det_loss, well_conditioned(3), xfail=KERNEL_BUG.format("det_grad")),
    case(clip_loss, uniform(-1.0, 1.0, 6), xfail=KERNEL_BUG.format("clip_grad")),
    case(norm_loss, normal(4), xfail=KERNEL_BUG.format("norm_grad")),
    case(array_power_loss, positive(4), positive(4)),
    case(exponent_loss, positive(4), positive(4), xfail=KERNEL_BUG.format("pow_db")),
    case(self_power_loss, positive(4), xfail=KERNEL_BUG.format("pow_da, active exponent")),
    case(loop_powers, normal(4), xfail=KERNEL_BUG.format("pow_da, x ** k with k from range")),
]


@pytest.mark.parametrize("f, makers, wrt, rtol, atol", rows_of(HVP_CASES))
def test_hvp_against_finite_differences_of_grad(f, makers, wrt, rtol, atol):
    args = make_args(makers, 0)
    rng = np.random.default_rng(7)
    v = direction(args[wrt], rng)
    hv = knet.hvp(f, wrt=wrt)(*args, tangent=v)
    expected = central(knet.grad(f, wrt=wrt), args, (wrt,), [v], eps=1e-5)
    assert_close(hv, expected, rtol=1e-5, atol=1e-7, what="hvp")
    assert type(hv) is type(args[wrt])


def hessian_matrix(h, x):
    """The blocks h[i][j] of a Hessian of a list/dict argument, as one square matrix."""
    keys = list(x) if isinstance(x, dict) else range(len(x))
    sizes = [np.size(x[k]) for k in keys]
    return np.block([[np.reshape(h[i][j], (si, sj)) for j, sj in zip(keys, sizes)]
                     for i, si in zip(keys, sizes)])


def test_hvp_equals_hessian_times_v_and_hessian_is_symmetric():
    rng = np.random.default_rng(8)
    x, v = rng.standard_normal(5), rng.standard_normal(5)
    h = knet.hessian(cubic_scalar)(x)
    assert h.shape == (5, 5)
    assert np.allclose(h, h.T, rtol=1e-10, atol=1e-12)
    assert np.allclose(knet.hvp(cubic_scalar)(x, tangent=v), h @ v, rtol=1e-10, atol=1e-12)


def test_hvp_of_list_argument_equals_blocks_of_hessian():
    args = make_args([mlp_params(2, 3, 1), normal(4, 2), normal(4, 1)], 9)
    w = args[0]
    v = direction(w, np.random.default_rng(9))
    h = hessian_matrix(knet.hessian(mlp_loss)(*args), w)
    n = sum(np.size(leaf) for leaf in w)
    assert h.shape == (n, n)
    assert np.allclose(h, h.T, rtol=1e-8, atol=1e-10)
    hv = knet.hvp(mlp_loss)(*args, tangent=v)
    assert np.allclose(flatten(hv), h @ flatten(v), rtol=1e-8, atol=1e-10)


# --- jacobian --------------------------------------------------------------------------

def jacobian_by_differences(f, args, wrt, out_shape):
    """Blocks out_shape + leaf.shape, one central difference per input entry."""
    x = args[wrt]
    columns = [np.asarray(central(f, args, (wrt,), [e])) for e in unit_directions(x)]
    blocks, start = [], 0
    for leaf in leaves(x):
        mine, start = columns[start:start + np.size(leaf)], start + np.size(leaf)
        blocks.append(np.stack(mine, axis=-1).reshape(tuple(out_shape) + np.shape(leaf)))
    it = iter(blocks)
    return tree_map(lambda _: next(it), x)


def vector_field(x):
    return np.array([x[0] * x[1], np.sin(x[2]), x[0] ** 2 + np.exp(x[1])])


def curve(t):
    return np.array([np.cos(t), np.sin(t) * t, t ** 3])


def dict_to_matrix(p, x):
    return np.tanh(x @ p["w"] + p["b"])


def list_to_vector(w, x):
    return predict(w, x)[0]


JACOBIAN_CASES = [
    case(vector_field, normal(3)),
    case(bias_rows, normal(3, 2), normal(2), normal(4, 3), label="matrix->matrix"),
    case(curve, number()),
    case(inverse, well_conditioned(3)),
    case(max_axis, normal(3, 4)),
    case(dict_to_matrix, tree({"w": normal(3, 2), "b": normal(2)}), normal(4, 3)),
    case(list_to_vector, mlp_params(2, 3, 2), normal(3, 2)),
    case(determinant, well_conditioned(3)),
]


@pytest.mark.parametrize("f, makers, wrt, rtol, atol", rows_of(JACOBIAN_CASES))
def test_jacobian_modes_agree_with_finite_differences(f, makers, wrt, rtol, atol):
    args = make_args(makers, 0)
    out_shape = np.shape(f(*args))
    expected = jacobian_by_differences(f, args, wrt, out_shape)
    results = {mode: knet.jacobian(f, wrt=wrt, mode=mode)(*args)
               for mode in ("reverse", "forward", "auto")}
    for mode, jac in results.items():
        assert type(jac) is type(expected), mode
        if isinstance(expected, dict):
            assert list(jac) == list(expected), mode
        assert_close(jac, expected, rtol=1e-5, atol=1e-7, what=f"jacobian {mode}")
    assert_close(results["reverse"], results["forward"], rtol=1e-10, atol=1e-12, what="modes")


def test_jacobian_shapes():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 3))
    assert knet.jacobian(sum_axis)(x).shape == (3, 2, 3)
    assert knet.jacobian(reshape_transpose, mode="forward")(rng.standard_normal((2, 6))).shape \
        == (4, 3, 2, 6)
    assert knet.jacobian(curve)(0.3).shape == (3,)
    assert knet.jacobian(sin_times_tanh)(x).shape == (2, 3)
    p = {"w": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    jac = knet.jacobian(dict_to_matrix)(p, rng.standard_normal((4, 3)))
    assert list(jac) == ["w", "b"]
    assert jac["w"].shape == (4, 2, 3, 2) and jac["b"].shape == (4, 2, 2)


def test_jacobian_of_a_linear_map_is_its_matrix():
    rng = np.random.default_rng(11)
    a, x = rng.standard_normal((4, 3)), rng.standard_normal(3)
    for mode in ("reverse", "forward"):
        assert np.allclose(knet.jacobian(matmul, wrt=1, mode=mode)(a, x), a, rtol=1e-12)
        # d(a @ x)/da[i, j] = x[j] on row i
        jac = knet.jacobian(matmul, wrt=0, mode=mode)(a, x)
        assert np.allclose(jac, np.einsum("ij,k->ijk", np.eye(4), x), rtol=1e-12)


# --- hessian ---------------------------------------------------------------------------

def quadratic_form(x, a):
    return x @ a @ x


def dict_loss(p, x):
    h = np.tanh(x @ p["w"] + p["b"])
    return np.sum(h * h) * p["c"]


HESSIAN_CASES = [
    case(cubic_scalar, normal(4)),
    case(sin_times_tanh, normal(2, 3)),
    case(mlp_loss, mlp_params(2, 2, 1), normal(4, 2), normal(4, 1)),
    case(dict_loss, tree({"w": normal(2, 3), "b": normal(3), "c": number(0.5, 1.5)}), normal(4, 2)),
    case(loop_loss, tree([normal(2, 2, scale=0.6), normal(2, 1, scale=0.6)]), normal(3, 2)),
    case(quadratic_in_second, normal(3), normal(3), wrt=1),
    case(inverse_sum, well_conditioned(2)),
    case(determinant, well_conditioned(2), xfail=KERNEL_BUG.format("det_grad")),
]


def hessian_by_differences(f, args, wrt):
    """The Hessian as one square matrix over the flattened entries of args[wrt]: column k is
    the central difference of knet.grad(f) along the k-th unit direction."""
    gradient, x = knet.grad(f, wrt=wrt), args[wrt]
    columns = [flatten(central(gradient, args, (wrt,), [e], eps=1e-5)) for e in unit_directions(x)]
    return np.stack(columns, axis=1)


@pytest.mark.parametrize("f, makers, wrt, rtol, atol", rows_of(HESSIAN_CASES))
def test_hessian_against_finite_differences_of_grad(f, makers, wrt, rtol, atol):
    args = make_args(makers, 0)
    x = args[wrt]
    h = knet.hessian(f, wrt=wrt)(*args)
    if isinstance(x, (list, tuple, dict)):
        keys = list(x) if isinstance(x, dict) else range(len(x))
        assert type(h) is type(x) and all(type(h[i]) is type(x) for i in keys)
        for i in keys:
            for j in keys:
                assert np.shape(h[i][j]) == np.shape(x[i]) + np.shape(x[j]), (i, j)
        matrix = hessian_matrix(h, x)
    else:
        assert np.shape(h) == np.shape(x) + np.shape(x)
        matrix = np.reshape(h, (np.size(x), np.size(x)))
    assert np.allclose(matrix, hessian_by_differences(f, args, wrt), rtol=1e-5, atol=1e-7)
    assert np.allclose(matrix, matrix.T, rtol=1e-8, atol=1e-10)


def test_hessian_of_quadratic_form_is_a_plus_a_transposed():
    rng = np.random.default_rng(12)
    x, a = rng.standard_normal(4), rng.standard_normal((4, 4))
    assert np.allclose(knet.hessian(quadratic_form)(x, a), a + a.T, rtol=1e-12)


# --- user rules: defjvp ----------------------------------------------------------------

@knet.primitive
def softclip(x):
    return np.tanh(x) * 2.0


knet.defgrad(softclip, x="dy * 2.0 * (1.0 - np.tanh(x) ** 2)")
knet.defjvp(softclip, x="dx * 2.0 * (1.0 - np.tanh(x) ** 2)")


@knet.primitive
def forward_only(x):
    return x ** 3


knet.defjvp(forward_only, x="3.0 * dx * x ** 2")


@knet.primitive
def scaled_by_rule(x):
    return x * 1.0


knet.defgrad(scaled_by_rule, x="dy * 1.0")
knet.defjvp(scaled_by_rule, x="dx * 7.0")  # deliberately not the derivative: shows the rule is used


def uses_softclip(w, x):
    return np.sum(softclip(x @ w) ** 2)


def uses_forward_only(x):
    return np.sin(forward_only(x))


def uses_scaled_by_rule(x):
    return scaled_by_rule(x) + x


def test_defjvp_rule_of_a_user_primitive():
    args = make_args([normal(3, 2), normal(4, 3)], 13)
    check_jvp(uses_softclip, args, wrt=(0, 1))


@pytest.mark.xfail(strict=True, reason="jvp of a primitive with a forward rule but no gradient "
                   "rule raises NoRuleError (activity analysis asks for a gradient rule)")
def test_defjvp_without_a_gradient_rule():
    x, v = make_args([normal(5), normal(5)], 13)
    value, slope = knet.jvp(uses_forward_only)(x, tangent=v)
    assert np.allclose(slope, np.cos(x ** 3) * 3.0 * x ** 2 * v, rtol=1e-12)


def test_defjvp_rule_is_the_one_used():
    rng = np.random.default_rng(14)
    x, v = rng.standard_normal(3), rng.standard_normal(3)
    _, slope = knet.jvp(uses_scaled_by_rule)(x, tangent=v)
    assert np.allclose(slope, 8.0 * v, rtol=1e-12)


def test_hvp_through_a_user_primitive():
    args = make_args([normal(3, 2), normal(4, 3)], 15)
    v = np.random.default_rng(15).standard_normal(args[0].shape)
    hv = knet.hvp(uses_softclip)(*args, tangent=v)
    expected = central(knet.grad(uses_softclip), args, (0,), [v], eps=1e-5)
    assert np.allclose(hv, expected, rtol=1e-5, atol=1e-7)


# --- errors and source -----------------------------------------------------------------

def sorted_weighted(x):
    return np.sum(np.sort(x) * np.arange(3.0))


def cumulative_product(x):
    return np.sum(np.cumprod(x))


@pytest.mark.parametrize("f, name", [(sorted_weighted, "sort"), (cumulative_product, "cumprod")])
def test_primitive_without_forward_rule_raises_no_rule_error(f, name):
    x = np.array([0.3, -1.2, 2.0])
    assert np.shape(knet.grad(f)(x)) == (3,)  # reverse mode has a rule
    with pytest.raises(NoRuleError, match="defjvp") as info:
        knet.jvp(f)(x, tangent=np.ones(3))
    assert name in str(info.value)


def test_jvp_without_tangent_is_a_type_error():
    x = np.ones(3)
    with pytest.raises(TypeError, match="tangent"):
        knet.jvp(sin_times_tanh)(x)
    with pytest.raises(TypeError, match="tangent"):
        knet.hvp(sin_times_tanh)(x)


def test_source_of_jvp_and_hvp():
    jvp_source = knet.jvp(sin_times_tanh).source
    hvp_source = knet.hvp(sin_times_tanh).source
    assert "def jvp_" in jvp_source and "def jvp_sin_times_tanh(" in jvp_source
    assert "def jvp_grad_" in hvp_source
    for source in (jvp_source, hvp_source):
        compile(source, "<check>", "exec")
    helpers = knet.jvp(calls_helpers).source
    assert "def jvp_calls_helpers(" in helpers and helpers.count("def ") >= 3
