"""What the tape holds: counted while the generated code runs, for the RNN of the control-flow issue.

The forward loop of `rnn_loss` must save one hidden state per step (the state the step
starts from, which is also the tanh output of the step before) and nothing the reverse
loop does not read: the weights, which every step shares, are not saved per step, and
temporaries the sweep reads only for their shape are saved as shapes.
"""
import re
import sys

import numpy as np
from checkgrad import check_grad

import knet_ast as knet
from knet_ast.runtime.accumulate import ArrayShape


def rnn_loss(w, xs, y):
    h = np.zeros((xs.shape[1], w['Wh'].shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ w['Wx'] + h @ w['Wh'] + w['b'])
    return np.mean((h @ w['Wy'] - y) ** 2)


def inputs(steps=7, batch=5, hidden=4, features=3, seed=0):
    rng = np.random.default_rng(seed)
    w = {"Wx": rng.standard_normal((features, hidden)), "Wh": rng.standard_normal((hidden, hidden)),
         "b": rng.standard_normal(hidden), "Wy": rng.standard_normal((hidden, 2))}
    return w, rng.standard_normal((steps, batch, features)), rng.standard_normal((batch, 2))


def fullest_tape(g, *args):
    """Run the gradient and return a copy of its `_tape` when it held the most entries."""
    built = g._compiled()
    code = built.function.__code__
    best = []

    def tracer(frame, event, arg):
        if frame.f_code is not code:
            return None
        tape = frame.f_locals.get("_tape")
        if tape is not None and len(tape) > len(best):
            best[:] = list(tape)
        return tracer

    sys.settrace(tracer)
    try:
        g(*args)
    finally:
        sys.settrace(None)
    return best


def test_rnn_gradient_is_correct():
    w, xs, y = inputs()
    check_grad(rnn_loss, w, xs, y, wrt=0)


def test_rnn_tape_holds_one_hidden_state_per_step():
    w, xs, y = inputs(steps=7)
    g = knet.grad(rnn_loss)
    tape = fullest_tape(g, w, xs, y)
    assert len(tape) == 7  # one entry per step
    owners = {}  # arrays on the tape that own their memory, by identity
    for entry in tape:
        items = entry if isinstance(entry, tuple) else (entry,)
        for item in items:
            assert not any(item is v for v in w.values()), "a weight was saved per step"
            if isinstance(item, np.ndarray) and item.base is None:
                owners[id(item)] = item
            else:
                assert isinstance(item, ArrayShape) or np.shares_memory(item, xs), type(item)
    # h_0 .. h_7: the state each step starts from and the tanh output of the last step
    assert len(owners) == 7 + 1
    assert all(a.shape == (5, 4) for a in owners.values())


def test_rnn_source_shows_forward_loop_pushes_and_reverse_loop():
    w, xs, y = inputs()
    g = knet.grad(rnn_loss)
    g(w, xs, y)
    forward, reverse = g.source.split("# reverse sweep")
    assert "for t in range(xs.shape[0]):" in forward and "_tape.append(" in forward
    assert "_tape.pop()" in reverse and "for step in range(n_t - 1, -1, -1):" in reverse
    push = next(line for line in forward.splitlines() if "_tape.append(" in line)
    for weight in ("w_Wx", "w_Wh", "w_b"):
        assert not re.search(rf"\b{weight}\b", push), push
