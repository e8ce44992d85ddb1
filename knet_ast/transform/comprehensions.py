"""Lower comprehensions and generator expressions into loops that build a list.

    ys = [f(x) for x in xs if x > 0]

becomes, just before the statement that contains it,

    ys_list = []
    for x in xs:
        if x > 0:
            ys_list.append(f(x))
    ys = ys_list

(and `desugar` turns the loop and the append into an indexed loop and a
concatenation, whose gradients it knows). A generator expression becomes a
list the same way (`sum(x * x for x in xs)`); a dict comprehension builds a
list of keys and one of values, joined by `dict_from(keys, values)`.

A comprehension is evaluated once, before its statement, so it may not sit
where Python would evaluate it conditionally or repeatedly: in a branch of a
conditional expression, after the first operand of `and`/`or`, or in the test
of a `while` loop. `check_placement` (run by fence) refuses those.
Comprehension variables keep their names unless the function uses the same
name elsewhere.
"""
import gast

from ..errors import UnsupportedSyntaxError
from .nodes import assign, at, load, visit_own_expressions

_COMPREHENSIONS = (gast.ListComp, gast.GeneratorExp, gast.DictComp)
_BLOCKS = ("body", "orelse")


class Comprehensions:
    def __init__(self, parsed):
        self.parsed = parsed
        self.namer = parsed.namer
        self.outside = _names_outside_comprehensions(parsed.node)

    def block(self, stmts):
        out = []
        for stmt in stmts:
            for field in _BLOCKS:  # (closures.py has lifted nested functions and lambdas)
                if isinstance(getattr(stmt, field, None), list):
                    setattr(stmt, field, self.block(getattr(stmt, field)))
            before = []
            visit_own_expressions(stmt, _Hoist(self, stmt, before))
            out.extend(self.block(before) + [stmt])
        return out

    def lower(self, comp, stmt):
        """(statements that compute `comp`, the name holding its value)."""
        renames = {}
        for generator in comp.generators:
            for name in _target_names(generator.target):
                if name in self.outside:  # keep the function's own variable untouched
                    renames[name] = self.namer.fresh(name)
        if renames:  # the first iterable is evaluated outside the comprehension's scope
            first_iter = comp.generators[0].iter
            comp.generators[0].iter = gast.Constant(value=None, kind=None)
            _rename(comp, renames)
            comp.generators[0].iter = first_iter
        is_dict = isinstance(comp, gast.DictComp)
        result = self.namer.fresh("entries" if is_dict else "items")
        if is_dict:
            keys, values = self.namer.fresh("keys"), self.namer.fresh("values")
            innermost = [_append(keys, comp.key, stmt), _append(values, comp.value, stmt)]
            start = [at(assign(n, gast.List(elts=[], ctx=gast.Load())), stmt) for n in (keys, values)]
        else:
            innermost = [_append(result, comp.elt, stmt)]
            start = [at(assign(result, gast.List(elts=[], ctx=gast.Load())), stmt)]
        body = innermost
        for generator in reversed(comp.generators):
            if generator.is_async:
                raise self.parsed.error(UnsupportedSyntaxError, stmt,
                                        "`async for` in a comprehension cannot be differentiated")
            for test in reversed(generator.ifs):
                body = [at(gast.If(test=test, body=body, orelse=[]), stmt)]
            body = [at(gast.For(target=_as_store(generator.target), iter=generator.iter, body=body,
                                orelse=[], type_comment=None), stmt)]
        stmts = start + body
        if is_dict:
            func = load("dict_from")
            func.knet_ref = True
            stmts.append(at(assign(result, gast.Call(func=func, args=[load(keys), load(values)],
                                                     keywords=[])), stmt))
        return stmts, result


class _Hoist(gast.NodeTransformer):
    """Replace the outermost comprehensions of one statement's own expressions by names."""

    def __init__(self, owner, stmt, before):
        self.owner, self.stmt, self.before = owner, stmt, before

    def _comprehension(self, node):
        stmts, name = self.owner.lower(node, self.stmt)
        self.before.extend(stmts)
        return load(name)

    visit_ListComp = visit_GeneratorExp = visit_DictComp = _comprehension


def check_placement(parsed):
    """Refuse comprehensions Python would evaluate conditionally or repeatedly (run by fence,
    so the error comes from knet.grad(f) itself)."""
    for stmt in gast.walk(parsed.node):
        if isinstance(stmt, gast.While):
            for node in gast.walk(stmt.test):
                if isinstance(node, _COMPREHENSIONS):
                    raise parsed.error(UnsupportedSyntaxError, node,
                                       "a comprehension in the test of a `while` loop is not "
                                       "supported", "Compute it in a variable before the loop "
                                       "and again at the end of the loop body.")
        conditional = []
        if isinstance(stmt, gast.IfExp):
            conditional = [(stmt.body, "in a branch of a conditional expression"),
                           (stmt.orelse, "in a branch of a conditional expression")]
        elif isinstance(stmt, gast.BoolOp):
            conditional = [(v, "after the first operand of `and`/`or`") for v in stmt.values[1:]]
        for part, why in conditional:
            for node in _walk_outside_lambdas(part):
                if isinstance(node, _COMPREHENSIONS):
                    raise parsed.error(
                        UnsupportedSyntaxError, node,
                        f"a comprehension {why} is not supported (knet_ast computes "
                        "comprehensions before their statement)",
                        "Compute it in a variable on a line of its own, inside an `if` if needed.")


def _walk_outside_lambdas(node):
    todo = [node]
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, gast.Lambda):
            todo.extend(gast.iter_child_nodes(node))


def comprehensions(parsed):
    owner = Comprehensions(parsed)
    parsed.node.body = owner.block(parsed.node.body)
    return parsed


def _append(name, value, where):
    call = gast.Call(func=gast.Attribute(value=load(name), attr="append", ctx=gast.Load()),
                     args=[value], keywords=[])
    return at(gast.Expr(value=call), where)


def _target_names(target):
    return [n.id for n in gast.walk(target) if isinstance(n, gast.Name)]


def _as_store(target):
    for node in gast.walk(target):
        if isinstance(node, (gast.Name, gast.Tuple, gast.List)):
            node.ctx = gast.Store()
    return target


def _rename(node, renames):
    for sub in gast.walk(node):
        if isinstance(sub, gast.Name) and sub.id in renames:
            sub.id = renames[sub.id]


def _names_outside_comprehensions(func):
    """Names the function uses outside any comprehension."""
    names, todo = set(), list(func.body) + [func.args]
    while todo:
        node = todo.pop()
        if isinstance(node, _COMPREHENSIONS):
            continue
        if isinstance(node, gast.Name):
            names.add(node.id)
        todo.extend(gast.iter_child_nodes(node))
    return names
