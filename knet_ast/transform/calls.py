"""What one ANF operation is, for the activity and reverse passes.

`classify(parsed, expr)` looks at the right-hand side of `t = expr` and returns
an `Op`: its kind, the names through which a gradient can flow (`inputs`), and
for primitives the rule with the arguments bound to its parameters.
"""
import operator
import types

import gast

from ..primitives import registry
from .closures import LocalFunction
from .parse import UNRESOLVED

BINOPS = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
    gast.Pow: operator.pow, gast.MatMult: operator.matmul, gast.BitAnd: operator.and_,
    gast.BitOr: operator.or_, gast.BitXor: operator.xor, gast.LShift: operator.lshift,
    gast.RShift: operator.rshift,
}
UNARYOPS = {gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_,
            gast.Invert: operator.invert}

# Calls and attributes that may return a view of (or the very object passed as) their first
# argument: writing through the result writes into the argument.
VIEWS = {"reshape", "ravel", "transpose", "T", "asarray", "asanyarray", "squeeze", "expand_dims",
         "swapaxes", "moveaxis", "broadcast_to", "atleast_1d", "atleast_2d", "atleast_3d", "view",
         "diagonal", "flip", "fliplr", "flipud", "rot90", "real", "imag", "ascontiguousarray"}

# Python functions from these packages are never transformed: they need a rule.
LIBRARIES = {"numpy", "cupy", "cupyx", "scipy", "builtins", "math", "operator", "jax", "torch",
             "functools", "itertools", "random", "collections"}


class Op:
    """kind is one of: const, copy, rule, helper, subscript, field, literal, nondiff, unknown,
    pop (a value taken off the tape of generated code)."""

    def __init__(self, kind, inputs=(), rule=None, bound=None, func=None, describe=None):
        self.kind = kind
        self.inputs = [name for name in inputs if name is not None]
        self.rule = rule
        self.bound = bound
        self.func = func
        self.describe = describe

    @property
    def differentiable(self):
        return self.kind not in ("const", "nondiff")


def classify(parsed, expr):
    if isinstance(expr, gast.Name):
        return Op("copy", [expr.id])
    if isinstance(expr, (gast.Constant, gast.Compare, gast.BoolOp, gast.Set, gast.JoinedStr)):
        return Op("const" if isinstance(expr, gast.Constant) else "nondiff")
    if isinstance(expr, gast.Tuple) and all(isinstance(e, gast.Constant) for e in expr.elts):
        return Op("const")
    if isinstance(expr, gast.BinOp):
        key = BINOPS[type(expr.op)]
        sequences = getattr(parsed, "sequence_names", ())
        if key is operator.add and {_name(expr.left), _name(expr.right)} & set(sequences):
            key = registry.CONCAT  # `xs + [v]`: list concatenation, not arithmetic
        if key is operator.pow and _nonzero_number(expr.right):
            key = registry.POW_CONSTANT  # `x ** 2`: b * x ** (b - 1), folded to `2 * x`
        return _rule_op(key, [expr.left, expr.right], [], _op_text(expr))
    if isinstance(expr, gast.UnaryOp):
        if isinstance(expr.operand, gast.Constant):
            return Op("const")
        return _rule_op(UNARYOPS[type(expr.op)], [expr.operand], [], _op_text(expr))
    if isinstance(expr, gast.Subscript):
        return Op("subscript", [_name(expr.value)])
    if isinstance(expr, (gast.List, gast.Tuple)):
        return Op("literal", [_name(e) for e in expr.elts])
    if isinstance(expr, gast.Dict):
        return Op("literal", [_name(v) for v in expr.values])
    if isinstance(expr, gast.Attribute):
        return _attribute(parsed, expr)
    if isinstance(expr, gast.Call):
        return _call(parsed, expr)
    return Op("unknown", describe=type(expr).__name__)


def _attribute(parsed, expr):
    if parsed.resolve(expr) is not UNRESOLVED:
        return Op("const")
    if expr.attr in registry.NONDIFF_ATTRS:
        return Op("nondiff")
    rule = registry.lookup(("attr", expr.attr))
    if rule is None:  # a field of a namedtuple (or another record) that carries gradients
        return Op("field", [_name(expr.value)], describe=f"the attribute .{expr.attr}")
    return _bind(rule, [expr.value], [], f".{expr.attr}")


