"""In-place accumulation: `d = add_at(d, x, i, g)` becomes `d = add_in_place(d, x, i, g)`
where `d` can only hold None or the array (list, dict) that an earlier add_at of the same
function made for it, and nothing has read `d` since.

add_at copies its accumulator, so that an adjoint another variable also holds is never
changed under it; in a loop over `x[i]` that copy of the whole gradient at every step
makes the reverse sweep quadratic. This pass proves where the copy is not needed, by a
forward dataflow over each generated function: `owned` is the set of names whose value is
None or such a private accumulator. A name enters it when it is assigned None or the
result of add_at / add_in_place, and leaves it when it is assigned anything else or read
anywhere but as the accumulator of its own add_at. Branches meet by intersection; a
loop's head is iterated to a fixed point (what is owned on entry and after every
iteration). Loops with break, continue or return inside, and nested functions, are left
as they are.
"""
import gast

from .names import loads, stores

SCATTERS = ("add_at", "add_in_place")


def in_place(function):
    """Rewrite `function` (a gast FunctionDef) in place; returns it."""
    _Owned().block(function.body, frozenset(), mark=True)
    return function


def _scatter(stmt):
    """The call of `d = add_at(d or None, ...)`, if stmt is one."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and
            isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Call)):
        return None
    call = stmt.value
    if not (isinstance(call.func, gast.Name) and call.func.id in SCATTERS and
            getattr(call.func, "knet_ref", False) and len(call.args) == 4 and not call.keywords):
        return None
    first = call.args[0]
    if isinstance(first, gast.Name) and first.id == stmt.targets[0].id or \
            isinstance(first, gast.Constant) and first.value is None:
        return call
    return None


def _jumps(stmts):
    return any(isinstance(n, (gast.Break, gast.Continue, gast.Return, gast.Try, gast.FunctionDef,
                              gast.Lambda))
               for s in stmts for n in gast.walk(s))


class _Owned:
    def block(self, stmts, owned, mark):
        for stmt in stmts:
            owned = self.statement(stmt, owned, mark)
        return owned

    def statement(self, stmt, owned, mark):
        call = _scatter(stmt)
        if call is not None:
            target = stmt.targets[0].id
            first = call.args[0]
            if mark and isinstance(first, gast.Name) and first.id in owned:
                call.func.id = "add_in_place"
            return (owned - loads(call.args[1:])) | {target}
        if isinstance(stmt, gast.Assign):
            owned = owned - loads(stmt.value) - loads(stmt.targets) - stores(stmt.targets)
            target = stmt.targets[0]
            if len(stmt.targets) == 1 and isinstance(target, gast.Name) and \
                    isinstance(stmt.value, gast.Constant) and stmt.value.value is None:
                owned = owned | {target.id}
            return owned
        if isinstance(stmt, gast.If):
            owned = owned - loads(stmt.test)
            return self.block(stmt.body, owned, mark) & self.block(stmt.orelse, owned, mark)
        if isinstance(stmt, (gast.For, gast.While)):
            return self.loop(stmt, owned, mark)
        return owned - loads(stmt) - stores(stmt)  # anything else: whatever it touches escapes

    def loop(self, stmt, owned, mark):
        header = stmt.iter if isinstance(stmt, gast.For) else stmt.test
        entry = owned - loads(header) - (stores(stmt.target) if isinstance(stmt, gast.For) else set())
        if _jumps(stmt.body + stmt.orelse):
            return entry - loads(stmt.body + stmt.orelse) - stores(stmt.body + stmt.orelse)
        head = entry
        while True:  # shrinks at each turn, so it ends
            after = entry & self.block(stmt.body, head, mark=False)
            if isinstance(stmt, gast.While):
                after = after - loads(stmt.test)
            if after == head:
                break
            head = after
        if mark:
            self.block(stmt.body, head, mark=True)
        return self.block(stmt.orelse, head, mark)
