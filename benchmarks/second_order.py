"""What second-order and forward-mode derivatives cost, relative to one gradient of the same
function, timed in the same process (medians of interleaved batches):

- hvp: knet.hvp (forward over reverse: the tangent code of the generated gradient);
- jvp: knet.jvp (tangent code of the function itself);
- grad of grad on a scalar loop, against its first gradient.

With JAX installed, the same hvp ratio for jax.jvp(jax.grad(f)) (eager) is shown beside it.
"""
import numpy as np

import knet_ast as knet

from .harness import agree, interleaved_medians


def mlp_loss(w, x, y):
    h = np.tanh(x @ w[0] + w[1])
    return np.mean((h @ w[2] + w[3] - y) ** 2)


def classifier_loss(w, x, labels):
    h = knet.relu(x @ w[0] + w[1])
    return knet.nll(h @ w[2] + w[3], labels)


def horner(x, c):
    s = 0.0
    for k in range(len(c)):
        s = s * x + c[k] * np.sin(x)
    return s


def _mlp_data(rng, d_in=784, hidden=128, d_out=10, batch=100):
    w = [rng.normal(0, 0.05, (d_in, hidden)), np.zeros(hidden),
         rng.normal(0, 0.05, (hidden, d_out)), np.zeros(d_out)]
    x = rng.normal(size=(batch, d_in))
    return w, x


def workloads(rng):
    w, x = _mlp_data(rng)
    v = [rng.normal(size=p.shape) for p in w]
    yield "mlp (tanh, mse; 784-128-10, batch 100)", mlp_loss, (w, x, rng.normal(size=(100, 10))), v
    yield "classifier (relu, nll; 784-128-10, batch 100)", classifier_loss, \
        (w, x, rng.integers(0, 10, 100)), v


def measure(rounds=7, batch=0.02, check=True, with_jax=True):
    """Rows of (workload, hvp/grad, jvp/grad, jax hvp/grad or None)."""
    rng = np.random.default_rng(0)
    rows = []
    for name, f, args, v in workloads(rng):
        g, hv, jv = knet.grad(f), knet.hvp(f), knet.jvp(f)
        if check:  # hvp against a central difference of the gradient along v
            eps = 1e-6
            plus = g([p + eps * d for p, d in zip(args[0], v)], *args[1:])
            minus = g([p - eps * d for p, d in zip(args[0], v)], *args[1:])
            fd = [(a - b) / (2 * eps) for a, b in zip(plus, minus)]
            if not agree((hv(*args, tangent=v), 0.0), (fd, 0.0), rtol=1e-4):
                raise AssertionError(f"{name}: hvp disagrees with differences of the gradient")
        calls = {"grad": lambda g=g, a=args: g(*a),
                 "hvp": lambda hv=hv, a=args, v=v: hv(*a, tangent=v),
                 "jvp": lambda jv=jv, a=args, v=v: jv(*a, tangent=v)}
        jax_call = _jax_hvp(f, args, v) if with_jax else None
        if jax_call is not None:
            calls.update(jax_call)
        times = interleaved_medians(calls, rounds, batch)
        jax_ratio = times["jax hvp"] / times["jax grad"] if "jax hvp" in times else None
        rows.append((name, times["grad"], times["hvp"] / times["grad"],
                     times["jvp"] / times["grad"], jax_ratio))
    c = np.array([1.0, -2.0, 0.5, 3.0, -1.0, 2.0] * 20)
    d1, d2 = knet.grad(horner), knet.grad(knet.grad(horner))
    times = interleaved_medians({"grad": lambda: d1(0.3, c), "grad2": lambda: d2(0.3, c)},
                                rounds, batch)
    rows.append(("horner loop (120 steps, scalar): grad of grad", times["grad"],
                 times["grad2"] / times["grad"], None, None))
    return rows


def _jax_hvp(f, args, v):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    if f is not mlp_loss:
        return None

    def loss(w, x, y):
        h = jnp.tanh(x @ w[0] + w[1])
        return jnp.mean((h @ w[2] + w[3] - y) ** 2)
    grad = jax.grad(loss)
    jargs = [[jnp.asarray(p) for p in args[0]], jnp.asarray(args[1]), jnp.asarray(args[2])]
    jv = [jnp.asarray(d) for d in v]

    def hvp():
        out = jax.jvp(lambda w: grad(w, *jargs[1:]), (jargs[0],), (jv,))[1]
        jax.block_until_ready(out)

    def gradient():
        jax.block_until_ready(grad(*jargs))
    return {"jax grad": gradient, "jax hvp": hvp}


def report(quick=False):
    rows = measure(rounds=1 if quick else 7, batch=0.0 if quick else 0.02)
    lines = ["| workload | one gradient | hvp / gradient | jvp / gradient | jax.jvp(jax.grad) / jax.grad |",
             "| --- | --- | --- | --- | --- |"]
    for name, seconds, hvp_ratio, jvp_ratio, jax_ratio in rows:
        fmt = lambda r: "" if r is None else f"{r:.2f}"  # noqa: E731
        lines.append(f"| {name} | {seconds * 1e3:.2f} ms | {hvp_ratio:.2f} | {fmt(jvp_ratio)} | "
                     f"{fmt(jax_ratio)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
