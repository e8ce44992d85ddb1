"""The benchmark models as a knet_ast user writes them: plain NumPy plus Knet's
operators (nll, relu, sigm, conv4, pool, rnnforw). linreg, scalarloop and tiny
need none and are taken from models.py unchanged."""
import numpy as np

import knet_ast as knet


def softmax(w, x, labels):
    return knet.nll(x @ w[0] + w[1], labels)


def mlp(w, x, labels):
    h = knet.relu(x @ w[0] + w[1])
    return knet.nll(h @ w[2] + w[3], labels)


def lenet(w, x, labels):
    """Two conv 5x5 (cross-correlation, as in PyTorch) + relu + max-pool 2 layers, a
    500-unit relu layer, 10 outputs; w = [conv1, bias1 (1, 20, 1, 1), conv2, bias2, W3, b3,
    W4, b4]."""
    for i in range(0, 4, 2):
        x = knet.pool(knet.relu(knet.conv4(w[i], x, mode=1) + w[i + 1]))
    h = knet.relu(knet.mat(x) @ w[4] + w[5])
    return knet.nll(h @ w[6] + w[7], labels)


def charlm(w, x, labels, h, c):
    """The LSTM as a Python loop over time (models.charlm with Knet's sigm and nll, and the
    output layer on all time steps at once)."""
    embed, wx, wh, b, wout, bout = w
    e = embed[x]
    hidden = wh.shape[0]
    ys = []
    for t in range(x.shape[0]):
        gates = e[t] @ wx + h @ wh + b
        i = knet.sigm(gates[:, :hidden])
        f = knet.sigm(gates[:, hidden:2 * hidden])
        g = np.tanh(gates[:, 2 * hidden:3 * hidden])
        o = knet.sigm(gates[:, 3 * hidden:])
        c = f * c + i * g
        h = o * np.tanh(c)
        ys.append(h)
    return knet.nll(np.concatenate(ys) @ wout + bout, labels.reshape(-1))


def charlm_fused(w, x, labels, h, c, spec):
    """The same LSTM with the fused knet.rnnforw; w = [embedding, rnn weights, Wout, bout]."""
    y, _, _ = knet.rnnforw(spec, w[1], w[0][x], h, c)
    return knet.nll(y.reshape(-1, y.shape[2]) @ w[2] + w[3], labels.reshape(-1))
