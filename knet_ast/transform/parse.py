"""Read a function's source and resolve the names it uses.

`parse_function` returns a `ParsedFunction`: the gast tree of the function,
where it lives (file and line offset, for error messages and the `# line N`
comments of the generated code), and a resolver that evaluates global and
closure references (`np.tanh`, `predict`, `knet.nll`) to the objects they name
when the gradient is built.
"""
import builtins
import inspect
import textwrap
import types

import gast

from ..errors import SourceUnavailableError, UnsupportedSyntaxError
from ..primitives import registry
from .closures import LocalFunction

UNRESOLVED = object()


class ParsedFunction:
    def __init__(self, func, node, filename, first_line, lines):
        self.func = func
        self.node = node
        self.name = node.name
        self.filename = filename
        self.first_line = first_line
        self.lines = lines
        self.local_names = _local_names(node)
        self.closure = _closure_cells(func)
        self.qualname = func.__qualname__
        self.static_functions = {}  # parameter -> the LocalFunction a caller passes in it
        # generated code being differentiated again: the names of its tape (see reverse.py)
        self.tapes = getattr(func, "knet_tapes", frozenset())
        self.dependencies = []  # (globals, name, object): module globals the transform relied on
        self.static_gradients = {}  # knet.grad(f) calls in the body -> (f, its GradFunction)

    # --- locations, for comments and errors ---
    def user_lineno(self, node):
        return getattr(node, "lineno", 1) + self.first_line - 1

    def line_text(self, node):
        index = getattr(node, "lineno", 1) - 1
        return self.lines[index].strip() if 0 <= index < len(self.lines) else ""

    def error(self, cls, node, what, hint=None):
        return cls(what, self.filename, self.user_lineno(node), self.line_text(node), hint,
                   self.name)

    # --- static name resolution ---
    def resolve(self, expr):
        """The object a Name/Attribute chain names, or UNRESOLVED if it is local or dynamic.
        `knet.grad(f)` with f a module-level function names its GradFunction."""
        if isinstance(expr, gast.Call):
            return self._gradient_of(expr)
        if isinstance(expr, gast.Attribute):
            base = self.resolve(expr.value)
            if base is UNRESOLVED:
                return UNRESOLVED
            value = getattr(base, expr.attr, UNRESOLVED)
            if not isinstance(base, types.ModuleType):  # cfg.act: an object's field may change
                self._depend(Dependency("attr", base, expr.attr, value))
            return value
        local = getattr(expr, "knet_local", None)
        if local is not None:  # a nested function, lifted by closures.py
            return local
        if getattr(expr, "knet_ref", False):  # a runtime helper an earlier pass inserted
            return registry.RUNTIME[expr.id]
        if not isinstance(expr, gast.Name) or expr.id in self.local_names:
            return UNRESOLVED
        return self.lookup(expr.id)

    def _gradient_of(self, call):
        """The GradFunction `knet.grad(f, wrt=...)` builds, when f and wrt are known statically
        (a gradient taken inside the function being differentiated: it is differentiated too)."""
        maker = self.resolve(call.func)
        if not getattr(maker, "knet_gradient_maker", False) or len(call.args) != 1 or \
                not all(isinstance(k.value, gast.Constant) and k.arg for k in call.keywords):
            return UNRESOLVED
        func = self.resolve(call.args[0])
        if func is UNRESOLVED or not (callable(func) or isinstance(func, LocalFunction)):
            return UNRESOLVED
        key = (id(func), tuple((k.arg, k.value.value) for k in call.keywords))
        made = self.static_gradients.get(key)
        if made is None or made[0] is not func:
            made = self.static_gradients[key] = (func, maker(func, **{
                k.arg: k.value.value for k in call.keywords}))
        return made[1]

    def lookup(self, name):
        if name in self.closure:
            cell = self.closure[name]
            self._depend(Dependency("cell", cell, None, cell.cell_contents))
            return cell.cell_contents
        if name in self.func.__globals__:
            value = self.func.__globals__[name]
            self._depend(Dependency("global", self.func.__globals__, name, value))
            return value
        return getattr(builtins, name, UNRESOLVED)

    def _depend(self, dependency):
        """Remember a function or module the transform relied on (not plain values: those are
        read live by the generated code)."""
        if callable(dependency.value) or isinstance(dependency.value, types.ModuleType):
            self.dependencies.append(dependency)


class Dependency:
    """One resolution the generated code relies on: a global, an object's attribute, a cell."""

    def __init__(self, kind, container, key, value):
        self.kind, self.container, self.key, self.value = kind, container, key, value

    def holds(self):
        if self.kind == "global":
            current = self.container.get(self.key, UNRESOLVED)
        elif self.kind == "attr":
            current = getattr(self.container, self.key, UNRESOLVED)
        else:
            try:
                current = self.container.cell_contents
            except ValueError:
                return False
        return current is self.value


