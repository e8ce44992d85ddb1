"""Reject what knet_ast cannot differentiate, before anything else runs.

Each entry names the construct and says what to write instead. The check runs
on the user's own tree, so the error points at the user's line.
"""
import gast

from ..errors import UnsupportedSyntaxError

_ASYNC = "async code cannot be differentiated; write a plain (synchronous) function."
_LATER = ("are not supported yet (control flow beyond `for` and `if` arrives with the "
          "control-flow release)")

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
                  "Pass the value as an argument and return what you would have assigned."),
    gast.Nonlocal: ("`nonlocal` declarations cannot be differentiated",
                    "Pass the value as an argument and return the new value."),
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
    gast.While: ("`while` loops " + _LATER, "Use a `for` loop over range(...) for now."),
    gast.Break: ("`break` statements " + _LATER, "Compute the trip count first and loop over range(n)."),
    gast.Continue: ("`continue` statements " + _LATER, "Put the rest of the loop body under an `if`."),
    gast.FunctionDef: ("nested function definitions " + _LATER,
                       "Define the helper at module level and pass what it needs as arguments."),
    gast.Lambda: ("`lambda` expressions " + _LATER, "Define the helper with `def` at module level."),
    gast.ListComp: ("list comprehensions " + _LATER,
                    "Build the list with a `for` loop and `append`-free code, e.g. np.stack."),
    gast.SetComp: ("set comprehensions cannot be differentiated",
                   "Build the set outside the differentiated function."),
    gast.DictComp: ("dict comprehensions " + _LATER, "Build the dict with a `for` loop."),
    gast.GeneratorExp: ("generator expressions " + _LATER,
                        "Use a `for` loop that accumulates into a variable."),
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
    _fence_returns(parsed, func.body)
    return parsed


def _fence_returns(parsed, body):
    for stmt in body[:-1]:
        for node in gast.walk(stmt):
            if isinstance(node, gast.Return):
                raise parsed.error(
                    UnsupportedSyntaxError, node,
                    "`return` statements before the end of the function " + _LATER,
                    "Assign the result to a variable in each branch and return it once, "
                    "on the last line.")
    last = body[-1] if body else None
    if not isinstance(last, gast.Return):
        raise parsed.error(UnsupportedSyntaxError, last or parsed.node,
                           "the differentiated function must end with `return <value>`",
                           "Return the scalar loss on the last line.")
