"""Forward trace + reverse sweep, statement by statement.

Input: the SSA body with its activity. Output: gast function definitions:

- for the function being differentiated (`main`), one function whose first
  half is the user's code (the forward trace) and whose second half runs the
  statements' adjoints in reverse order, then returns (value, gradients);
- for every helper it calls with a differentiated argument (`split`), a pair
  `f_fwd(_tape, ...)`, which runs f and pushes what the sweep needs, and
  `f_bwd(_tape, d_result)`, which pops it and returns the arguments' adjoints.

Adjoint bookkeeping is static: for each variable the pass knows whether its
adjoint is unassigned, assigned, or assigned but possibly None (a zero not yet
materialised, after a loop or branch), so that the first contribution is a
plain assignment and `zeros` appear only where control flow merges.
"""
import copy
import inspect

import gast

from ..errors import UnsupportedSyntaxError
from ..primitives import registry
from . import nodes
from .calls import tape_statement
from .closures import LocalFunction
from .names import loads, stores, upward_exposed
from .nodes import assign, assign_tuple, load, none, store, walk
from .parse import param_names
from .shapes import SameShape

UNDEF, DEF, MAYBE = "undef", "def", "maybe"
COMMENT = "#knet-comment#"


class Reverse:
    def __init__(self, parsed, program, split):
        self.parsed = parsed
        self.namer = parsed.namer
        self.activity = parsed.activity
        self.active = parsed.activity.active
        self.program = program
        self.split = split
        self.adjoint_names = {}
        self.state = {}
        self.touched = set()
        self.loop_depth = 0
        self.uses_tape = False
        self.array_valued = _array_valued(parsed)
        self.same_shape = SameShape(parsed.activity, param_names(parsed.node))
        self.helper_specs = {}
        self.loop_var = None
        self.dead_at_entry = frozenset()
        self.step_var = None
        self.guarded_loop = False
        self.invariant = frozenset()  # values of the enclosing loops that every iteration repeats
        self.tape = self.namer.fresh("_tape")

    # --- adjoint bookkeeping ---
    def d(self, primal):
        if primal not in self.adjoint_names:
            self.adjoint_names[primal] = self.namer.adjoint(primal)
        return self.adjoint_names[primal]

    def contribute(self, primal, expr, out, maybe=False):
        name, state = self.d(primal), self.state.get(primal, UNDEF)
        self.touched.add(primal)
        if state == UNDEF:
            self.emit(primal, assign(name, expr), out)
            self.state[primal] = MAYBE if maybe else DEF
            return
        if state == DEF and not maybe and primal in self.array_valued:
            total = gast.BinOp(left=load(name), op=gast.Add(), right=expr)
            total.knet_template = True  # `dx + -g` may read `dx - g`
            self.emit(primal, assign(name, total), out)
        else:
            self.emit(primal, assign(name, _call("add_grad", load(name), expr)), out)
        self.state[primal] = MAYBE if (state == MAYBE and maybe) else DEF

    def emit(self, primal, stmt, out):
        """Append an adjoint assignment; skipped in a loop's last reverse step if it is dead there.

        A loop version whose starting value carries no gradient (the input batch of a loop
        over layers) needs no adjoint after the reverse loop: its contributions in the
        final reverse step (the first forward iteration) are not computed.
        """
        if primal in self.dead_at_entry:
            self.guarded_loop = True
            stmt = gast.If(test=gast.Compare(left=load(self.step_var), ops=[gast.Gt()],
                                             comparators=[gast.Constant(value=0, kind=None)]),
                           body=[stmt], orelse=[])
        out.append(stmt)

    def consume(self, primal):
        self.touched.add(primal)
        self.state[primal] = UNDEF

    # --- blocks ---
    def block(self, stmts, parent_line=None):
        """(forward statements, reverse statements) for a block.

        Each group of reverse statements from one user line gets a `# line N:` comment,
        except a first group on the line of the enclosing `for`/`if`, which has one.
        """
        fwd_parts, rev = [], []
        group_line = None
        first_line = parent_line
        for stmt in reversed(stmts):
            fwd, stmt_rev = self.statement(stmt)
            line = self.parsed.user_lineno(stmt)
            _tag(fwd + stmt_rev, line)
            fwd_parts.append(fwd)
            if stmt_rev:
                if line != group_line and not getattr(stmt, "ssa_copy", False):
                    group_line = line
                    if line != first_line:
                        rev.append(_comment(f"line {line}: {self.parsed.line_text(stmt)}"))
                    first_line = None
                rev.extend(stmt_rev)
        return [s for part in reversed(fwd_parts) for s in part], rev

    def statement(self, stmt):
        tape_op = tape_statement(stmt, self.parsed.tapes)
        if tape_op == "append":
            return self.push(stmt)
        if tape_op == "pop":  # a value taken off and dropped: its adjoint is None
            return [stmt], [gast.Expr(value=_method(stmt.value.func.value.id, "append", none()))]
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            return self.assign(stmt)
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript) and \
                isinstance(stmt.targets[0].value, gast.Name) and \
                stmt.targets[0].value.id in self.activity.writable & self.activity.useful:
            return self.write(stmt)
        if isinstance(stmt, (gast.For, gast.While)):
            return self.for_loop(stmt)
        if isinstance(stmt, gast.If):
            return self.if_branch(stmt)
        return [stmt], []

    @property
    def pushing(self):
        return self.split or self.loop_depth > 0

    # --- assignments ---
    def assign(self, stmt):
        target = stmt.targets[0].id
        op = self.activity.ops[id(stmt)]
        if op.kind == "pop":
            return self.pop(stmt, target)
        passes_tape = op.kind == "helper" and bool(loads(stmt.value) & self.parsed.tapes)
        if target not in self.active and not passes_tape:
            return [stmt], []
        state = self.state.get(target, UNDEF)
        fwd = [stmt]
        if op.kind == "helper" and (state != UNDEF or passes_tape):  # _bwd pops what _fwd pushes
            fwd = [self._helper_forward(stmt, op)]
        rev = []
        if passes_tape and state == UNDEF:  # run its _bwd all the same: it takes its tape's adjoints
            self.reverse_helper(stmt, target, op, _call("zeros_like_grad", load(target)), rev)
        elif state != UNDEF and op.differentiable:
            dy = load(self.d(target))
            if op.kind == "copy":
                source = op.inputs[0]
                if source in self.active:
                    self.contribute(source, dy, rev, maybe=state == MAYBE)
            else:
                if state == MAYBE:
                    rev.append(assign(self.d(target), _call("zeros_if_none", dy, load(target))))
                getattr(self, "reverse_" + op.kind)(stmt, target, op, dy, rev)
        self.consume(target)
        return fwd, rev

    # --- the tape of generated code that is differentiated again ---
    def push(self, stmt):
        """`T.append(v)`: the sweep takes v's adjoint off T, where the adjoint of the matching
        `T.pop()` left it. Every push and pop of a tape gets its adjoint (None where no gradient
        flows), so that T, empty after the forward trace, serves as the stack of adjoints."""
        call = stmt.value
        value, tape = call.args[0], call.func.value.id
        rev, popped = [], _method(tape, "pop")
        if isinstance(value, gast.Name) and value.id in self.active:
            if value.id in self.dead_at_entry:  # the contribution may be skipped, the pop not
                saved = self.namer.fresh(f"{self.d(value.id)}_pushed")
                rev.append(assign(saved, popped))
                popped = load(saved)
            self.contribute(value.id, popped, rev, maybe=True)
        else:
            rev.append(gast.Expr(value=popped))
        return [stmt], rev

    def pop(self, stmt, target):
        """`v = T.pop()`: the sweep pushes v's adjoint (or None) onto T."""
        tape = stmt.value.func.value.id
        adjoint = load(self.d(target)) if self.state.get(target, UNDEF) != UNDEF else none()
        self.consume(target)
        return [stmt], [gast.Expr(value=_method(tape, "append", adjoint))]

    def reverse_rule(self, stmt, target, op, dy, out):
        for param in op.rule.templates:
            value = op.bound[param]
            if isinstance(value, gast.Tuple):  # *args: one gradient per entry
                for index, entry in enumerate(value.elts):
                    if isinstance(entry, gast.Name) and entry.id in self.active:
                        grad = op.rule.gradient(param, op.bound, load(target), dy, index)
                        self.contribute(entry.id, self._without_unbroadcast(grad, target), out)
            elif isinstance(value, gast.Name) and value.id in self.active:
                grad = op.rule.gradient(param, op.bound, load(target), dy)
                self.contribute(value.id, self._without_unbroadcast(grad, target), out)

    def _without_unbroadcast(self, grad, target):
        """`unbroadcast(g, x)` is `g` when x certainly has the output's shape."""
        if (isinstance(grad, gast.Call) and isinstance(grad.func, gast.Name)
                and grad.func.id == "unbroadcast" and isinstance(grad.args[1], gast.Name)
                and self.same_shape(grad.args[1].id, target)):
            inner = grad.args[0]
            inner.knet_template = True
            return inner
        return grad

    def reverse_subscript(self, stmt, target, op, dy, out):
        self._scatter(op, "add_at", _index_value(stmt.value.slice), dy, out)

    def reverse_field(self, stmt, target, op, dy, out):
        self._scatter(op, "add_field", gast.Constant(value=stmt.value.attr, kind=None), dy, out)

    def _scatter(self, op, helper, key, dy, out):
        """d(base) += dy placed at `key` of a zero shaped like base (add_at / add_field)."""
        base = op.inputs[0] if op.inputs else None
        if base not in self.active:
            return
        name = self.d(base)
        current = load(name) if self.state.get(base, UNDEF) != UNDEF else none()
        self.emit(base, assign(name, _call(helper, current, load(base), key, dy)), out)
        self.state[base] = DEF
        self.touched.add(base)

    def reverse_literal(self, stmt, target, op, dy, out):
        value = stmt.value
        if isinstance(value, gast.Dict):
            pairs = list(zip(value.keys, value.values))
        else:
            pairs = [(gast.Constant(value=i, kind=None), e) for i, e in enumerate(value.elts)]
        for key, elt in pairs:
            if isinstance(elt, gast.Name) and elt.id in self.active:
                self.contribute(elt.id, _call("grad_item", dy, key, load(elt.id)), out)

    def reverse_helper(self, stmt, target, op, dy, out):
        spec, args = self._helper_spec(stmt, op)
        targets, after = [], []
        for param in spec.params:
            arg = args[param]
            if arg in self.parsed.tapes:
                continue  # a tape has no adjoint of its own (see push)
            if self.state.get(arg, UNDEF) == UNDEF and arg not in self.dead_at_entry and \
                    arg not in [args[p] for p in spec.params if p != param]:
                targets.append(self.d(arg))
                self.state[arg] = DEF
                self.touched.add(arg)
            else:
                part = self.namer.fresh(f"{self.d(arg)}_part")
                targets.append(part)
                after.append((arg, part))
        call = gast.Call(func=_ref(spec.bwd), args=[load(self.tape), dy], keywords=[])
        if not targets:
            out.append(gast.Expr(value=call))
        elif len(targets) == 1:
            out.append(assign(targets[0], call))
        else:
            out.append(assign_tuple(targets, call))
        for arg, part in after:
            self.contribute(arg, load(part), out)

    def _helper_spec(self, stmt, op):
        if id(stmt) not in self.helper_specs:
            args = _bind_helper_args(self.parsed, stmt, op.func)
            active = tuple(p for p, a in args.items() if a in self.active or a in self.parsed.tapes)
            closures = self.activity.closures
            statics = tuple((p, closures[a]) for p, a in args.items() if a in closures)
            spec = self.program.specialize(op.func, active, statics)
            self.helper_specs[id(stmt)] = (spec, args)
        return self.helper_specs[id(stmt)]

    def _helper_forward(self, stmt, op):
        spec, _ = self._helper_spec(stmt, op)
        self.uses_tape = True
        call = stmt.value
        new_call = gast.Call(func=_ref(spec.fwd), args=[load(self.tape)] + list(call.args),
                             keywords=call.keywords)
        return gast.copy_location(assign(stmt.targets[0].id, new_call), stmt)

    # --- writes into local arrays ---
    def write(self, stmt):
        """`h[i] = v`: save the part it overwrites; the reverse sweep puts it back (so code
        before the write reads h as it was), sends dh[i] to v, and zeroes dh[i]."""
        target = stmt.targets[0]
        base, index = target.value.id, target.slice
        saved = self.namer.fresh(f"{base}_overwritten")
        fwd = [assign(saved, _call("copy_slice", load(base), _index_value(copy.deepcopy(index)))),
               stmt]
        restore = gast.Assign(targets=[gast.Subscript(value=load(base), slice=copy.deepcopy(index),
                                                      ctx=gast.Store())],
                              value=load(saved), type_comment=None)
        rev = [restore]
        state = self.state.get(base, UNDEF)
        if state != UNDEF:
            d_base = self.d(base)
            if state == MAYBE:
                rev.append(assign(d_base, _call("zeros_if_none", load(d_base), load(base))))
            value = stmt.value
            if isinstance(value, gast.Name) and value.id in self.active:
                part = gast.Subscript(value=load(d_base), slice=copy.deepcopy(index),
                                      ctx=gast.Load())
                self.contribute(value.id, _call("unbroadcast", part, load(value.id)), rev)
            self.emit(base, assign(d_base, _call("zero_at", load(d_base),
                                                  _index_value(copy.deepcopy(index)))), rev)
            self.state[base] = DEF
            self.touched.add(base)
        return fwd, rev

    # --- loops ---
    def for_loop(self, node):
        """Reverse loop; adjoint states are iterated to a fixed point over the back edge."""
        self.loop_depth += 1
        start = dict(self.state)
        entry = dict(start)
        outer_guard = self.dead_at_entry, self.step_var, self.guarded_loop
        self.dead_at_entry = frozenset(
            v for v, source in getattr(node, "entry_sources", {}).items()
            if source is None or source not in self.active)
        self.step_var = self.namer.fresh("step") if self.dead_at_entry else None
        self.guarded_loop = False
        saved_taken, saved_adjoints = set(self.namer.taken), dict(self.adjoint_names)
        outer_touched = self.touched
        outer_invariant = self.invariant
        self.invariant = outer_invariant | _loop_invariants(node, self.activity.ops)
        for _ in range(4):
            self.namer.taken, self.adjoint_names = set(saved_taken), dict(saved_adjoints)
            self.state, self.touched = dict(entry), set()
            body_fwd, body_rev = self.block(node.body, self.parsed.user_lineno(node))
            end = self.state
            joined = {p: _join(entry.get(p, UNDEF), end.get(p, UNDEF)) for p in self.touched}
            if all(entry.get(p) == joined[p] for p in self.touched):
                break
            entry.update(joined)
        touched, self.touched = self.touched, outer_touched | self.touched
        guarded, step_var = self.guarded_loop, self.step_var
        self.dead_at_entry, self.step_var, self.guarded_loop = outer_guard
        invariant, self.invariant = self.invariant, outer_invariant
        self.loop_depth -= 1
        if not body_rev:
            self.state = start
            return [_loop(node, body_fwd)], []
        inits = [assign(self.d(p), none()) for p in sorted(touched)
                 if start.get(p, UNDEF) == UNDEF and entry[p] != UNDEF]
        fixups = [assign(self.d(p), none()) for p in sorted(touched)
                  if end.get(p, UNDEF) == UNDEF and entry[p] != UNDEF]
        self.state = dict(start, **{p: entry[p] for p in touched})

        target_names = {node.target.id} if isinstance(node, gast.For) else set()
        counter = self.namer.fresh(f"n_{node.target.id}" if target_names else "n_iterations")
        carries = [s for s in body_fwd if getattr(s, "loop_carry", False)]
        exits = [s for s in body_fwd if getattr(s, "loop_exit", False)]
        main = [s for s in body_fwd if s not in carries and s not in exits]
        needs = _needs(body_rev, body_fwd, target_names)
        kept = [n for n in needs if n in invariant]  # the last iteration's value serves them all
        needs = [n for n in needs if n not in invariant]
        body = main + self._push(needs, body_rev) + carries + [_increment(counter)] + exits
        fwd = [assign(counter, gast.Constant(value=0, kind=None)), _loop(node, body)]
        if self.pushing:  # the enclosing push reads them even if this loop never runs
            fwd = [assign(n, none()) for n in kept if n not in outer_invariant] + fwd
        if guarded:  # count down, so that the last reverse step is step 0
            target = step_var
            steps = _call("range", gast.BinOp(left=load(counter), op=gast.Sub(),
                                                   right=gast.Constant(value=1, kind=None)),
                               gast.Constant(value=-1, kind=None), gast.Constant(value=-1, kind=None))
        else:
            if self.loop_var is None:
                self.loop_var = self.namer.fresh("_")
            target, steps = self.loop_var, _call("range", load(counter))
        rev_loop = gast.For(target=store(target), iter=steps,
                            body=self._pop(needs) + body_rev + fixups, orelse=[],
                            type_comment=None)
        return fwd, inits + [rev_loop]

    # --- branches ---
    def if_branch(self, node):
        start = dict(self.state)
        results = []
        for stmts in (node.body, node.orelse):
            self.state = dict(start)
            fwd, rev = self.block(stmts, self.parsed.user_lineno(node))
            results.append((fwd, rev, self.state))
        (fa, ra, sa), (fb, rb, sb) = results
        self.state = {}
        fix_a, fix_b = [], []
        for p in sorted(set(sa) | set(sb)):
            a, b = sa.get(p, UNDEF), sb.get(p, UNDEF)
            if a == b:
                self.state[p] = a
                continue
            if a == UNDEF:
                fix_a.append(assign(self.d(p), none()))
            if b == UNDEF:
                fix_b.append(assign(self.d(p), none()))
            self.state[p] = MAYBE
        if not (ra or rb or fix_a or fix_b):
            return [_branch(node, fa, fb)], []
        push_a = push_b = pop_a = pop_b = []
        if self.pushing:
            needs_a = [n for n in _needs(ra + fix_a, fa) if n not in self.invariant]
            needs_b = [n for n in _needs(rb + fix_b, fb) if n not in self.invariant]
            push_a, pop_a = self._push(needs_a, ra + fix_a), self._pop(needs_a)
            push_b, pop_b = self._push(needs_b, rb + fix_b), self._pop(needs_b)
        rev = _branch(node, pop_a + ra + fix_a, pop_b + rb + fix_b)
        return [_branch(node, fa + push_a, fb + push_b)], [rev]

    # --- the tape ---
    def _push(self, names, reverse):
        """Save `names` for `reverse`; an array it reads only for its shape is saved as one."""
        if not names:
            return []
        self.uses_tape = True
        reads = _how_read(reverse)
        saved = {frozenset({"shape"}): "shape_of", frozenset({"length"}): "len"}
        items = [_call(saved[frozenset(reads[n])], load(n)) if frozenset(reads.get(n, ())) in saved
                 else load(n) for n in names]
        value = items[0] if len(items) == 1 else gast.Tuple(elts=items, ctx=gast.Load())
        return [gast.Expr(value=_method(self.tape, "append", value))]

    def _pop(self, names):
        if not names:
            return []
        pop = _method(self.tape, "pop")
        return [assign(names[0], pop) if len(names) == 1 else assign_tuple(names, pop)]

    # --- whole functions ---
    def _seeded_body(self):
        body = self.parsed.node.body
        result = body[-1].value
        if isinstance(result, gast.Name) and result.id in self.active:
            self.state[result.id] = DEF
        fwd, rev = self.block(body[:-1])
        return fwd, rev, result

    def main_function(self, name, wrt_names, seed=None):
        """The gradient function; with `seed` (a parameter name, added first), the
        vector-Jacobian product with that incoming gradient instead of 1."""
        result = self.parsed.node.body[-1].value
        d_result = self.d(result.id) if isinstance(result, gast.Name) else None
        fwd, rev, result = self._seeded_body()
        seed = _call("seed_gradient", result) if seed is None else load(seed)
        seed_stmt = assign(d_result, seed) if d_result else gast.Expr(value=seed)
        if isinstance(result, gast.Name) and result.id in stores(rev):  # a pop rebinds it
            value = self.namer.fresh("value")
            fwd.append(assign(value, result))
            result = load(value)
        grads = [_call("finalize_grad", self._adjoint_ornone(w), load(w)) for w in wrt_names]
        grad_value = grads[0] if len(grads) == 1 else gast.Tuple(elts=grads, ctx=gast.Load())
        ret = gast.Return(value=gast.Tuple(elts=[result, grad_value], ctx=gast.Load()))
        tape = [assign(self.tape, gast.List(elts=[], ctx=gast.Load()))] if self.uses_tape else []
        body = tape + fwd + [_comment("reverse sweep"), seed_stmt] + rev + [ret]
        leading = [seed.id] if isinstance(seed, gast.Name) else []
        args = nodes.with_leading_params(self.parsed.node.args, leading)
        return _function(name, args, body, self._tapes(self.uses_tape))

    def split_functions(self, spec):
        result = self.parsed.node.body[-1].value
        d_result = self.d(result.id) if isinstance(result, gast.Name) else \
            self.namer.fresh("d_result")
        fwd, rev, result = self._seeded_body()
        grads = [self._concrete_adjoint(p) for p in spec.params if p not in self.parsed.tapes]
        ret = gast.Return(value=grads[0] if len(grads) == 1 else
                          gast.Tuple(elts=grads, ctx=gast.Load()))
        rev_body = rev + [ret]
        needs = _needs(rev_body, fwd, param_names(self.parsed.node))
        args = self.parsed.node.args
        tape = [nodes.param(self.tape)]
        posonly = tape + list(args.posonlyargs) if args.posonlyargs else []
        fwd_args = gast.arguments(args=(tape if not posonly else []) + list(args.args),
                                  posonlyargs=posonly, vararg=args.vararg,
                                  kwonlyargs=args.kwonlyargs, kw_defaults=args.kw_defaults,
                                  kwarg=args.kwarg, defaults=args.defaults)
        fwd_def = _function(spec.fwd, fwd_args,
                            fwd + self._push(needs, rev_body) + [gast.Return(value=result)],
                            self._tapes(True))
        bwd_args = gast.arguments(args=[nodes.param(self.tape), nodes.param(d_result)], posonlyargs=[],
                                  vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None,
                                  defaults=[])
        bwd_def = _function(spec.bwd, bwd_args, self._pop(needs) + rev_body, self._tapes(True))
        return fwd_def, bwd_def

    def _tapes(self, own):
        """The tapes of a generated function: its own, and those of the generated code it
        differentiates."""
        return self.parsed.tapes | {self.tape} if own else self.parsed.tapes

    def _adjoint_ornone(self, primal):
        return none() if self.state.get(primal, UNDEF) == UNDEF else load(self.d(primal))

    def _concrete_adjoint(self, primal):
        state = self.state.get(primal, UNDEF)
        if state == DEF:
            return load(self.d(primal))
        if state == MAYBE:
            return _call("zeros_if_none", load(self.d(primal)), load(primal))
        return _call("zeros_like_grad", load(primal))


