"""The benchmark models in plain NumPy, one definition shared by every library that
differentiates NumPy code: knet_ast (for the models that need no knet operator),
HIPS autograd and JAX (this file is executed again with `np` bound to autograd.numpy
or jax.numpy, see frameworks.py) and tangent-ad.

Written in the subset all of them accept: `np.shape(w)` rather than `w.shape`
(tangent-ad refuses attributes), the labels as integer arrays.
"""
if "np" not in globals():  # frameworks.py binds np to autograd.numpy or jax.numpy first
    import numpy as np


def nll(scores, labels):
    """Mean negative log-likelihood of integer labels under softmax(scores), rows = instances."""
    m = np.max(scores, axis=1, keepdims=True)
    logp = scores - (np.log(np.sum(np.exp(scores - m), axis=1, keepdims=True)) + m)
    return -np.mean(logp[np.arange(np.shape(labels)[0]), labels])


def linreg(w, x, y):
    """Mean squared error of a linear model, w = [W (13, 1), b (1,)]."""
    return np.mean((np.dot(x, w[0]) + w[1] - y) ** 2)


def softmax(w, x, labels):
    """Softmax regression, w = [W (784, 10), b (10,)]."""
    return nll(np.dot(x, w[0]) + w[1], labels)


def mlp(w, x, labels):
    """One relu hidden layer, w = [W1, b1, W2, b2]."""
    h = np.maximum(np.dot(x, w[0]) + w[1], 0.0)
    return nll(np.dot(h, w[2]) + w[3], labels)


def sigm(a):
    return 0.5 * np.tanh(0.5 * a) + 0.5


def charlm(w, x, labels, h, c):
    """LSTM language model as a loop over time: x, labels (T, B) character ids, (h, c) the
    initial state (B, H); w = [embedding, Wx, Wh, b, Wout, bout]."""
    embed, wx, wh, b, wout, bout = w
    e = embed[x]
    hidden = np.shape(wh)[0]
    ys = []
    for t in range(np.shape(x)[0]):
        gates = np.dot(e[t], wx) + np.dot(h, wh) + b
        i = sigm(gates[:, :hidden])
        f = sigm(gates[:, hidden:2 * hidden])
        g = np.tanh(gates[:, 2 * hidden:3 * hidden])
        o = sigm(gates[:, 3 * hidden:])
        c = f * c + i * g
        h = o * np.tanh(c)
        ys.append(h)
    return nll(np.dot(np.concatenate(ys), wout) + bout, np.reshape(labels, -1))


def scalarloop(x):
    """Knet's control-flow example: a Python loop with a branch on each element."""
    s = 0.0
    for i in range(np.shape(x)[0]):
        if x[i] <= 0:
            s = s + np.exp(x[i])
        else:
            s = s + np.log(x[i])
    return s


def tiny(x):
    """Per-call overhead: a few scalar operations on a Python float."""
    return np.sin(x) ** 2 + x * np.cos(x)
