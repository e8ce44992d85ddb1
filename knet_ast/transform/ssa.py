"""Give every value its own name, so the reverse sweep can read any of them.

Straight-line code becomes single-assignment: a second `x = ...` writes `x_1`.
Loops and branches keep one name per variable that lives across them:

- a variable a loop carries from one iteration to the next (or out of the loop)
  gets a loop version: `x_1 = x` before the loop, `x_1 = x_2` at the end of
  the body. Inside the body `x_1` is the value at the start of the iteration;
- a variable assigned in a branch and read after the `if` gets one name that
  both branches assign last (`h = h_1` / `h = h_2`).

Values a loop overwrites on each iteration are pushed to the tape by the
reverse pass; everything else is simply kept in locals.
"""
import gast

from .names import loads, stores, upward_exposed
from .nodes import assign, load, none
from .parse import param_names


class SSA:
    def __init__(self, parsed):
        self.namer = parsed.namer
        self.defined = set(param_names(parsed.node))

    def block(self, stmts, current, live_end=frozenset()):
        """Rename `stmts`; `live_end` holds the names that may be read after the block."""
        out = []
        live = _live_after(stmts, live_end)
        for k, stmt in enumerate(stmts):
            if isinstance(stmt, (gast.For, gast.While, gast.If)):
                getattr(self, "stmt_" + type(stmt).__name__)(stmt, current, out, live[k])
            else:
                getattr(self, "stmt_" + type(stmt).__name__, self.stmt_other)(stmt, current, out)
        return out

    def define(self, name, current):
        new = name if name not in self.defined else self.namer.version(name)
        self.defined.update((name, new))
        current[name] = new
        return new

    # --- statements ---
    def stmt_Assign(self, node, current, out):
        node.value = _rename(node.value, current)
        target = node.targets[0]
        if isinstance(target, gast.Name):
            target.id = self.define(target.id, current)
        else:
            _rename(target, current)
        out.append(node)

    def stmt_other(self, node, current, out):
        out.append(_rename(node, current))

    def stmt_For(self, node, current, out, live_after):
        """Also `while`: its test reads the loop versions, at the head of every iteration."""
        is_for = isinstance(node, gast.For)
        if is_for:
            node.iter = _rename(node.iter, current)
        target = node.target.id if is_for else None
        assigned = stores(node.body) | ({target} if is_for else set())
        exposed = upward_exposed(node.body, {target} if is_for else set())
        if not is_for:
            exposed |= loads(node.test)
        carried = sorted(v for v in assigned if v in exposed or v in live_after)
        loop_names = {}
        node.entry_sources = {}  # loop version -> the value it starts from (None: undefined)
        for v in carried:
            loop_names[v] = v if v not in self.defined else self.namer.version(v)
            if v in current:
                out.append(_copy(loop_names[v], current[v], node))
            elif v != target:  # first assigned in the loop: defined, so the tape can save it
                out.append(_copy(loop_names[v], None, node))
            node.entry_sources[loop_names[v]] = current.get(v)
            self.defined.update((v, loop_names[v]))
        body_current = dict(current, **loop_names)
        if is_for:
            node.target.id = loop_names[target] if target in loop_names \
                else self.define(target, body_current)
        else:
            node.test = _rename(node.test, body_current)
        body = self.block(node.body, body_current, exposed | live_after)
        for v in carried:
            if body_current[v] != loop_names[v]:
                copy = _copy(loop_names[v], body_current[v], node)
                copy.loop_carry = True  # the reverse pass pushes before these copies
                copy.ssa_copy = True
                body.append(copy)
        node.body = body
        out.append(node)
        current.update(loop_names)

    stmt_While = stmt_For

    def stmt_If(self, node, current, out, live_after):
        node.test = _rename(node.test, current)
        assigned = stores(node.body) | stores(node.orelse)
        phis = {}
        for v in sorted(assigned & live_after):
            phis[v] = v if v not in self.defined else self.namer.version(v)
            self.defined.add(phis[v])
        branches = []
        for stmts in (node.body, node.orelse):
            branch_current = dict(current)
            branch = self.block(stmts, branch_current, live_after)
            for v, p in phis.items():
                if v in branch_current and branch_current[v] != p:
                    branch.append(_copy(p, branch_current[v], node))
                    branch[-1].ssa_copy = True
            branches.append(branch)
        node.body, node.orelse = branches
        if not node.body:
            node.body = [gast.Pass()]
        out.append(node)
        current.update(phis)


def _live_after(stmts, live_end):
    """{k: the names read after statement k} for the loops and branches of `stmts` (one pass
    from the end, so that a long function costs linear time)."""
    live, after = {}, set(live_end)
    for k in range(len(stmts) - 1, -1, -1):
        if isinstance(stmts[k], (gast.For, gast.While, gast.If)):
            live[k] = frozenset(after)
        after |= loads(stmts[k])
    return live


def ssa(parsed):
    current = {p: p for p in param_names(parsed.node)}
    parsed.node.body = SSA(parsed).block(parsed.node.body, current)
    return parsed


class _Renamer(gast.NodeTransformer):
    def __init__(self, current):
        self.current = current

    def visit_Name(self, node):
        if isinstance(node.ctx, gast.Load) and node.id in self.current and \
                not getattr(node, "knet_ref", False):
            node.id = self.current[node.id]
        return node


def _rename(node, current):
    return _Renamer(current).visit(node)


def _copy(target, source, where):
    """`target = source`, or `target = None` when source is None."""
    return gast.copy_location(assign(target, none() if source is None else load(source)), where)