def _tag(stmts, line):
    """Remember the user's line of generated statements, for runtime error messages."""
    for stmt in stmts:
        if not hasattr(stmt, "user_line"):
            stmt.user_line = line


def _join(a, b):
    """The adjoint state after a merge of two paths."""
    return a if a == b else MAYBE


# --- helpers: argument binding for user functions ---
def _bind_helper_args(parsed, stmt, func):
    """Map the helper's parameter names to the caller's argument names (or None)."""
    call = stmt.value
    if getattr(func, "generated_code", None) is not None:  # a gradient: its function's signature
        func = func.primal
    try:
        signature = func.signature() if isinstance(func, LocalFunction) else inspect.signature(func)
    except (TypeError, ValueError):
        signature = None
    params = list(signature.parameters.values()) if signature else []
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    named = {p.name for p in params if p.kind != p.VAR_POSITIONAL and p.kind != p.VAR_KEYWORD}
    bad = any(isinstance(a, gast.Starred) for a in call.args) or \
        any(k.arg is None or k.arg not in named for k in call.keywords) or \
        len(call.args) > len(positional)
    if bad or signature is None:
        raise parsed.error(UnsupportedSyntaxError, stmt,
                           f"calling {gast.unparse(call.func).strip()} with *args, **kwargs, "
                           "arguments its signature collects in *args/**kwargs, or arguments "
                           "it does not name is not supported when a differentiated value "
                           "is passed",
                           "Pass each argument by position or by name.")
    bound = {}
    for param, arg in zip(positional, call.args):
        bound[param.name] = arg.id if isinstance(arg, gast.Name) else None
    for kw in call.keywords:
        bound[kw.arg] = kw.value.id if isinstance(kw.value, gast.Name) else None
    return {p.name: bound[p.name] for p in params if p.name in bound}


