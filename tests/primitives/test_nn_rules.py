"""Rule-table rows for the neural-network primitives (knet_ast/nn.py, primitives/conv.py,
batchnorm.py, rnn.py): finite differences in float64, float32 kept float32.

The operators' keyword variants and forward values are tested in tests/nn/.
"""
import numpy as np
import pytest
from rule_tables import Case, check_case, check_float32, label, normal, unary

import knet_ast as knet
from knet_ast import nn
from knet_ast.primitives import batchnorm, conv, rnn


def nll_of(labels, axis, average=True):
    def loss(scores, r):
        if average:
            return knet.nll(scores, labels, axis=axis) * r
        total, count = knet.nll(scores, labels, axis=axis, average=False)
        return total * r
    return label(loss, axis=axis, average=average)


def conv_of(fn, p, s, d, m):
    def loss(w, x, r):
        return np.sum(fn(w, x, padding=p, stride=s, dilation=d, mode=m) * r)
    return label(loss, p=p, s=s, d=d, m=m)


def pool_of(window, p, s, m):
    def loss(x, r):
        return np.sum(knet.pool(x, window=window, padding=p, stride=s, mode=m) * r)
    return label(loss, window=window, p=p, s=s, m=m)


def unpool_of(window, p, s):
    def loss(x, r):
        return np.sum(knet.unpool(x, window=window, padding=p, stride=s) * r)
    return label(loss, window=window, p=p, s=s)


def batchnorm_of(training):
    moments = knet.bnmoments(mean=np.full((1, 3, 1, 1), 0.2), var=np.full((1, 3, 1, 1), 1.5))

    def loss(x, params, r):
        return np.sum(knet.batchnorm(x, moments, params, training=training) * r)
    return label(loss, training=training)


def rnn_of(rnn_type, layers, bidirectional):
    spec = knet.rnninit(3, 2, rnn_type, layers, bidirectional)[0]

    def loss(w, x, hx, r):
        y, hy, cy = knet.rnnforw(spec, w, x, hx)
        return np.sum(y * r) + np.sum(hy)
    return label(loss, type=rnn_type, layers=layers, bidirectional=bidirectional)


def scaled(rng, shape):
    return 0.5 * rng.standard_normal(shape)


def params(rng, shape):
    return 1 + 0.3 * rng.standard_normal(shape)


NN = [Case(fn, unary(fn), (shape,)) for fn in (nn.sigm, nn.elu, nn.selu, nn.softplus)
      for shape in [(3, 4), ()]]
NN += [Case(nn.nll, nll_of(np.array([2, 0, 1]), -1), ((3, 4),)),
       Case(nn.nll, nll_of(np.array([2, 0, 1]), -1, average=False), ((3, 4),)),
       Case(nn.nll, nll_of(np.array([[2, 0], [1, 1]]), 1), ((2, 3, 2),)),
       Case(nn.nll, nll_of(np.array(1), 0), ((4,),))]
NN += [Case(fn, conv_of(fn, *options), shapes, wrt=(0, 1))
       for fn, shapes in [(conv.conv4, ((3, 2, 3, 2), (2, 2, 6, 5))),
                          (conv.deconv4, ((2, 3, 3, 2), (2, 2, 3, 4)))]
       for options in [(0, 1, 1, 0), (1, 2, 1, 1), ((1, 0), (2, 1), 2, 0)]]
NN += [Case(conv.pool, pool_of(*options), ((2, 2, 6, 5),)) for options in
       [(2, 0, None, 0), (3, 1, 2, 0), (2, 0, None, 1), ((2, 3), 1, (1, 2), 1), (3, 1, 2, 2)]]
NN += [Case(conv.unpool, unpool_of(*options), ((2, 2, 3, 2),)) for options in
       [(2, 0, None), (3, 1, 2)]]
NN += [Case(batchnorm.batchnorm, batchnorm_of(training), ((4, 3, 2, 2), (6,)), (normal, params),
            wrt=(0, 1)) for training in (True, False)]
NN += [Case(rnn.rnnforw, rnn_of(*options), ((rnn.RNN(3, 2, *options).size,), (3, 2, 3),
                                             (options[1] * (1 + options[2]), 2, 2)),
            (scaled, normal, normal), wrt=(0, 1, 2), rtol=1e-4)
       for options in [("lstm", 1, False), ("gru", 2, False), ("tanh", 1, True), ("relu", 1, False)]]


@pytest.mark.parametrize("case", NN, ids=str)
def test_rule(case):
    check_case(case)


@pytest.mark.parametrize("case", NN, ids=str)
def test_float32(case, monkeypatch):
    check_float32(case, monkeypatch)
