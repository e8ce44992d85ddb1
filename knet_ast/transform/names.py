"""Which names a piece of code reads and which it assigns."""
import gast


def loads(code):
    """Names read in `code`: a node, or a list of nodes."""
    return _names(code, gast.Load)


def stores(code):
    """Names assigned in `code`: a node, or a list of nodes."""
    return _names(code, gast.Store)


def _names(code, ctx):
    nodes = code if isinstance(code, list) else [code]
    return {n.id for node in nodes for n in gast.walk(node)
            if isinstance(n, gast.Name) and isinstance(n.ctx, ctx)}
