"""docs/coverage.md, generated from the registry:
`python -m knet_ast.primitives.table > docs/coverage.md` (a test keeps it current).

Every function with a rule (and its template) or declared non-differentiable,
by family, with notes on kinks, ties and domains; then what is not supported.
"""
import math
from collections import defaultdict

import gast
import numpy as np

from . import registry

FAMILIES = ["operators", "numpy", "numpy.linalg", "numpy.random", "array methods and attributes",
            "math", "builtins", "knet"]

NOTES = {  # key: what a user should know about the gradient at kinks, ties and domain edges
    abs: "0 at x = 0", np.abs: "0 at x = 0", np.fabs: "0 at x = 0", math.fabs: "0 at x = 0",
    np.sqrt: "infinite at 0", math.sqrt: "infinite at 0", np.cbrt: "infinite at 0",
    np.maximum: "ties split the gradient evenly", np.minimum: "ties split the gradient evenly",
    np.fmax: "ties split evenly; a NaN argument gets 0", np.fmin: "ties split evenly; a NaN argument gets 0",
    np.max: "tied maxima share the gradient equally", np.amax: "tied maxima share equally",
    np.min: "tied minima share the gradient equally", np.amin: "tied minima share equally",
    np.nanmax: "NaN entries get 0; ties share equally", np.nanmin: "NaN entries get 0; ties share equally",
    np.ptp: "tied extremes share equally",
    max: "the first item equal to the result gets it all (the one Python returns)",
    min: "the first item equal to the result gets it all (the one Python returns)",
    np.clip: "a value equal to a bound counts as inside: its gradient goes to `a`",
    np.where: "no gradient to `condition`",
    np.sort: "tied values take the gradients of the positions a stable sort gives them",
    np.prod: "exact where entries are zero (products of the others, no division)",
    np.cumprod: "divides by the input unless it has zeros, then O(n^2) along the axis",
    np.nanprod: "NaN entries get 0", np.nansum: "NaN entries get 0", np.nanmean: "NaN entries get 0",
    np.nanvar: "NaN entries get 0", np.nanstd: "NaN entries get 0; infinite at zero spread",
    np.std: "infinite where the spread is 0",
    np.average: "`returned=True` is refused",
    np.linalg.norm: "0 at the zero vector for ord 2/'fro'; ord 0 has no gradient; ties in "
                    "max-type norms share equally; 'nuc', 2, -2 use the SVD (distinct singular values)",
    np.power: "d/dx2 taken as 0 where x1 <= 0",
    np.mod: "jumps where x1 / x2 is an integer", np.fmod: "jumps where x1 / x2 is an integer",
    np.copysign: "no gradient to x2", np.ldexp: "x2 is an integer exponent",
    np.linalg.det: "uses inv(a): singular matrices fail", np.linalg.slogdet: "the sign has no gradient",
    np.linalg.cholesky: "a symmetric gradient (the matrix is read as symmetric)",
    np.linalg.eigh: "a symmetric gradient; eigenvalues must be distinct when eigenvectors are used",
    np.linalg.eigvalsh: "a symmetric gradient",
    np.linalg.pinv: "valid where the rank does not change (full rank)",
    np.cross: "3-vectors only", np.pad: "mode='constant' with one constant value",
    np.einsum: "any subscripts, implicit or explicit, with ellipsis and repeated indices",
    np.take: "repeated indices accumulate", np.take_along_axis: "repeated indices accumulate",
    np.arange: "a single argument sets only the length (no gradient)",
    np.random.normal: "the reparametrisation trick: y = loc + scale z",
    np.random.uniform: "the reparametrisation trick: y = low + (high - low) u",
    math.gamma: "uses digamma (computed in knet_ast)", math.lgamma: "uses digamma",
    math.prod: "exact where items are zero",
}

