"""Rewrite sugar into a small core of statements.

After this pass the body holds only: `name = expr`, `target[index] = expr`,
expression statements, `assert`, `raise`, `for name in expr` (no `else`),
`if`, and the final `return`. Augmented assignment, tuple unpacking, chained
and annotated assignment, docstrings and `pass` are gone.
"""
import gast

from ..errors import UnsupportedSyntaxError
from .calls import may_alias, shared_names
from .nodes import at, load, store
from .parse import param_names


class Desugar(gast.NodeTransformer):
    def __init__(self, parsed):
        self.parsed = parsed
        self.namer = parsed.namer
        self.shared = set()  # names whose value another name (or a container) also refers to
        self.assigned = set()  # names the function binds (a list it did not bind is not its own)

    def visit_FunctionDef(self, node):
        self.assigned = {n.id for n in gast.walk(node)
                         if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        body = node.body
        if body and _is_docstring(body[0]):
            body = body[1:]
        node.body = self._block(body)
        return node

    def _block(self, stmts):
        out = []
        for stmt in stmts:
            result = self.visit(stmt)
            if result is None:
                continue
            out.extend(result if isinstance(result, list) else [result])
        return out

    def visit_Pass(self, node):
        return None

    def visit_Expr(self, node):
        """`xs.append(v)` on a list the function built is `xs = xs + [v]` (`extend`: `+ list(vs)`),
        which the gradient can follow; on any other list it stays an in-place call."""
        if _is_docstring(node):
            return None
        call = node.value
        if isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and \
                call.func.attr in ("append", "extend") and isinstance(call.func.value, gast.Name) \
                and len(call.args) == 1 and not call.keywords:
            name = call.func.value.id
            if name in self.assigned and name not in self.shared and name not in \
                    self.parsed.tapes and name not in param_names(self.parsed.node):
                arg = call.args[0]
                added = gast.List(elts=[arg], ctx=gast.Load()) if call.func.attr == "append" \
                    else gast.Call(func=load("list"), args=[arg], keywords=[])
                value = gast.BinOp(left=load(name), op=gast.Add(), right=added)
                return self.visit(at(gast.Assign(targets=[store(name)], value=value,
                                                  type_comment=None), node))
        return node

    def visit_AnnAssign(self, node):
        if node.value is None:
            return None
        return self.visit(at(gast.Assign(targets=[node.target], value=node.value,
                                          type_comment=None), node))

    def visit_AugAssign(self, node):
        """`s += e` becomes `s = s + e`; where `s` may share its array, a run-time check refuses
        the in-place update NumPy would do (it would change the other name too)."""
        current = _as_load(node.target)
        value = at(gast.BinOp(left=current, op=node.op, right=node.value), node)
        check = []
        if isinstance(node.target, gast.Name) and node.target.id in self.shared:
            name = node.target.id
            func = load("refuse_shared_inplace")
            func.knet_ref = True
            check = [at(gast.Expr(value=gast.Call(
                func=func,
                args=[load(name), gast.Constant(value=name, kind=None)],
                keywords=[])), node)]
        result = self.visit(at(gast.Assign(targets=[node.target], value=value,
                                            type_comment=None), node))
        return check + (result if isinstance(result, list) else [result])

    def _trackshared_names(self, target, value):
        """Keep `self.shared` up to date after `target = value`."""
        self.shared |= shared_names(value, self.parsed)
        if isinstance(target, gast.Name):
            if may_alias(value, self.parsed):
                self.shared.add(target.id)
            else:
                self.shared.discard(target.id)

    def visit_Assign(self, node):
        targets, value = node.targets, node.value
        if len(targets) == 1 and isinstance(targets[0], (gast.Name, gast.Subscript, gast.Attribute)):
            self._trackshared_names(targets[0], value)
            return node
        if len(targets) == 1 and _parallel(targets[0], value):
            return self._parallel(targets[0], value, node)
        tmp = self.namer.fresh("unpacked" if len(targets) == 1 else "value")
        out = [at(gast.Assign(targets=[store(tmp)], value=value,
                               type_comment=None), node)]
        for target in targets:
            out.extend(self._unpack(target, tmp, node))
        return out

    def _parallel(self, target, value, node):
        """`a, b = x, y`: assign element by element, through temporaries if needed."""
        stores = {n.id for n in gast.walk(target) if isinstance(n, gast.Name)}
        reads = {n.id for n in gast.walk(value) if isinstance(n, gast.Name)}
        pairs = list(zip(target.elts, value.elts))
        out = []
        if stores & reads:
            temps = []
            for elt_target, elt_value in pairs:
                tmp = self.namer.fresh(_hint(elt_target))
                out.append(at(gast.Assign(targets=[store(tmp)], value=elt_value,
                                           type_comment=None), node))
                temps.append(load(tmp))
            pairs = list(zip(target.elts, temps))
        for elt_target, elt_value in pairs:
            result = self.visit(at(gast.Assign(targets=[elt_target], value=elt_value,
                                                type_comment=None), node))
            out.extend(result if isinstance(result, list) else [result])
        return out

    def _unpack(self, target, source, node):
        if isinstance(target, (gast.Tuple, gast.List)):
            out = []
            for i, elt in enumerate(target.elts):
                item = at(gast.Subscript(value=load(source),
                                          slice=gast.Constant(value=i, kind=None),
                                          ctx=gast.Load()), node)
                if isinstance(elt, (gast.Tuple, gast.List)):
                    tmp = self.namer.fresh(f"{source}_{i}")
                    out.append(at(gast.Assign(targets=[store(tmp)], value=item,
                                               type_comment=None), node))
                    out.extend(self._unpack(elt, tmp, node))
                else:
                    out.append(at(gast.Assign(targets=[elt], value=item, type_comment=None),
                                   node))
            return out
        return [at(gast.Assign(targets=[target], value=load(source),
                                type_comment=None), node)]

    def _share_loop_assignments(self, node):
        for stmt in gast.walk(node):  # what a later iteration shares counts from the start
            if isinstance(stmt, gast.Assign):
                for target in stmt.targets:
                    if isinstance(target, gast.Name) and may_alias(stmt.value, self.parsed):
                        self.shared.add(target.id)
                    self.shared |= shared_names(stmt.value, self.parsed)

    def visit_For(self, node):
        """`for x in xs` becomes `for index in range(len(seq)): x = seq[index]`, so a gradient
        can flow into `xs`; loops over integer ranges stay as they are."""
        self._share_loop_assignments(node)
        node.body = self._block(node.body)
        orelse = self._block(node.orelse)
        node.orelse = []
        if not isinstance(node.target, (gast.Name, gast.Tuple, gast.List)):
            raise self.parsed.error(UnsupportedSyntaxError, node,
                                    "a loop target must be a name or a tuple of names")
        before = []
        if not _integer_range(node.iter, self.parsed):
            node.iter, index, item = self._indexed(node, before)
            node.target = store(index)
        else:
            if isinstance(node.target, gast.Name):
                return [node] + orelse
            item = node.target
            node.target = store(self.namer.fresh("item"))
            item = (item, load(node.target.id))
        target, value = item
        unpack = self.visit(at(gast.Assign(targets=[target], value=value, type_comment=None), node))
        node.body = (unpack if isinstance(unpack, list) else [unpack]) + node.body
        return before + [node] + orelse

    def _indexed(self, node, before):
        """(range(...) to loop over, the loop index, (loop target, its value)) for a loop over
        anything but a range."""
        iterable, target = node.iter, node.target
        kind = _iteration_kind(iterable, self.parsed)
        if kind == "enumerate" and isinstance(target, (gast.Tuple, gast.List)) and \
                len(target.elts) == 2 and isinstance(target.elts[0], gast.Name) and \
                len(iterable.args) == 1:  # `for i, x in enumerate(xs)`: i is the loop index itself
            index = target.elts[0].id
            stop, value = self._element(iterable.args[0], index, node, before)
            return _range(stop), index, (target.elts[1], value)
        index = self.namer.fresh("index")
        if kind == "reversed" and _iteration_kind(iterable.args[0], self.parsed) == "other":
            seq = self._sequence(iterable.args[0], node, before)  # a plain sequence: count down
            minus_one = gast.UnaryOp(op=gast.USub(), operand=gast.Constant(value=1, kind=None))
            return _range(_last(seq), minus_one, minus_one), index, (target, _item(seq, load(index)))
        stop, value = self._element(iterable, index, node, before)
        return _range(stop), index, (target, value)

    def _element(self, iterable, index, node, before):
        """(the number of items, the item at `index`) of an iterable: a sequence, or zip /
        enumerate / reversed of iterables (nested: `enumerate(zip(ws, bs))`), or a dict view."""
        kind = _iteration_kind(iterable, self.parsed)
        if kind == "zip":
            parts = [self._element(a, index, node, before) for a in iterable.args]
            stop = parts[0][0] if len(parts) == 1 else _call_builtin("min", *(n for n, _ in parts))
            return stop, gast.Tuple(elts=[v for _, v in parts], ctx=gast.Load())
        if kind == "enumerate":  # enumerate(xs) or enumerate(xs, start)
            stop, value = self._element(iterable.args[0], index, node, before)
            count = gast.BinOp(left=load(index), op=gast.Add(), right=iterable.args[1]) \
                if len(iterable.args) > 1 else load(index)
            return stop, gast.Tuple(elts=[count, value], ctx=gast.Load())
        if kind == "reversed":
            if _iteration_kind(iterable.args[0], self.parsed) != "other":
                raise self.parsed.error(UnsupportedSyntaxError, iterable, "reversed() of zip, enumerate "
                                        "or a dict view cannot be differentiated",
                                        "Reverse the sequences inside: zip(reversed(xs), reversed(ys)).")
            seq = self._sequence(iterable.args[0], node, before)
            return _len(seq), _item(seq, gast.BinOp(left=_last(seq), op=gast.Sub(), right=load(index)))
        if kind in ("items", "values", "keys"):
            mapping = iterable.func.value
            if not isinstance(mapping, gast.Name):
                tmp = self.namer.fresh("mapping")
                before.append(at(gast.Assign(targets=[store(tmp)], value=mapping, type_comment=None),
                                 node))
                mapping = load(tmp)
            seq = self._sequence(mapping, node, before, hint=f"{mapping.id}_keys")
            key = _item(seq, load(index))
            entry = gast.Subscript(value=load(mapping.id), slice=_item(seq, load(index)), ctx=gast.Load())
            return _len(seq), {"keys": key, "values": entry,
                               "items": gast.Tuple(elts=[key, entry], ctx=gast.Load())}[kind]
        seq = self._sequence(iterable, node, before)
        return _len(seq), _item(seq, load(index))

    def _sequence(self, expr, node, before, hint=None):
        """A new name for `as_sequence(expr)`, assigned before the loop."""
        if hint is None:
            hint = f"{expr.id}_seq" if isinstance(expr, gast.Name) else "sequence"
        name = self.namer.fresh(hint)
        func = load("as_sequence")
        func.knet_ref = True
        call = gast.Call(func=func, args=[expr], keywords=[])
        before.append(at(gast.Assign(targets=[store(name)], value=call, type_comment=None), node))
        return name

    def visit_While(self, node):
        self._share_loop_assignments(node)
        node.body = self._block(node.body)
        orelse = self._block(node.orelse)  # no `break` here (jumps refuses it with `else:`)
        node.orelse = []
        return [node] + orelse

    def visit_If(self, node):
        before = set(self.shared)
        node.body = self._block(node.body) or [at(gast.Pass(), node)]
        after_body, self.shared = self.shared, before
        node.orelse = self._block(node.orelse)
        self.shared |= after_body  # shared on either path
        return node


def desugar(parsed):
    Desugar(parsed).visit(parsed.node)
    return parsed


def _parallel(target, value):
    return (isinstance(target, (gast.Tuple, gast.List)) and isinstance(value, (gast.Tuple, gast.List))
            and len(target.elts) == len(value.elts)
            and not any(isinstance(e, gast.Starred) for e in target.elts + value.elts))


def _integer_range(iterable, parsed):
    """`range(...)` or `reversed(range(...))`: integers, which carry no gradient."""
    if not isinstance(iterable, gast.Call):
        return False
    func = parsed.resolve(iterable.func)
    if func is range:
        return True
    return func is reversed and len(iterable.args) == 1 and \
        _integer_range(iterable.args[0], parsed)


def _iteration_kind(iterable, parsed):
    if isinstance(iterable, gast.Call) and len(iterable.keywords) == 1 and \
            iterable.keywords[0].arg == "start" and len(iterable.args) == 1 and \
            parsed.resolve(iterable.func) is enumerate:  # enumerate(xs, start=1)
        iterable.args.append(iterable.keywords.pop().value)
    if isinstance(iterable, gast.Call) and not iterable.keywords and \
            not any(isinstance(a, gast.Starred) for a in iterable.args):
        func = parsed.resolve(iterable.func)
        if func is zip and iterable.args:
            return "zip"
        if func is enumerate and len(iterable.args) in (1, 2):
            return "enumerate"
        if func is reversed and len(iterable.args) == 1:
            return "reversed"
        if isinstance(iterable.func, gast.Attribute) and not iterable.args and \
                iterable.func.attr in ("items", "values", "keys"):
            return iterable.func.attr
    return "other"


def _item(seq, index):
    return gast.Subscript(value=load(seq), slice=index, ctx=gast.Load())


def _len(seq):
    return _call_builtin("len", load(seq))


def _last(seq):
    """`len(seq) - 1`"""
    return gast.BinOp(left=_len(seq), op=gast.Sub(), right=gast.Constant(value=1, kind=None))


def _range(*args):
    return _call_builtin("range", *args)


def _call_builtin(name, *args):
    return gast.Call(func=load(name), args=list(args), keywords=[])


def _hint(target):
    return target.id if isinstance(target, gast.Name) else "value"


def _is_docstring(stmt):
    return (isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)
            and isinstance(stmt.value.value, str))


def _as_load(target):
    if isinstance(target, gast.Name):
        return gast.Name(id=target.id, ctx=gast.Load(), annotation=None, type_comment=None)
    if isinstance(target, gast.Subscript):
        return gast.Subscript(value=target.value, slice=target.slice, ctx=gast.Load())
    if isinstance(target, gast.Attribute):
        return gast.Attribute(value=target.value, attr=target.attr, ctx=gast.Load())
    raise TypeError(target)

