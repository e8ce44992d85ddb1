"""Recurrent networks (Knet's rnninit, rnnforw, rnnparam): LSTM, GRU, tanh and relu RNNs,
multi-layer and bidirectional, with one fused gradient for the whole sequence.

All weights live in one flat vector `w`, one block per (layer, direction):

    Wx (X, G*H)   input weights of the G gates side by side (used as x @ Wx)
    Wh (H, G*H)   recurrent weights (h @ Wh)
    bx (G*H,)     input biases
    bh (G*H,)     recurrent biases

with X the layer's input size and gates in cuDNN's order: LSTM (i, f, g, o),
GRU (r, z, n), tanh/relu (one). The forward pass computes every time step's
input projection in one matrix product, then runs the recurrence; while
training it keeps the gate activations, and the backward pass (BPTT) reuses
them, again with one matrix product per weight for the whole sequence.
"""
import numpy as np

from ..runtime.backend import array_module
from ..runtime.training import TRAINING, training
from .registry import PRIMITIVES, defgrad, fused

GATES = {"lstm": 4, "gru": 3, "tanh": 1, "relu": 1}


class RNN:
    """The shape of a recurrent network: what rnninit returns next to the weights."""

    def __init__(self, input_size, hidden_size, rnn_type="lstm", num_layers=1, bidirectional=False):
        if rnn_type not in GATES:
            raise ValueError(f"rnn_type must be one of {sorted(GATES)}, got {rnn_type!r}")
        if min(input_size, hidden_size, num_layers) < 1:
            raise ValueError("input_size, hidden_size and num_layers must be positive")
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.rnn_type, self.num_layers = rnn_type, int(num_layers)
        self.bidirectional = bool(bidirectional)
        self.directions = 2 if bidirectional else 1
        self.gates = GATES[rnn_type]
        self.blocks = []  # (offset, input size) per layer * directions + direction
        offset, gh = 0, self.gates * self.hidden_size
        for layer in range(self.num_layers):
            inputs = self.input_size if layer == 0 else self.directions * self.hidden_size
            for _ in range(self.directions):
                self.blocks.append((offset, inputs))
                offset += (inputs + self.hidden_size + 2) * gh
        self.size = offset

    def __repr__(self):
        return (f"RNN({self.input_size}, {self.hidden_size}, rnn_type={self.rnn_type!r}, "
                f"num_layers={self.num_layers}, bidirectional={self.bidirectional})")

    def _key(self):
        return (self.input_size, self.hidden_size, self.rnn_type, self.num_layers, self.bidirectional)

    def __eq__(self, other):
        return isinstance(other, RNN) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def param_range(self, layer, id, par=0):
        """(start, stop, rows, first column, last column) of one parameter in w."""
        if not 0 <= layer < len(self.blocks):
            raise ValueError(f"layer must be in 0..{len(self.blocks) - 1} "
                             "(layer index * directions + direction)")
        if not 0 <= id < 2 * self.gates:
            raise ValueError(f"id must be in 0..{2 * self.gates - 1}: input matrices of the gates, "
                             "then recurrent ones")
        offset, inputs = self.blocks[layer]
        gh, h = self.gates * self.hidden_size, self.hidden_size
        gate, recurrent = id % self.gates, id >= self.gates
        if par == 0:
            start = offset + (inputs * gh if recurrent else 0)
            rows = h if recurrent else inputs
        elif par == 1:
            start, rows = offset + (inputs + h + (1 if recurrent else 0)) * gh, 1
        else:
            raise ValueError(f"par must be 0 (matrix) or 1 (bias), got {par!r}")
        return start, start + rows * gh, rows, gate * h, (gate + 1) * h

    def views(self, w, k):
        """Wx, Wh, bx, bh of block k, as views of w."""
        offset, inputs = self.blocks[k]
        gh, h = self.gates * self.hidden_size, self.hidden_size
        wx = w[offset:offset + inputs * gh].reshape(inputs, gh)
        offset += inputs * gh
        wh = w[offset:offset + h * gh].reshape(h, gh)
        offset += h * gh
        return wx, wh, w[offset:offset + gh], w[offset + gh:offset + 2 * gh]


