"""grad, gradloss and the GradFunction object they return."""
import functools
import inspect
import linecache
import numbers
import sys
import weakref

import numpy as np

from .errors import KnetError, NonScalarOutputError
from .runtime.accumulate import unshare
from .runtime.backend import is_array
from .runtime.training import TRAINING
from .transform.closures import LocalFunction
from .transform.fence import fence
from .transform.parse import param_names
from .transform.pipeline import build_gradient, parse_primal

_CACHE = weakref.WeakKeyDictionary()  # user function -> {(kind, wrt names): Built}


class GradFunction:
    """The gradient of a Python function, computed by generated source code.

    Call it like the original function. `.source` is the generated adjoint,
    `.primal` the original function, `.wrt` the names of the differentiated
    parameters. The source is generated at the first call (or the first read of
    `.source`) and rebuilt when a function it depends on is redefined.

    Examples
    --------
    >>> def f(x, y):
    ...     return x * y + np.sin(x)
    >>> df = knet.grad(f, wrt=("x", "y"))
    >>> df.wrt, df.primal is f
    (('x', 'y'), True)
    >>> dx, dy = df(0.0, 3.0)         # (y + cos x, x)
    >>> float(dx), float(dy)
    (4.0, 0.0)
    >>> print(df.source)              # doctest: +ELLIPSIS
    def grad_f(x, y):
    ...
    """

    def __init__(self, func, wrt=0, return_loss=False, verbose=0):
        if isinstance(func, GradFunction) and (func.return_loss or func._bound_self or
                                               func.kind != "grad"):
            raise KnetError(f"knet.grad of {func!r}: differentiate a knet.grad of a plain "
                            "function (not a gradloss, jvp or bound method); grad(grad(f)) "
                            "works for any f that returns a scalar")
        if not callable(func) and not isinstance(func, LocalFunction):  # (nested: transform only)
            raise TypeError(f"knet.grad expects a function, got {type(func).__name__}")
        self._bound_self = ()
        if inspect.ismethod(func):  # obj.loss: differentiate the function, pass obj first
            self._bound_self = (func.__self__,)
            func = func.__func__
        self.primal = func
        self.return_loss = return_loss
        self.verbose = verbose
        parsed = fence(parse_primal(func))  # syntax errors surface here, before any call
        self._wrt_tuple = isinstance(wrt, (tuple, list))
        self.wrt = _wrt_names(parsed, wrt, skip=len(self._bound_self))
        self._return = parsed.node.body[-1]
        positional = param_names(parsed.node)[:len(parsed.node.args.posonlyargs)
                                              + len(parsed.node.args.args)]
        self._wrt_places = [(name, positional.index(name) - len(self._bound_self)
                             if name in positional else sys.maxsize) for name in self.wrt]
        self._parsed = parsed
        self._built = None
        functools.update_wrapper(self, func, updated=())

    kind = "grad"  # what the generated code computes: grad, jvp (JvpFunction) or vjp

    def _build(self):
        return build_gradient(self.primal, self.wrt, self.verbose, seeded=self.kind == "vjp")

    def _compiled(self):
        """The generated code, rebuilt if a global function it used has been rebound."""
        if self._built is None or not self._built.is_current():
            per_function = _CACHE.setdefault(self.primal, {})
            key = (self.kind, self.wrt)
            cached = per_function.get(key)
            if cached is None or self.verbose or not cached.is_current():
                per_function[key] = self._build()
            self._built = per_function[key]
        return self._built

    def generated_code(self):
        """(generated function, whether it returns a tuple, a dependency on it): what
        `grad(self)` differentiates (transform/pipeline.py, parse_primal)."""
        built = self._compiled()
        return built.function, self._wrt_tuple, _Rebuilt(self, built)

    @property
    def source(self):
        """The generated adjoint (and its helpers), as Python source."""
        return self._compiled().source

    def __call__(self, *args, **kwargs):
        value, grads = self._run((), args, kwargs)
        grads = unshare(grads)
        if self._wrt_tuple and len(self.wrt) == 1:
            grads = (grads,)
        return (grads, value) if self.return_loss else grads

    def _run(self, leading, args, kwargs):
        """Call the generated function with `leading` arguments (tangents, a seed) first."""
        for name, position in self._wrt_places:
            value = args[position] if position < len(args) else kwargs.get(name)
            _refuse_non_real(value, name, self.primal)
        built = self._built
        if built is None or not built.is_current():
            built = self._compiled()
        if self._bound_self:
            args = self._bound_self + args
        try:
            with TRAINING:
                return built.function(*leading, *args, **kwargs)
        except NonScalarOutputError as exc:
            raise self._parsed.error(NonScalarOutputError, self._return, str(exc),
                                     "knet.grad differentiates functions that return one "
                                     "number (a loss).") from None
        except Exception as exc:
            _note_user_line(exc, built)
            raise

    def __repr__(self):
        kind = "gradloss" if self.return_loss else self.kind
        return f"<knet_ast {kind} of {self.primal.__qualname__} w.r.t. {', '.join(self.wrt)}>"


class _Rebuilt:
    """A gradient of a gradient depends on the inner one's generated code staying current."""

    kind, key = "gradient", None

    def __init__(self, inner, built):
        self.container, self.built = inner, built

    def holds(self):
        return self.container._built is self.built and self.built.is_current()


