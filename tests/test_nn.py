"""Knet's NN functions: values against direct formulas, gradients against finite differences."""
import numpy as np
import pytest
from checkgrad import check_grad

import knet_ast as knet

rng = np.random.default_rng(0)


def test_values_match_direct_formulas():
    x = rng.standard_normal((4, 5))
    assert np.allclose(knet.relu(x), x * (x > 0))
    assert np.allclose(knet.sigm(x), 1 / (1 + np.exp(-x)))
    assert np.allclose(knet.logsumexp(x), np.log(np.exp(x).sum(-1, keepdims=True)))
    assert np.allclose(knet.softmax(x, axis=0), np.exp(x) / np.exp(x).sum(0, keepdims=True))
    labels = np.array([0, 4, 2, 1])
    probs = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
    assert np.isclose(knet.nll(x, labels), -np.mean(np.log(probs[np.arange(4), labels])))
    total, count = knet.nll(x, labels, average=False)
    assert count == 4 and np.isclose(total / count, knet.nll(x, labels))
    assert knet.accuracy(x, labels) == np.mean(x.argmax(-1) == labels)


def test_logsumexp_does_not_overflow():
    x = np.array([[1000.0, 1000.0]])
    assert np.isclose(knet.logsumexp(x)[0, 0], 1000.0 + np.log(2.0))


def _relu_loss(x, r):
    return np.sum(knet.relu(x) * r)


def _sigm_loss(x, r):
    return np.sum(knet.sigm(x) * r)


def _logp_loss(x, r):
    return np.sum(knet.logp(x, axis=0) * r)


def _softmax_loss(x, r):
    return np.sum(knet.softmax(x) * r)


@pytest.mark.parametrize("f", [_relu_loss, _sigm_loss, _logp_loss, _softmax_loss])
def test_activation_gradients(f):
    x = rng.standard_normal((3, 4))
    x[np.abs(x) < 1e-3] = 0.5  # away from relu's kink
    check_grad(f, x, rng.standard_normal((3, 4)))


def _nll_loss(scores, labels, axis):
    return knet.nll(scores, labels, axis=axis)


@pytest.mark.parametrize("axis", [-1, 0])
def test_nll_gradient_along_either_axis(axis):
    scores = rng.standard_normal((6, 6))
    check_grad(_nll_loss, scores, rng.integers(0, 6, 6), axis)


def predict(w, x):
    for i in range(0, len(w) - 2, 2):
        x = knet.relu(x @ w[i] + w[i + 1])
    return x @ w[-2] + w[-1]


def mlp_loss(w, x, y):
    return knet.nll(predict(w, x), y)


def test_design_mlp_trains_and_has_correct_gradients():
    sizes = [8, 16, 12, 3]
    w = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        w += [0.3 * rng.standard_normal((a, b)), np.zeros(b)]
    x, y = rng.standard_normal((20, 8)), rng.integers(0, 3, 20)
    check_grad(mlp_loss, w, x, y)
    lossgrad = knet.gradloss(mlp_loss)
    first = None
    for _ in range(50):
        dw, value = lossgrad(w, x, y)
        first = value if first is None else first
        w = [p - 0.1 * d for p, d in zip(w, dw)]
    assert mlp_loss(w, x, y) < 0.5 * first
