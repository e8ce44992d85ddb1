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


class Desugar(gast.NodeTransformer):
    def __init__(self, parsed):
        self.parsed = parsed
        self.namer = parsed.namer
        self.shared = set()  # names whose value another name (or a container) also refers to

    def visit_FunctionDef(self, node):
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
        return None if _is_docstring(node) else node

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
        self._share_loop_assignments(node)
        node.body = self._block(node.body)
        orelse = self._block(node.orelse)
        node.orelse = []
        if not isinstance(node.target, gast.Name):
            if not isinstance(node.target, (gast.Tuple, gast.List)):
                raise self.parsed.error(UnsupportedSyntaxError, node,
                                        "a loop target must be a name or a tuple of names")
            tmp = self.namer.fresh("item")
            unpack = self._unpack(node.target, tmp, node)
            node.target = store(tmp)
            node.body = unpack + node.body
        return [node] + orelse

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