def grad(func=None, wrt=0, verbose=0):
    """The gradient of `func` with respect to argument `wrt`, as a function.

    `func` must return a scalar. The argument may be a number, an array, or any
    nesting of list/tuple/dict of those; the gradient has the same structure.

    `wrt` is an index, a parameter name, or a tuple of them (then a tuple of
    gradients is returned). `verbose=1` prints the generated source,
    `verbose=2` also the code after each pass. Usable as a decorator:
    `@knet.grad` or `@knet.grad(wrt=1)`.

    Examples
    --------
    >>> def loss(w, x):
    ...     return np.sum((x @ w) ** 2)
    >>> g = knet.grad(loss)
    >>> g(np.ones((3, 2)), np.ones((4, 3)))        # 2 * x.T @ (x @ w)
    array([[24., 24.],
           [24., 24.],
           [24., 24.]])

    Parameters in a list (or tuple, or dict) get gradients in the same structure:

    >>> def mse(w, x, y):
    ...     return np.mean((x @ w[0] + w[1] - y) ** 2)
    >>> dw = knet.grad(mse)([np.zeros((3, 1)), np.zeros(1)], np.ones((4, 3)), np.ones((4, 1)))
    >>> [d.shape for d in dw]
    [(3, 1), (1,)]
    >>> @knet.grad(wrt="y")
    ... def dy(x, y):
    ...     return x * y ** 2
    >>> float(dy(3.0, 2.0))
    12.0
    """
    if func is None:
        return lambda f: GradFunction(f, wrt, False, verbose)
    return GradFunction(func, wrt, False, verbose)


grad.knet_gradient_maker = True  # `knet.grad(f)(x)` inside a differentiated function


def gradloss(func=None, wrt=0, verbose=0):
    """Like `grad`, but the function returns (gradient, loss), as Knet's gradloss.

    The loss is the value `func` returned, computed in the same forward pass.

    Examples
    --------
    >>> def loss(w):
    ...     return np.sum(w ** 2)
    >>> dw, value = knet.gradloss(loss)(np.array([1.0, 2.0]))
    >>> dw, float(value)
    (array([2., 4.]), 5.0)
    """
    if func is None:
        return lambda f: GradFunction(f, wrt, True, verbose)
    return GradFunction(func, wrt, True, verbose)


def _refuse_non_real(value, path, func):
    """Raise if the differentiated argument `value` holds integers (their gradient is not
    defined, and NumPy would round any update of them) or complex numbers."""
    kind = type(value)
    if kind is float or (kind is np.ndarray and value.dtype.kind == "f"):
        return  # the common case, first
    if kind is list and all(type(v) is np.ndarray and v.dtype.kind == "f" for v in value):
        return  # a list of float arrays: the usual parameters
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_non_real(item, f"{path}[{key!r}]", func)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _refuse_non_real(item, f"{path}[{i}]", func)
    elif isinstance(value, (complex, np.complexfloating)) or (is_array(value) and value.dtype.kind == "c"):
        raise KnetError(f"knet.grad of {func.__qualname__}: the differentiated argument `{path}` "
                        "is complex; knet_ast differentiates real numbers: pass the real and "
                        "imaginary parts as two float arguments")
    elif isinstance(value, (numbers.Integral, np.integer, np.bool_)) or (
            is_array(value) and value.dtype.kind in "biu"):
        kind = f"an integer array ({value.dtype})" if is_array(value) else \
            f"the integer {value!r}"
        fix = f"{path}.astype(float)" if is_array(value) else f"float({path})"
        raise KnetError(f"knet.grad of {func.__qualname__}: the differentiated argument `{path}` "
                        f"is {kind}, which has no gradient; pass floats instead, e.g. {fix}, "
                        "or leave this argument out of wrt")


def _note_user_line(exc, built):
    """Add 'raised at your line N' to an exception from generated code (Python 3.11+)."""
    where = built.user_location(exc.__traceback__)
    if where is None or not hasattr(exc, "add_note"):
        return
    filename, line = where
    text = linecache.getline(filename, line).strip()
    exc.add_note(f"knet_ast: raised while computing the gradient, at your line {line} "
                 f'("{filename}"): {text}')


def _wrt_names(parsed, wrt, skip=0):
    names = param_names(parsed.node)[skip:]
    positional = [a.id for a in list(parsed.node.args.posonlyargs) + list(parsed.node.args.args)]
    positional = positional[skip:]
    out = []
    for item in (wrt if isinstance(wrt, (tuple, list)) else (wrt,)):
        if isinstance(item, int) and not isinstance(item, bool) and 0 <= item < len(positional):
            out.append(positional[item])
        elif isinstance(item, str) and item in names:
            out.append(item)
        else:
            raise KnetError(
                f"wrt={item!r} does not name a parameter of {parsed.name} "
                f"(defined at {parsed.filename}, line {parsed.first_line}); its parameters are "
                f"{', '.join(names) or 'none'}: pass an index into the positional parameters "
                "or a parameter name")
    if len(set(out)) != len(out):
        raise KnetError(f"wrt={wrt!r} names the same parameter twice")
    return tuple(out)


__all__ = ["grad", "gradloss", "GradFunction"]