def _array_valued(parsed):
    """Names whose adjoint is certainly an array or number (never a container)."""
    activity = parsed.activity
    container_like = set()
    for _, target, op in activity.assigns:
        if op.kind in ("subscript", "field", "literal", "helper", "unknown", "copy", "pop") or \
                (op.kind == "rule" and op.rule.key in registry.SEQUENCE_OUTPUTS):
            container_like.update(op.inputs)
            container_like.add(target)
        elif op.kind == "rule" and op.rule.sequences:
            container_like.update(_name_of(op.bound[p]) for p in op.rule.sequences)
    return {target for _, target, op in activity.assigns
            if op.kind == "rule" and target not in container_like} | \
        {p for p in param_names(parsed.node) if p not in container_like}


def _name_of(expr):
    return expr.id if isinstance(expr, gast.Name) else None


# --- helpers: free variables and stores of generated code ---
def _needs(reverse, forward, also=frozenset()):
    """What a block must push: the values its reverse code reads that its forward code (or
    `also`: the loop target, the parameters) assigns."""
    return sorted(upward_exposed(reverse) & (stores(forward) | set(also)))


# runtime helpers that read these arguments only for their shape, dtype or structure ("shape"),
# or only for their length ("length")
METADATA_ARGUMENTS = {"unbroadcast": {1: "shape"}, "unreduce": {1: "shape"},
                      "mean_grad": {1: "shape", 2: "shape"}, "zeros_if_none": {1: "shape"},
                      "zeros_like_grad": {0: "shape"}, "add_at": {1: "shape"},
                      "add_in_place": {1: "shape"}, "grad_item": {2: "shape"}, "length": {0: "length"}}


