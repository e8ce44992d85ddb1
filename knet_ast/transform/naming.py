"""Readable, deterministic, collision-free names for generated code.

Conventions (docs/design.md, "Naming"):
- the adjoint of `x` is `dx`, or `d_x` when the user already has a `dx`;
- a temporary is named for what it computes (`x_at_w0`, `tanh_h`, `w_i`), and
  falls back to the operation (`matmul_2`) when that would be long;
- a second value of the same variable is `x_1`, `x_2`, ... (SSA versions);
- no random ids: the same function always gets the same names.
"""
import builtins
import re

import gast

MAX_LEN = 18

_OP_WORDS = {
    gast.Add: "plus", gast.Sub: "minus", gast.Mult: "times", gast.Div: "over",
    gast.MatMult: "at", gast.Pow: "pow", gast.FloorDiv: "floordiv", gast.Mod: "mod",
    gast.USub: "neg", gast.UAdd: "pos", gast.Not: "not", gast.Invert: "inv",
    gast.BitAnd: "and", gast.BitOr: "or", gast.BitXor: "xor",
    gast.LShift: "lshift", gast.RShift: "rshift",
}


# Never shadow len, list, range, ...; `_` is not one of them (an interactive session's
# display hook binds `builtins._` to the last value shown), nor are the dunders.
BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("_"))


class Namer:
    def __init__(self, taken=()):
        self.taken = set(taken) | BUILTINS

    def fresh(self, base):
        base = _identifier(base)
        if base not in self.taken:
            self.taken.add(base)
            return base
        stem = re.sub(r"_\d+$", "", base)
        k = 1
        while f"{stem}_{k}" in self.taken:
            k += 1
        name = f"{stem}_{k}"
        self.taken.add(name)
        return name

    def version(self, name):
        """A new SSA version of user variable `name`: x_1, x_2, ..."""
        k = 1
        while f"{name}_{k}" in self.taken:
            k += 1
        self.taken.add(f"{name}_{k}")
        return f"{name}_{k}"

    def adjoint(self, name):
        """`dx` for `x`, `d_x` if `dx` is already someone's name."""
        for candidate in (f"d{name}", f"d_{name}"):
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate
        return self.fresh(f"d_{name}")

    def for_expr(self, expr, is_module=lambda node: False):
        """A name describing `expr` (an operation on atoms)."""
        return self.fresh(describe(expr, is_module))


def op_word(op):
    return _OP_WORDS.get(type(op), "op")


def describe(expr, is_module=lambda node: False):
    """A short identifier describing an expression whose operands are atoms."""
    full = _full_description(expr, is_module)
    if full and len(full) <= MAX_LEN:
        return full
    return _short_description(expr)


def _atom(expr):
    if isinstance(expr, gast.Name):
        return expr.id
    if isinstance(expr, gast.Constant):
        if isinstance(expr.value, str):
            return expr.value if expr.value.isidentifier() else "s"
        if isinstance(expr.value, (bool, type(None))):
            return str(expr.value)
        text = re.sub(r"\W", "", str(expr.value))
        return text
    if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, gast.USub):
        inner = _atom(expr.operand)
        return "m" + inner if inner else None
    if isinstance(expr, gast.Attribute):
        base = _atom(expr.value)
        return f"{base}_{expr.attr}" if base else expr.attr
    return None


def _index(slice_):
    if isinstance(slice_, gast.Constant) and isinstance(slice_.value, int):
        return str(slice_.value) if slice_.value >= 0 else ("last" if slice_.value == -1
                                                             else f"m{-slice_.value}")
    if isinstance(slice_, gast.UnaryOp) and isinstance(slice_.op, gast.USub):
        inner = _index(slice_.operand)
        return "last" if inner == "1" else (f"m{inner}" if inner else None)
    if isinstance(slice_, gast.Slice):
        return "slice"
    atom = _atom(slice_)
    return f"_{atom}" if atom else None


def _full_description(expr, is_module):
    if isinstance(expr, gast.BinOp):
        left, right = _atom(expr.left), _atom(expr.right)
        if left and right:
            return f"{left}_{op_word(expr.op)}_{right}"
    elif isinstance(expr, gast.UnaryOp):
        operand = _atom(expr.operand)
        if operand:
            return f"{op_word(expr.op)}_{operand}"
    elif isinstance(expr, gast.Call):
        fname = _callee_name(expr.func)
        args = [_atom(a) for a in expr.args[:1]]
        if isinstance(expr.func, gast.Attribute) and not is_module(expr.func.value):
            owner = _atom(expr.func.value)
            return f"{owner}_{expr.func.attr}" if owner else expr.func.attr
        if args and args[0]:
            return f"{fname}_{args[0]}"
        return fname
    elif isinstance(expr, gast.Subscript):
        base, index = _atom(expr.value), _index(expr.slice)
        if base and index:
            return base + index if index[0] == "_" or not base[-1].isdigit() else f"{base}_{index}"
    elif isinstance(expr, gast.Attribute):
        base = _atom(expr.value)
        if base:
            return f"{base}{expr.attr}" if expr.attr == "T" else f"{base}_{expr.attr}"
    return None


def _short_description(expr):
    if isinstance(expr, (gast.BinOp, gast.UnaryOp)):
        return op_word(expr.op)
    if isinstance(expr, gast.Call):
        return _callee_name(expr.func)
    if isinstance(expr, gast.Subscript):
        return (_atom(expr.value) or "item")[:MAX_LEN - 4] + "_item"
    if isinstance(expr, (gast.List, gast.Tuple, gast.Dict)):
        return {gast.List: "items", gast.Tuple: "values", gast.Dict: "entries"}[type(expr)]
    if isinstance(expr, (gast.Compare, gast.BoolOp)):
        return "cond"
    return "t"


def _callee_name(func):
    if isinstance(func, gast.Name):
        return func.id
    if isinstance(func, gast.Attribute):
        return func.attr
    return "call"


def _identifier(text):
    text = re.sub(r"\W", "_", text or "t")
    if not text or text[0].isdigit():
        text = "c" + text
    return text
