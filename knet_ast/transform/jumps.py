"""Lower `break`, `continue` and early `return` into flags, so every block runs to its end.

The reverse pass handles straight-line blocks, `if`, and loops whose body runs to
the end on every iteration. This pass rewrites jumps into that form:

- `return e` before the end becomes `result = e`, and the function ends with
  `return result`. Where one branch of an `if` always returns, the statements
  after the `if` move into the other branch (no flag); elsewhere (inside loops,
  deeper branches) `returned = True` is set and the rest is guarded by
  `if not returned:`.
- `continue` becomes `skipped = True` (reset at the start of each iteration), and
  the rest of the body is guarded by `if not skipped:`.
- `break` becomes `broke = True`, guarded the same way; the body then ends with
  `if broke: break`. The reverse pass keeps such exit checks last in the body,
  after the tape push and the trip counter, so the iteration that breaks is
  counted and its values are saved like any other.

A return inside a loop also exits the loop: every loop it is in ends with
`if returned: break`.
"""
import gast

from .fence import always_returns
from .nodes import assign, at, load, walk

_LOOPS = (gast.For, gast.While)


class Loop:
    def __init__(self):
        self.broke = None     # flag names, created on first use
        self.skipped = None
        self.exits = []       # flags whose truth ends the loop


class Jumps:
    def __init__(self, parsed):
        self.parsed = parsed
        self.namer = parsed.namer
        self.result = None    # the variable early returns assign
        self.returned = None  # the flag set by a return that cannot move the rest of its block
        self.loops = []       # the loops around the block being lowered, innermost last

    def function(self, node):
        body = node.body  # fence made sure every path returns
        returns = [n for n in walk(body) if isinstance(n, gast.Return)]
        if returns == [body[-1]] and not _has_loop_jumps(body):
            return
        if returns != [body[-1]]:
            self.result = self.namer.fresh("result")
        new_body = self.block(body, top=True)
        if self.returned is not None:
            new_body.insert(0, at(assign(self.returned, gast.Constant(value=False, kind=None)),
                                  body[0]))
        if self.result is not None:
            new_body.append(at(gast.Return(value=load(self.result)), body[-1]))
        node.body = new_body

    # --- blocks ---
    def block(self, stmts, top=False):
        """Lower `stmts`. `top`: nothing runs after this block but the function's return."""
        out = []
        for k, stmt in enumerate(stmts):
            rest = stmts[k + 1:]
            if isinstance(stmt, gast.Return):
                out.extend(self._return(stmt, top))
                return out  # what follows a return never runs
            if isinstance(stmt, (gast.Break, gast.Continue)):
                out.append(self._jump(stmt))
                return out
            if isinstance(stmt, gast.If) and top and self.result is not None and (
                    always_returns(stmt.body) or always_returns(stmt.orelse)):
                # `if c: return a` then the rest: the rest becomes the other branch, no flag
                stmt.body = self.block(stmt.body + ([] if always_returns(stmt.body) else rest),
                                       top=True)
                stmt.orelse = self.block(
                    stmt.orelse + ([] if always_returns(stmt.orelse) else rest), top=True)
                out.append(stmt)
                return out
            self.statement(stmt)
            out.append(stmt)
            flags = self._flags_set(stmt)
            if flags and rest:
                out.extend(self._guard(flags, self.block(rest, top), stmt))
                return out
        return out

    def statement(self, stmt):
        if isinstance(stmt, gast.If):
            stmt.body = self.block(stmt.body) or [at(gast.Pass(), stmt)]
            stmt.orelse = self.block(stmt.orelse)
        elif isinstance(stmt, _LOOPS):
            self.loop(stmt)

    def loop(self, node):
        inner = Loop()
        self.loops.append(inner)
        body = self.block(node.body)
        self.loops.pop()
        if node.orelse:  # fence refused `else:` on loops with `break`
            node.orelse = self.block(node.orelse)
        resets = [at(assign(flag, gast.Constant(value=False, kind=None)), node)
                  for flag in (inner.broke, inner.skipped) if flag is not None]
        exits = []
        for flag in inner.exits:
            check = at(gast.If(test=load(flag), body=[at(gast.Break(), node)], orelse=[]), node)
            check.loop_exit = True
            exits.append(check)
        node.body = resets + body + exits

    # --- jumps ---
    def _return(self, stmt, top):
        if self.result is None:  # the one final return: keep it
            return [stmt]
        value = stmt.value if stmt.value is not None else gast.Constant(value=None, kind=None)
        out = [at(assign(self.result, value), stmt)]
        if not top:
            if self.returned is None:
                self.returned = self.namer.fresh("returned")
            out.append(_set(self.returned, stmt))
            for frame in self.loops:
                if self.returned not in frame.exits:
                    frame.exits.append(self.returned)
        return out

    def _jump(self, stmt):
        loop = self.loops[-1]
        if isinstance(stmt, gast.Break):
            if loop.broke is None:
                loop.broke = self.namer.fresh("broke")
                loop.exits.insert(0, loop.broke)
            return _set(loop.broke, stmt)
        if loop.skipped is None:
            loop.skipped = self.namer.fresh("skipped")
        return _set(loop.skipped, stmt)

    # --- flags ---
    def _flags_set(self, stmt):
        """The flags `stmt` may set that end the enclosing block early."""
        loop = self.loops[-1] if self.loops else None
        candidates = [loop.broke, loop.skipped] if loop else []
        candidates.append(self.returned)
        assigned = {n.targets[0].id for n in walk([stmt])
                    if isinstance(n, gast.Assign) and isinstance(n.targets[0], gast.Name)
                    and isinstance(n.value, gast.Constant) and n.value.value is True}
        return [f for f in candidates if f is not None and f in assigned]

    def _guard(self, flags, rest, where):
        if not rest:
            return []
        for flag in reversed(flags):
            test = gast.UnaryOp(op=gast.Not(), operand=load(flag))
            rest = [at(gast.If(test=test, body=rest, orelse=[]), where)]
        return rest


def _set(flag, where):
    return at(assign(flag, gast.Constant(value=True, kind=None)), where)


def jumps(parsed):
    Jumps(parsed).function(parsed.node)
    return parsed


def _has_loop_jumps(stmts):
    return any(isinstance(n, (gast.Break, gast.Continue)) for n in walk(stmts))
