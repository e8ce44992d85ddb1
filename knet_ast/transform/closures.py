"""Lift nested functions and named lambdas out of the function being differentiated.

    def loss(w, x):
        def layer(h):
            return np.tanh(h @ w)
        return np.sum(layer(layer(x)))

becomes a call of a helper that receives what it read from `loss` as keyword
arguments (lambda lifting):

    def layer(h, *, w):            # a LocalFunction: transformed like any helper
        return np.tanh(h @ w)

    def loss(w, x):
        return np.sum(layer(layer(x, w=w), w=w))

so the gradient flows through the captured `w` like through any argument. The
captured values are passed at each call, which is Python's late binding: a call
sees the variable's value at the time of the call. A default that is not a
constant (`def add(v, c=b)`) is evaluated where the `def` stands, as Python does.

A nested function may call the nested functions defined before it; it then
captures what they capture. A nested function or lambda used as a value
(`apply(lambda v: v * w, x)`) becomes `make_closure(g, ("w",), (w,))`: a callable
tuple of the captured values. The helper it is passed to is specialised for it
(`Program.specialize(..., statics)`): there `fn(x)` becomes `g(x, w=fn[0])`, so
the gradient returns through the tuple. Two different definitions under one
name are refused.
"""
import copy
import inspect

import gast

from ..errors import InputMutationError, UnsupportedSyntaxError
from .nodes import assign, at, load, visit_own_expressions


class LocalFunction:
    """A nested function lifted to a helper: its definition and the function it lives in."""

    def __init__(self, node, parent, captured, call_defaults):
        self.node = node               # gast FunctionDef, captured names as keyword-only params
        self.parent = parent           # the ParsedFunction it was defined in
        self.captured = captured
        self.call_defaults = call_defaults  # parameter -> the variable holding its default
        self.__name__ = node.name
        self.__qualname__ = f"{parent.func.__qualname__}.<locals>.{node.name}"
        self.__defaults__ = tuple(_constant(d) for d in node.args.defaults) or None
        kw = {a.id: _constant(d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults)
              if d is not None}
        self.__kwdefaults__ = kw or None
        self.key = (parent.func.__code__, node.lineno, node.col_offset, node.name)

    @property
    def user_function(self):
        """The function whose module globals and closure cells the helper's code uses."""
        return self.parent.func

    def signature(self):
        return _signature(self.node.args)

    def __eq__(self, other):
        return isinstance(other, LocalFunction) and other.key == self.key

    def __deepcopy__(self, memo):  # copies of the tree refer to the same function
        return self

    def __hash__(self):
        return hash(self.key)


