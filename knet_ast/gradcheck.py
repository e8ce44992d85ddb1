"""knet.gradcheck: compare knet_ast's gradient with central finite differences, as Knet does."""
import inspect
import numbers

import numpy as np

from .api import grad
from .runtime.backend import array_module, is_array, to_host


def gradcheck(f, *args, wrt=0, ndirections=3, nsample=10, eps=1e-6, rtol=1e-4, atol=1e-6,
              seed=0, verbose=1, **kwargs):
    """Check the gradient of `f(*args, **kwargs)` (a scalar) w.r.t. argument(s) `wrt`.

    The arguments are copied to float64. Two checks against central differences
    (f(x + eps v) - f(x - eps v)) / (2 eps):

    - along `ndirections` random directions v over all the argument's entries,
      the directional derivative <grad, v>;
    - at `nsample` randomly chosen entries, the partial derivative itself.

    A value passes when |analytic - numeric| <= atol + rtol * |numeric|. Returns
    True if every check passes; otherwise prints the worst entry (unless
    verbose=0) and returns False. verbose=2 prints every comparison. `wrt` takes
    indices or parameter names, as knet.grad does. Finite differences see through
    knet.getval, so a function that stops a gradient on purpose fails this check.

    Examples
    --------
    >>> def loss(w, x):
    ...     return np.sum(np.tanh(x @ w[0] + w[1]) ** 2)
    >>> rng = np.random.default_rng(0)
    >>> w = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
    >>> knet.gradcheck(loss, w, rng.standard_normal((5, 3)))
    True
    >>> @knet.primitive(x="dy * 2")          # a wrong rule: d/dx x**3 is not 2
    ... def cube(x):
    ...     return x ** 3
    >>> def h(x):
    ...     return np.sum(cube(x))
    >>> knet.gradcheck(h, np.ones(3), verbose=0)
    False
    """
    rng = np.random.default_rng(seed)
    args = [_float64(a) for a in args]
    wrts = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
    positional = list(inspect.signature(f).parameters)
    indices = [positional.index(w) if isinstance(w, str) else w for w in wrts]
    grads = grad(f, wrt=tuple(indices))(*args, **kwargs)
    rows = []  # (what, analytic, numeric)
    for index, g in zip(indices, grads):
        x = args[index]
        paths, values = _float_leaves(x, f"argument {index}")
        gvalues = _float_leaves(g, "")[1]
        if not values:
            continue

        def loss_at(new_values, index=index, x=x):
            moved = list(args)
            moved[index] = _rebuild(x, iter(new_values))
            return float(f(*moved, **kwargs))

        def numeric(direction, values=values, loss_at=loss_at):
            plus = [v + eps * d for v, d in zip(values, direction)]
            minus = [v - eps * d for v, d in zip(values, direction)]
            return (loss_at(plus) - loss_at(minus)) / (2 * eps)

        for k in range(ndirections):
            direction = [_random_like(v, rng) for v in values]
            analytic = sum(float(_sum(gv * d)) for gv, d in zip(gvalues, direction))
            rows.append((f"argument {index}: random direction {k + 1}", analytic,
                         numeric(direction)))
        sizes = [int(np.size(v)) for v in values]
        total = sum(sizes)
        for flat in rng.choice(total, size=min(nsample, total), replace=False):
            leaf = int(np.searchsorted(np.cumsum(sizes), flat, side="right"))
            offset = int(flat) - sum(sizes[:leaf])
            direction = [_unit(v, offset) if i == leaf else _zero(v) for i, v in enumerate(values)]
            where = np.unravel_index(offset, np.shape(values[leaf])) if np.ndim(values[leaf]) else ()
            label = paths[leaf] + (str(list(map(int, where))) if where else "")
            rows.append((label, float(np.ravel(to_host(gvalues[leaf]))[offset]), numeric(direction)))
    return _report(rows, rtol, atol, verbose)


def _report(rows, rtol, atol, verbose):
    def excess(row):
        _, analytic, numeric = row
        return abs(analytic - numeric) / (atol + rtol * abs(numeric))

    for row in rows if verbose >= 2 else ():
        print(f"gradcheck {row[0]}: analytic {row[1]:.6g}, numeric {row[2]:.6g}")
    failed = [row for row in rows if excess(row) > 1]
    if not failed:
        return True
    if verbose:
        entries = [row for row in failed if "random direction" not in row[0]]
        worst = max(entries or failed, key=excess)  # an entry says more than a direction
        print(f"gradcheck failed {len(failed)} of {len(rows)} checks; worst: {worst[0]}: "
              f"analytic {worst[1]:.6g}, numeric {worst[2]:.6g}, "
              f"difference {abs(worst[1] - worst[2]):.3g} (allowed {atol + rtol * abs(worst[2]):.3g})")
    return False


def _float64(x):
    """A float64 copy of every float leaf of x (containers rebuilt, other leaves kept)."""
    if isinstance(x, (list, tuple, dict)):
        return _rebuild(x, iter(_float64(v) for v in _float_leaves(x, "")[1]))
    if is_array(x) and array_module(x).issubdtype(x.dtype, np.floating):
        return x.astype(np.float64)
    if isinstance(x, np.floating):
        return np.float64(x)
    return x


def _is_float(x):
    if is_array(x) or isinstance(x, np.generic):
        return np.issubdtype(x.dtype, np.floating)
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, numbers.Integral))


def _float_leaves(x, path):
    """(paths, values) of the float leaves of a list/tuple/dict tree, in a fixed order."""
    if isinstance(x, dict):
        items = [(f"{path}[{k!r}]", v) for k, v in x.items()]
    elif isinstance(x, (list, tuple)):
        items = [(f"{path}[{i}]", v) for i, v in enumerate(x)]
    else:
        return ([path], [x]) if _is_float(x) else ([], [])
    paths, values = [], []
    for p, v in items:
        more_paths, more_values = _float_leaves(v, p)
        paths += more_paths
        values += more_values
    return paths, values


def _rebuild(x, values):
    """x with its float leaves replaced, in order, by the next items of `values`."""
    if isinstance(x, dict):
        return type(x)((k, _rebuild(v, values)) for k, v in x.items())
    if isinstance(x, (list, tuple)):
        items = [_rebuild(v, values) for v in x]
        return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
    return next(values) if _is_float(x) else x


def _random_like(v, rng):
    if is_array(v):
        return array_module(v).asarray(rng.standard_normal(v.shape))
    return float(rng.standard_normal())


def _unit(v, offset):
    if is_array(v):
        e = array_module(v).zeros(v.size)
        e[offset] = 1.0
        return e.reshape(v.shape)
    return 1.0


def _zero(v):
    return array_module(v).zeros(v.shape) if is_array(v) else 0.0


def _sum(x):
    return x.sum() if is_array(x) else x


__all__ = ["gradcheck"]
