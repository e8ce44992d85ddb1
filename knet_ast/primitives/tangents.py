"""Forward-mode rules: how a tangent passes through each primitive (`knet.jvp`, `knet.hvp`).

Most tangents follow from what is already known about a primitive, so the
table here is short:

- elementwise primitives (registry.ELEMENTWISE, unary `math` functions): the
  gradient template with its `unbroadcast(..., x)` removed, the incoming
  gradient read as the argument's tangent (`dy * np.cos(x)` -> `dx * np.cos(x)`);
- linear functions (sum, reshape, transpose, concatenate, indexing helpers...):
  the function itself applied to the tangents;
- multilinear ones (matmul, dot, einsum, conv4...): one term per argument, the
  function with that argument replaced by its tangent;
- reductions (max, prod, var, norm...): the gradient template at dy = 1 gives
  the partial derivatives, summed against the tangent over the reduced axes;
- the rest have a template here, written with `d<param>` for the tangent of a
  parameter: `defjvp(np.linalg.inv, a="-y @ da @ y")`.

A primitive with none of these raises NoRuleError naming it, when the tangent
code is built.
"""
import copy
import inspect
import math

import gast
import numpy as np

from .. import nn
from ..runtime import accumulate
from . import conv, linalg, registry
from .registry import KERNELS, RULES, Rule

JVP = {}          # key -> Rule whose templates use `dy` for the parameter's tangent
LINEAR = set()    # keys of functions linear in all their differentiable arguments together
MULTILINEAR = set()  # keys of functions linear in each differentiable argument separately
REDUCTIONS = set()   # keys whose gradient template at dy = 1 is the partial derivative


def defjvp(fn, signature=None, namespace=None, **templates):
    """Register the forward-mode rule of `fn`: per differentiable parameter `x`, an
    expression in the parameters, `y` (the output) and `dx` (x's tangent). The output's
    tangent is the sum of the terms of the parameters that carry one.

    Examples
    --------
    >>> @knet.primitive
    ... def cube(x):
    ...     return x ** 3
    >>> _ = knet.defgrad(cube, x="3 * dy * x ** 2")
    >>> knet.defjvp(cube, x="3 * dx * x ** 2")
    >>> value, slope = knet.jvp(cube)(2.0, tangent=1.0)
    >>> float(value), float(slope)
    (8.0, 12.0)
    """
    rule = RULES.get(fn)
    if signature is None:
        signature = rule.signature if rule is not None else None
    renamed = {param: _renamed(text, f"d{param}") for param, text in templates.items()}
    JVP[fn] = Rule(fn, signature if signature is not None else inspect.signature(fn), renamed,
                   namespace or getattr(fn, "__globals__", None) or KERNELS)
    registry.changed()


def _renamed(text, tangent):
    """The template with the tangent's name read as `dy` (Rule's placeholder)."""
    tree = gast.parse(text, mode="eval")
    for node in gast.walk(tree):
        if isinstance(node, gast.Name) and node.id == tangent:
            node.id = "dy"
    return gast.unparse(tree).strip()


def is_elementwise(key):
    if key in registry.ELEMENTWISE or key == registry.POW_CONSTANT:
        return True
    rule = RULES.get(key)
    return getattr(key, "__module__", None) == "math" and rule is not None and \
        not rule.sequences and "coordinates" not in rule.templates


_STRIPPED = {}


def elementwise_template(rule, param):
    """The gradient template of an elementwise primitive without its `unbroadcast(e, x)`."""
    cached = _STRIPPED.get((rule.key, param))
    if cached is None or cached[0] is not rule:  # (a rule registered again replaces it)
        stripped = _WithoutUnbroadcast().visit(copy.deepcopy(rule.templates[param]))
        cached = _STRIPPED[(rule.key, param)] = (rule, stripped)
    return cached[1]


class _WithoutUnbroadcast(gast.NodeTransformer):
    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, gast.Name) and node.func.id == "unbroadcast":
            return node.args[0]
        return node


def _method_keys(*names):
    return [("method", name) for name in names]


