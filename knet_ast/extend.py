"""Extending knet_ast: your own primitives, their gradients, and stopping gradients.

    @knet.primitive(x="dy * (1 - y * y)")   # never read as source; its rule is this template
    def my_tanh(x):
        return np.tanh(x)

    knet.defgrad(my_tanh, x="...")          # or attach (or replace) the rule later
    knet.nondiff(my_argmax)                  # outputs carry no gradient
    knet.getval(x)                           # x, with no gradient flowing through it

See docs/extending.md for a walk-through.
"""
from .primitives.registry import PRIMITIVES, changed, defgrad, nondiff


def primitive(fn=None, **templates):
    """Declare `fn` a primitive: knet_ast calls it as it is instead of differentiating its
    source. Gradient templates given here (one per parameter, as in `knet.defgrad`) are
    registered at once; without them, differentiating through a call to `fn` raises
    NoRuleError until `knet.defgrad(fn, ...)` attaches a rule.

    Usable as `@knet.primitive` or `@knet.primitive(x="dy * ...")`.

    Examples
    --------
    >>> @knet.primitive(x="dy * 2 * x")        # the template is pasted into the gradient
    ... def square(x):
    ...     return x * x
    >>> def f(x):
    ...     return square(x) + x
    >>> df = knet.grad(f)
    >>> float(df(3.0))
    7.0
    >>> "2 * x" in df.source
    True
    """
    if fn is None:
        return lambda f: primitive(f, **templates)
    PRIMITIVES.add(fn)
    changed()
    if templates:
        defgrad(fn, **templates)
    return fn


@nondiff
def getval(x):
    """x itself, through which no gradient flows (Knet's getval; also `stop_gradient`).

    Examples
    --------
    >>> def f(x):
    ...     return x * knet.getval(x)     # differentiated as x * c with c = x
    >>> float(knet.grad(f)(3.0))
    3.0
    """
    return x


stop_gradient = getval

__all__ = ["primitive", "getval", "stop_gradient", "defgrad", "nondiff"]
