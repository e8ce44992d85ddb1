"""Forward mode: tangent code, statement by statement (`knet.jvp`).

Input: the SSA body with its activity, like reverse.py. Output: one function
that runs the user's statements and, after each active one, the statement
that computes its tangent:

    def jvp_f(dx, x):                      # the tangent of each wrt parameter comes first
        s = np.sin(x)
        ds = dx * np.cos(x)
        ...
        return (result, dresult)

Loops and branches stay as they are (no tape: tangents go forward with the
values). Every assignment of an active name also assigns its tangent, so a
tangent is never missing: a value that becomes active only later (a loop's
running total that starts at 0.0) gets a zero tangent where it is set. A call
of a user function becomes a call of its tangent function, `y, dy = h_jvp(dx,
x)`; recursion terminates as in reverse mode (one function per set of active
parameters). Generated gradient code is accepted too (`hvp`): each value
pushed on its tape is followed by its tangent.
"""
import copy

import gast

from ..errors import NoRuleError
from ..primitives import tangents
from . import nodes
from .calls import tape_statement
from .names import loads
from .nodes import assign, assign_tuple, load, none
from .parse import param_names
from .reverse import _bind_helper_args, _branch, _call, _function, _loop, _method, _ref, _tag
from .shapes import SameShape


class Forward:
    def __init__(self, parsed, program):
        self.parsed = parsed
        self.namer = parsed.namer
        self.active = parsed.activity.active
        self.program = program
        self.tangent_names = {}
        self.same_shape = SameShape(parsed.activity, param_names(parsed.node))

    def d(self, primal):
        if primal not in self.tangent_names:
            self.tangent_names[primal] = self.namer.adjoint(primal)
        return self.tangent_names[primal]

    def tangent(self, expr):
        """The tangent of an atom: its tangent variable, or a zero shaped like it."""
        if isinstance(expr, gast.Name) and expr.id in self.active:
            return load(self.d(expr.id))
        return _call("zeros_like_grad", copy.deepcopy(expr))

    # --- statements ---
    def block(self, stmts):
        out = []
        for stmt in stmts:
            new = self.statement(stmt)
            _tag(new, self.parsed.user_lineno(stmt))
            out.extend(new)
        return out

    def statement(self, stmt):
        tape_op = tape_statement(stmt, self.parsed.tapes)
        tape = stmt.value.func.value.id if tape_op else None
        if tape_op == "append":  # the value, then its tangent
            value = stmt.value.args[0]
            pushed = self.tangent(value) if isinstance(value, gast.Name) and \
                value.id in self.active else none()
            return [stmt, gast.Expr(value=_method(tape, "append", pushed))]
        if tape_op == "pop":
            return [gast.Expr(value=_method(tape, "pop")), stmt]
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            return self.assign(stmt)
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
            return self.write(stmt)
        if isinstance(stmt, (gast.For, gast.While)):
            return [_loop(stmt, self.block(stmt.body))]
        if isinstance(stmt, gast.If):
            return [_branch(stmt, self.block(stmt.body), self.block(stmt.orelse))]
        return [stmt]

    def assign(self, stmt):
        target = stmt.targets[0].id
        op = self.parsed.activity.ops[id(stmt)]
        if op.kind == "pop":  # the tangent was pushed after the value: it comes off first
            tape = stmt.value.func.value.id
            return [assign(self.d(target), _method(tape, "pop")), stmt]
        passes_tape = op.kind == "helper" and bool(loads(stmt.value) & self.parsed.tapes)
        if target not in self.active and not passes_tape:
            return [stmt]
        if op.kind == "helper" and op.func not in tangents.JVP:
            return [self.helper(stmt, op, target)]
        return [stmt, assign(self.d(target), self.tangent_of(stmt, op, target))]

    def write(self, stmt):
        """`h[i] = v`: `dh[i] = dv` (h is an array the function allocated, so dh is too)."""
        base = stmt.targets[0].value
        if not (isinstance(base, gast.Name) and base.id in self.active):
            return [stmt]
        target = copy.deepcopy(stmt.targets[0])
        target.value = gast.Name(id=self.d(base.id), ctx=gast.Load(), annotation=None,
                                 type_comment=None)
        value = self.tangent(stmt.value) if isinstance(stmt.value, gast.Name) else \
            gast.Constant(value=0, kind=None)
        return [stmt, gast.Assign(targets=[target], value=value, type_comment=None)]

    # --- the tangent of one operation ---
    def tangent_of(self, stmt, op, target):
        value = stmt.value
        if op.kind == "copy":
            return self.tangent(value)
        if op.kind in ("const", "nondiff"):
            return _call("zeros_like_grad", load(target))
        if op.kind == "subscript":
            return gast.Subscript(value=self.tangent(value.value), slice=copy.deepcopy(value.slice),
                                  ctx=gast.Load())
        if op.kind == "field":
            return gast.Attribute(value=self.tangent(value.value), attr=value.attr, ctx=gast.Load())
        if op.kind == "literal":
            return self.literal(value)
        if op.kind == "helper":  # a kernel of generated code with a forward rule
            rule = tangents.JVP[op.func]
            bound = rule.bind(value.args, value.keywords)
            return self.explicit(rule, bound, target, stmt)
        return self.rule(stmt, op, target)

    def literal(self, value):
        if isinstance(value, gast.Dict):
            return gast.Dict(keys=copy.deepcopy(value.keys),
                             values=[self.tangent(v) for v in value.values])
        return type(value)(elts=[self.tangent(e) for e in value.elts], ctx=gast.Load())

    def rule(self, stmt, op, target):
        key = op.rule.key
        if key in tangents.JVP:
            return self.explicit(tangents.JVP[key], op.bound, target, stmt)
        active = [node for node in _differentiable_args(op) if _active_name(node, self.active)]
        if key in tangents.LINEAR:
            replace = {id(n): self.tangent(n) for n in _differentiable_args(op)}
            return _replaced(stmt.value, replace)
        if key in tangents.MULTILINEAR:
            return _sum([_replaced(stmt.value, {id(n): self.tangent(n)}) for n in active])
        if tangents.is_elementwise(key):
            total = _sum([op.rule.instantiate(tangents.elementwise_template(op.rule, param),
                                              op.bound, load(target), self.tangent(value))
                          for param, value in op.bound.items()
                          if param in op.rule.templates and _active_name(value, self.active)])
            if any(self.same_shape(n.id, target) for n in active):
                return total
            return _call("broadcast_like", total, load(target))  # x + c, x a number
        if key in tangents.REDUCTIONS:
            ones = gast.Call(func=gast.Attribute(value=_ref("np"), attr="ones_like", ctx=gast.Load()),
                             args=[load(target)], keywords=[])
            terms = []
            for param, value in op.bound.items():
                if param in op.rule.templates and _active_name(value, self.active):
                    partial = op.rule.gradient(param, op.bound, load(target), ones)
                    product = gast.BinOp(left=partial, op=gast.Mult(), right=self.tangent(value))
                    terms.append(gast.Call(
                        func=gast.Attribute(value=_ref("np"), attr="sum", ctx=gast.Load()),
                        args=[product], keywords=[
                            gast.keyword(arg=name, value=copy.deepcopy(op.bound[name]))
                            for name in ("axis", "keepdims") if name in op.bound]))
            return _sum(terms)
        raise self.parsed.error(
            NoRuleError, stmt, f"no forward-mode rule for {op.describe}",
            "Register one with knet.defjvp(fn, x='dx * ...'), or use reverse mode (knet.grad).")

    def explicit(self, rule, bound, target, stmt):
        terms = []
        for param in rule.templates:
            value = bound.get(param)
            entries = value.elts if isinstance(value, gast.Tuple) else [value]
            for index, entry in enumerate(entries):
                if _active_name(entry, self.active):
                    terms.append(rule.gradient(param, bound, load(target), self.tangent(entry),
                                               index))
        return _sum(terms) if terms else _call("zeros_like_grad", load(target))

    # --- calls of user functions ---
    def helper(self, stmt, op, target):
        args = _bind_helper_args(self.parsed, stmt, op.func)
        active = tuple(p for p, a in args.items() if a in self.active or a in self.parsed.tapes)
        closures = self.parsed.activity.closures
        statics = tuple((p, closures[a]) for p, a in args.items() if a in closures)
        spec = self.program.specialize(op.func, active, statics)
        tangent_args = [load(self.d(args[p])) if args[p] in self.active else none()
                        for p in spec.params if args[p] not in self.parsed.tapes]
        call = stmt.value
        new = gast.Call(func=_ref(spec.fwd), args=tangent_args + list(call.args),
                        keywords=call.keywords)
        return gast.copy_location(assign_tuple([target, self.d(target)], new), stmt)

    # --- whole functions ---
    def function(self, name, wrt_names):
        """The tangent function: tangents of `wrt_names` first, then the original parameters."""
        body = self.parsed.node.body
        out = self.block(body[:-1])
        result = body[-1].value
        ret = gast.Return(value=gast.Tuple(elts=[copy.deepcopy(result), self.tangent(result)],
                                           ctx=gast.Load()))
        args = nodes.with_leading_params(
            self.parsed.node.args, [self.d(p) for p in wrt_names if p not in self.parsed.tapes])
        return _function(name, args, out + [ret], self.parsed.tapes)


def _differentiable_args(op):
    """The argument nodes of the rule's differentiable parameters."""
    found = []
    for name in op.rule.templates:
        value = op.bound.get(name)
        found += value.elts if isinstance(value, gast.Tuple) else [value]
    return [n for n in found if n is not None]


def _active_name(node, active):
    return isinstance(node, gast.Name) and node.id in active


def _replaced(expr, replacements):
    """A copy of `expr` in which the nodes whose id is a key of `replacements` are replaced."""
    if id(expr) in replacements:
        return replacements[id(expr)]
    new = copy.copy(expr)  # keeps marks such as knet_ref
    for field, value in gast.iter_fields(expr):
        if isinstance(value, list):
            setattr(new, field, [_replaced(v, replacements) if isinstance(v, gast.AST) else v
                                 for v in value])
        elif isinstance(value, gast.AST):
            setattr(new, field, _replaced(value, replacements))
    return new


def _sum(terms):
    if not terms:
        return gast.Constant(value=0.0, kind=None)
    total = terms[0]
    for term in terms[1:]:
        total = gast.BinOp(left=total, op=gast.Add(), right=term)
        total.knet_template = True
    return total
