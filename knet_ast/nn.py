"""Knet's neural-network functions, written as plain code that knet_ast differentiates."""
import numpy as np

from .extend import getval
from .primitives.registry import defgrad, elementwise, nondiff


def relu(x):
    """max(x, 0), elementwise."""
    return np.maximum(x, 0)


defgrad(relu, "x", x="dy * (y > 0)")  # Knet's rule; one pass instead of maximum's tie split
elementwise(relu)


def sigm(x):
    """The logistic sigmoid 1 / (1 + exp(-x)), computed stably through tanh."""
    return 0.5 * np.tanh(0.5 * x) + 0.5


def logsumexp(x, axis=-1):
    """log(sum(exp(x), axis)) without overflow; keeps the reduced axis."""
    m = getval(np.max(x, axis=axis, keepdims=True))  # its gradient cancels exactly
    return m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


defgrad(logsumexp, x="dy * np.exp(x - y)")  # one fused pass instead of differentiating the body


def logp(x, axis=-1):
    """Log-probabilities: x normalised so that exp(x) sums to 1 along `axis` (log-softmax)."""
    return x - logsumexp(x, axis=axis)


def softmax(x, axis=-1):
    """Probabilities along `axis`."""
    return np.exp(logp(x, axis=axis))


def nll(scores, labels, axis=-1, average=True):
    """Negative log-likelihood of integer `labels` (0..C-1) under unnormalised `scores`.

    Classes are along `axis` (default: last, i.e. scores of shape (batch, classes)).
    With average=False returns (total, count), as Knet does.
    """
    lp = np.moveaxis(logp(scores, axis=axis), axis, -1)
    lp = lp.reshape(-1, lp.shape[-1])
    picked = lp[np.arange(lp.shape[0]), np.ravel(labels)]
    total = -np.sum(picked)
    return total / picked.shape[0] if average else (total, picked.shape[0])


@nondiff
def accuracy(scores, labels, axis=-1):
    """Fraction of instances whose highest score is the correct label."""
    return float(np.mean(np.argmax(scores, axis=axis) == labels))
