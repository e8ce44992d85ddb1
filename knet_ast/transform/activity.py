"""Which variables carry derivatives, and what the user may not do with them.

A variable is *varied* if it depends on a differentiated argument through
differentiable operations, *useful* if the returned value depends on it, and
*active* if both. Only active statements get adjoint code. The analysis runs to
a fixed point over the SSA body (loops feed values back), and it is where
writes into differentiated values and calls without a rule are rejected, each
with the user's line.
"""
import gast

from ..errors import InputMutationError, NoRuleError
from .calls import classify, may_alias, shared_names, tape_statement
from .names import loads
from .parse import UNRESOLVED, param_names


class Activity:
    def __init__(self, parsed, wrt_names):
        self.parsed = parsed
        parsed.sequence_names = _sequence_names(parsed.node.body)
        self.ops = {}      # id(Assign) -> Op
        self.assigns = []  # (stmt, target name, Op)
        self.loops = []    # loop targets are integers from range(): desugar indexes the rest
        self.others = []
        self.pushed = set()  # names generated code pushes onto its tape (see reverse.push)
        for stmt in _walk_statements(parsed.node.body):
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
                op = classify(parsed, stmt.value)
                self.ops[id(stmt)] = op
                self.assigns.append((stmt, stmt.targets[0].id, op))
            elif isinstance(stmt, gast.For):
                self.loops.append(stmt)
            elif tape_statement(stmt, parsed.tapes):
                self.pushed |= loads(stmt.value)
            elif not isinstance(stmt, gast.While):
                self.others.append(stmt)
        # A tape has no gradient of its own; what is taken off it may carry one.
        wrt_names = set(wrt_names) - parsed.tapes
        # A call that passes a tape may push what its arguments carry, and return what it pops.
        tape_calls = [(target, op) for stmt, target, op in self.assigns
                      if op.kind == "helper" and loads(stmt.value) & parsed.tapes]
        popped = {target for _, target, op in self.assigns if op.kind == "pop"} | \
            {target for target, _ in tape_calls}
        self.pushed |= {name for _, op in tape_calls for name in op.inputs}
        self.wrt = set(wrt_names)
        self.closures = self._closures()
        self.writable = self._writable_arrays()
        self.stores = [(stmt, _base_name(stmt.targets[0]), loads(stmt.value))
                       for stmt in self.others if isinstance(stmt, gast.Assign)
                       and _base_name(stmt.targets[0]) in self.writable]
        self.varied = self._varied(set(wrt_names) | popped)
        self.useful = self._useful(_returned(parsed.node.body) | self.pushed)
        self.active = self.varied & self.useful

    def _varied(self, varied):
        changed = True
        while changed:
            changed = False
            for _, target, op in self.assigns:
                if target not in varied and op.differentiable and varied & set(op.inputs):
                    varied.add(target)
                    changed = True
            for _, base, values in self.stores:  # h[t] = v: h carries v's gradient
                if base not in varied and values & varied:
                    varied.add(base)
                    changed = True
        return varied

    def _useful(self, useful):
        changed = True
        while changed:
            changed = False
            for _, target, op in self.assigns:
                if target in useful and op.differentiable and not set(op.inputs) <= useful:
                    useful |= set(op.inputs)
                    changed = True
            for _, base, values in self.stores:
                if base in useful and not values <= useful:
                    useful |= values
                    changed = True
        return useful

    def _closures(self):
        """Names holding a nested function as a value -> its LocalFunction (the helpers they
        are passed to are specialised for it)."""
        known = dict(self.parsed.static_functions)
        for stmt, target, op in self.assigns:
            value = stmt.value
            if isinstance(value, gast.Call) and value.args and \
                    getattr(value.args[0], "knet_local", None) is not None:
                known[target] = value.args[0].knet_local  # make_closure(g, names, values)
            elif op.kind == "copy" and op.inputs[0] in known:
                known[target] = known[op.inputs[0]]
        return known

    # --- writes into local arrays ---
    def _writable_arrays(self):
        """Arrays the function allocates itself (np.zeros(...), x.copy(), ...) and never shares:
        writes into them (`h[t] = v`) are differentiated by saving the overwritten part."""
        params = set(param_names(self.parsed.node))
        counts = {}
        for _, target, _ in self.assigns:
            counts[target] = counts.get(target, 0) + 1
        fresh = {target for stmt, target, op in self.assigns
                 if counts[target] == 1 and target not in params and _allocates(stmt.value, self.parsed)}
        for stmt, _, op in self.assigns:  # shared by a copy, a container or a call: no
            if op.kind in ("copy", "literal", "helper", "unknown", "field"):
                fresh -= set(op.inputs) | loads(stmt.value)
        return fresh

    def _check_views_across_writes(self, stmts, views, stale):
        """A view of a written array (`row = h[t]`, `h.T`) must be used before the next write
        into it: after the write it shows the new values, which the gradient would miss."""
        for stmt in stmts:
            if isinstance(stmt, (gast.For, gast.While)):
                self._check_views_across_writes(stmt.body + stmt.body, views, stale)
                continue
            if isinstance(stmt, gast.If):
                self._check_views_across_writes(stmt.body + stmt.orelse, views, stale)
                continue
            copy_of = stmt.value.id if isinstance(stmt, gast.Assign) and \
                isinstance(stmt.value, gast.Name) and isinstance(stmt.targets[0], gast.Name) else None
            if copy_of in views:  # a copy of a view is the same view, stale or not
                views[stmt.targets[0].id] = views[copy_of]
                (stale.add if copy_of in stale else stale.discard)(stmt.targets[0].id)
                continue
            used = loads(stmt) & stale
            if used:
                name = sorted(used)[0]
                raise self.parsed.error(
                    InputMutationError, stmt,
                    f"`{name}` is a view of `{views[name]}`, which was written into after "
                    f"`{name}` was taken, so it shows the new values",
                    f"Use `{name}` before writing into `{views[name]}`, or take a copy "
                    f"(`{name} = {views[name]}[...].copy()`).")
            if isinstance(stmt, gast.Assign):
                target = stmt.targets[0]
                if isinstance(target, gast.Name):
                    stale.discard(target.id)
                    bases = loads(stmt.value) & (self.writable | set(views))
                    if bases and may_alias(stmt.value, self.parsed):
                        views[target.id] = views.get(next(iter(bases)), next(iter(bases)))
                elif _base_name(target) in self.writable:
                    stale |= {v for v, base in views.items() if base == _base_name(target)}

    def check(self):
        """Reject what would give a wrong gradient; return self."""
        for stmt, target, op in self.assigns:
            if target in self.active and op.kind == "unknown":
                raise self._no_rule(stmt, op)
        for stmt in [s for s, _, _ in self.assigns] + self.others:
            self._check_out_argument(stmt)  # first: its message is the most specific
        written = {id(stmt) for stmt, base, _ in self.stores}
        for stmt in self.others:
            if id(stmt) not in written:
                self._check_mutation(stmt)
        self._check_views_across_writes(self.parsed.node.body, {}, set())
        for stmt in [s for s, _, _ in self.assigns] + self.others:
            self._check_inplace_methods(stmt)
        self._check_overwrite_after_use(self.parsed.node.body, set())
        return self

    def _aliases(self):
        """name -> the set of names that may refer to the same object (copies, views, items)."""
        groups = {}
        for stmt, target, _ in self.assigns:
            if may_alias(stmt.value, self.parsed):
                group = {target}
                for name in shared_names(stmt.value, self.parsed) | {target}:
                    group |= groups.get(name, {name})
                for name in group:
                    groups[name] = group
        return groups

    def _check_overwrite_after_use(self, stmts, read, aliases=None):
        """Writing into an array after a differentiated operation read it (`m[i] = v`,
        `m.fill(0)`, `out=m`, also through a copy or view of m) would change a value the
        reverse sweep reads; in a loop, the next iteration's write counts too."""
        aliases = self._aliases() if aliases is None else aliases
        for stmt in stmts:
            if isinstance(stmt, (gast.For, gast.While)):
                self._check_overwrite_after_use(stmt.body + stmt.body, read, aliases)
                continue
            if isinstance(stmt, gast.If):
                self._check_overwrite_after_use(stmt.body, read, aliases)
                self._check_overwrite_after_use(stmt.orelse, read, aliases)
                continue
            written = _written(stmt, self.parsed) - self.parsed.tapes
            if isinstance(stmt, gast.Assign) and _base_name(stmt.targets[0]) in self.writable:
                written = written - self.writable  # saved and restored by the reverse sweep
            for name in written:
                if aliases.get(name, {name}) & read:
                    raise self.parsed.error(
                        InputMutationError, stmt,
                        f"`{name}` is modified in place after a differentiated operation used "
                        "it; the reverse sweep would read the modified value",
                        f"Modify a copy instead (`{name} = {name}.copy()` before this line), or "
                        "finish modifying it before using it.")
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                    and stmt.targets[0].id in self.active:
                read |= loads(stmt.value)

    def _check_out_argument(self, stmt):
        for call in (n for n in gast.walk(stmt) if isinstance(n, gast.Call)):
            if _out_names(call) and loads(call) & self.varied:
                raise self.parsed.error(
                    InputMutationError, stmt,
                    "`out=` writes a differentiated result into an existing array, which the "
                    "gradient cannot follow",
                    "Assign the result instead: `y = np.exp(x)`.")

    def _check_inplace_methods(self, stmt):
        for call in (n for n in gast.walk(stmt) if isinstance(n, gast.Call)):
            if _method_call(call, self.parsed) and call.func.attr in _INPLACE_METHODS \
                    and _base_name(call.func) in self.varied:  # also `_ = y.sort()`
                raise self._inplace_method_error(stmt, call)

    def _check_mutation(self, stmt):
        if isinstance(stmt, gast.Assign):  # x[i] = v or obj.a = v
            target = stmt.targets[0]
            base = _base_name(target)
            if isinstance(target, gast.Attribute) and base not in self.wrt and \
                    (base in self.varied or loads(stmt.value) & self.varied):
                raise self.parsed.error(
                    InputMutationError, stmt,
                    f"setting an attribute (`{gast.unparse(target).strip()} = ...`) with a value that "
                    "carries a gradient is not supported: the gradient cannot follow a value "
                    "through an object's attributes",
                    "Keep the value in a local variable (pass it on as an argument), and set the "
                    "attribute outside the differentiated function.")
            if base in self.varied or loads(stmt.value) & self.varied:
                what = ("writing into a differentiated input" if base in self.wrt else
                        "writing into an array or list that carries a gradient")
                raise self.parsed.error(
                    InputMutationError, stmt,
                    f"{what} (`{gast.unparse(target).strip()} = ...`) is not supported: the "
                    "reverse sweep needs the values it would overwrite",
                    "Compute a new value instead, for example with np.where(mask, new, x), "
                    "np.concatenate, or by building a list and calling np.stack.")
        elif isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
            call = stmt.value
            op = classify(self.parsed, call)
            ours = getattr(call.func, "knet_ref", False) and not getattr(call.func, "knet_local", None)
            if op.kind in ("helper", "unknown") and set(op.inputs) & self.varied and not ours:
                raise self.parsed.error(
                    InputMutationError, stmt,
                    f"calling {op.describe} for its effect with a value that carries a gradient "
                    "is not supported: a change it makes to that value would be invisible to "
                    "the reverse sweep",
                    "Return what the function computes and assign it; if it changes nothing "
                    "(a check that may raise), assign its result: `_ = check(x)`.")
            if isinstance(call.func, gast.Attribute) and _base_name(call.func) in self.varied:
                raise self._inplace_method_error(stmt, call)

    def _inplace_method_error(self, stmt, call):
        return self.parsed.error(
            InputMutationError, stmt,
            f"calling .{call.func.attr}() on a value that carries a gradient is not "
            "supported: in-place methods would overwrite values the reverse sweep needs",
            "Use the function form that returns a new value (e.g. `xs = xs + [v]`, "
            "`y = np.sort(x)`).")

    def _no_rule(self, stmt, op):
        if op.func in _ITERATORS:
            hint = (f"{op.func.__name__}(...) is differentiated only as the iterable of a "
                    "`for` loop (also nested: `for i, (w, b) in enumerate(zip(ws, bs))`); loop over it "
                    "directly, or build the list with a comprehension.")
        else:
            hint = ("Register a rule with knet.defgrad(fn, x='dy * ...'), mark the function "
                    "knet.nondiff(fn) if it has no derivative, or write it as a Python function "
                    "that knet_ast can transform (see docs/extending.md).")
        return self.parsed.error(
            NoRuleError, stmt, f"no gradient rule for {op.describe}, and its result carries a gradient",
            hint)


