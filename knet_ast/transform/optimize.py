"""Clean-ups on generated code that make it read as a person would write it.

- constant folding in inlined rule templates: `x ** (2 - 1)` -> `x`,
  `dy * 1` -> `dy`;
- signs: `dx + -g` -> `dx - g`, `dx + -a * b` -> `dx - a * b`;
- trailing arguments equal to a runtime helper's defaults are left out:
  `unreduce(dy, x, None, False)` -> `unreduce(dy, x)`;
- a rule that recomputes a NumPy ufunc of the forward pass reuses its value:
  the rule of `np.cos(x)` reads `sin_x`, not `np.sin(x)`, where the forward
  trace computed `sin_x = np.sin(x)` (the main function's straight-line part);
- accumulators only this gradient holds are added into in place (inplace.py).
"""
import functools
import inspect
import operator

import gast
import numpy as np

from ..primitives import registry
from .inplace import in_place

_FOLD = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul}


class _Fold(gast.NodeTransformer):
    """Folds only inside rule-template instances (marked `knet_template`): user code keeps
    `x * 1.0` (it copies, and turns booleans into numbers)."""

    def __init__(self):
        self.in_template = False

    def visit(self, node):
        if getattr(node, "knet_template", False) and not self.in_template:
            self.in_template = True
            try:
                folded = super().visit(node)
            finally:
                self.in_template = False
            if isinstance(folded, gast.AST):
                folded.knet_template = True  # still a template instance for later passes
            return folded
        return super().visit(node)

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if not self.in_template:
            return node
        left, right = node.left, node.right
        if _number(left) and _number(right) and type(node.op) in _FOLD:
            return gast.Constant(value=_FOLD[type(node.op)](left.value, right.value), kind=None)
        if isinstance(node.op, gast.Pow) and _number(right) and right.value == 1:
            return left
        if isinstance(node.op, gast.Mult) and _number(right) and right.value == 1:
            return left
        if isinstance(node.op, gast.Mult) and _number(left) and left.value == 1:
            return right
        if isinstance(node.op, gast.Add) and isinstance(right, gast.UnaryOp) and \
                isinstance(right.op, gast.USub):  # a + -b  ->  a - b
            return gast.BinOp(left=left, op=gast.Sub(), right=right.operand)
        if isinstance(node.op, gast.Add) and isinstance(right, gast.BinOp) and \
                isinstance(right.left, gast.UnaryOp) and isinstance(right.left.op, gast.USub) and \
                isinstance(right.op, (gast.Mult, gast.Div)):  # a + -b * c  ->  a - b * c
            return gast.BinOp(left=left, op=gast.Sub(),
                              right=gast.BinOp(left=right.left.operand, op=right.op, right=right.right))
        return node


class _DropDefaults(gast.NodeTransformer):
    def visit_Call(self, node):
        self.generic_visit(node)
        if not (isinstance(node.func, gast.Name) and getattr(node.func, "knet_ref", False)):
            return node
        defaults = _defaults(node.func.id)
        while node.args and len(node.args) in defaults and _equal(node.args[-1],
                                                                   defaults[len(node.args)]):
            node.args.pop()
        return node


@functools.lru_cache(maxsize=None)
def _defaults_of(fn):
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return {}
    return {i + 1: p.default for i, p in enumerate(params)
            if p.default is not inspect.Parameter.empty and p.kind == p.POSITIONAL_OR_KEYWORD}


def _defaults(name):
    fn = registry.RUNTIME.get(name) or registry.KERNELS.get(name)
    return _defaults_of(fn) if fn is not None else {}


def _equal(node, default):
    return isinstance(node, gast.Constant) and type(node.value) is type(default) \
        and node.value == default


def _number(node):
    return isinstance(node, gast.Constant) and type(node.value) in (int, float)


def _reuse_forward_values(function):
    """Replace a ufunc call inside a rule template by the name the forward trace gave the
    same call. Only top-level definitions `v = np.f(a, ...)` whose name and arguments are
    assigned once in the whole function qualify: they dominate everything after them and
    keep their value, so the later call would compute the same thing again."""
    counts = {}
    for node in gast.walk(function):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            counts[node.id] = counts.get(node.id, 0) + 1
    if counts.get("np"):
        return function
    known = {}
    for stmt in function.body:
        for node in gast.walk(stmt):
            if getattr(node, "knet_template", False):
                _ReuseIn(known).visit(node)
        if _ufunc_definition(stmt, counts):
            known[gast.dump(stmt.value)] = stmt.targets[0].id
    return function


def _ufunc_definition(stmt, counts):
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and
            isinstance(stmt.targets[0], gast.Name) and counts.get(stmt.targets[0].id) == 1):
        return False
    call = stmt.value
    return isinstance(call, gast.Call) and not call.keywords and \
        isinstance(call.func, gast.Attribute) and isinstance(call.func.value, gast.Name) and \
        call.func.value.id == "np" and isinstance(getattr(np, call.func.attr, None), np.ufunc) and \
        all(isinstance(a, gast.Constant) or (isinstance(a, gast.Name) and counts.get(a.id, 0) <= 1)
            for a in call.args)


class _ReuseIn(gast.NodeTransformer):
    def __init__(self, known):
        self.known = known

    def visit_Call(self, node):
        self.generic_visit(node)
        name = self.known.get(gast.dump(node))
        return gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None) \
            if name else node


def optimize(functions, main=False):
    functions = [in_place(_DropDefaults().visit(_Fold().visit(f))) for f in functions]
    return [_reuse_forward_values(f) for f in functions] if main else functions
