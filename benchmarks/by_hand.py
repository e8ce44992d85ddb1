"""Hand-written NumPy gradients of the benchmark models: what a careful person writes
without an AD tool (forward pass keeping what the backward pass needs, vectorised,
in-place where it is natural). Each returns (gradients, loss); the suite checks
them against every library's gradient before timing anything."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _nll(scores, labels):
    """Mean NLL of integer labels under softmax(scores) and its gradient w.r.t. scores."""
    rows = np.arange(len(labels))
    shifted = scores - scores.max(1, keepdims=True)
    p = np.exp(shifted)
    z = p.sum(1, keepdims=True)
    loss = np.mean(np.log(z[:, 0]) - shifted[rows, labels])
    p /= z
    p[rows, labels] -= 1
    p /= len(labels)
    return loss, p


def linreg(w, x, y):
    r = x @ w[0] + w[1] - y
    dr = (2 / r.size) * r
    return [x.T @ dr, dr.sum(0)], np.mean(r * r)


def softmax(w, x, labels):
    loss, ds = _nll(x @ w[0] + w[1], labels)
    return [x.T @ ds, ds.sum(0)], loss


def mlp(w, x, labels):
    h = np.maximum(x @ w[0] + w[1], 0)
    loss, ds = _nll(h @ w[2] + w[3], labels)
    dh = (ds @ w[2].T) * (h > 0)
    return [x.T @ dh, dh.sum(0), h.T @ ds, ds.sum(0)], loss


def _conv(w, x):
    """Cross-correlation of x (N, C, H, W) with w (O, C, k, k), no padding: im2col as a
    strided view contracted with one tensordot. Returns y and the view."""
    cols = sliding_window_view(x, w.shape[2:], axis=(2, 3))  # (N, C, Ho, Wo, k, k)
    return np.tensordot(cols, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2), cols


def _conv_back(dy, w, x, cols):
    """Gradients of _conv w.r.t. w and x (col2im: each tap's gradient added back)."""
    dw = np.tensordot(dy, cols, axes=([0, 2, 3], [0, 2, 3]))
    dcols = np.tensordot(dy, w, axes=([1], [0]))  # (N, Ho, Wo, C, k, k)
    dx = np.zeros_like(x)
    ho, wo = dy.shape[2:]
    for a in range(w.shape[2]):
        for b in range(w.shape[3]):
            dx[:, :, a:a + ho, b:b + wo] += dcols[:, :, :, :, a, b].transpose(0, 3, 1, 2)
    return dw, dx


def _pool(x):
    n, c, h, w = x.shape
    blocks = x.reshape(n, c, h // 2, 2, w // 2, 2)
    return blocks.max((3, 5)), blocks


def _pool_back(dy, y, blocks):
    hit = blocks == y[:, :, :, None, :, None]  # ties only between zeros after relu: no gradient
    return (hit * dy[:, :, :, None, :, None]).reshape(blocks.shape[0], blocks.shape[1], -1,
                                                    blocks.shape[4] * 2)


def lenet(w, x, labels):
    saved, grads = [], [None] * 8
    for i in (0, 2):
        a, cols = _conv(w[i], x)
        r = np.maximum(a + w[i + 1], 0)
        y, blocks = _pool(r)
        saved.append((x, cols, r, y, blocks))
        x = y
    flat = x.reshape(len(x), -1)
    h = np.maximum(flat @ w[4] + w[5], 0)
    loss, ds = _nll(h @ w[6] + w[7], labels)
    grads[6], grads[7] = h.T @ ds, ds.sum(0)
    dh = (ds @ w[6].T) * (h > 0)
    grads[4], grads[5] = flat.T @ dh, dh.sum(0)
    dx = (dh @ w[4].T).reshape(x.shape)
    for i in (2, 0):
        x, cols, r, y, blocks = saved.pop()
        da = _pool_back(dx, y, blocks) * (r > 0)
        grads[i + 1] = da.sum((0, 2, 3), keepdims=True)
        grads[i], dx = _conv_back(da, w[i], x, cols)
    return grads, loss


def _sigm(a):
    return 0.5 * np.tanh(0.5 * a) + 0.5


def charlm(w, x, labels, h, c):
    """Backpropagation through time, as in min-char-rnn: the weight gradients summed step
    by step in the backward loop."""
    embed, wx, wh, b, wout, bout = w
    hidden = wh.shape[0]
    e = embed[x]
    steps = []
    for t in range(x.shape[0]):
        gates = e[t] @ wx + h @ wh + b
        gates[:, :2 * hidden] = _sigm(gates[:, :2 * hidden])
        gates[:, 2 * hidden:3 * hidden] = np.tanh(gates[:, 2 * hidden:3 * hidden])
        gates[:, 3 * hidden:] = _sigm(gates[:, 3 * hidden:])
        i, f, g, o = np.split(gates, 4, axis=1)
        c_prev, h_prev = c, h
        c = f * c + i * g
        tanh_c = np.tanh(c)
        h = o * tanh_c
        steps.append((gates, c_prev, h_prev, tanh_c, h))
    hs = np.concatenate([step[4] for step in steps])
    loss, ds = _nll(hs @ wout + bout, labels.reshape(-1))
    dwout, dbout = hs.T @ ds, ds.sum(0)
    dhs = (ds @ wout.T).reshape(x.shape[0], -1, hidden)
    dwx, dwh, db, de = np.zeros_like(wx), np.zeros_like(wh), np.zeros_like(b), np.empty_like(e)
    dh, dc = np.zeros_like(h), np.zeros_like(c)
    for t in reversed(range(x.shape[0])):
        gates, c_prev, h_prev, tanh_c, _ = steps[t]
        i, f, g, o = np.split(gates, 4, axis=1)
        dh = dh + dhs[t]
        dc = dc + dh * o * (1 - tanh_c * tanh_c)
        da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                             dc * i * (1 - g * g), dh * tanh_c * o * (1 - o)], axis=1)
        dc = dc * f
        dwx += e[t].T @ da
        dwh += h_prev.T @ da
        db += da.sum(0)
        de[t] = da @ wx.T
        dh = da @ wh.T
    dembed = np.zeros_like(embed)
    np.add.at(dembed, x, de)
    return [dembed, dwx, dwh, db, dwout, dbout], loss


def scalarloop(x):
    s, dx = 0.0, np.zeros_like(x)
    for i in range(len(x)):
        if x[i] <= 0:
            e = np.exp(x[i])
            s += e
            dx[i] = e
        else:
            s += np.log(x[i])
            dx[i] = 1 / x[i]
    return dx, s


def tiny(x):
    s, c = np.sin(x), np.cos(x)
    return 2 * s * c + c - x * s, s * s + x * c
