"""knet.rnnforw against a plain-loop reference written from the cuDNN cell equations.

The reference `plain_rnn` reads every weight through knet.rnnparam and builds its outputs
with lists and np.stack / np.concatenate, so knet.grad can differentiate it too: values are
checked against it, and the fused rnnforw's gradients against both finite differences and
knet.grad of the reference.
"""
import numpy as np
import pytest
from checkgrad import check_grad

import knet_ast as knet

TYPES = ["lstm", "gru", "tanh", "relu"]
GATES = {"lstm": 4, "gru": 3, "tanh": 1, "relu": 1}
# (num_layers, bidirectional)
SHAPES = [(1, False), (2, False), (1, True), (2, True)]
SHAPE_IDS = ["1layer", "2layers", "bidir", "2layers-bidir"]
T, B, X, H = 4, 3, 5, 4


# ---------------------------------------------------------------- the reference


def _params(spec, w, k):
    """Input matrices, input biases, recurrent matrices, recurrent biases of layer/direction k."""
    G = spec.gates
    wx, bx, wh, bh = [], [], [], []
    for g in range(G):
        wx.append(knet.rnnparam(spec, w, k, g))
        bx.append(knet.rnnparam(spec, w, k, g, par=1))
        wh.append(knet.rnnparam(spec, w, k, G + g))
        bh.append(knet.rnnparam(spec, w, k, G + g, par=1))
    return wx, bx, wh, bh


def _step(rnn_type, p, xt, h, c):
    """One cell step: (h', c') from input xt and state (h, c); c is None except for lstm."""
    wx, bx, wh, bh = p
    if rnn_type == "lstm":
        i = knet.sigm(xt @ wx[0] + bx[0] + h @ wh[0] + bh[0])
        f = knet.sigm(xt @ wx[1] + bx[1] + h @ wh[1] + bh[1])
        g = np.tanh(xt @ wx[2] + bx[2] + h @ wh[2] + bh[2])
        o = knet.sigm(xt @ wx[3] + bx[3] + h @ wh[3] + bh[3])
        c2 = f * c + i * g
        h2 = o * np.tanh(c2)
        return h2, c2
    if rnn_type == "gru":
        r = knet.sigm(xt @ wx[0] + bx[0] + h @ wh[0] + bh[0])
        z = knet.sigm(xt @ wx[1] + bx[1] + h @ wh[1] + bh[1])
        n = np.tanh(xt @ wx[2] + bx[2] + r * (h @ wh[2] + bh[2]))
        h2 = (1 - z) * n + z * h
        return h2, c
    if rnn_type == "tanh":
        return np.tanh(xt @ wx[0] + bx[0] + h @ wh[0] + bh[0]), c
    return knet.relu(xt @ wx[0] + bx[0] + h @ wh[0] + bh[0]), c


def plain_rnn(spec, w, x, hx, cx):
    """(y, hy, cy) by explicit loops over layers, directions and time."""
    Hs = spec.hidden_size
    D = spec.directions
    lstm = spec.rnn_type == "lstm"
    nt = x.shape[0]
    nb = x.shape[1]
    inp = x
    hys = []
    cys = []
    for layer in range(spec.num_layers):
        outs = []
        for d in range(D):
            k = layer * D + d
            p = _params(spec, w, k)
            if hx is None:
                h = np.zeros((nb, Hs), dtype=x.dtype)
            else:
                h = hx[k]
            c = None
            if lstm:
                if cx is None:
                    c = np.zeros((nb, Hs), dtype=x.dtype)
                else:
                    c = cx[k]
            ys = []
            for s in range(nt):
                t = s if d == 0 else nt - 1 - s
                h, c = _step(spec.rnn_type, p, inp[t], h, c)
                ys.append(h)
            out = np.stack(ys, axis=0)
            if d == 1:
                out = out[::-1]  # step s of the backward pass belongs at time T-1-s
            outs.append(out)
            hys.append(h)
            if lstm:
                cys.append(c)
        inp = np.concatenate(outs, axis=2)
    cy = np.stack(cys, axis=0) if lstm else None
    return inp, np.stack(hys, axis=0), cy


# ---------------------------------------------------------------- losses


def _fused_loss(w, spec, x, hx, cx, ry, rh, rc):
    y, hy, cy = knet.rnnforw(spec, w, x, hx, cx)
    return np.sum(y * ry) + np.sum(hy * rh) + (np.sum(cy * rc) if cy is not None else 0.0)