class Closures:
    def __init__(self, parsed):
        self.parsed = parsed
        self.namer = parsed.namer
        self.outer_locals = _outer_locals(parsed.node)
        self.functions = {}  # name in the function -> LocalFunction

    def block(self, stmts):
        out = []
        for stmt in stmts:
            definition = _definition(stmt)
            if definition is not None:
                out.extend(self.lift(definition, stmt))
                continue
            for field in ("body", "orelse"):
                if isinstance(getattr(stmt, field, None), list):
                    setattr(stmt, field, self.block(getattr(stmt, field)))
            out.extend(self._rewrite_calls(stmt, outside_bodies=True))
            out.append(stmt)
        return out

    def lift(self, node, where):
        """Register the nested function `node`; return what stands in the `def`'s place."""
        name = node.name
        known = self.functions.get(name)
        if known is not None and known.key[1:3] != (node.lineno, node.col_offset):
            raise self.parsed.error(UnsupportedSyntaxError, where,
                                    f"two different functions named `{name}` in one function",
                                    "Give each nested function (or lambda) its own name.")
        before, call_defaults = [], {}
        args = node.args
        with_defaults = args.args[len(args.args) - len(args.defaults):]
        for i, (param, default) in enumerate(zip(with_defaults, args.defaults)):
            if not isinstance(default, gast.Constant):  # evaluated here, passed at each call
                value_name = self.namer.fresh(f"{name}_default")
                before.append(at(assign(value_name, default), where))
                call_defaults[param.id] = load(value_name)
                args.defaults[i] = gast.Constant(value=None, kind=None)
        if any(d is not None and not isinstance(d, gast.Constant) for d in args.kw_defaults):
            raise self.parsed.error(UnsupportedSyntaxError, where,
                                    "a keyword-only parameter of a nested function with a "
                                    "default that is not a constant is not supported",
                                    "Use a constant default, or pass the value at each call.")
        own = _own_names(node)
        captured = []  # calls of earlier nested functions capture what those capture
        for loaded in _loads_in_order(node):
            if loaded in own or loaded in captured:
                continue
            if loaded in self.functions:
                captured += [c for c in self.functions[loaded].captured if c not in captured]
            elif loaded in self.outer_locals and loaded != name:
                captured.append(loaded)
        for sub in gast.walk(node):
            if isinstance(sub, (gast.Subscript, gast.Attribute)) and \
                    isinstance(sub.ctx, gast.Store) and _base(sub) in captured:
                raise self.parsed.error(
                    InputMutationError, sub,
                    f"a nested function writing into `{_base(sub)}` of the enclosing function "
                    "is not supported: the reverse sweep cannot see the change",
                    "Return the new value from the nested function and assign it in the "
                    "enclosing function.")
        lifted = copy.deepcopy(node)
        lifted.decorator_list = []
        lifted.args.kwonlyargs = list(lifted.args.kwonlyargs) + [
            gast.Name(id=c, ctx=gast.Param(), annotation=None, type_comment=None) for c in captured]
        lifted.args.kw_defaults = list(lifted.args.kw_defaults) + [None] * len(captured)
        function = LocalFunction(lifted, self.parsed, captured, call_defaults)
        self.functions[name] = function  # (a use of itself inside is a recursive closure)
        before += self._rewrite_calls(lifted, outside_bodies=False)
        return before

    def _rewrite_calls(self, tree, outside_bodies):
        """Calls of nested functions pass what they capture (`g(a)` -> `g(a, w=w)`); a nested
        function or lambda used as a value becomes a Closure of what it captures."""
        uses = _Uses(self, lift_lambdas=outside_bodies)
        if outside_bodies:
            visit_own_expressions(tree, uses)
        else:
            tree.body = [uses.visit(stmt) for stmt in tree.body]
        return uses.before

    def call(self, node, function, captured_values):
        """Rewrite the call `node` of `function`, passing the captured values."""
        passed = {k.arg for k in node.keywords}
        positional = [a.id for a in function.node.args.args][:len(node.args)]
        for param, default in function.call_defaults.items():
            if param not in passed and param not in positional:
                node.keywords.append(gast.keyword(arg=param, value=copy.deepcopy(default)))
        node.keywords += [gast.keyword(arg=c, value=v)
                          for c, v in zip(function.captured, captured_values)]
        node.func = _function_ref(function, node.func)
        return node

    def closure(self, function, where):
        """`make_closure(g, ("w",), (w,))`: the nested function as a value."""
        make = load("make_closure")
        make.knet_ref = True
        names = gast.Tuple(elts=[gast.Constant(value=c, kind=None) for c in function.captured],
                           ctx=gast.Load())
        values = gast.Tuple(elts=[load(c) for c in function.captured], ctx=gast.Load())
        return gast.copy_location(gast.Call(func=make, args=[_function_ref(function, where),
                                                             names, values], keywords=[]), where)


class _Uses(gast.NodeTransformer):
    def __init__(self, owner, lift_lambdas):
        self.owner = owner
        self.before = []
        self.lift_lambdas = lift_lambdas  # in a lifted body, its own pipeline lifts them

    def visit_Call(self, node):
        func = node.func
        gradient_of = self._gradient_of_nested(func)
        if gradient_of is not None:  # knet.grad(g)(y): g's gradient, passed what g captures
            func.args = [_function_ref(gradient_of, func.args[0])]
            node.args = [self.visit(a) for a in node.args]
            node.keywords += [gast.keyword(arg=c, value=load(c)) for c in gradient_of.captured]
            return node
        if not isinstance(func, gast.Name):
            return self.generic_visit(node)
        node.args = [self.visit(a) for a in node.args]  # not func: a call is not a value use
        for kw in node.keywords:
            kw.value = self.visit(kw.value)
        functions, statics = self.owner.functions, self.owner.parsed.static_functions
        if func.id in functions:
            function = functions[func.id]
            return self.owner.call(node, function, [load(c) for c in function.captured])
        if func.id in statics:  # fn(x) in a helper that was passed a nested function
            function = statics[func.id]
            values = [gast.Subscript(value=load(func.id), slice=gast.Constant(value=i, kind=None),
                                     ctx=gast.Load()) for i in range(len(function.captured))]
            return self.owner.call(node, function, values)
        return node

    def _gradient_of_nested(self, func):
        """The nested function g of a call `knet.grad(g)`, else None."""
        if not (isinstance(func, gast.Call) and len(func.args) == 1 and
                isinstance(func.args[0], gast.Name) and func.args[0].id in self.owner.functions):
            return None
        maker = self.owner.parsed.resolve(func.func)
        return self.owner.functions[func.args[0].id] if getattr(
            maker, "knet_gradient_maker", False) else None

    def visit_Name(self, node):
        if isinstance(node.ctx, gast.Load) and node.id in self.owner.functions:
            return self.owner.closure(self.owner.functions[node.id], node)
        return node

    def visit_Lambda(self, node):
        if not self.lift_lambdas:
            self.generic_visit(node)  # calls of the enclosing function's nested functions
            return node
        name = self.owner.namer.fresh("lambda_fn")
        definition = gast.copy_location(gast.FunctionDef(
            name=name, args=node.args, body=[gast.copy_location(gast.Return(value=node.body), node)],
            decorator_list=[], returns=None, type_comment=None, type_params=[]), node)
        self.before += self.owner.lift(definition, node)
        return self.owner.closure(self.owner.functions[name], node)

    def visit_FunctionDef(self, node):
        return node


