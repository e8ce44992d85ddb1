"""knet_ast quickstart: differentiate plain Python, read the generated gradient, train a model.

Run with `make demo`. Needs no network (the digits ship with scikit-learn) and
finishes in a few seconds.
"""
import time

import numpy as np

import knet_ast as knet


# 1. A function of a number: write it, call grad, print what knet_ast wrote.
def f(x):
    return np.sin(x) ** 2 + x * np.cos(x)


df = knet.grad(f)
print("The gradient knet_ast generated for f:\n")
print(df.source)
x0, eps = 0.7, 1e-6
print(f"df({x0}) = {df(x0):.10f}   finite differences: {(f(x0 + eps) - f(x0 - eps)) / (2 * eps):.10f}\n")


# 2. A model, Knet style: parameters in a list, the model and the loss in plain code.
def predict(w, x):
    x = knet.mat(x)                                  # images (N, 1, 8, 8) -> (N, 64)
    for i in range(0, len(w) - 2, 2):
        x = knet.relu(x @ w[i] + w[i + 1])
    return x @ w[-2] + w[-1]


def loss(w, x, labels):
    return knet.nll(predict(w, x), labels)


knet.seed(1)
xtrn, ytrn, xtst, ytst = knet.data.digits()          # 1437 + 360 handwritten digits, 8x8
w = [knet.param(64, 64), knet.param0(64), knet.param(64, 10), knet.param0(10)]
checked = knet.gradcheck(loss, w, xtrn[:20], ytrn[:20])
print(f"The MLP's gradient agrees with finite differences: {checked}")
print("The generated gradient of the MLP's loss starts with:\n")
print("\n".join(knet.grad(loss).source.splitlines()[:8]), "\n    ...\n")

# 3. Train it with Adam on minibatches, Knet's training loop.
dtrn = knet.minibatch(xtrn, ytrn, 50, shuffle=True)
opt = knet.optimizers(w, knet.Adam, lr=0.003)
start = time.perf_counter()
print(f"epoch  0  test accuracy {knet.accuracy(predict(w, xtst), ytst):.3f}")
for epoch in range(1, 11):
    losses = knet.train(loss, w, dtrn, opt)
    if epoch % 2 == 0:
        print(f"epoch {epoch:2d}  loss {np.mean(losses):.4f}  "
              f"test accuracy {knet.accuracy(predict(w, xtst), ytst):.3f}")
accuracy = knet.accuracy(predict(w, xtst), ytst)
print(f"\nDone in {time.perf_counter() - start:.1f} s: test accuracy {accuracy:.3f}. "
      "Next: examples/notebooks/, docs/getting-started.md.")
assert accuracy > 0.9, "the model did not learn"
