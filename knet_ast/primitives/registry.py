"""The rule table: how to push a gradient back through each primitive.

A rule is a template per differentiable parameter, an expression in the
parameter names, `y` (the output) and `dy` (its incoming gradient):

    defgrad(np.exp, "x", x="dy * y")
    defgrad(np.log, "x", x="dy / x")

The transformer binds the call's arguments to the signature and inlines the
template into the generated source, so `print(g.source)` shows the math.
Keys are the function objects themselves (np.exp, operator.add, abs),
`("method", name)` for array methods (`x.sum()`), and `("attr", name)` for
attributes (`x.T`). Non-differentiable functions are a set, not rules.
"""
import builtins
import inspect
import sys

import gast

from ..runtime import accumulate, backend, checks, iteration

RULES = {}
KERNELS = {}  # functions the templates call, by the name generated code uses
PRIMITIVES = set()  # user functions declared with knet.primitive: never transformed
NONDIFF = set()
_CHANGES = [0]  # bumped by every registration, so gradients built before it are rebuilt
ELEMENTWISE = set()  # outputs have the broadcast shape of the array arguments
REDUCTIONS = {"sum", "mean", "max", "min", "amax", "amin", "prod", "var", "std"}  # by name
CONCAT = ("sequence", "+")  # the key of `list + list` (concatenation)
SEQUENCE_OUTPUTS = {CONCAT}  # rules whose output may be a list: its gradient accumulates item by item
POW_CONSTANT = ("power", "**")  # the key of `a ** c` with c a nonzero number written in the source
NONDIFF_ATTRS = {"shape", "ndim", "dtype", "size", "itemsize", "nbytes", "strides", "flags", "imag"}
NONDIFF_METHODS = {"argmax", "argmin", "argsort", "argpartition", "nonzero", "searchsorted", "round",
                   "keys", "__len__", "any", "all", "get_shape", "count", "index", "startswith",
                   "format", "standard_normal", "integers"}

# Names a template may use besides its parameters, `y` and `dy`; each is bound
# in the generated code's namespace.
RUNTIME = {
    "np": __import__("numpy"),
    "math": __import__("math"),
    "unbroadcast": accumulate.unbroadcast,
    "unreduce": accumulate.unreduce,
    "mean_grad": accumulate.mean_grad,
    "add_grad": accumulate.add_grad,
    "add_at": accumulate.add_at,
    "add_in_place": accumulate.add_in_place,
    "add_field": accumulate.add_field,
    "grad_item": accumulate.grad_item,
    "zeros_like_grad": accumulate.zeros_like_grad,
    "zeros_if_none": accumulate.zeros_if_none,
    "seed_gradient": accumulate.seed_gradient,
    "finalize_grad": accumulate.finalize_grad,
    "as_sequence": iteration.as_sequence,
    "length": iteration.length,
    "dict_from": iteration.dict_from,
    "make_closure": iteration.make_closure,
    "shape_of": accumulate.shape_of,
    "copy_slice": accumulate.copy_slice,
    "zero_at": accumulate.zero_at,
    "array_module": backend.array_module,
    "refuse_shared_inplace": checks.refuse_shared_inplace,
}