UNSUPPORTED = [  # (functions, why): calling them with a differentiated argument raises NoRuleError
    ("np.median, np.percentile, np.quantile", "order statistics: not yet; np.sort then index"),
    ("np.linalg.svd, eig, qr, lstsq, matrix_power, multi_dot, np.linalg.matrix_rank",
     "not yet (svd and eig need care with degenerate spectra); norm(ord='nuc'/2) is supported"),
    ("np.fft.*, complex inputs, np.imag as a source of gradient", "complex numbers are not differentiated"),
    ("np.convolve, np.correlate", "use knet's conv4 (issue 5) or write the sum"),
    ("np.unique, np.histogram, np.interp, np.meshgrid, np.piecewise, np.select, np.choose",
     "not yet; most are piecewise or index by data"),
    ("np.frexp, np.modf, np.divmod, math.frexp, math.modf", "tuple outputs mixing integer parts"),
    ("np.i0, scipy.special.*", "no NumPy derivative to express the rule with"),
    ("x.sort(), x.fill(), np.put, np.place, np.copyto, `out=`", "in-place writes into differentiated values"),
    ("np.cumulative_sum, np.cumulative_prod", "NumPy 2.1 names; use np.cumsum / np.cumprod"),
]


def describe(key):
    if isinstance(key, tuple) and key[0] == "sequence":
        return f"`list {key[1]} list`", FAMILIES[0]
    if isinstance(key, tuple) and key[0] == "power":
        return "`a ** c`, c a nonzero number", FAMILIES[0]
    if isinstance(key, tuple):
        kind, name = key
        return (f"`x.{name}()`" if kind == "method" else f"`x.{name}`"), FAMILIES[4]
    owner = getattr(key, "__self__", None)
    if isinstance(owner, np.random.RandomState):
        return f"`np.random.{key.__name__}`", FAMILIES[3]
    module = getattr(key, "__module__", None) or "numpy"
    name = getattr(key, "__name__", repr(key))
    if module in ("_operator", "operator"):
        return f"`operator.{name}`", FAMILIES[0]
    if module == "math":
        return f"`math.{name}`", FAMILIES[5]
    if module == "builtins":
        return f"`{name}`", FAMILIES[6]
    if module == "knet_ast.runtime.accumulate":  # rules of generated code (adjoints.py)
        return None, None
    if module.startswith("knet_ast"):
        return (None, None) if name.startswith("_") else (f"`knet.{name}`", FAMILIES[7])
    if module.startswith("numpy.linalg"):
        return f"`np.linalg.{name}`", FAMILIES[2]
    if module.split(".")[0] == "numpy":
        return f"`np.{name}`", FAMILIES[1]
    return None, None  # a rule the user registered: not part of the library's table


def counts():
    """(rules, non-differentiable) among library functions (not methods, attributes, operators)."""
    def functions(keys):
        return {describe(k)[0] for k in keys if describe(k)[1] not in (None, *FAMILIES[:1], FAMILIES[4])}
    return len(functions(registry.RULES)), len(functions(registry.NONDIFF))


def markdown():
    rows = defaultdict(dict)
    for key, rule in registry.RULES.items():
        name, family = describe(key)
        if name is not None:
            grads = "; ".join(f"{param}: `{gast.unparse(t).strip()}`" for param, t in rule.templates.items())
            rows[family][name] = ("rule", grads.replace("|", "\\|"), NOTES.get(key, ""))
    for key in registry.NONDIFF:
        name, family = describe(key)
        if name is not None and name not in rows[family]:
            rows[family][name] = ("no gradient", "", NOTES.get(key, ""))
    n_rules, n_nondiff = counts()
    lines = ["# Coverage", "",
             f"{n_rules + n_nondiff} NumPy, math and builtin functions: {n_rules} with a gradient "
             f"rule and {n_nondiff} declared non-differentiable (their outputs carry no gradient).",
             "Operators, array methods and attributes are listed too. In a template, `y` is the",
             "output and `dy` its incoming gradient; the template is inlined into the generated",
             "source. Generated by `python -m knet_ast.primitives.table > docs/coverage.md`;",
             "a test keeps it in step with the registry. Calling anything else with a",
             "differentiated argument raises NoRuleError; see docs/extending.md to add a rule.", ""]
    for family in FAMILIES:
        lines += [f"## {family}", "", "| function | status | gradient | notes |", "| --- | --- | --- | --- |"]
        lines += [f"| {name} | {status} | {grads} | {note} |"
                  for name, (status, grads, note) in sorted(rows[family].items())]
        lines.append("")
    lines += ["## Not supported", "", "| functions | why |", "| --- | --- |"]
    lines += [f"| {names} | {why} |" for names, why in UNSUPPORTED]
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    import knet_ast  # noqa: F401  (registers every rule)
    print(markdown(), end="")
