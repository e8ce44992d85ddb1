"""Fused NN gradients against the same operator written in plain NumPy and differentiated by
knet_ast, at the sizes of Knet's benchmark models (forward + gradient, float32).

    python benchmarks/fused.py            # every operator
    python benchmarks/fused.py lstm conv  # some of them

Both versions run in the same process, interleaved, after a warm-up; the table
shows medians and the ratio plain / fused (above 1: the fused gradient is faster).
Gradients are taken with respect to what a layer inside a network differentiates
(weights and input for conv4 and batchnorm).
"""
import statistics
import sys
import time

import numpy as np

import knet_ast as knet

F32 = np.float32


# --- plain versions: what a user would write without the fused primitives ---

def plain_logp(x):
    return x - knet.logsumexp(x, axis=-1)


def plain_nll(scores, labels):
    lp = plain_logp(scores)
    return -np.mean(lp[np.arange(lp.shape[0]), labels])


def plain_conv(w, x, padding=0):
    """Cross-correlation as a sum over kernel taps of channel contractions."""
    kh, kw = w.shape[2], w.shape[3]
    xpad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho, wo = xpad.shape[2] - kh + 1, xpad.shape[3] - kw + 1
    y = 0
    for a in range(kh):
        for b in range(kw):
            y = y + np.tensordot(xpad[:, :, a:a + ho, b:b + wo], w[:, :, a, b], axes=([1], [1]))
    return np.transpose(y, (0, 3, 1, 2))


def plain_pool(x, window=2):
    """Max pooling with stride = window as a running maximum over the window's taps."""
    ho, wo = x.shape[2] // window, x.shape[3] // window
    y = x[:, :, 0:ho * window:window, 0:wo * window:window]
    for a in range(window):
        for b in range(window):
            if a + b > 0:
                y = np.maximum(y, x[:, :, a:ho * window:window, b:wo * window:window])
    return y


def plain_batchnorm(x, params, eps=1e-5):
    c = x.shape[1]
    mean = np.mean(x, axis=(0, 2, 3), keepdims=True)
    var = np.mean((x - mean) ** 2, axis=(0, 2, 3), keepdims=True)
    xhat = (x - mean) / np.sqrt(var + eps)
    return xhat * params[:c].reshape(1, c, 1, 1) + params[c:].reshape(1, c, 1, 1)


def plain_lstm(wx, wh, b, x, hidden):
    """One LSTM layer over x (T, B, X), the cell written step by step."""
    h = np.zeros((x.shape[1], hidden), x.dtype)
    c = h
    xw = np.reshape(np.reshape(x, (-1, x.shape[2])) @ wx + b, (x.shape[0], x.shape[1], -1))
    hs = []
    for t in range(x.shape[0]):
        a = xw[t] + h @ wh
        i = knet.sigm(a[:, :hidden])
        f = knet.sigm(a[:, hidden:2 * hidden])
        g = np.tanh(a[:, 2 * hidden:3 * hidden])
        o = knet.sigm(a[:, 3 * hidden:])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
    return np.stack(hs)


# --- the losses compared ---

def softmax_fused(w, x, y):
    return knet.nll(x @ w[0] + w[1], y)


def softmax_plain(w, x, y):
    return plain_nll(x @ w[0] + w[1], y)


def lenet_fused(w, x, y):
    h = knet.pool(knet.relu(knet.conv4(w[0], x, mode=1) + w[1]))
    h = knet.pool(knet.relu(knet.conv4(w[2], h, mode=1) + w[3]))
    h = knet.relu(knet.mat(h) @ w[4] + w[5])
    return knet.nll(h @ w[6] + w[7], y)


def lenet_plain(w, x, y):
    h = plain_pool(knet.relu(plain_conv(w[0], x) + w[1]))
    h = plain_pool(knet.relu(plain_conv(w[2], h) + w[3]))
    h = knet.relu(np.reshape(h, (h.shape[0], -1)) @ w[4] + w[5])
    return plain_nll(h @ w[6] + w[7], y)


def conv_fused(w, x, r):
    return np.sum(knet.conv4(w, x, mode=1) * r)


def conv_plain(w, x, r):
    return np.sum(plain_conv(w, x) * r)