LINEAR.update([
    float, list, tuple, sum, math.fsum, registry.CONCAT, np.sum, np.mean, np.nansum, np.cumsum,
    np.reshape, np.ravel, np.transpose, np.swapaxes, np.moveaxis, np.expand_dims, np.squeeze,
    np.concatenate, np.stack, np.hstack, np.vstack, np.dstack, np.column_stack, np.split,
    np.array_split, np.hsplit, np.vsplit, np.dsplit, np.array, np.asarray, np.asanyarray,
    np.ascontiguousarray, np.asfortranarray, np.atleast_1d, np.atleast_2d, np.atleast_3d,
    np.broadcast_to, np.copy, np.real, np.diag, np.diagonal, np.trace, np.tril, np.triu, np.diff,
    np.flip, np.fliplr, np.flipud, np.rot90, np.roll, np.tile, np.repeat, np.take,
    np.take_along_axis, np.float16, np.float32, np.float64, np.conjugate,
    ("attr", "T"), ("attr", "real"), conv.mat,
    # the runtime helpers of generated gradients (for hvp: forward over reverse)
    accumulate.add_grad, accumulate.zeros_if_none, accumulate.finalize_grad,
    accumulate.unbroadcast, accumulate.unreduce, accumulate.mean_grad, accumulate.add_at,
    accumulate.add_in_place, accumulate.grad_item, accumulate.broadcast_like,
    accumulate.reduce_like, accumulate.mean_grad_back, accumulate.take_at,
    accumulate.grad_item_back, accumulate.finalize_back,
    *_method_keys("sum", "mean", "reshape", "ravel", "flatten", "transpose", "swapaxes", "squeeze",
                  "copy", "astype", "cumsum", "diagonal", "trace", "repeat", "take", "item",
                  "tolist", "conj", "conjugate", "values"),
])
for _name in ("as_sequence", "dict_from", "make_closure"):
    _fn = registry.RUNTIME.get(_name)
    if _fn is not None:
        LINEAR.add(_fn)
MULTILINEAR.update([np.matmul, np.dot, np.inner, np.outer, np.kron, np.tensordot, np.einsum,
                    np.vdot, np.cross, np.multiply, __import__("operator").matmul, conv.conv4,
                    ("method", "dot")] + ([np.vecdot] if hasattr(np, "vecdot") else []))
REDUCTIONS.update([np.max, np.amax, np.min, np.amin, np.nanmax, np.nanmin, np.prod, np.nanprod,
                   np.var, np.std, np.nanvar, np.nanstd, np.ptp, np.linalg.norm,
                   *_method_keys("max", "min", "prod", "var", "std")])

defjvp(nn.logsumexp, x="np.sum(dx * np.exp(x - y), axis=axis, keepdims=True)")
defjvp(nn.nll, scores="nll_jvp(dscores, scores, labels, axis, average)",
       namespace={"nll_jvp": nn.nll_jvp})
defjvp(nn.nll_grad, "g, scores, labels, axis=-1, average=True",
       namespace={"nll_grad": nn.nll_grad, "nll_grad_jvp": nn.nll_grad_jvp},
       g="nll_grad(dg, scores, labels, axis, average)",
       scores="nll_grad_jvp(g, dscores, scores, labels, axis, average)")
defjvp(np.linalg.inv, "a", a="-(y @ da @ y)")
defjvp(np.linalg.det, "a", a="y * np.trace(np.linalg.solve(a, da), axis1=-2, axis2=-1)")
defjvp(np.linalg.solve, "a, b", a="-np.linalg.solve(a, da @ y)", b="np.linalg.solve(a, db)")
for _kernel, _other in ((linalg.matmul_da, "b"), (linalg.dot_da, "b"), (linalg.matmul_db, "a"),
                       (linalg.dot_db, "a")):  # gradients of a @ b: linear in dy and the other
    _name = _kernel.__name__
    defjvp(_kernel, "g, a, b", namespace={_name: _kernel}, g=f"{_name}(dg, a, b)",
           **{_other: f"{_name}(g, {'a, db' if _other == 'b' else 'da, b'})"})
