"""Quick speed check: knet_ast's gradient against a hand-written NumPy gradient.

    python benchmarks/quick.py

Same process, implementations interleaved, warm-up first, median of several
rounds; reported as the ratio to the hand-written gradient (lower is better).
The full suite of Knet's benchmark models lives with the benchmarks issue.
"""
import statistics
import time

import numpy as np

import knet_ast as knet


def tiny(x):
    return np.sin(x) ** 2 + x * np.cos(x)


def tiny_by_hand(x):
    s, c = np.sin(x), np.cos(x)
    return 2 * s * c + c - x * s


def predict(w, x):
    for i in range(0, len(w) - 2, 2):
        x = knet.relu(x @ w[i] + w[i + 1])
    return x @ w[-2] + w[-1]


def mlp_loss(w, x, y):
    return knet.nll(predict(w, x), y)


def mlp_by_hand(w, x, y):
    h = np.maximum(x @ w[0] + w[1], 0)
    s = h @ w[2] + w[3]
    e = np.exp(s - s.max(1, keepdims=True))
    ds = e / e.sum(1, keepdims=True)
    ds[np.arange(len(y)), y] -= 1
    ds /= len(y)
    dh = (ds @ w[2].T) * (h > 0)
    return [x.T @ dh, dh.sum(0), h.T @ ds, ds.sum(0)]


def median_time(fn, number, rounds=7):
    fn()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def main():
    rng = np.random.default_rng(0)
    w = [0.05 * rng.standard_normal((784, 64)), np.zeros(64), 0.1 * rng.standard_normal((64, 10)),
         np.zeros(10)]
    w = [p.astype(np.float32) for p in w]
    x = rng.standard_normal((100, 784)).astype(np.float32)
    y = rng.integers(0, 10, 100)
    tiny_grad, mlp_grad = knet.grad(tiny), knet.grad(mlp_loss)
    for ours, hand in zip(mlp_grad(w, x, y), mlp_by_hand(w, x, y)):
        assert np.allclose(ours, hand, atol=1e-5)
    assert np.isclose(tiny_grad(0.7), tiny_by_hand(0.7))
    rows = [("tiny (float)", lambda: tiny_grad(0.7), lambda: tiny_by_hand(0.7), 2000),
            ("mlp 784-64-10, batch 100, float32", lambda: mlp_grad(w, x, y),
             lambda: mlp_by_hand(w, x, y), 50)]
    print(f"{'workload':36s} {'knet_ast':>12s} {'by hand':>12s} {'ratio':>7s}")
    for name, ours, hand, number in rows:
        t_ours, t_hand = median_time(ours, number), median_time(hand, number)
        print(f"{name:36s} {t_ours * 1e6:10.1f}us {t_hand * 1e6:10.1f}us {t_ours / t_hand:7.2f}")


if __name__ == "__main__":
    main()