def _plain_loss(w, spec, x, hx, cx, ry, rh, rc):
    y, hy, cy = plain_rnn(spec, w, x, hx, cx)
    return np.sum(y * ry) + np.sum(hy * rh) + (np.sum(cy * rc) if cy is not None else 0.0)


def _y_only_loss(w, spec, x, hx, cx, ry):
    y, hy, cy = knet.rnnforw(spec, w, x, hx, cx)
    return np.sum(y * ry)


def _hy_only_loss(w, spec, x, hx, cx, rh):
    y, hy, cy = knet.rnnforw(spec, w, x, hx, cx)
    return np.sum(hy * rh)


# ---------------------------------------------------------------- helpers


def _setup(rnn_type, layers, bidir, seed=0, dtype=np.float64):
    spec, w = knet.rnninit(X, H, rnn_type=rnn_type, num_layers=layers, bidirectional=bidir,
                           dtype=dtype, seed=seed)
    rng = np.random.default_rng(100 + seed)
    # rnninit's biases may be zero: move every weight so the forward values exercise them too
    w = (w + 0.2 * rng.standard_normal(w.shape)).astype(dtype)
    D = 2 if bidir else 1
    x = rng.standard_normal((T, B, X)).astype(dtype)
    hx = (0.5 * rng.standard_normal((layers * D, B, H))).astype(dtype)
    cx = (0.5 * rng.standard_normal((layers * D, B, H))).astype(dtype) if rnn_type == "lstm" else None
    ry = rng.standard_normal((T, B, D * H)).astype(dtype)
    rh = rng.standard_normal((layers * D, B, H)).astype(dtype)
    rc = rng.standard_normal((layers * D, B, H)).astype(dtype) if rnn_type == "lstm" else None
    return spec, w, x, hx, cx, ry, rh, rc


def _assert_outputs_close(got, want, rtol=1e-10, atol=1e-12):
    y, hy, cy = got
    ry, rhy, rcy = want
    assert y.shape == ry.shape and np.allclose(y, ry, rtol=rtol, atol=atol), "y differs"
    assert hy.shape == rhy.shape and np.allclose(hy, rhy, rtol=rtol, atol=atol), "hy differs"
    if rcy is None:
        assert cy is None
    else:
        assert cy is not None and cy.shape == rcy.shape
        assert np.allclose(cy, rcy, rtol=rtol, atol=atol), "cy differs"


# ---------------------------------------------------------------- spec and weight layout


def _layout_sizes(rnn_type, layers, bidir):
    D = 2 if bidir else 1
    G = GATES[rnn_type]
    sizes = []
    for layer in range(layers):
        xl = X if layer == 0 else D * H
        for d in range(D):
            for i in range(2 * G):
                sizes.append(((layer * D + d, i, 0), (xl, H) if i < G else (H, H)))
                sizes.append(((layer * D + d, i, 1), (H,)))
    return sizes


