"""A-normal form: one operation per statement, operands are names or constants.

`h = np.tanh(x @ w[0] + w[1])` becomes

    w0 = w[0]
    x_at_w0 = x @ w0
    w1 = w[1]
    x_at_w0_plus_w1 = x_at_w0 + w1
    h = np.tanh(x_at_w0_plus_w1)

so that every statement the reverse pass sees has one derivative rule. Index
expressions without calls (`w[i + 1]`, `x[:, 0]`) stay inline, comparisons and
boolean operators stay whole (they carry no gradient), and `a if c else b`
becomes an `if` statement. Every new statement keeps the line number of the
user's statement it came from.
"""
import copy
import types

import gast

from ..errors import UnsupportedSyntaxError
from .nodes import assign, at, load
from .parse import UNRESOLVED

_CALL_LIKE = (gast.Call, gast.IfExp, gast.Lambda, gast.ListComp, gast.DictComp, gast.SetComp,
              gast.GeneratorExp, gast.Await, gast.Yield, gast.YieldFrom, gast.NamedExpr)


class ANF:
    def __init__(self, parsed):
        self.parsed = parsed
        self.namer = parsed.namer

    def block(self, stmts):
        out = []
        for stmt in stmts:
            method = getattr(self, "stmt_" + type(stmt).__name__, self.stmt_other)
            method(stmt, out)
        return out

    # --- statements ---
    def stmt_Assign(self, node, out):
        target = node.targets[0]
        if isinstance(target, gast.Name):
            value = self.simple(node.value, out, node, target=target.id)
            if value is not None:
                out.append(at(assign(target.id, value), node))
            return
        if isinstance(target, gast.Subscript):
            target.value = self.atom(target.value, out, node)
            target.slice = self.index(target.slice, out, node)
        elif isinstance(target, gast.Attribute):
            target.value = self.atom(target.value, out, node)
        node.value = self.atom(node.value, out, node)
        out.append(node)

    def stmt_Expr(self, node, out):
        value = self.simple(node.value, out, node)
        if value is not None and not isinstance(value, (gast.Name, gast.Constant)):
            out.append(at(gast.Expr(value=value), node))

    def stmt_Return(self, node, out):
        value = node.value if node.value is not None else gast.Constant(value=None, kind=None)
        node.value = self.atom(value, out, node, hint="result")
        out.append(node)

    def stmt_For(self, node, out):
        iterable = self.simple(node.iter, out, node)
        node.iter = iterable if iterable is not None else gast.Constant(value=None, kind=None)
        node.body = self.block(node.body)
        out.append(node)

    def stmt_While(self, node, out):
        """`while test:` evaluates `test` before the loop and again at the end of the body."""
        if _is_test_atom(node.test):
            node.body = self.block(node.body)
        else:
            name = self.namer.fresh("cond")
            again = copy.deepcopy(node.test)
            self.stmt_Assign(at(assign(name, node.test), node), out)
            node.body = self.block(node.body + [at(assign(name, again), node)])
            node.test = load(name)
        out.append(node)

    def stmt_If(self, node, out):
        if not _is_test_atom(node.test):
            node.test = self.atom(node.test, out, node, hint="cond")
        node.body = self.block(node.body)
        node.orelse = self.block(node.orelse)
        out.append(node)

    def stmt_Pass(self, node, out):
        pass

    def stmt_other(self, node, out):  # assert, raise: evaluated as written
        out.append(node)

    # --- expressions ---
    def atom(self, expr, out, stmt, hint=None):
        """A Name or Constant holding the value of `expr`."""
        if _is_atom(expr):
            return expr
        value = self.simple(expr, out, stmt, target=None)
        if _is_atom(value):
            return value
        name = self.namer.fresh(hint) if hint else self.namer.for_expr(value, self._is_module)
        out.append(at(assign(name, value), stmt))
        return load(name)

    def simple(self, expr, out, stmt, target=None):
        """`expr` as one operation on atoms (statements for its operands go to `out`).

        Returns None if the value was already assigned to `target` (conditional
        expressions become `if` statements that assign it).
        """
        if _is_atom(expr):
            return expr
        kind = type(expr).__name__
        if isinstance(expr, gast.IfExp):
            return self._ifexp(expr, out, stmt, target)
        if isinstance(expr, gast.BoolOp) and not all(_is_boolean(v) for v in expr.values):
            return self._ifexp(_as_ifexp(expr), out, stmt, target)
        if isinstance(expr, gast.BinOp):
            expr.left = self.atom(expr.left, out, stmt)
            expr.right = self.atom(expr.right, out, stmt)
        elif isinstance(expr, gast.UnaryOp):
            if not isinstance(expr.op, gast.Not):
                expr.operand = self.atom(expr.operand, out, stmt)
        elif isinstance(expr, gast.Call):
            self._call(expr, out, stmt)
        elif isinstance(expr, gast.Subscript):
            expr.value = self.atom(expr.value, out, stmt)
            expr.slice = self.index(expr.slice, out, stmt)
        elif isinstance(expr, gast.Attribute):
            if not self._static(expr):
                expr.value = self.atom(expr.value, out, stmt)
        elif isinstance(expr, (gast.List, gast.Tuple)):
            for elt in expr.elts:
                if isinstance(elt, gast.Starred):
                    raise self.parsed.error(UnsupportedSyntaxError, stmt,
                                            "`*` unpacking inside a list or tuple display is "
                                            "not supported", "Concatenate with `+` instead.")
            expr.elts = [self.atom(e, out, stmt) for e in expr.elts]
        elif isinstance(expr, gast.Dict):
            if any(k is None for k in expr.keys):
                raise self.parsed.error(UnsupportedSyntaxError, stmt,
                                        "`**` unpacking inside a dict display is not supported",
                                        "Build the dict key by key.")
            expr.keys = [self.atom(k, out, stmt) for k in expr.keys]
            expr.values = [self.atom(v, out, stmt) for v in expr.values]
        elif kind in ("Compare", "BoolOp", "Set", "JoinedStr", "Slice"):
            pass  # no gradient flows through these: keep them whole
        return expr

    def _call(self, call, out, stmt):
        if len(call.args) > 1 and not call.keywords and self.parsed.resolve(call.func) in (max, min) \
                and not any(isinstance(a, gast.Starred) for a in call.args):
            call.args = [gast.List(elts=call.args, ctx=gast.Load())]  # max(a, b) is max([a, b])
        if isinstance(call.func, gast.Attribute) and not self._static(call.func):
            call.func.value = self.atom(call.func.value, out, stmt)
        elif not isinstance(call.func, (gast.Name, gast.Attribute)) and \
                self.parsed.resolve(call.func) is UNRESOLVED:  # `knet.grad(f)(x)` stays whole
            call.func = self.atom(call.func, out, stmt)
        args = []
        for arg in call.args:
            if isinstance(arg, gast.Starred):
                arg.value = self.atom(arg.value, out, stmt)
                args.append(arg)
            else:
                args.append(self.atom(arg, out, stmt))
        call.args = args
        for kw in call.keywords:
            kw.value = self.atom(kw.value, out, stmt)

    def index(self, slice_, out, stmt):
        """Subscript indices stay inline unless they call something."""
        if not any(isinstance(n, _CALL_LIKE) for n in gast.walk(slice_)):
            return slice_
        if isinstance(slice_, gast.Tuple):
            slice_.elts = [self.index(e, out, stmt) for e in slice_.elts]
            return slice_
        if isinstance(slice_, gast.Slice):
            for part in ("lower", "upper", "step"):
                value = getattr(slice_, part)
                if value is not None:
                    setattr(slice_, part, self.atom(value, out, stmt))
            return slice_
        return self.atom(slice_, out, stmt, hint="index")

    def _ifexp(self, expr, out, stmt, target):
        name = target or self.namer.fresh("choice")
        test = self.atom(expr.test, out, stmt, hint="cond")
        if expr.body is _SAME_AS_TEST:
            expr.body = test
        if expr.orelse is _SAME_AS_TEST:
            expr.orelse = test
        body, orelse = [], []
        body_value = self.simple(expr.body, body, stmt, target=name)
        if body_value is not None:
            body.append(at(assign(name, body_value), stmt))
        else_value = self.simple(expr.orelse, orelse, stmt, target=name)
        if else_value is not None:
            orelse.append(at(assign(name, else_value), stmt))
        out.append(at(gast.If(test=test, body=body, orelse=orelse), stmt))
        if target is not None:
            return None
        return load(name)

    def _static(self, expr):
        """True for module attributes (`np.pi`, `np.linalg.norm`) resolvable at build time."""
        return self.parsed.resolve(expr) is not UNRESOLVED

    def _is_module(self, node):
        value = self.parsed.resolve(node)
        return value is not UNRESOLVED and isinstance(value, types.ModuleType)