_ITERATORS = (zip, enumerate, reversed, map, filter, iter)  # followed only as a `for` loop's iterable


def activity(parsed, wrt_names):
    parsed.activity = Activity(parsed, wrt_names).check()
    return parsed


def _out_names(call):
    """Names an `out=` keyword of `call` writes into."""
    for kw in call.keywords:
        if kw.arg == "out":
            return loads(kw.value)
    return set()


def _written(stmt, parsed):
    """Names whose object `stmt` may change in place."""
    written = set()
    if isinstance(stmt, gast.Assign) and not isinstance(stmt.targets[0], gast.Name):
        written.add(_base_name(stmt.targets[0]))  # m[i] = v, obj.a = v
    if isinstance(stmt, gast.Expr) and _method_call(stmt.value, parsed):
        written.add(_base_name(stmt.value.func))  # m.fill(0): a method called for its effect
    for call in (n for n in gast.walk(stmt) if isinstance(n, gast.Call)):
        written |= _out_names(call)
        if _method_call(call, parsed) and call.func.attr in _INPLACE_METHODS:
            written.add(_base_name(call.func))  # `_ = m.sort()`: used as a value, still a write
    return written - {None}


def _method_call(node, parsed):
    """True for `m.name(...)` on a value (not `np.sort(...)`, a function of a module)."""
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
        parsed.resolve(node.func) is UNRESOLVED