def parse_function(func):
    """Parse `func`'s source into a ParsedFunction (decorators removed)."""
    if getattr(func, "__name__", "") == "<lambda>":
        return _parse_lambda(func)
    try:
        code = func.__code__  # not `func`: getsource(func) follows __wrapped__ (functools.wraps)
        source = inspect.getsource(code)
        filename = inspect.getsourcefile(code) or code.co_filename
    except (OSError, TypeError, AttributeError) as exc:
        raise SourceUnavailableError(
            f"cannot read the source of {getattr(func, '__qualname__', func)!r} ({exc}); "
            "knet_ast differentiates Python functions defined in a file (or a notebook cell). "
            "For a compiled or builtin function, register a rule with knet.defgrad, "
            "or mark it knet.nondiff. See docs/constructs.md.") from None
    source = textwrap.dedent(source)
    try:
        module = gast.parse(source)
    except RecursionError:
        raise UnsupportedSyntaxError(
            "an expression nested too deeply for the parser", filename, code.co_firstlineno,
            source.splitlines()[0], "Split the long expression into several assignments.",
            func.__name__) from None
    except SyntaxError:
        raise _stale(func, filename) from None
    node = module.body[0]
    if isinstance(node, gast.AsyncFunctionDef) and node.name == code.co_name:
        raise UnsupportedSyntaxError(
            f"`async def {node.name}` cannot be differentiated", *_location(func),
            hint="async code cannot be differentiated; write a plain (synchronous) function.")
    nparams = code.co_argcount + code.co_kwonlyargcount
    if not isinstance(node, gast.FunctionDef) or node.name != code.co_name \
            or param_names(node)[:nparams] != list(code.co_varnames[:nparams]):
        raise _stale(func, filename)
    node.decorator_list = []
    return ParsedFunction(func, node, filename, func.__code__.co_firstlineno,
                          source.splitlines())


def _stale(func, filename):
    """The file no longer holds the function Python compiled: it was edited since."""
    return SourceUnavailableError(
        f"the source of {func.__qualname__} in {filename} is not the code Python is running: "
        "the file was edited after it was imported. Reload the module (or restart Python) "
        "so that knet_ast differentiates the function you are running. See docs/constructs.md.")


LAMBDA_NAME = "lambda_fn"  # what generated code calls a lambda


def _parse_lambda(func):
    """A lambda (`affine = make_affine(...)` returning `lambda v: a * v + b`) as a
    ParsedFunction of `def lambda_fn(v): return a * v + b`, found in its source line(s)."""
    code = func.__code__
    refuse = UnsupportedSyntaxError(
        "this lambda cannot be found in its source line (knet_ast reads a lambda from the "
        "line that defines it)", *_location(func),
        hint="Define the function with `def` instead of `lambda`.")
    try:
        source = textwrap.dedent(inspect.getsource(code))
        filename = inspect.getsourcefile(code) or code.co_filename
        wrapped = "def _knet_outer():\n" + textwrap.indent(source, "    ")
        module = gast.parse(wrapped)
    except (OSError, TypeError, SyntaxError):
        raise refuse from None
    params = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    found = [n for n in gast.walk(module) if isinstance(n, gast.Lambda)
             and [a.id for a in _all_params(n.args)] == params]
    if len(found) != 1:
        raise refuse
    lam = found[0]
    body = [gast.copy_location(gast.Return(value=lam.body), lam)]
    node = gast.copy_location(gast.FunctionDef(name=LAMBDA_NAME, args=lam.args, body=body,
                                               decorator_list=[], returns=None,
                                               type_comment=None, type_params=[]), lam)
    # line 1 of `wrapped` is the wrapper: the lambda's first line is line 2
    return ParsedFunction(func, node, filename, code.co_firstlineno - 1, wrapped.splitlines())


def _location(func):
    code = getattr(func, "__code__", None)
    if code is None:
        return (None, None, None)
    import linecache
    line = linecache.getline(code.co_filename, code.co_firstlineno)
    return (code.co_filename, code.co_firstlineno, line)


def _closure_cells(func):
    """name -> cell for the function's free variables that have a value."""
    cells = {}
    for name, cell in zip(func.__code__.co_freevars, func.__closure__ or ()):
        try:
            _ = cell.cell_contents
        except ValueError:  # an empty cell: the name is assigned later in the outer function
            continue
        cells[name] = cell
    return cells


def _local_names(node):
    names = {a.id for a in _all_params(node.args)}
    for sub in gast.walk(node):
        if isinstance(sub, gast.Name) and isinstance(sub.ctx, (gast.Store, gast.Del)):
            names.add(sub.id)
        elif isinstance(sub, (gast.FunctionDef, gast.ClassDef)) and sub is not node:
            names.add(sub.name)
    return names


def _all_params(args):
    params = list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)
    params += [a for a in (args.vararg, args.kwarg) if a is not None]
    return params


def param_names(node):
    return [a.id for a in _all_params(node.args)]