def anf(parsed):
    parsed.node.body = ANF(parsed).block(parsed.node.body)
    return parsed


def _is_test_atom(expr):
    """A condition kept inline: a name, a constant, or `not name` (the flags of jumps.py)."""
    return _is_atom(expr) or (isinstance(expr, gast.UnaryOp) and isinstance(expr.op, gast.Not)
                              and isinstance(expr.operand, gast.Name))


def _is_boolean(expr):
    """True for expressions whose value is a bool (no gradient can flow through them)."""
    return isinstance(expr, gast.Compare) or (
        isinstance(expr, gast.UnaryOp) and isinstance(expr.op, gast.Not)) or (
        isinstance(expr, gast.Constant) and isinstance(expr.value, bool)) or (
        isinstance(expr, gast.BoolOp) and all(_is_boolean(v) for v in expr.values))


def _as_ifexp(expr):
    """`a or b` is `a if a else b`, `a and b` is `b if a else a` (a evaluated once: the
    conditional expression atomizes its test first and reuses that name)."""
    first = expr.values[0]
    rest = expr.values[1] if len(expr.values) == 2 else gast.BoolOp(op=expr.op,
                                                                       values=expr.values[1:])
    if isinstance(expr.op, gast.Or):
        return gast.IfExp(test=first, body=_SAME_AS_TEST, orelse=rest)
    return gast.IfExp(test=first, body=rest, orelse=_SAME_AS_TEST)


_SAME_AS_TEST = gast.Name(id="<test>", ctx=gast.Load(), annotation=None, type_comment=None)


_SHAPE_ATTRS = {"shape", "ndim", "size", "dtype"}


def _is_shape_read(expr):
    """`x.shape`, `x.shape[0]`, `x.ndim`: cheap, carry no gradient, read best inline."""
    if isinstance(expr, gast.Subscript):
        return _is_shape_read(expr.value) and (
            isinstance(expr.slice, (gast.Constant, gast.Name)) or _is_atom(expr.slice))
    return (isinstance(expr, gast.Attribute) and expr.attr in _SHAPE_ATTRS
            and isinstance(expr.value, gast.Name))


def _is_atom(expr):
    if isinstance(expr, (gast.Name, gast.Constant)) or _is_shape_read(expr):
        return True
    if isinstance(expr, gast.Tuple):  # (0, 1) as an axis argument stays inline
        return all(isinstance(e, gast.Constant) for e in expr.elts)
    return (isinstance(expr, gast.UnaryOp) and isinstance(expr.op, (gast.USub, gast.UAdd))
            and isinstance(expr.operand, gast.Constant))