class Rule:
    """How to differentiate one primitive: a signature and a template per parameter.

    Names a template uses besides its parameters, `y`, `dy`, RUNTIME and the
    builtins are looked up in `namespace` and bound in KERNELS, under a new name
    if another rule already uses that name for something else.
    """

    def __init__(self, key, signature, templates, namespace=None, sequences=()):
        self.key = key
        self.sequences = set(sequences)  # parameters that take lists/tuples of values
        self.signature = signature if isinstance(signature, inspect.Signature) \
            else _signature(signature)
        namespace = namespace or {}
        self.templates = {}
        for param, text in templates.items():
            if param not in self.signature.parameters:
                raise ValueError(f"rule for {key!r}: {param!r} is not a parameter")
            kind = self.signature.parameters[param].kind
            if kind == inspect.Parameter.VAR_KEYWORD:
                raise ValueError(f"rule for {key!r}: a gradient for **{param} is not supported; "
                                 "name the differentiable parameters one by one")
            names = set(self.signature.parameters) | {"y", "dy"}
            if kind == inspect.Parameter.VAR_POSITIONAL:
                names.add("index")  # which of the *args the template is asked for
            expr = gast.parse(text, mode="eval").body
            free = {n.id for n in gast.walk(expr) if isinstance(n, gast.Name)} - names \
                - set(RUNTIME) - set(dir(builtins))
            unknown = free - set(namespace)
            if unknown:
                raise ValueError(f"rule for {key!r}: unknown names {sorted(unknown)} in {text!r}")
            renames = {name: _bind_kernel(name, namespace[name]) for name in free}
            self.templates[param] = _Rename(renames).visit(expr)

    def bind(self, args, keywords):
        """Map parameter names to argument expressions (gast), defaults filled in.

        Returns None when the call does not fit the signature.
        """
        params = list(self.signature.parameters.values())
        bound = {}
        positional = list(args)
        for p in params:
            if p.kind == p.VAR_POSITIONAL:
                bound[p.name] = gast.Tuple(elts=positional, ctx=gast.Load())
                positional = []
            elif p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and positional:
                bound[p.name] = positional.pop(0)
        if positional:
            return None
        takes_any = any(p.kind == p.VAR_KEYWORD for p in params)
        for kw in keywords:
            if kw.arg is None or kw.arg in bound:
                return None
            if kw.arg in self.signature.parameters:
                bound[kw.arg] = kw.value
            elif not takes_any:
                return None
        for p in params:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if p.name not in bound:
                if p.default is inspect.Parameter.empty:
                    return None
                bound[p.name] = gast.Constant(value=p.default, kind=None)
        return bound

    def gradient(self, param, bound, y, dy, index=None):
        """The template for `param` with arguments, output and incoming gradient substituted;
        for a *args parameter, the gradient of its entry number `index`."""
        return self.instantiate(self.templates[param], bound, y, dy, index)

    def instantiate(self, template, bound, y, dy, index=None):
        """A copy of `template` (one of this rule's, or one derived from it) with arguments,
        output and incoming gradient substituted."""
        mapping = dict({"index": gast.Constant(value=index, kind=None)}, **bound, y=y, dy=dy)
        expr = _Substitute(mapping).visit(_copy(template))
        expr.knet_template = True  # the optimize pass folds constants only inside these
        return expr


def defgrad(fn, signature=None, namespace=None, sequences=(), **templates):
    """Register the gradient of `fn`, one template per differentiable parameter.

    A template is an expression in the parameters, `y` (the output) and `dy`
    (its incoming gradient); it is inlined into the generated source. The
    signature is `fn`'s own unless given as text ("x, axis=None"). Other names
    a template uses (your helper functions) are found in `namespace`, which
    defaults to fn's module (or the caller's, for a builtin). `sequences` names
    the parameters that take a list or tuple of values (their gradient is a list).

    Examples
    --------
    >>> @knet.primitive
    ... def scale(x, a):
    ...     return a * x
    >>> _ = knet.defgrad(scale, x="dy * a", a="unbroadcast(dy * x, a)")
    >>> def f(x, a):
    ...     return np.sum(scale(x, a))
    >>> dx, da = knet.grad(f, wrt=(0, 1))(np.array([1.0, 2.0]), 3.0)
    >>> dx, float(da)
    (array([3., 3.]), 3.0)

    `unbroadcast(g, a)` sums `g` back to the shape of `a` (here a scalar).
    """
    if signature is None:
        signature = inspect.signature(fn)
    if namespace is None:
        namespace = getattr(fn, "__globals__", None) or sys._getframe(1).f_globals
    RULES[fn] = Rule(fn, signature, templates, namespace, sequences)
    changed()
    return fn


def defmethod(name, signature, namespace=None, **templates):
    """Gradient of the array method `name`; the receiver is the parameter `self`.

    The rule applies to `x.name(...)` wherever `x` is an array.

    Examples
    --------
    >>> knet.defmethod("copy", "self, order='C'", self="dy")   # knet_ast's own rule for x.copy()
    >>> def f(x):
    ...     return np.sum(x.copy() ** 2)
    >>> knet.grad(f)(np.array([1.0, 2.0]))
    array([2., 4.])
    """
    RULES[("method", name)] = Rule(("method", name), signature, templates, namespace)
    changed()