def _walk_statements(stmts):
    for stmt in stmts:
        yield stmt
        for field in ("body", "orelse"):
            yield from _walk_statements(getattr(stmt, field, None) or [])


def _sequence_names(body):
    """Names certainly holding a list or tuple: built from a display, copied, or concatenated."""
    assigns = [(stmt.targets[0].id, stmt.value) for stmt in _walk_statements(body)
               if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)]
    names = {target for target, value in assigns if isinstance(value, (gast.List, gast.Tuple))}
    changed = True
    while changed:
        changed = False
        for target, value in assigns:
            if target in names:
                continue
            copied = isinstance(value, gast.Name) and value.id in names
            joined = isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add) and any(
                isinstance(side, gast.Name) and side.id in names for side in (value.left, value.right))
            if copied or joined:
                names.add(target)
                changed = True
    return names


_INPLACE_METHODS = {"sort", "fill", "resize", "put", "partition", "itemset", "setfield"}
_ALLOCATORS = {"zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
               "full_like", "copy", "array", "arange", "eye", "identity"}


def _allocates(value, parsed):
    """True for a call that returns a new array: np.zeros(...), np.copy(x), x.copy()."""
    if not isinstance(value, gast.Call):
        return False
    func = value.func
    if isinstance(func, gast.Attribute) and func.attr == "copy" and \
            parsed.resolve(func) is UNRESOLVED:  # x.copy()
        return True
    obj = parsed.resolve(func)
    return getattr(obj, "__name__", None) in _ALLOCATORS and \
        (getattr(obj, "__module__", "") or "").split(".")[0] in ("numpy", "cupy")


def _returned(body):
    last = body[-1]
    return {last.value.id} if isinstance(last.value, gast.Name) else set()


def _base_name(node):
    while isinstance(node, (gast.Subscript, gast.Attribute)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None