def _call(parsed, call):
    func = call.func
    obj = parsed.resolve(func)
    if obj is UNRESOLVED:
        if isinstance(func, gast.Attribute) and func.attr == "pop" and \
                _name(func.value) in parsed.tapes:  # generated code: `v = _tape.pop()`
            return Op("pop")
        if isinstance(func, gast.Attribute):  # a method: x.sum(axis=0)
            rule = registry.lookup(("method", func.attr))
            if rule is not None:
                return _bind(rule, [func.value] + call.args, call.keywords, f".{func.attr}()")
            if func.attr in registry.NONDIFF_METHODS:
                return Op("nondiff")
            return Op("unknown", _arg_names(call) + [_name(func.value)],
                      describe=f"the method .{func.attr}()")
        # the function itself may carry a gradient (a closure over differentiated values)
        return Op("unknown", _arg_names(call) + [_name(func)],
                  describe=f"the local function {_text(func)}")
    if registry.is_nondiff(obj):
        return Op("nondiff")
    rule = registry.lookup(obj)
    if rule is not None:
        return _bind(rule, call.args, call.keywords, _text(func))
    if registry.is_primitive(obj):
        return Op("unknown", _arg_names(call), func=obj,
                  describe=f"{_text(func)} (declared with knet.primitive, no gradient attached)")
    if _transformable(obj) or getattr(obj, "generated_code", None) is not None:  # a function,
        return Op("helper", _arg_names(call), func=obj, describe=_text(func))  # or a gradient
    return Op("unknown", _arg_names(call), func=obj, describe=_qualname(obj, func))


def _rule_op(key, args, keywords, text):
    rule = registry.lookup(key)
    if rule is None or registry.is_nondiff(key):
        return Op("nondiff")
    return _bind(rule, args, keywords, text)


def _bind(rule, args, keywords, text):
    if any(isinstance(a, gast.Starred) for a in args):
        return Op("unknown", [_name(a.value if isinstance(a, gast.Starred) else a) for a in args],
                  describe=f"{text} called with *args (it has a rule: spell the arguments out, "
                  f"{text}(a, b), or join them with np.stack first)")
    bound = rule.bind(args, keywords)
    if bound is None:
        return Op("unknown", [_name(a) for a in args] + [_name(k.value) for k in keywords],
                  describe=f"{text} with these arguments (its rule takes "
                  f"{str(rule.signature)[1:-1]}; other arguments are not differentiated)")
    inputs = []
    for param in rule.templates:
        value = bound[param]
        inputs += [_name(e) for e in value.elts] if isinstance(value, gast.Tuple) \
            else [_name(value)]
    return Op("rule", inputs, rule=rule, bound=bound, describe=text)


def tape_statement(stmt, tapes):
    """"append" for `T.append(v)`, "pop" for `T.pop()` as a statement, with T a tape of the
    generated code being differentiated; else None."""
    call = stmt.value if isinstance(stmt, gast.Expr) else None
    if isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and \
            call.func.attr in ("append", "pop") and _name(call.func.value) in tapes:
        return call.func.attr
    return None


def may_alias(value, parsed):
    """True if `value` may be an object that some other name also refers to."""
    if isinstance(value, (gast.Name, gast.Subscript, gast.Attribute, gast.IfExp, gast.BoolOp)):
        return True
    if isinstance(value, gast.Call):
        func = value.func
        name = func.attr if isinstance(func, gast.Attribute) else getattr(func, "id", None)
        if name in VIEWS:
            return True
        obj = parsed.resolve(func)
        return isinstance(obj, types.FunctionType) and not (
            getattr(obj, "__module__", "") or "").startswith(("numpy", "math"))
    return False


def shared_names(value, parsed):
    """Names whose object `value` (an expression) may share with the assigned name."""
    if isinstance(value, (gast.List, gast.Tuple, gast.Dict)):
        elements = value.values if isinstance(value, gast.Dict) else value.elts
        return {e.id for e in elements if isinstance(e, gast.Name)}
    if may_alias(value, parsed):
        return {n.id for n in gast.walk(value) if isinstance(n, gast.Name)
                and isinstance(n.ctx, gast.Load)}
    return set()


def _transformable(obj):
    if isinstance(obj, LocalFunction):
        return True
    if not isinstance(obj, types.FunctionType):
        return False
    module = (getattr(obj, "__module__", None) or "").split(".")[0]
    return module not in LIBRARIES


def _arg_names(call):
    names = [_name(a.value if isinstance(a, gast.Starred) else a) for a in call.args]
    return names + [_name(k.value) for k in call.keywords]


def _nonzero_number(expr):
    return isinstance(expr, gast.Constant) and type(expr.value) in (int, float) and expr.value != 0


def _name(expr):
    return expr.id if isinstance(expr, gast.Name) else None


def _text(expr):
    return gast.unparse(expr).strip()


def _op_text(expr):
    return f"the operator in `{_text(expr)}`"


def _qualname(obj, func):
    module = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if module and name:
        return f"{module}.{name}"
    return _text(func)