@pytest.mark.parametrize("layers,bidir", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("rnn_type", TYPES)
def test_spec_and_every_parameter_is_a_distinct_slice_of_w(rnn_type, layers, bidir):
    spec, w = knet.rnninit(X, H, rnn_type=rnn_type, num_layers=layers, bidirectional=bidir,
                           dtype=np.float64, seed=0)
    D = 2 if bidir else 1
    assert (spec.input_size, spec.hidden_size, spec.rnn_type) == (X, H, rnn_type)
    assert (spec.num_layers, spec.bidirectional, spec.directions) == (layers, bidir, D)
    assert spec.gates == GATES[rnn_type]
    assert isinstance(w, np.ndarray) and w.ndim == 1 and w.dtype == np.float64
    sizes = _layout_sizes(rnn_type, layers, bidir)
    assert w.size == sum(int(np.prod(shape)) for _, shape in sizes), "w holds exactly every weight"
    # Every matrix and bias reads its own part of w: with w = 0..n-1 each index appears once.
    idx = np.arange(w.size, dtype=np.float64)
    seen = []
    for (k, i, par), shape in sizes:
        p = knet.rnnparam(spec, idx, k, i, par=par)
        assert p.shape == shape, f"rnnparam(layer={k}, id={i}, par={par}) has shape {p.shape}"
        # a fixed gather of w: the same positions, whatever the values
        assert np.array_equal(knet.rnnparam(spec, w, k, i, par=par), w[p.astype(int)])
        seen.append(np.ravel(p))
    seen = np.sort(np.concatenate(seen))
    assert np.array_equal(seen, idx), "parameters overlap or leave part of w unused"


def test_rnninit_seed_is_reproducible_and_dtype_respected():
    _, w1 = knet.rnninit(X, H, rnn_type="gru", num_layers=2, seed=3)
    _, w2 = knet.rnninit(X, H, rnn_type="gru", num_layers=2, seed=3)
    _, w3 = knet.rnninit(X, H, rnn_type="gru", num_layers=2, seed=4)
    assert w1.dtype == np.float32, "rnninit's default dtype is float32"
    assert np.array_equal(w1, w2)
    assert not np.array_equal(w1, w3)
    assert np.all(np.isfinite(w1)) and np.any(w1 != 0)


def test_rnnparam_is_a_view_of_w():
    spec, w = knet.rnninit(X, H, rnn_type="lstm", num_layers=2, bidirectional=True,
                           dtype=np.float64, seed=0)
    for k in range(4):
        for i in range(8):
            for par in (0, 1):
                assert np.shares_memory(knet.rnnparam(spec, w, k, i, par=par), w), (k, i, par)


# ---------------------------------------------------------------- values


@pytest.mark.parametrize("states", ["zero", "given"])
@pytest.mark.parametrize("layers,bidir", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("rnn_type", TYPES)
def test_forward_matches_plain_loops(rnn_type, layers, bidir, states):
    spec, w, x, hx, cx, _, _, _ = _setup(rnn_type, layers, bidir, seed=1)
    if states == "zero":
        hx = cx = None
    got = knet.rnnforw(spec, w, x, hx, cx)
    want = plain_rnn(spec, w, x, hx, cx)
    D = 2 if bidir else 1
    assert got[0].shape == (T, B, D * H) and got[1].shape == (layers * D, B, H)
    _assert_outputs_close(got, want)
    if states == "zero":
        zeros = np.zeros((layers * D, B, H))
        _assert_outputs_close(knet.rnnforw(spec, w, x, zeros,
                                           zeros if rnn_type == "lstm" else None), want)
        _assert_outputs_close(knet.rnnforw(spec, w, x), want)


def test_lstm_with_only_one_of_hx_cx_given():
    spec, w, x, hx, cx, _, _, _ = _setup("lstm", 2, True, seed=2)
    _assert_outputs_close(knet.rnnforw(spec, w, x, hx, None), plain_rnn(spec, w, x, hx, None))
    _assert_outputs_close(knet.rnnforw(spec, w, x, None, cx), plain_rnn(spec, w, x, None, cx))
    _assert_outputs_close(knet.rnnforw(spec, w, x, hx=hx, cx=cx), plain_rnn(spec, w, x, hx, cx))


def test_reference_follows_the_cell_equations_by_hand():
    """Guard the reference itself: one tanh step and one gru step written out without it."""
    spec, w, x, hx, _, _, _, _ = _setup("tanh", 1, True, seed=3)
    y, hy, _ = knet.rnnforw(spec, w, x[:1], hx)
    P = lambda k, i, par=0: knet.rnnparam(spec, w, k, i, par=par)  # noqa: E731
    fwd = np.tanh(x[0] @ P(0, 0) + P(0, 0, 1) + hx[0] @ P(0, 1) + P(0, 1, 1))
    bwd = np.tanh(x[0] @ P(1, 0) + P(1, 0, 1) + hx[1] @ P(1, 1) + P(1, 1, 1))
    assert np.allclose(y[0], np.concatenate([fwd, bwd], axis=-1))
    assert np.allclose(hy, np.stack([fwd, bwd]))

    spec, w, x, hx, _, _, _, _ = _setup("gru", 1, False, seed=3)
    y, hy, cy = knet.rnnforw(spec, w, x[:1], hx)
    P = lambda i, par=0: knet.rnnparam(spec, w, 0, i, par=par)  # noqa: E731
    h = hx[0]
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    r = sig(x[0] @ P(0) + P(0, 1) + h @ P(3) + P(3, 1))
    z = sig(x[0] @ P(1) + P(1, 1) + h @ P(4) + P(4, 1))
    n = np.tanh(x[0] @ P(2) + P(2, 1) + r * (h @ P(5) + P(5, 1)))
    assert np.allclose(y[0], (1 - z) * n + z * h) and np.allclose(hy[0], y[0])
    assert cy is None


def test_backward_direction_runs_from_the_last_step():
    """y[t] of the backward direction depends only on x[t:], of the forward only on x[:t+1]."""
    spec, w, x, hx, cx, _, _, _ = _setup("lstm", 1, True, seed=4)
    y, hy, cy = knet.rnnforw(spec, w, x, hx, cx)
    x2 = x.copy()
    x2[0] += 1.0
    y2, hy2, _ = knet.rnnforw(spec, w, x2, hx, cx)
    assert np.allclose(y2[1:, :, H:], y[1:, :, H:], rtol=0, atol=1e-12)
    assert not np.allclose(y2[0, :, H:], y[0, :, H:])
    assert not np.allclose(y2[1:, :, :H], y[1:, :, :H])
    # the backward direction's final state is its output at t=0; the forward's at t=T-1
    assert np.allclose(hy[1], y[0, :, H:]) and np.allclose(hy[0], y[-1, :, :H])
    assert not np.allclose(hy2[1], hy[1]) and not np.allclose(hy2[0], hy[0])


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize("layers,bidir", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("rnn_type", TYPES)
def test_gradients_match_finite_differences_and_plain_loops(rnn_type, layers, bidir):
    spec, w, x, hx, cx, ry, rh, rc = _setup(rnn_type, layers, bidir, seed=5)
    args = (w, spec, x, hx, cx, ry, rh, rc)
    wrt = (0, 2, 3, 4) if rnn_type == "lstm" else (0, 2, 3)
    g = check_grad(_fused_loss, *args, wrt=wrt)
    assert all(np.any(gi != 0) for gi in g)
    ref = knet.grad(_plain_loss, wrt=wrt)(*args)
    for name, gi, ri in zip(["w", "x", "hx", "cx"], g, ref):
        assert gi.shape == ri.shape and gi.dtype == ri.dtype
        assert np.allclose(gi, ri, rtol=1e-9, atol=1e-11), f"d{name} differs from the plain loops' gradient"
    assert np.isclose(_fused_loss(*args), _plain_loss(*args), rtol=1e-12)


@pytest.mark.parametrize("rnn_type", TYPES)
def test_gradients_with_zero_initial_states(rnn_type):
    spec, w, x, _, _, ry, rh, rc = _setup(rnn_type, 2, True, seed=6)
    args = (w, spec, x, None, None, ry, rh, rc)
    g = check_grad(_fused_loss, *args, wrt=(0, 2))
    ref = knet.grad(_plain_loss, wrt=(0, 2))(*args)
    assert np.allclose(g[0], ref[0], rtol=1e-9, atol=1e-11)
    assert np.allclose(g[1], ref[1], rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("rnn_type", TYPES)
def test_gradient_of_a_loss_on_y_only(rnn_type):
    spec, w, x, hx, cx, ry, _, _ = _setup(rnn_type, 2, True, seed=7)
    wrt = (0, 2, 3, 4) if rnn_type == "lstm" else (0, 2, 3)
    g = check_grad(_y_only_loss, w, spec, x, hx, cx, ry, wrt=wrt)
    zh = np.zeros_like(hx)
    zc = None if cx is None else np.zeros_like(cx)
    ref = knet.grad(_plain_loss, wrt=wrt)(w, spec, x, hx, cx, ry, zh, zc)
    for gi, ri in zip(g, ref):
        assert np.allclose(gi, ri, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("rnn_type", TYPES)
def test_gradient_of_a_loss_on_hy_only(rnn_type):
    spec, w, x, hx, cx, _, rh, _ = _setup(rnn_type, 2, True, seed=8)
    wrt = (0, 2, 3, 4) if rnn_type == "lstm" else (0, 2, 3)
    g = check_grad(_hy_only_loss, w, spec, x, hx, cx, rh, wrt=wrt)
    zy = np.zeros((T, B, 2 * H))
    zc = None if cx is None else np.zeros_like(cx)
    ref = knet.grad(_plain_loss, wrt=wrt)(w, spec, x, hx, cx, zy, rh, zc)
    for gi, ri in zip(g, ref):
        assert np.allclose(gi, ri, rtol=1e-9, atol=1e-11)
    # the top layer's hy depends on every x[t]: no zero rows in dx
    assert np.all(np.abs(g[1]).reshape(T, -1).max(axis=1) > 0)


def _encdec_fused(w, spec, x, x2, r):
    _, hy, cy = knet.rnnforw(spec, w, x)
    y, hy2, cy2 = knet.rnnforw(spec, w, x2, hx=hy, cx=cy)
    return np.sum(y * r) + np.sum(hy2 * hy2)


def _encdec_plain(w, spec, x, x2, r):
    _, hy, cy = plain_rnn(spec, w, x, None, None)
    y, hy2, cy2 = plain_rnn(spec, w, x2, hy, cy)
    return np.sum(y * r) + np.sum(hy2 * hy2)


@pytest.mark.parametrize("rnn_type", TYPES)
def test_two_calls_sharing_weights_chained_through_the_state(rnn_type):
    """An encoder/decoder: the second call starts from the first one's final states."""
    spec, w, x, _, _, _, _, _ = _setup(rnn_type, 2, True, seed=10)
    rng = np.random.default_rng(10)
    x2 = rng.standard_normal((2, B, X))
    r = rng.standard_normal((2, B, 2 * H))
    g = check_grad(_encdec_fused, w, spec, x, x2, r, wrt=(0, 2, 3))
    ref = knet.grad(_encdec_plain, wrt=(0, 2, 3))(w, spec, x, x2, r)
    for gi, ri in zip(g, ref):
        assert np.allclose(gi, ri, rtol=1e-9, atol=1e-11)
    assert np.any(g[1] != 0), "the first call's input gets a gradient through its final state"


@pytest.mark.parametrize("rnn_type", ["lstm", "gru"])
def test_single_step_single_item(rnn_type):
    spec, w = knet.rnninit(3, 2, rnn_type=rnn_type, num_layers=2, bidirectional=True,
                           dtype=np.float64, seed=11)
    rng = np.random.default_rng(11)
    x = rng.standard_normal((1, 1, 3))
    hx = rng.standard_normal((4, 1, 2))
    cx = rng.standard_normal((4, 1, 2)) if rnn_type == "lstm" else None
    ry, rh = rng.standard_normal((1, 1, 4)), rng.standard_normal((4, 1, 2))
    rc = rng.standard_normal((4, 1, 2)) if rnn_type == "lstm" else None
    _assert_outputs_close(knet.rnnforw(spec, w, x, hx, cx), plain_rnn(spec, w, x, hx, cx))
    wrt = (0, 2, 3, 4) if rnn_type == "lstm" else (0, 2, 3)
    args = (w, spec, x, hx, cx, ry, rh, rc)
    g = check_grad(_fused_loss, *args, wrt=wrt)
    for gi, ri in zip(g, knet.grad(_plain_loss, wrt=wrt)(*args)):
        assert np.allclose(gi, ri, rtol=1e-9, atol=1e-11)


# ---------------------------------------------------------------- dtype


@pytest.mark.parametrize("rnn_type", TYPES)
def test_float32_in_float32_out(rnn_type):
    spec32, w32 = knet.rnninit(X, H, rnn_type=rnn_type, num_layers=2, bidirectional=True,
                               dtype=np.float32, seed=9)
    assert w32.dtype == np.float32
    spec64, w64, x64, hx64, cx64, ry64, rh64, rc64 = _setup(rnn_type, 2, True, seed=9)
    w64 = w32.astype(np.float64)
    f32 = lambda a: None if a is None else a.astype(np.float32)  # noqa: E731
    args32 = (w32, spec32, f32(x64), f32(hx64), f32(cx64), f32(ry64), f32(rh64), f32(rc64))
    args64 = (w64, spec64, x64.astype(np.float32).astype(np.float64),
              hx64.astype(np.float32).astype(np.float64),
              None if cx64 is None else cx64.astype(np.float32).astype(np.float64), ry64, rh64, rc64)
    y, hy, cy = knet.rnnforw(spec32, w32, args32[2], args32[3], args32[4])
    y64, hy64, cy64 = knet.rnnforw(spec64, w64, args64[2], args64[3], args64[4])
    assert y.dtype == np.float32 and hy.dtype == np.float32
    assert np.allclose(y, y64, rtol=1e-4, atol=1e-5) and np.allclose(hy, hy64, rtol=1e-4, atol=1e-5)
    if rnn_type == "lstm":
        assert cy.dtype == np.float32 and np.allclose(cy, cy64, rtol=1e-4, atol=1e-5)
    y0, hy0, _ = knet.rnnforw(spec32, w32, args32[2])
    assert y0.dtype == np.float32 and hy0.dtype == np.float32
    wrt = (0, 2, 3, 4) if rnn_type == "lstm" else (0, 2, 3)
    g32 = knet.grad(_fused_loss, wrt=wrt)(*args32)
    g64 = knet.grad(_fused_loss, wrt=wrt)(*args64)
    for gi, gr in zip(g32, g64):
        assert isinstance(gi, np.ndarray) and gi.dtype == np.float32
        assert np.allclose(gi, gr, rtol=1e-3, atol=1e-4)
