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


def upward_exposed(stmts, bound=frozenset()):
    """Names `stmts` read before assigning them on every path: what a block needs from outside
    (`bound` names count as assigned already)."""
    free, bound = set(), set(bound)
    for stmt in stmts:
        if isinstance(stmt, gast.Assign):
            free |= loads(stmt.value) - bound
            for target in stmt.targets:
                for t in target.elts if isinstance(target, gast.Tuple) else [target]:
                    if isinstance(t, gast.Name):
                        bound.add(t.id)
                    else:
                        free |= loads(t) - bound
        elif isinstance(stmt, gast.For):
            free |= loads(stmt.iter) - bound
            free |= upward_exposed(stmt.body, bound | {stmt.target.id})
        elif isinstance(stmt, gast.While):
            free |= loads(stmt.test) - bound
            free |= upward_exposed(stmt.body, bound)
        elif isinstance(stmt, gast.If):
            free |= loads(stmt.test) - bound
            free |= upward_exposed(stmt.body, bound) | upward_exposed(stmt.orelse, bound)
        else:
            free |= loads(stmt) - bound
    return free
