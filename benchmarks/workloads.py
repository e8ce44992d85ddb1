"""The benchmark workloads: sizes, data, and which model each library differentiates.

Every workload computes the loss and its gradient w.r.t. a list of float32 parameters
(float64 for scalarloop and tiny, as the issue sets them), from random data with a
fixed seed. `model` names the function in models.py (autograd, JAX, tangent-ad),
torch_models.py and by_hand.py; `knet` is the function knet_ast differentiates.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

import knet_ast as knet

from . import by_hand, knet_models, models


@dataclass
class Workload:
    name: str
    size: str                      # the sizes, for the table
    make: Callable                 # rng -> (params, args)
    knet: Callable                 # the loss knet_ast differentiates
    model: str                     # the function name in the other model files
    generic: bool = True           # models.py has it (autograd, JAX, tangent-ad can run it)
    jit: bool = True               # jax.jit can compile it (no Python branch on array values)
    knet_args: Callable = None     # (params, args) -> knet's layout, where it differs
    knet_grads: Callable = None    # knet's gradient -> the common layout


def _f32(*arrays):
    return [a.astype(np.float32) for a in arrays]


def _dense(rng, sizes):
    params = []
    for m, n in zip(sizes, sizes[1:]):
        params += _f32(rng.standard_normal((m, n)) / np.sqrt(m), 0.1 * rng.standard_normal(n))
    return params


def _linreg(rng):
    x = rng.standard_normal((506, 13)).astype(np.float32)
    w = _f32(rng.standard_normal((13, 1)), rng.standard_normal(1))
    return w, (x, (x @ rng.standard_normal((13, 1)) + 0.1).astype(np.float32))


def _classifier(sizes):
    def make(rng):
        x = rng.standard_normal((100, sizes[0])).astype(np.float32)
        return _dense(rng, sizes), (x, rng.integers(0, sizes[-1], 100))
    return make


def _lenet(rng):
    conv = []
    for c_in, c_out in ((1, 20), (20, 50)):
        conv += _f32(rng.standard_normal((c_out, c_in, 5, 5)) / np.sqrt(25 * c_in),
                     0.1 * rng.standard_normal((1, c_out, 1, 1)))
    x = rng.standard_normal((100, 1, 28, 28)).astype(np.float32)
    return conv + _dense(rng, (800, 500, 10)), (x, rng.integers(0, 10, 100))


CHARLM = dict(vocabulary=84, embed=128, hidden=128, steps=20, batch=32)


def _charlm(rng):
    v, e, h, t, b = CHARLM.values()
    w = _f32(0.1 * rng.standard_normal((v, e)), rng.standard_normal((e, 4 * h)) / np.sqrt(e),
             rng.standard_normal((h, 4 * h)) / np.sqrt(h), 0.1 * rng.standard_normal(4 * h),
             rng.standard_normal((h, v)) / np.sqrt(h), np.zeros(v))
    x, labels = rng.integers(0, v, (t, b)), rng.integers(0, v, (t, b))
    state = _f32(0.1 * rng.standard_normal((b, h)), 0.1 * rng.standard_normal((b, h)))
    return w, (x, labels, *state)


RNN_SPEC = knet.rnninit(CHARLM["embed"], CHARLM["hidden"])[0]


def _to_fused(params, args):
    """The loop model's [embed, Wx, Wh, b, Wout, bout] as rnnforw's [embed, flat, Wout, bout]
    (recurrent bias zero), and the state as (layers, batch, hidden) arrays."""
    embed, wx, wh, b, wout, bout = params
    flat = np.zeros(RNN_SPEC.size, np.float32)
    for g in range(4):
        cols = slice(g * RNN_SPEC.hidden_size, (g + 1) * RNN_SPEC.hidden_size)
        knet.rnnparam(RNN_SPEC, flat, 0, g)[:] = wx[:, cols]
        knet.rnnparam(RNN_SPEC, flat, 0, g + 4)[:] = wh[:, cols]
        knet.rnnparam(RNN_SPEC, flat, 0, g, 1)[:] = b[cols]
    x, labels, h, c = args
    return [embed, flat, wout, bout], (x, labels, h[None], c[None], RNN_SPEC)


def _from_fused(grads):
    """rnnforw's gradient in the loop model's layout."""
    dembed, dflat, dwout, dbout = grads

    def gates(ids, par=0):
        return np.concatenate([knet.rnnparam(RNN_SPEC, dflat, 0, i, par) for i in ids], axis=-1)
    return [dembed, gates(range(4)), gates(range(4, 8)), gates(range(4), 1), dwout, dbout]


WORKLOADS = [
    Workload("linreg", "x (506, 13), W (13, 1)", _linreg, models.linreg, "linreg"),
    Workload("softmax", "784 -> 10, batch 100", _classifier((784, 10)), knet_models.softmax,
             "softmax"),
    Workload("mlp", "784 -> 64 -> 10, batch 100", _classifier((784, 64, 10)), knet_models.mlp,
             "mlp"),
    Workload("lenet", "conv 20, 50; dense 500; batch 100", _lenet, knet_models.lenet, "lenet",
             generic=False),
    Workload("charlm", "LSTM 128, 20 steps, batch 32, loop", _charlm, knet_models.charlm,
             "charlm"),
    Workload("charlm fused", "same, knet.rnnforw / torch.lstm", _charlm,
             knet_models.charlm_fused, "charlm_fused", generic=False,
             knet_args=_to_fused, knet_grads=_from_fused),
    Workload("scalarloop", "loop over x (1000,), float64, branch", lambda rng: (
        rng.uniform(-1, 1, 1000), ()), models.scalarloop, "scalarloop", jit=False),
    Workload("tiny", "sin(x)**2 + x*cos(x), Python float", lambda rng: (0.7, ()), models.tiny,
             "tiny"),
]

HAND = {w.name: getattr(by_hand, w.model.replace("_fused", "")) for w in WORKLOADS}
