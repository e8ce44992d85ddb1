"""knet.update with each optimizer against the same step written by hand in NumPy, and
against the gradient it follows, at the parameter sizes of Knet's MLP and LeNet
(float32). Interleaved in one process after a warm-up; medians.

    python benchmarks/optim.py
"""
import statistics
import time

import numpy as np

import knet_ast as knet

SHAPES = {"MLP 784-64-10": [(784, 64), (64,), (64, 10), (10,)],
          "LeNet": [(20, 1, 5, 5), (1, 20, 1, 1), (50, 20, 5, 5), (1, 50, 1, 1), (800, 500), (500,),
                    (500, 10), (10,)]}


def hand_adam(w, g, m, v, t, lr=0.001, b1=0.9, b2=0.999, eps=1e-8):
    for a, ga, ma, va in zip(w, g, m, v):
        ma *= b1
        ma += (1 - b1) * ga
        va *= b2
        va += (1 - b2) * ga * ga
        a -= (lr / (1 - b1 ** t)) * ma / (np.sqrt(va / (1 - b2 ** t)) + eps)


def hand_sgd(w, g, lr=0.1):
    for a, ga in zip(w, g):
        a -= lr * ga


def median_us(times):
    return statistics.median(times) * 1e6


def main(rounds=300):
    rng = np.random.default_rng(0)
    print("| parameters | optimizer | knet.update | by hand | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for name, shapes in SHAPES.items():
        g = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        for otype, hand in ((knet.SGD, "sgd"), (knet.Adam, "adam")):
            w1 = [rng.standard_normal(s).astype(np.float32) for s in shapes]
            w2 = [a.copy() for a in w1]
            opt = knet.optimizers(w1, otype)
            m = [np.zeros_like(a) for a in w2]
            v = [np.zeros_like(a) for a in w2]
            ours, theirs = [], []
            for t in range(1, rounds + 1):
                t0 = time.perf_counter()
                knet.update(w1, g, opt)
                t1 = time.perf_counter()
                if hand == "adam":
                    hand_adam(w2, g, m, v, t)
                else:
                    hand_sgd(w2, g)
                t2 = time.perf_counter()
                ours.append(t1 - t0)
                theirs.append(t2 - t1)
            assert all(np.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(w1, w2))
            a, b = median_us(ours[20:]), median_us(theirs[20:])
            print(f"| {name} | {otype.__name__} | {a:.1f} us | {b:.1f} us | {a / b:.2f} |")


if __name__ == "__main__":
    main()
