"""The row type of the rule tables, input domains, and the two checks every row runs.

A row (`Case`) names the registry key it exercises, a loss `def` that applies
the primitive and contracts its output with a random incoming gradient `r`
(the loss's last parameter), the input shapes and domains, and which
arguments to differentiate. `check_case` compares knet_ast with finite
differences in float64; `check_float32` checks that float32 inputs get
float32 gradients, with values close to the float64 ones.
"""
import inspect
from dataclasses import dataclass

import numpy as np
from checkgrad import check_grad, leaves

import knet_ast as knet
from knet_ast.primitives import registry
from knet_ast.transform.pipeline import build_gradient

FLOAT = "float"      # a shape that stands for a Python float
GENERIC = "generic"  # a shape that stands for a NumPy scalar (np.float64)


# --- input domains: (rng, shape) -> float64 array ---
def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def unit(rng, shape):
    return rng.uniform(-1.0, 1.0, shape)


def nonzero(rng, shape):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)


def whole(rng, shape):
    """Integers in [-3, 3]; never within 0.5 of a `half` value, so maximum/minimum never tie."""
    return rng.integers(-3, 4, shape).astype(np.float64)


def half(rng, shape):
    return whole(rng, shape) + 0.5


def near_two(rng, shape):
    """Divisors for `%`: with a `half` dividend, a / b stays >= 0.15 away from an integer."""
    return rng.uniform(1.9, 2.1, shape)


def distinct(rng, shape):
    """Values at least 0.5 apart, so max/min reductions have no ties."""
    return rng.permutation(int(np.prod(shape, dtype=int))).reshape(shape) * 0.5 - 1.0


def mask(rng, shape):
    return rng.random(shape) < 0.5


@dataclass
class Case:
    key: object                     # the registry.RULES key this row exercises
    loss: object                    # def loss(*inputs, r): np.sum(<primitive>(*inputs) * r)
    shapes: tuple                   # per input: a shape tuple, FLOAT, GENERIC, or a list of them
    domain: object = normal         # a domain, or a tuple of them (one per input)
    wrt: object = 0
    rtol: float = 1e-5
    atol: float = 1e-7
    eps: float = 1e-6

    def inputs(self, dtype=np.float64, seed=0):
        """The inputs followed by the incoming gradient r, float arrays cast to `dtype`."""
        rng = np.random.default_rng(seed)
        domains = self.domain if isinstance(self.domain, tuple) else (self.domain,) * len(self.shapes)
        args = [_sample(domain, shape, rng, dtype) for domain, shape in zip(domains, self.shapes)]
        shape = _probe(self.loss, args).shape
        return args + [rng.standard_normal(shape).astype(dtype)]

    def __str__(self):
        shapes = "&".join(_describe(shape) for shape in self.shapes)
        name = self.loss.__name__
        label = getattr(self.loss, "label", "" if name == "loss" else name)
        return f"{rule_name(self.key)}{'[' + label + ']' if label else ''}-{shapes}-wrt{self.wrt}"


def rule_name(key):
    if isinstance(key, tuple):
        return f".{key[1]}()" if key[0] == "method" else f".{key[1]}"
    module = (getattr(key, "__module__", None) or "").lstrip("_")  # _operator -> operator
    return f"{module}.{key.__name__}".lstrip(".")


def label(loss, **kwargs):
    """Name a factory-made loss by the arguments it closes over (for test ids)."""
    loss.label = ",".join(f"{k}={v}" for k, v in kwargs.items()).replace(" ", "")
    return loss


# --- loss factories: the primitive is called in the loss's source through a closure ---
def unary(fn):
    def loss(x, r):
        return np.sum(fn(x) * r)
    return loss


def binary(fn):
    def loss(x1, x2, r):
        return np.sum(fn(x1, x2) * r)
    return loss


def with_arg(fn, arg):
    """fn(x, arg): an offset, k, shift or other fixed second argument."""
    def loss(x, r):
        return np.sum(fn(x, arg) * r)
    return label(loss, arg=arg)


def check_case(case):
    args = case.inputs()
    check_grad(case.loss, *args, wrt=case.wrt, rtol=case.rtol, atol=case.atol, eps=case.eps)


def check_float32(case, monkeypatch):
    """float32 in, float32 out, also before finalize_grad casts adjoints to their input's dtype:
    a float64 adjoint inside a larger gradient would make everything upstream of it float64."""
    raw = []

    def spy(d, x):
        raw.extend(zip(leaves(d), leaves(x)))
        return finalize(d, x)

    finalize = registry.RUNTIME["finalize_grad"]
    monkeypatch.setitem(registry.RUNTIME, "finalize_grad", spy)
    args32, args64 = case.inputs(np.float32), case.inputs(np.float64)
    wrts = case.wrt if isinstance(case.wrt, tuple) else (case.wrt,)
    names = tuple(list(inspect.signature(case.loss).parameters)[i] for i in wrts)
    function = build_gradient(case.loss, names).function  # built afresh, so it calls the spy
    _, grads32 = function(*args32)
    grads64 = knet.grad(case.loss, wrt=case.wrt)(*args64)
    if len(wrts) == 1:
        grads32, grads64 = (grads32,), (grads64,)
    for index, g32, g64 in zip(wrts, grads32, grads64):
        for leaf32, leaf64, x in zip(leaves(g32), leaves(g64), leaves(args32[index])):
            assert np.result_type(leaf32) == np.result_type(x), f"argument {index}"
            np.testing.assert_allclose(np.float64(leaf32), leaf64, rtol=2e-3, atol=1e-4)
    assert raw, "the gradient did not go through finalize_grad: this check needs a new spy"
    if _probe(case.loss, args32[:-1]).dtype != np.float32:
        return  # NumPy itself promoted (np.dot(1.5, x32) is float64): the adjoints follow it
    promoted = [_dtype(d) for d, x in raw if _dtype(x) == np.float32 and _dtype(d) is not None
                and _dtype(d) != np.float32]
    assert not promoted, f"float32 inputs got {promoted} adjoints before finalize_grad"


def _dtype(x):
    """The dtype of a NumPy array or scalar; None for Python numbers, which take any dtype."""
    return x.dtype if isinstance(x, (np.ndarray, np.generic)) else None


def _sample(domain, shape, rng, dtype):
    if isinstance(shape, list):  # a list of inputs, for np.stack, sum, ...
        return [_sample(domain, item, rng, dtype) for item in shape]
    if shape == FLOAT:
        return float(domain(rng, ()))
    value = domain(rng, () if shape == GENERIC else shape)
    if value.dtype.kind == "f":
        value = value.astype(dtype)
    return value[()] if shape == GENERIC else value


def _describe(shape):
    if isinstance(shape, list):
        return "[" + ",".join(_describe(item) for item in shape) + "]"
    return shape if isinstance(shape, str) else str(shape).replace(" ", "")


def _probe(loss, args):
    """Run loss(*args, r) with a stand-in for r that records the primitive's output."""
    probe = _Probe()
    loss(*args, probe)
    return probe


class _Probe:
    """NumPy defers `y * probe` to probe.__rmul__, because __array_ufunc__ is None."""

    __array_ufunc__ = None

    def __rmul__(self, y):
        self.shape, self.dtype = np.shape(y), np.result_type(y)
        return 0.0
