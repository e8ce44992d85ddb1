"""Building gast nodes: the few constructors every pass needs."""
import copy

import gast


def load(name):
    return gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)


def store(name):
    return gast.Name(id=name, ctx=gast.Store(), annotation=None, type_comment=None)


def param(name):
    return gast.Name(id=name, ctx=gast.Param(), annotation=None, type_comment=None)


def none():
    return gast.Constant(value=None, kind=None)


def assign(name, value):
    """`name = value`"""
    return gast.Assign(targets=[store(name)], value=value, type_comment=None)


def assign_tuple(names, value):
    """`a, b = value`"""
    return gast.Assign(targets=[gast.Tuple(elts=[store(n) for n in names], ctx=gast.Store())],
                       value=value, type_comment=None)


def with_leading_params(args, names):
    """A copy of the gast `arguments` with parameters `names` put first (`args` itself if none)."""
    if not names:
        return args
    new = copy.deepcopy(args)
    params = [param(n) for n in names]
    if new.posonlyargs:
        new.posonlyargs = params + new.posonlyargs
    else:
        new.args = params + new.args
    return new


def at(new, old):
    """`new` with the source location (the user's line) of `old`."""
    return gast.copy_location(new, old)


def visit_own_expressions(stmt, visitor):
    """Run the NodeTransformer `visitor` over the expressions of `stmt` itself, not over the
    statements nested in it (its body and orelse)."""
    for field, value in gast.iter_fields(stmt):
        if field in ("body", "orelse", "decorator_list", "args"):
            continue
        if isinstance(value, gast.AST):
            setattr(stmt, field, visitor.visit(value))
        elif isinstance(value, list):
            setattr(stmt, field, [visitor.visit(v) if isinstance(v, gast.AST) else v for v in value])


def walk(stmts):
    """Every node of a list of statements (gast.walk takes one node)."""
    return gast.walk(gast.Module(body=list(stmts), type_ignores=[]))