def _how_read(stmts):
    """name -> the set of ways `stmts` read it: "value", "shape", "length"."""
    metadata = {}
    for node in walk(stmts):
        if isinstance(node, gast.Call) and getattr(node.func, "knet_ref", False):
            for position, kind in METADATA_ARGUMENTS.get(node.func.id, {}).items():
                if position < len(node.args) and isinstance(node.args[position], gast.Name):
                    metadata[id(node.args[position])] = kind
    reads = {}
    for node in walk(stmts):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            reads.setdefault(node.id, set()).add(metadata.get(id(node), "value"))
    return reads


def _loop_invariants(loop, ops):
    """Names the loop body assigns the same value on every iteration: computed (by a
    primitive, an index or a copy) only from values the loop does not change. The reverse
    loop reads the last iteration's value instead of one saved per iteration."""
    assigned, counts, changed_in_place = set(), {}, set()
    for node in walk(loop.body):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            counts[node.id] = counts.get(node.id, 0) + 1
            assigned.add(node.id)
        elif isinstance(node, (gast.Subscript, gast.Attribute)) and isinstance(node.ctx, gast.Store):
            changed_in_place |= loads(node)
        elif isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute):
            changed_in_place |= loads(node.func.value)  # m.fill(0), xs.append(v)
    if isinstance(loop, gast.For):
        assigned |= stores(loop.target)
    candidates = [s for s in _statements_outside_loops(loop.body)
                  if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
                  and counts.get(s.targets[0].id) == 1 and id(s) in ops
                  and ops[id(s)].kind in ("rule", "subscript", "field", "copy", "const", "literal")]
    invariant, grew = set(), True
    while grew:
        grew = False
        for stmt in candidates:
            target = stmt.targets[0].id
            reads = loads(stmt.value)
            if target not in invariant and not reads & changed_in_place and \
                    all(r not in assigned or r in invariant for r in reads):
                invariant.add(target)
                grew = True
    return frozenset(invariant)


