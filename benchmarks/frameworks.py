"""Each library's gradient of a workload, as a call with no arguments.

`build(name, workload, params, args)` returns (call, convert): `call()` computes the
loss and the gradient w.r.t. the parameters the library's own way, and
`convert(call())` turns its result into (gradients as NumPy, loss as a float) for
the agreement check. Libraries that are not installed are skipped; a workload a
library has no operator for raises NotApplicable.
"""
import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np

import knet_ast as knet

from . import by_hand, models

MODELS = Path(__file__).with_name("models.py")


class NotApplicable(Exception):
    """The library cannot run this workload as written (the message says why)."""


def _models_for(np_module):
    """models.py executed again with `np` bound to autograd.numpy or jax.numpy."""
    namespace = {"np": np_module, "__name__": f"benchmarks.models[{np_module.__name__}]"}
    exec(compile(MODELS.read_text(), str(MODELS), "exec"), namespace)
    return SimpleNamespace(**namespace)


def _generic(workload, library):
    if not workload.generic:
        raise NotApplicable(f"{library} has no {workload.name} operators (convolution, fused LSTM)")


def _as_numpy(grads):
    if isinstance(grads, (list, tuple)):
        return [np.asarray(g) for g in grads]
    return np.asarray(grads)


def knet_ast(workload, params, args):
    gradloss = knet.gradloss(workload.knet)
    if workload.knet_args:
        params, args = workload.knet_args(params, args)
    to_common = workload.knet_grads or (lambda grads: grads)
    return (lambda: gradloss(params, *args)), lambda r: (_as_numpy(to_common(r[0])), float(r[1]))


def hand(workload, params, args):
    fn = getattr(by_hand, workload.model.replace("_fused", ""))
    return (lambda: fn(params, *args)), lambda r: (_as_numpy(r[0]), float(r[1]))


def autograd(workload, params, args):
    _generic(workload, "autograd")
    import autograd
    value_and_grad = autograd.value_and_grad(getattr(_models_for(autograd.numpy), workload.model))
    return (lambda: value_and_grad(params, *args)), lambda r: (_as_numpy(r[1]), float(r[0]))


def torch(workload, params, args):
    import torch

    from . import torch_models
    fn = getattr(torch_models, workload.model)
    single = not isinstance(params, list)
    tensors = [torch.tensor(p, requires_grad=True) for p in ([params] if single else params)]
    targs = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]
    inputs = tensors[0] if single else tensors

    def call():
        loss = fn(inputs, *targs)
        return torch.autograd.grad(loss, tensors), loss

    def convert(result):
        grads = [g.numpy() for g in result[0]]
        return _as_numpy(grads[0] if single else grads), float(result[1].detach())
    return call, convert


def _jax(workload, params, args, jit):
    import jax
    jax.config.update("jax_enable_x64", True)  # float64 for scalarloop and tiny; float32 stays
    if workload.generic:
        fn = getattr(_models_for(jax.numpy), workload.model)
    else:
        from . import jax_models
        if not hasattr(jax_models, workload.model):
            raise NotApplicable(f"JAX has no fused LSTM operator ({workload.name})")
        fn = getattr(jax_models, workload.model)
    value_and_grad = jax.value_and_grad(fn)
    if jit:
        if not workload.jit:
            raise NotApplicable(f"jax.jit cannot trace {workload.name}: a Python `if` on array "
                                "values")
        value_and_grad = jax.jit(value_and_grad)
    jparams, jargs = jax.device_put(params), jax.device_put(args)
    return (lambda: jax.block_until_ready(value_and_grad(jparams, *jargs))), \
        lambda r: (_as_numpy(r[1]), float(r[0]))


def jax(workload, params, args):
    return _jax(workload, params, args, jit=False)


def jax_jit(workload, params, args):
    return _jax(workload, params, args, jit=True)


def tangent(workload, params, args):
    _generic(workload, "tangent-ad")
    import tangent
    df = tangent.grad(getattr(models, workload.model), preserve_result=True, verbose=0)
    return (lambda: df(params, *args)), lambda r: (_as_numpy(r[0]), float(r[1]))


LIBRARIES = {  # column name: (module that must be installed, builder)
    "by hand": (None, hand),
    "knet_ast": (None, knet_ast),
    "autograd": ("autograd", autograd),
    "torch": ("torch", torch),
    "jax": ("jax", jax),
    "jax.jit": ("jax", jax_jit),
    "tangent-ad": ("tangent", tangent),
}


def installed(column):
    module = LIBRARIES[column][0]
    return module is None or importlib.util.find_spec(module) is not None


def build(column, workload, params, args):
    return LIBRARIES[column][1](workload, params, args)