def method_like(name, fn):
    """Give the array method `name` the rule of the function `fn`, whose first parameter is the
    receiver (`x.sum(axis)` is `np.sum(x, axis)`)."""
    rule = RULES[fn]
    first = next(iter(rule.signature.parameters))
    rename = {first: gast.Name(id="self", ctx=gast.Load(), annotation=None, type_comment=None)}
    params = list(rule.signature.parameters.values())
    signature = rule.signature.replace(parameters=[params[0].replace(name="self")] + params[1:])
    templates = {"self" if param == first else param: gast.unparse(_Substitute(rename).visit(
        _copy(t))).strip() for param, t in rule.templates.items()}
    defmethod(name, signature, KERNELS, **templates)


def defattr(name, **templates):
    """Gradient of the array attribute `name` (e.g. `T`); the receiver is `self`.

    Examples
    --------
    >>> knet.defattr("real", self="dy")     # knet_ast's own rule: x.real of a real array is x
    >>> def f(x):
    ...     return np.sum(x.real * 2)
    >>> knet.grad(f)(np.ones(2))
    array([2., 2.])
    """
    RULES[("attr", name)] = Rule(("attr", name), "self", templates)
    changed()


def elementwise(*fns):
    """Declare functions whose output has the (broadcast) shape of their array arguments.

    The transform uses this to leave out `unbroadcast` where shapes are known to be equal.
    """
    ELEMENTWISE.update(fns)


def nondiff(*fns):
    """Declare functions whose outputs carry no gradient (argmax, shape, len, ...).

    Returns the function (or the functions), so it works as a decorator.

    Examples
    --------
    >>> @knet.nondiff
    ... def pick(x):
    ...     return int(np.argmax(x))
    >>> def f(x):
    ...     return x[pick(x)] ** 2
    >>> knet.grad(f)(np.array([1.0, 3.0, 2.0]))
    array([0., 6., 0.])
    """
    NONDIFF.update(fns)
    changed()
    return fns[0] if len(fns) == 1 else fns


def changed():
    """Note a change to the registry: gradients built before it are rebuilt at their next call."""
    _CHANGES[0] += 1


def version():
    return _CHANGES[0]


def _bind_kernel(name, obj):
    """The name under which generated code sees `obj`: `name`, or `name_2`, ... if taken."""
    candidate, n = name, 1
    while (candidate in RUNTIME and RUNTIME[candidate] is not obj) or \
            (candidate in KERNELS and KERNELS[candidate] is not obj):
        n += 1
        candidate = f"{name}_{n}"
    KERNELS[candidate] = obj
    return candidate


def lookup(key):
    try:
        return RULES.get(key)
    except TypeError:  # unhashable callee
        return None


def is_nondiff(fn):
    try:
        return fn in NONDIFF
    except TypeError:  # unhashable
        return False


def is_primitive(fn):
    try:
        return fn in PRIMITIVES
    except TypeError:  # unhashable
        return False


def _signature(text):
    return inspect.signature(eval(f"lambda {text}: None", {}))


def _copy(node):
    import copy
    return copy.deepcopy(node)


class _Rename(gast.NodeTransformer):
    def __init__(self, renames):
        self.renames = renames

    def visit_Name(self, node):
        node.id = self.renames.get(node.id, node.id)
        return node


class _Substitute(gast.NodeTransformer):
    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        if isinstance(node.ctx, gast.Load) and node.id in self.mapping:
            return _copy(self.mapping[node.id])
        node.knet_ref = True  # np, unbroadcast, a kernel: ours, renamed if the user's code clashes
        return node


def fused(kernel):
    """Mark `kernel` as a backward that computes the gradients of several parameters at once.

    Each parameter's template indexes the kernel's result (`x="bn_grads(dy, x, g)[0]"`,
    `g="bn_grads(dy, x, g)[1]"`); the generated code evaluates them one after the other with
    the same argument objects, so the latest result is kept and handed to the next template
    instead of computing it again. Arguments match when they are the same objects (or equal
    numbers, strings, None).
    """
    last = {}

    def same(a, b):
        return a is b or (type(a) is type(b) and isinstance(a, (int, float, str, bool)) and a == b)

    def cached(*args):
        previous = last.get("args")
        if previous is None or len(previous) != len(args) or not all(map(same, previous, args)):
            last["result"] = kernel(*args)
            last["args"] = args
        return last["result"]

    cached.__name__, cached.__doc__, cached.__wrapped__ = kernel.__name__, kernel.__doc__, kernel
    return cached