def rnninit(input_size, hidden_size, rnn_type="lstm", num_layers=1, bidirectional=False,
            dtype=np.float32, seed=None):
    """(spec, w): an RNN's shape and its weights in one flat vector (Knet's rnninit).

    Matrices are Xavier-uniform per gate, biases zero. rnn_type is 'lstm', 'gru', 'tanh'
    or 'relu'. Read one gate's weights with rnnparam; run it with rnnforw.

    Examples
    --------
    >>> spec, w = knet.rnninit(3, 4, seed=0)         # LSTM: 4 gates of 4 units on 3 inputs
    >>> spec
    RNN(3, 4, rnn_type='lstm', num_layers=1, bidirectional=False)
    >>> w.shape, w.dtype                            # 4 * 4 * (3 inputs + 4 recurrent + 2 biases)
    ((144,), dtype('float32'))
    >>> spec2, w2 = knet.rnninit(3, 4, rnn_type="gru", num_layers=2, bidirectional=True)
    >>> w2.shape                                    # 2 * 12 * (3 + 4 + 2) + 2 * 12 * (8 + 4 + 2)
    (552,)
    >>> bool(np.array_equal(w, knet.rnninit(3, 4, seed=0)[1]))
    True
    """
    spec = RNN(input_size, hidden_size, rnn_type, num_layers, bidirectional)
    rng = np.random.default_rng(seed)
    w = np.zeros(spec.size, dtype)
    h = spec.hidden_size
    for k in range(len(spec.blocks)):
        for matrix in spec.views(w, k)[:2]:
            for gate in range(spec.gates):
                bound = np.sqrt(6 / (matrix.shape[0] + h))
                matrix[:, gate * h:(gate + 1) * h] = rng.uniform(-bound, bound, (matrix.shape[0], h))
    return spec, w


def rnnparam(spec, w, layer, id, par=0):
    """One gate's weights (par=0) or bias (par=1), as a view of w that gradients flow through.

    layer = layer index * directions + direction; id < gates picks an input matrix (X, H),
    id >= gates the recurrent matrix (H, H) of gate id - gates.

    Examples
    --------
    >>> spec, w = knet.rnninit(3, 4, seed=0)         # LSTM gates: i, f, g, o
    >>> knet.rnnparam(spec, w, 0, 1).shape          # id 1: the forget gate's input matrix (id 5: recurrent)
    (3, 4)
    >>> knet.rnnparam(spec, w, 0, 1, par=1)[:] = 1  # a view: this sets the forget gate's bias in w
    >>> int(np.sum(w == 1))
    4
    >>> def loss(w):
    ...     return np.sum(knet.rnnparam(spec, w, 0, 1) ** 2)
    >>> int(np.count_nonzero(knet.grad(loss)(w)))   # the gradient reaches only those 3 * 4 weights
    12
    """
    start, stop, rows, first, last = spec.param_range(layer, id, par)
    block = w[start:stop].reshape(rows, -1)[:, first:last]
    return block if par == 0 else block.reshape(-1)


def _sigm(a):
    return 0.5 * np.tanh(0.5 * a) + 0.5


class _Cell:
    """One recurrence step and its backward, for each rnn_type."""

    def __init__(self, kind, h):
        self.kind, self.h = kind, h

    def step(self, gx, hprev, cprev, wh, bh):
        """(h, c, saved): the new state and what the backward needs."""
        h = self.h
        gh = hprev @ wh + bh
        if self.kind == "lstm":
            a = gx + gh
            acts = array_module(a).empty_like(a)
            acts[:, :2 * h] = _sigm(a[:, :2 * h])
            acts[:, 2 * h:3 * h] = np.tanh(a[:, 2 * h:3 * h])
            acts[:, 3 * h:] = _sigm(a[:, 3 * h:])
            i, f, g, o = acts[:, :h], acts[:, h:2 * h], acts[:, 2 * h:3 * h], acts[:, 3 * h:]
            c = f * cprev + i * g
            return o * np.tanh(c), c, acts
        if self.kind == "gru":
            rz = _sigm(gx[:, :2 * h] + gh[:, :2 * h])
            r, z = rz[:, :h], rz[:, h:]
            n = np.tanh(gx[:, 2 * h:] + r * gh[:, 2 * h:])
            return (1 - z) * n + z * hprev, None, (rz, n, gh[:, 2 * h:])
        a = gx + gh
        return (np.tanh(a) if self.kind == "tanh" else np.maximum(a, 0)), None, None

    def back(self, dh, dc, hnew, cnew, hprev, cprev, saved):
        """(d gates for Wx, d gates for Wh, dh into the step, dc into the step)."""
        h, xp = self.h, array_module(dh)
        if self.kind == "lstm":
            acts = saved
            i, f, g, o = acts[:, :h], acts[:, h:2 * h], acts[:, 2 * h:3 * h], acts[:, 3 * h:]
            tc = np.tanh(cnew)
            dc = dc + dh * o * (1 - tc * tc)
            da = xp.concatenate(
                [dc * g * i * (1 - i), dc * cprev * f * (1 - f), dc * i * (1 - g * g),
                 dh * tc * o * (1 - o)], axis=1)
            return da, da, None, dc * f
        if self.kind == "gru":
            rz, n, ghn = saved
            r, z = rz[:, :h], rz[:, h:]
            dan = dh * (1 - z) * (1 - n * n)
            drz = xp.concatenate([dan * ghn, dh * (hprev - n)], axis=1) * rz * (1 - rz)
            return xp.concatenate([drz, dan], axis=1), xp.concatenate([drz, dan * r], axis=1), \
                dh * z, None
        da = dh * (1 - hnew * hnew) if self.kind == "tanh" else dh * (hnew > 0)
        return da, da, None, None


