"""Functions whose generated code is pinned by test_golden.py (line numbers matter: append only)."""
import numpy as np


def swap(x, y):
    a, b = x, y
    a, b = b, a
    a += 1.0
    return a * b


def layer(w, x):
    h = np.tanh(x @ w[0] + w[1])
    return np.sum(h)


def doubling(x, n):
    for i in range(n):
        x = x * 2.0
    return np.sum(x)


def branch(x):
    if x > 0:
        y = x * x
    else:
        y = -x
    return y


def elementwise_chain(x, b):
    t = np.sin(x) + b
    return np.sum(t)
