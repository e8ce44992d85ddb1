"""What the transform costs: the time of building a gradient (uncached) for functions of
10, 100 and 1000 lines, and the memory the tape of a loop holds, per step, against a
hand-written backward pass that keeps what it needs in a list."""
import importlib.util
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

import knet_ast as knet
from knet_ast.transform.pipeline import build_gradient

LINES = ("    y = np.sin(x) * y + w",
         "    w = np.tanh(w * y) - x",
         "    x = x * w + np.exp(-y * y)",
         "    y = np.sum(w * x) + y if n > 0 else y * 2.0")


def straight_line(n):
    """Source of a function of n assignment lines cycling through LINES."""
    body = [LINES[i % len(LINES)] for i in range(n)]
    return "import numpy as np\n\n\ndef f(x, w, y, n):\n" + "\n".join(body) + \
        "\n    return np.sum(x * w * y)\n"


def _load(source, directory, name):
    """Import source written to a real file (knet_ast reads functions' files)."""
    path = Path(directory) / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def transform_seconds(n, repeat=3):
    """Median seconds to build the gradient of an n-line function (parse to compile)."""
    with tempfile.TemporaryDirectory() as directory:
        f = _load(straight_line(n), directory, f"knet_bench_lines_{n}").f
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            built = build_gradient(f, ("x",), 0)
            times.append(time.perf_counter() - start)
        x = np.ones(3)  # the built gradient runs (the check that it is a real build)
        built.function(x, x, x, 1)
        return statistics.median(times)


def rnn(w, h, steps):
    for _ in range(steps):
        h = np.tanh(h @ w)
    return np.sum(h)


def rnn_by_hand(w, h, steps):
    hs = [h]
    for _ in range(steps):
        hs.append(np.tanh(hs[-1] @ w))
    dw, dh = np.zeros_like(w), np.ones_like(h)
    for t in range(steps, 0, -1):
        da = dh * (1 - hs[t] * hs[t])
        dw += hs[t - 1].T @ da
        dh = da @ w.T
    return dw


def peak_bytes(fn, *args):
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def tape_bytes_per_step(steps, width=256):
    """(knet_ast, by hand): what one more loop step adds to the peak memory of a gradient
    call, from the peaks at `steps` and 2 `steps` (the fixed cost, such as the (width,
    width) weight gradient, cancels out)."""
    rng = np.random.default_rng(0)
    w, h = 0.05 * rng.standard_normal((width, width)), rng.standard_normal((1, width))
    grad = knet.grad(rnn)
    assert np.allclose(grad(w, h, steps), rnn_by_hand(w, h, steps))
    return tuple((peak_bytes(fn, w, h, 2 * steps) - peak_bytes(fn, w, h, steps)) / steps
                 for fn in (grad, rnn_by_hand))


def report(quick=False):
    sizes = (10, 100) if quick else (10, 100, 1000)
    lines = ["| function lines | build time | per line |", "| ---: | ---: | ---: |"]
    for n in sizes:
        seconds = transform_seconds(n, repeat=1 if quick else 3)
        lines.append(f"| {n} | {seconds * 1e3:.1f} ms | {seconds / n * 1e3:.2f} ms |")
    lines += ["", "| loop steps | memory per step, knet_ast | by hand | ratio |",
              "| ---: | ---: | ---: | ---: |"]
    for steps in sizes:
        ours, hand = tape_bytes_per_step(steps)
        lines.append(f"| {steps} to {2 * steps} | {ours:.0f} B | {hand:.0f} B | {ours / hand:.2f} |")
    return "\n".join(lines)