def _run(cell, xs, wx, wh, bx, bh, h0, c0, reverse, keep):
    """One layer in one direction over the sequence xs (T, B, X): outputs (T, B, H), final h and
    c, and (if keep) what the backward needs."""
    xp = array_module(xs)
    steps, batch = xs.shape[:2]
    gx = (xs.reshape(steps * batch, -1) @ wx + bx).reshape(steps, batch, -1)
    hs = xp.empty((steps, batch, cell.h), xs.dtype)
    cs = xp.empty_like(hs) if c0 is not None else None
    saved = [None] * steps
    h, c = h0, c0
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        h, c, saved[t] = cell.step(gx[t], h, c, wh, bh)
        hs[t] = h
        if cs is not None:
            cs[t] = c
    return hs, h, c, ((hs, cs, saved) if keep else None)


def _states(state, spec, x, what):
    shape = (len(spec.blocks), x.shape[1], spec.hidden_size)
    if state is None:
        return array_module(x).zeros(shape, x.dtype)
    if tuple(state.shape) != shape:
        raise ValueError(f"rnnforw: {what} must have shape {shape} (layers * directions, batch, "
                         f"hidden), got {tuple(state.shape)}")
    return state


class RNNOutput(tuple):
    """(y, hy, cy) as rnnforw returns them, holding the forward pass's activations for the
    backward while training."""

    cache = None


def rnnforw(spec, w, x, hx=None, cx=None):
    """Run the RNN `spec` with weights `w` over x (T, B, X), time-major (Knet's rnnforw).

    hx, cx: initial hidden and cell states (layers * directions, B, H), zeros if None
    (cx only for LSTMs). Returns (y, hy, cy): the last layer's outputs (T, B, directions * H),
    forward direction first; the final hidden state of every layer and direction; the final
    cell states (None unless LSTM). The backward direction runs from t = T - 1 to 0.

    Examples
    --------
    >>> spec, w = knet.rnninit(3, 4, seed=0)
    >>> x = np.ones((5, 2, 3), np.float32)          # 5 time steps, batch of 2, 3 inputs
    >>> y, hy, cy = knet.rnnforw(spec, w, x)
    >>> y.shape, hy.shape, cy.shape
    ((5, 2, 4), (1, 2, 4), (1, 2, 4))
    >>> def loss(w, x):
    ...     return np.sum(knet.rnnforw(spec, w, x)[0])
    >>> knet.grad(loss)(w, x).shape
    (144,)
    """
    if np.ndim(x) != 3 or x.shape[2] != spec.input_size:
        raise ValueError(f"rnnforw: x must be (time, batch, {spec.input_size}), got {np.shape(x)}")
    if np.shape(w) != (spec.size,):
        raise ValueError(f"rnnforw: w must be the flat vector of {spec.size} weights rnninit "
                         f"returns, got shape {np.shape(w)}")
    lstm = spec.rnn_type == "lstm"
    if cx is not None and not lstm:
        raise ValueError(f"rnnforw: cx is for LSTMs; this RNN is {spec.rnn_type!r}")
    hx, cx0 = _states(hx, spec, x, "hx"), (_states(cx, spec, x, "cx") if lstm else None)
    cell, keep = _Cell(spec.rnn_type, spec.hidden_size), training()
    xp = array_module(x)
    inputs, hy, cy, kept = x, [], [], []
    for layer in range(spec.num_layers):
        outs = []
        for d in range(spec.directions):
            k = layer * spec.directions + d
            hs, h, c, saved = _run(cell, inputs, *spec.views(w, k), hx[k],
                                   cx0[k] if lstm else None, d == 1, keep)
            outs.append(hs)
            hy.append(h)
            cy.append(c)
            kept.append((inputs, saved))
        inputs = outs[0] if len(outs) == 1 else xp.concatenate(outs, axis=2)
    out = RNNOutput((inputs, xp.stack(hy), xp.stack(cy) if lstm else None))
    out.cache = kept if keep else None
    return out


