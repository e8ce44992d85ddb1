"""Reject what knet_ast cannot differentiate, before anything else runs.

Each entry names the construct and says what to write instead. The check runs
on the user's own tree, so the error points at the user's line.
"""
import gast

from ..errors import UnsupportedSyntaxError
from .comprehensions import check_placement

_ASYNC = "async code cannot be differentiated; write a plain (synchronous) function."
REJECTED = {
    gast.Yield: ("generators (`yield`) cannot be differentiated",
                 "Return a value (for example a list) instead of yielding."),
    gast.YieldFrom: ("generators (`yield from`) cannot be differentiated",
                     "Return a value instead of yielding."),
    gast.Await: ("`await` cannot be differentiated", _ASYNC),
    gast.AsyncFunctionDef: ("`async def` cannot be differentiated", _ASYNC),
    gast.AsyncFor: ("`async for` cannot be differentiated", _ASYNC),
    gast.AsyncWith: ("`async with` cannot be differentiated", _ASYNC),
    gast.Try: ("`try` statements cannot be differentiated",
               "Move the try/except outside the differentiated function, or check the "
               "condition with `if` before the operation."),
    gast.TryStar: ("`try`/`except*` statements cannot be differentiated",
                   "Move the try/except outside the function."),
    gast.With: ("`with` statements cannot be differentiated",
                "Enter the context (np.errstate, a file, a lock) outside the function you "
                "differentiate and call the function inside it."),
    gast.Global: ("`global` declarations cannot be differentiated",
                  "Pass the value as an argument; keep state that changes outside the "
                  "differentiated function (knet.gradloss returns the loss with the gradient)."),
    gast.Nonlocal: ("`nonlocal` declarations cannot be differentiated",
                    "Pass the value as an argument; keep state that changes outside the "
                    "differentiated function."),
    gast.ClassDef: ("class definitions inside a differentiated function cannot be differentiated",
                    "Define the class at module level."),
    gast.Delete: ("`del` cannot be differentiated",
                  "Drop the `del`; rebinding a name or leaving it is enough."),
    gast.Import: ("`import` inside a differentiated function cannot be differentiated",
                  "Import at module level."),
    gast.ImportFrom: ("`import` inside a differentiated function cannot be differentiated",
                      "Import at module level."),
    gast.NamedExpr: ("assignment expressions (`:=`) cannot be differentiated",
                     "Assign on a line of its own."),
    gast.Match: ("`match` statements cannot be differentiated", "Use `if`/`elif`/`else`."),
    gast.SetComp: ("set comprehensions cannot be differentiated",
                   "Build the set outside the differentiated function."),
}


def fence(parsed):
    """Raise UnsupportedSyntaxError for the first unsupported construct in `parsed`."""
    func = parsed.node
    for node in gast.walk(func):
        if node is func:
            continue
        entry = REJECTED.get(type(node))
        if entry is not None:
            what, hint = entry
            raise parsed.error(UnsupportedSyntaxError, node, what, hint)
        if isinstance(node, gast.Starred) and isinstance(node.ctx, gast.Store):
            raise parsed.error(UnsupportedSyntaxError, node, "starred assignment targets "
                               "(`a, *rest = ...`) are not supported",
                               "Index the sequence instead: `a = seq[0]; rest = seq[1:]`.")
        if isinstance(node, (gast.For, gast.While)) and node.orelse and any(
                isinstance(n, gast.Break) for n in _walk_loop_body(node.body)):
            raise parsed.error(UnsupportedSyntaxError, node,
                               "a loop with both `break` and an `else:` clause is not supported",
                               "Set a flag before `break` and test it after the loop.")
    check_placement(parsed)
    if not always_returns(func.body):
        body = func.body
        raise parsed.error(UnsupportedSyntaxError, body[-1] if body else func,
                           "the differentiated function must return a value on every path",
                           "End every path with `return <value>` (the scalar loss).")
    return parsed


def always_returns(stmts):
    """True if every path through `stmts` ends in `return` (or `raise`)."""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, gast.If):
        return always_returns(last.body) and always_returns(last.orelse)
    return any(isinstance(s, (gast.Return, gast.Raise)) for s in stmts)


def _walk_loop_body(stmts):
    """Nodes of a loop body, not entering nested loops (whose `break` is their own)."""
    todo = list(stmts)
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, (gast.For, gast.While, gast.FunctionDef, gast.Lambda)):
            todo.extend(gast.iter_child_nodes(node))