def _statements_outside_loops(stmts):
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, gast.If):
            yield from _statements_outside_loops(stmt.body)
            yield from _statements_outside_loops(stmt.orelse)


# --- helpers: building gast nodes ---
def _ref(name):
    """A name that refers to knet_ast's own objects (runtime helpers, generated functions):
    emit renames it if the user's code uses the same name for something else."""
    node = load(name)
    node.knet_ref = True
    return node


def _call(runtime_name, *args):
    return gast.Call(func=_ref(runtime_name), args=list(args), keywords=[])


def _loop(like, body):
    """A copy of the loop `like` with a new body (input trees are never mutated)."""
    if isinstance(like, gast.While):
        return gast.copy_location(gast.While(test=like.test, body=body or [gast.Pass()], orelse=[]),
                                  like)
    return gast.copy_location(gast.For(target=like.target, iter=like.iter,
                                       body=body or [gast.Pass()], orelse=[], type_comment=None),
                              like)


def _branch(like, body, orelse):
    new = gast.copy_location(gast.If(test=like.test, body=body or [gast.Pass()], orelse=orelse),
                             like)
    new.loop_exit = getattr(like, "loop_exit", False)
    return new


def _increment(name):
    return gast.AugAssign(target=store(name), op=gast.Add(),
                          value=gast.Constant(value=1, kind=None))


def _comment(text):
    return gast.Expr(value=gast.Constant(value=COMMENT + text, kind=None))


def _function(name, args, body, tapes=frozenset()):
    node = gast.FunctionDef(name=name, args=args, body=body, decorator_list=[], returns=None,
                            type_comment=None, type_params=[])
    node.knet_tapes = frozenset(tapes)  # the names of its tapes, for a gradient of this code
    return node


def _method(obj, name, *args):
    """`obj.name(*args)`."""
    return gast.Call(func=gast.Attribute(value=load(obj), attr=name, ctx=gast.Load()),
                     args=list(args), keywords=[])


def _index_value(slice_):
    """An index expression as a value: `a:b` becomes slice(a, b)."""
    if isinstance(slice_, gast.Slice):
        parts = [getattr(slice_, p) or none() for p in ("lower", "upper", "step")]
        return gast.Call(func=_ref("slice"), args=parts, keywords=[])
    if isinstance(slice_, gast.Tuple):
        return gast.Tuple(elts=[_index_value(e) for e in slice_.elts], ctx=gast.Load())
    return slice_