@fused
def rnn_grads(dy, spec, w, x, hx, cx, y):
    """(dw, dx, dhx, dcx) of (y, hy, cy) = rnnforw(spec, w, x, hx, cx): backpropagation
    through time for every layer and direction, from the activations the forward kept (or
    from a second forward pass if it kept none)."""
    cache = getattr(y, "cache", None)
    if cache is None:
        cache = _forward_again(spec, w, x, hx, cx)
    xp = array_module(x)
    lstm, h = spec.rnn_type == "lstm", spec.hidden_size
    hx, cx = _states(hx, spec, x, "hx"), (_states(cx, spec, x, "cx") if lstm else None)
    dys, dhy, dcy = (tuple(dy) + (None, None, None))[:3]
    cell = _Cell(spec.rnn_type, h)
    dw = xp.zeros(w.shape, w.dtype)
    dhx, dcx = xp.zeros_like(hx), (xp.zeros_like(cx) if lstm else None)
    d_out = dys
    for layer in reversed(range(spec.num_layers)):
        d_in = None
        for d in range(spec.directions):
            k = layer * spec.directions + d
            inputs, (hs, cs, saved) = cache[k]
            dhs = None if d_out is None else d_out[:, :, d * h:(d + 1) * h]
            grads = _back(cell, spec.views(w, k), spec.views(dw, k), inputs, hs, cs, saved,
                          hx[k], cx[k] if lstm else None, dhs,
                          None if dhy is None else dhy[k], None if dcy is None else dcy[k], d == 1)
            dxs, dhx[k], dc0 = grads
            if lstm:
                dcx[k] = dc0
            d_in = dxs if d_in is None else d_in + dxs
        d_out = d_in
    return dw, d_out.astype(x.dtype, copy=False), dhx, dcx


def _forward_again(spec, w, x, hx, cx):
    with TRAINING:
        return rnnforw(spec, w, x, hx, cx).cache


def _back(cell, views, dviews, xs, hs, cs, saved, h0, c0, dhs, dh_last, dc_last, reverse):
    """BPTT through one layer and direction. Fills the weight gradients `dviews` in place and
    returns (d xs, d h0, d c0)."""
    wx, wh, _, _ = views
    dwx, dwh, dbx, dbh = dviews
    xp = array_module(xs)
    steps, batch = xs.shape[:2]
    order = list(range(steps - 1, -1, -1) if reverse else range(steps))
    dgx = xp.empty((steps, batch, wx.shape[1]), xs.dtype)
    dgh = dgx if cell.kind != "gru" else xp.empty_like(dgx)
    hprevs = xp.empty_like(hs)
    dh = xp.zeros_like(h0) if dh_last is None else dh_last
    dc = None if c0 is None else (xp.zeros_like(c0) if dc_last is None else dc_last)
    for position in reversed(range(steps)):
        t = order[position]
        before = order[position - 1] if position > 0 else None
        hprev = h0 if before is None else hs[before]
        cprev = None if c0 is None else (c0 if before is None else cs[before])
        hprevs[t] = hprev
        if dhs is not None:
            dh = dh + dhs[t]
        dax, dah, dh_direct, dc = cell.back(dh, dc, hs[t], None if cs is None else cs[t],
                                            hprev, cprev, saved[t])
        dgx[t] = dax
        if dgh is not dgx:
            dgh[t] = dah
        dh = dah @ wh.T if dh_direct is None else dh_direct + dah @ wh.T
    flat_x, flat_gx = xs.reshape(steps * batch, -1), dgx.reshape(steps * batch, -1)
    flat_gh = dgh.reshape(steps * batch, -1)
    dwx[...] = flat_x.T @ flat_gx
    dwh[...] = hprevs.reshape(steps * batch, -1).T @ flat_gh
    dbx[...] = flat_gx.sum(axis=0)
    dbh[...] = flat_gh.sum(axis=0)
    return (flat_gx @ wx.T).reshape(xs.shape), dh, dc


PRIMITIVES.add(rnnforw)
_ARGS = "dy, spec, w, x, hx, cx, y"
defgrad(rnnforw, w=f"rnn_grads({_ARGS})[0]", x=f"rnn_grads({_ARGS})[1]",
        hx=f"rnn_grads({_ARGS})[2]", cx=f"rnn_grads({_ARGS})[3]")
