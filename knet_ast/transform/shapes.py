"""Which values certainly have the same shape, so that `unbroadcast` can be left out.

A union-find over SSA names: an elementwise primitive (registry.ELEMENTWISE)
whose array operands all share a shape gives its output that shape (number
constants do not count), a copy shares its source's shape, and full
reductions (`np.sum(x)`, `x.mean()`) share the scalar shape. Names assigned
more than once (loop versions, branch merges) stay alone: their shape may
change from one iteration to the next.
"""
from collections import Counter

import gast

from ..primitives import registry


class SameShape:
    def __init__(self, activity, params):
        self.parent = {}
        counts = Counter(target for _, target, _ in activity.assigns)
        counts.update(params)
        counts.update(loop.target.id for loop in activity.loops)
        single = {name for name, n in counts.items() if n == 1}
        for _, target, op in activity.assigns:
            if target not in single:
                continue
            if op.kind == "copy" and op.inputs[0] in single:
                self._union(target, op.inputs[0])
            elif op.kind == "rule" and _is_full_reduction(op):
                self._union(target, SCALAR)
            elif op.kind == "rule" and _is_elementwise(op.rule.key):
                operands = _operands(op)
                if operands is not None and operands <= single and len(
                        {self._find(name) for name in operands}) == 1:
                    self._union(target, next(iter(operands)))

    def __call__(self, a, b):
        return a == b or (a in self.parent and b in self.parent and self._find(a) == self._find(b))

    def _find(self, name):
        self.parent.setdefault(name, name)
        while self.parent[name] != name:
            self.parent[name] = self.parent[self.parent[name]]
            name = self.parent[name]
        return name

    def _union(self, a, b):
        self.parent[self._find(a)] = self._find(b)


SCALAR = "<scalar>"  # the class of 0-d results: np.sum(x), x.mean(), ...


def _is_full_reduction(op):
    """np.sum(x) and friends with no axis and no keepdims: the result is a scalar."""
    if _key_name(op.rule.key) not in registry.REDUCTIONS:
        return False
    axis, keepdims = op.bound.get("axis"), op.bound.get("keepdims")
    return (isinstance(axis, gast.Constant) and axis.value is None
            and (keepdims is None or isinstance(keepdims, gast.Constant) and not keepdims.value))


def _key_name(key):
    return key[1] if isinstance(key, tuple) else getattr(key, "__name__", None)


def _is_elementwise(key):
    try:
        return key in registry.ELEMENTWISE
    except TypeError:
        return False


def _operands(op):
    """The names among the arguments, or None if an argument is neither a name nor a number."""
    names = set()
    for value in op.bound.values():
        if isinstance(value, gast.Name):
            names.add(value.id)
        elif not (isinstance(value, gast.Constant) and isinstance(value.value, (int, float))):
            if not (isinstance(value, gast.Constant) and value.value is None):
                return None
    return names or None