def _function_ref(function, where):
    ref = gast.copy_location(load(function.__name__), where)
    ref.knet_local = function
    ref.knet_ref = True  # our name now: emit renames it on a clash
    return ref


def closures(parsed):
    parsed.node.body = Closures(parsed).block(parsed.node.body)
    return parsed


def parse_local(function):
    """A ParsedFunction for a lifted nested function, located in its parent's file."""
    from .parse import ParsedFunction
    parent = function.parent
    parsed = ParsedFunction(parent.func, copy.deepcopy(function.node), parent.filename,
                            parent.first_line, parent.lines)
    parsed.qualname = function.__qualname__
    parsed.tapes = frozenset()
    return parsed


def _outer_locals(func):
    """Parameters and names the function assigns outside its nested functions."""
    names = set(_own_names_shallow(func))
    todo = list(func.body)
    while todo:
        node = todo.pop()
        if isinstance(node, gast.Lambda):
            continue
        if isinstance(node, gast.FunctionDef):
            names.add(node.name)
            continue
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            names.add(node.id)
        todo.extend(gast.iter_child_nodes(node))
    return names


def _own_names_shallow(func):
    args = func.args
    params = list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)
    return [p.id for p in params + [a for a in (args.vararg, args.kwarg) if a is not None]]


def _definition(stmt):
    """The FunctionDef a statement defines: `def g(...)` or `g = lambda ...: ...`."""
    if isinstance(stmt, gast.FunctionDef):
        return stmt
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
            isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Lambda):
        body = [at(gast.Return(value=stmt.value.body), stmt)]
        return at(gast.FunctionDef(name=stmt.targets[0].id, args=stmt.value.args, body=body,
                                   decorator_list=[], returns=None, type_comment=None,
                                   type_params=[]), stmt)
    return None


def _own_names(node):
    """Parameters and assigned names of a function definition."""
    args = node.args
    params = list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)
    params += [a for a in (args.vararg, args.kwarg) if a is not None]
    names = {p.id for p in params}
    for sub in gast.walk(node):
        if isinstance(sub, gast.Name) and isinstance(sub.ctx, gast.Store):
            names.add(sub.id)
    return names


def _loads_in_order(node):
    seen = []
    for sub in gast.walk(node):
        if isinstance(sub, gast.Name) and isinstance(sub.ctx, gast.Load) and sub.id not in seen:
            seen.append(sub.id)
    return seen


def _base(node):
    while isinstance(node, (gast.Subscript, gast.Attribute)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


def _constant(node):
    return node.value if isinstance(node, gast.Constant) else None


def _signature(args):
    P = inspect.Parameter
    params = []
    defaults = [None] * (len(args.posonlyargs) + len(args.args) - len(args.defaults)) + \
        list(args.defaults)
    for i, arg in enumerate(list(args.posonlyargs) + list(args.args)):
        kind = P.POSITIONAL_ONLY if i < len(args.posonlyargs) else P.POSITIONAL_OR_KEYWORD
        default = P.empty if defaults[i] is None else _constant(defaults[i])
        params.append(P(arg.id, kind, default=default))
    if args.vararg is not None:
        params.append(P(args.vararg.id, P.VAR_POSITIONAL))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        params.append(P(arg.id, P.KEYWORD_ONLY,
                        default=P.empty if default is None else _constant(default)))
    if args.kwarg is not None:
        params.append(P(args.kwarg.id, P.VAR_KEYWORD))
    return inspect.Signature(params)
