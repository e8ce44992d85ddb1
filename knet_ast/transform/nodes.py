"""Building gast nodes: the few constructors every pass needs."""
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


def at(new, old):
    """`new` with the source location (the user's line) of `old`."""
    return gast.copy_location(new, old)
