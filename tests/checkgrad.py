"""One generic gradient checker: knet_ast's gradient against central finite differences.

`check_grad(f, *args, wrt=0)` computes knet.grad(f, wrt)(*args), picks a random
float64 direction v shaped like args[wrt], and compares <grad, v> with
(f(x + eps v) - f(x - eps v)) / (2 eps). It also checks that the gradient has
the structure, shapes and dtypes of the argument, and that no input was modified.
"""
import copy
import numbers

import numpy as np

import knet_ast as knet


def leaves(tree):
    """The array/number leaves of a list/tuple/dict tree, in a fixed order."""
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in leaves(item)]
    if isinstance(tree, dict):
        return [leaf for key in tree for leaf in leaves(tree[key])]
    return [tree]


def tree_map(fn, *trees):
    first = trees[0]
    if isinstance(first, (list, tuple)):
        items = [tree_map(fn, *parts) for parts in zip(*trees)]
        return type(first)(*items) if hasattr(first, "_fields") else type(first)(items)
    if isinstance(first, dict):
        return type(first)((k, tree_map(fn, *(t[k] for t in trees))) for k in first)
    return fn(*trees)


def is_float_leaf(x):
    if isinstance(x, np.ndarray) or isinstance(x, np.generic):
        return np.issubdtype(x.dtype, np.floating)
    return isinstance(x, float)


def random_like(x, rng):
    if isinstance(x, np.ndarray):
        return rng.standard_normal(x.shape) if is_float_leaf(x) else np.zeros(x.shape)
    if is_float_leaf(x):
        return float(rng.standard_normal())
    return 0.0


def shift(x, v, eps):
    if isinstance(x, np.ndarray):
        return x + eps * v.astype(x.dtype) if is_float_leaf(x) else x
    if isinstance(x, np.generic):
        return type(x)(x + eps * v) if is_float_leaf(x) else x
    if isinstance(x, float):
        return x + eps * v
    return x


def inner(g, v):
    total = 0.0
    for gl, vl in zip(leaves(g), leaves(v)):
        if gl is None:
            continue
        total += float(np.sum(np.asarray(gl, dtype=np.float64) * vl))
    return total


def assert_same_structure(g, x, path="grad"):
    if isinstance(x, (list, tuple, dict)):
        assert type(g) is type(x), f"{path}: {type(g).__name__} for a {type(x).__name__}"
        assert len(g) == len(x), f"{path}: {len(g)} entries for {len(x)}"
        keys = list(x) if isinstance(x, dict) else range(len(x))
        if isinstance(x, dict):
            assert list(g) == list(x), f"{path}: keys {list(g)} for {list(x)}"
        for k in keys:
            assert_same_structure(g[k], x[k], f"{path}[{k!r}]")
    elif isinstance(x, np.ndarray):
        assert isinstance(g, np.ndarray), f"{path}: {type(g).__name__} for an array"
        assert g.shape == x.shape, f"{path}: shape {g.shape} for {x.shape}"
        assert g.dtype == x.dtype, f"{path}: dtype {g.dtype} for {x.dtype}"
    elif isinstance(x, np.generic):
        assert type(g) is type(x), f"{path}: {type(g).__name__} for {type(x).__name__}"
    elif isinstance(x, numbers.Real) and not isinstance(x, bool):
        assert isinstance(g, float), f"{path}: {type(g).__name__} for a number"


def assert_unchanged(before, after):
    for a, b in zip(leaves(before), leaves(after)):
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, b), "an input array was modified by the gradient call"
        else:
            assert a == b or (a != a and b != b), "an input was modified"


def check_grad(f, *args, wrt=0, rtol=1e-5, atol=1e-7, eps=1e-6, seed=0, kwargs=None, grad=None):
    """Assert knet.grad(f) matches central differences along a random direction."""
    kwargs = kwargs or {}
    rng = np.random.default_rng(seed)
    snapshot = copy.deepcopy(args)
    g = (grad or knet.grad(f, wrt=wrt))(*args, **kwargs)
    assert_unchanged(snapshot, args)
    wrts = wrt if isinstance(wrt, tuple) else (wrt,)
    grads = g if isinstance(wrt, tuple) else (g,)
    for index, gi in zip(wrts, grads):
        x = args[index]
        assert_same_structure(gi, x)
        v = tree_map(lambda leaf: random_like(leaf, rng), x)

        def at(step, index=index, x=x, v=v):
            moved = list(args)
            moved[index] = tree_map(lambda leaf, d: shift(leaf, d, step), x, v)
            return float(f(*moved, **kwargs))

        numeric = (at(eps) - at(-eps)) / (2 * eps)
        analytic = inner(gi, v)
        assert np.isclose(analytic, numeric, rtol=rtol, atol=atol), (
            f"argument {index}: knet_ast gives {analytic!r}, finite differences {numeric!r}")
    return g


def check_gradloss_value(f, *args, wrt=0):
    """knet.gradloss(f, wrt)(*args) returns, beside the gradient, f's own value."""
    expected = f(*args)
    _, loss = knet.gradloss(f, wrt=wrt)(*args)
    assert np.shape(loss) == np.shape(expected)
    assert np.allclose(loss, expected, rtol=1e-12, atol=1e-12), f"loss {loss!r}, f gives {expected!r}"