def pool_fused(x, r):
    return np.sum(knet.pool(x) * r)


def pool_plain(x, r):
    return np.sum(plain_pool(x) * r)


def batchnorm_fused(x, params, r):
    return np.sum(knet.batchnorm(x, None, params) * r)


def batchnorm_plain(x, params, r):
    return np.sum(plain_batchnorm(x, params) * r)


def charlm_fused(w, spec, embed, tokens, proj, labels):
    x = embed[tokens]
    y, _, _ = knet.rnnforw(spec, w, x)
    scores = np.reshape(y, (-1, y.shape[2])) @ proj
    return knet.nll(scores, labels)


def charlm_plain(w, embed, tokens, proj, labels):
    x = embed[tokens]
    y = plain_lstm(w[0], w[1], w[2], x, w[1].shape[0])
    scores = np.reshape(y, (-1, y.shape[2])) @ proj
    return plain_nll(scores, labels)


# --- workloads at Knet's benchmark sizes ---

def setups(rng):
    def normal(*shape, scale=0.1):
        return (scale * rng.standard_normal(shape)).astype(F32)

    mnist = normal(100, 784, scale=1.0), rng.integers(0, 10, 100)
    images = normal(100, 1, 28, 28, scale=1.0), mnist[1]
    lenet = [normal(20, 1, 5, 5), np.zeros((1, 20, 1, 1), F32), normal(50, 20, 5, 5),
             np.zeros((1, 50, 1, 1), F32), normal(800, 500, scale=0.05), np.zeros(500, F32),
             normal(500, 10), np.zeros(10, F32)]
    feature = normal(100, 20, 24, 24, scale=1.0)
    seq, batch, vocab, hidden = 100, 128, 84, 256
    spec, w = knet.rnninit(hidden, hidden, "lstm", seed=0)
    tokens, labels = rng.integers(0, vocab, (seq, batch)), rng.integers(0, vocab, seq * batch)
    embed, proj = normal(vocab, hidden), normal(hidden, vocab)
    wx, wh, bx, bh = spec.views(w, 0)
    yield ("softmax 784-10, batch 100", softmax_fused, softmax_plain,
           ([normal(784, 10), np.zeros(10, F32)], *mnist), None, 0)
    yield ("conv4 5x5 20->50 on 100x20x12x12", conv_fused, conv_plain,
           (normal(50, 20, 5, 5), normal(100, 20, 12, 12, scale=1.0), normal(100, 50, 8, 8)), None, (0, 1))
    yield ("pool 2x2 on 100x20x24x24", pool_fused, pool_plain,
           (feature, normal(100, 20, 12, 12)), None, 0)
    yield ("batchnorm 100x20x24x24", batchnorm_fused, batchnorm_plain,
           (feature, knet.bnparams(20, F32), normal(*feature.shape)), None, (0, 1))
    yield ("LeNet, batch 100", lenet_fused, lenet_plain, (lenet, *images), None, 0)
    yield (f"CharLM LSTM {hidden}/{hidden}, seq {seq}, batch {batch}", charlm_fused, charlm_plain,
           (w, spec, embed, tokens, proj, labels),
           ([wx, wh, bx + bh], embed, tokens, proj, labels), 0)


def seconds(fn, args):
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main(selected):
    rng = np.random.default_rng(0)
    print(f"{'workload':45s} {'fused':>10s} {'plain':>10s} {'plain/fused':>12s}")
    for name, fused, plain, args, plain_args, wrt in setups(rng):
        if selected and not any(word.lower() in name.lower() for word in selected):
            continue
        fused_grad, plain_grad = knet.grad(fused, wrt=wrt), knet.grad(plain, wrt=wrt)
        plain_args = args if plain_args is None else plain_args
        fused_grad(*args), plain_grad(*plain_args)  # warm-up (and build)
        rounds = 3 if "CharLM" in name else 15
        pairs = [(seconds(fused_grad, args), seconds(plain_grad, plain_args)) for _ in range(rounds)]
        f = statistics.median(pair[0] for pair in pairs)
        p = statistics.median(pair[1] for pair in pairs)
        print(f"{name:45s} {f * 1e3:8.2f}ms {p * 1e3:8.2f}ms {p / f:12.2f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
