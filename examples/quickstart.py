"""knet_ast quickstart: differentiate plain Python, read the generated gradient, fit a model.

Run with `make demo`. Needs no network and finishes in a few seconds.
"""
import numpy as np

import knet_ast as knet


# 1. A function of a number: write it, call grad, print what knet_ast wrote.
def f(x):
    return np.sin(x) ** 2 + x * np.cos(x)


df = knet.grad(f)
print("Generated gradient of f:\n")
print(df.source)

x0, eps = 0.7, 1e-6
numeric = (f(x0 + eps) - f(x0 - eps)) / (2 * eps)
print(f"df({x0}) = {df(x0):.10f}   finite differences: {numeric:.10f}\n")
assert abs(df(x0) - numeric) < 1e-6


# 2. Linear regression, Knet style: parameters in a list, the model in plain code.
def predict(w, x):
    return x @ w[0] + w[1]


def loss(w, x, y):
    d = predict(w, x) - y
    return np.mean(d * d)


rng = np.random.default_rng(0)
x = rng.standard_normal((506, 13))               # Housing-shaped synthetic data
true_w = rng.standard_normal((13, 1))
y = x @ true_w + 0.5 + 0.1 * rng.standard_normal((506, 1))

w = [np.zeros((13, 1)), np.zeros(1)]
lossgrad = knet.gradloss(loss)
lr = 0.1
print("Fitting a linear regression by gradient descent:")
for epoch in range(101):
    dw, value = lossgrad(w, x, y)
    for param, grad in zip(w, dw):
        param -= lr * grad
    if epoch % 20 == 0:
        print(f"  epoch {epoch:3d}  loss {value:.6f}")

assert loss(w, x, y) < 0.02, "the fit did not converge"
print("\nDone: the loss fell from", f"{loss([np.zeros((13, 1)), np.zeros(1)], x, y):.3f}",
      "to", f"{loss(w, x, y):.4f}.")
