"""Convolution and pooling (knet.conv4, deconv4, pool, unpool, mat).

Values are checked against direct-loop references written from the spec (NCHW,
zero padding; mode 0 = true convolution, mode 1 = cross-correlation), deconv4
and unpool against their adjoint definitions, and gradients against central
finite differences (checkgrad.check_grad).
"""
import numpy as np
import pytest
from checkgrad import check_grad

import knet_ast as knet

rng = np.random.default_rng(1234)


# ---------------------------------------------------------------------------
# Direct-loop references
# ---------------------------------------------------------------------------

def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def ref_conv4(w, x, padding=0, stride=1, dilation=1, mode=0):
    """y[n,o,i,j] = sum_{c,a,b} w[o,c,a,b] * xpad[n,c,i*sh + a*dh, j*sw + b*dw] (w flipped when mode=0)."""
    ph, pw = pair(padding)
    sh, sw = pair(stride)
    dh, dw = pair(dilation)
    N, C, H, W = x.shape
    Co, Cw, kh, kw = w.shape
    assert Cw == C
    if mode == 0:
        w = w[:, :, ::-1, ::-1]
    xpad = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=np.float64)
    xpad[:, :, ph:ph + H, pw:pw + W] = x
    Ho = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    Wo = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((N, Co, Ho, Wo))
    for n in range(N):
        for o in range(Co):
            for i in range(Ho):
                for j in range(Wo):
                    total = 0.0
                    for c in range(C):
                        for a in range(kh):
                            for b in range(kw):
                                total += w[o, c, a, b] * xpad[n, c, i * sh + a * dh, j * sw + b * dw]
                    y[n, o, i, j] = total
    return y


def ref_deconv4(w, x, padding=0, stride=1, dilation=1, mode=0):
    """The transpose of ref_conv4, by scattering: each x[n,cx,i,j] sends w[cx,cy,a,b]*x to the
    padded position (i*sh + a*dh, j*sw + b*dw) that conv4 would have read it from."""
    ph, pw = pair(padding)
    sh, sw = pair(stride)
    dh, dw = pair(dilation)
    N, Cx, H, W = x.shape
    Cxw, Cy, kh, kw = w.shape
    assert Cxw == Cx
    if mode == 0:
        w = w[:, :, ::-1, ::-1]
    Ho = (H - 1) * sh - 2 * ph + dh * (kh - 1) + 1
    Wo = (W - 1) * sw - 2 * pw + dw * (kw - 1) + 1
    ypad = np.zeros((N, Cy, Ho + 2 * ph, Wo + 2 * pw))
    for n in range(N):
        for cx in range(Cx):
            for i in range(H):
                for j in range(W):
                    for cy in range(Cy):
                        for a in range(kh):
                            for b in range(kw):
                                ypad[n, cy, i * sh + a * dh, j * sw + b * dw] += w[cx, cy, a, b] * x[n, cx, i, j]
    return ypad[:, :, ph:ph + Ho, pw:pw + Wo]


def ref_pool(x, window=2, padding=0, stride=None, mode=0):
    kh, kw = pair(window)
    ph, pw = pair(padding)
    sh, sw = pair(window if stride is None else stride)
    N, C, H, W = x.shape
    Ho = (H + 2 * ph - kh) // sh + 1
    Wo = (W + 2 * pw - kw) // sw + 1
    y = np.zeros((N, C, Ho, Wo))
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    best, total, count = -np.inf, 0.0, 0
                    for a in range(kh):
                        for b in range(kw):
                            r, s = i * sh + a - ph, j * sw + b - pw  # position in the unpadded x
                            if 0 <= r < H and 0 <= s < W:
                                v = x[n, c, r, s]
                                best = max(best, v)
                                total += v
                                count += 1
                            else:  # padded entry: -inf for max, 0 for the averages
                                best = max(best, -np.inf)
                    if mode == 0:
                        y[n, c, i, j] = best
                    elif mode == 1:
                        y[n, c, i, j] = total / (kh * kw)
                    else:
                        y[n, c, i, j] = total / count
    return y


def ref_unpool(x, window=2, padding=0, stride=None):
    """prod(window) * adjoint of average pooling (mode 1): scatter each x entry over its window."""
    kh, kw = pair(window)
    ph, pw = pair(padding)
    sh, sw = pair(window if stride is None else stride)
    N, C, H, W = x.shape
    Ho = (H - 1) * sh + kh - 2 * ph
    Wo = (W - 1) * sw + kw - 2 * pw
    y = np.zeros((N, C, Ho, Wo))
    for n in range(N):
        for c in range(C):
            for i in range(H):
                for j in range(W):
                    for a in range(kh):
                        for b in range(kw):
                            r, s = i * sh + a - ph, j * sw + b - pw
                            if 0 <= r < Ho and 0 <= s < Wo:
                                y[n, c, r, s] += x[n, c, i, j]
    return y


def dot(a, b):
    return float(np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)))


def conv_out(n, k, p, s, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def deconv_out(n, k, p, s, d):
    return (n - 1) * s - 2 * p + d * (k - 1) + 1


# ---------------------------------------------------------------------------
# Sanity of the references themselves (hand-computed cases)
# ---------------------------------------------------------------------------

def test_references_on_hand_computed_cases():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    # cross-correlation at (0,0): 1*0 + 2*1 + 3*4 + 4*5 = 34; true convolution flips w: 4*0+3*1+2*4+1*5 = 16
    assert ref_conv4(w, x, mode=1)[0, 0, 0, 0] == 34
    assert ref_conv4(w, x, mode=0)[0, 0, 0, 0] == 16
    assert ref_conv4(w, x, padding=1).shape == (1, 1, 5, 5)
    assert ref_conv4(w, x + 1, padding=1, mode=1)[0, 0, 0, 0] == 4 * 1  # only the bottom-right tap is inside
    assert ref_conv4(w, x + 1, padding=1, mode=0)[0, 0, 0, 0] == 1 * 1
    assert ref_pool(x).tolist() == [[[[5.0, 7.0], [13.0, 15.0]]]]
    assert ref_pool(x, mode=1).tolist() == [[[[2.5, 4.5], [10.5, 12.5]]]]
    # padding 1, window 2, stride 2: corner window holds one real entry x[0,0]=0
    assert ref_pool(x + 1, padding=1, mode=1)[0, 0, 0, 0] == 1 / 4
    assert ref_pool(x + 1, padding=1, mode=2)[0, 0, 0, 0] == 1
    assert ref_pool(x - 100, padding=1, mode=0)[0, 0, 0, 0] == -100
    assert np.array_equal(ref_unpool(np.array([[[[1.0, 2.0]]]])), [[[[1, 1, 2, 2], [1, 1, 2, 2]]]])
    # the scatter references are the adjoints of the gather references
    w = rng.standard_normal((3, 2, 2, 3))
    x = rng.standard_normal((2, 3, 4, 3))
    opts = dict(padding=(1, 0), stride=(2, 1), dilation=(1, 2), mode=0)
    d = ref_deconv4(w, x, **opts)
    z = rng.standard_normal(d.shape)
    assert np.isclose(dot(ref_conv4(w, z, **opts), x), dot(z, d))
    u = ref_unpool(x, window=(2, 3), padding=(1, 1), stride=(2, 1))
    z = rng.standard_normal(u.shape)
    assert np.isclose(6 * dot(ref_pool(z, window=(2, 3), padding=(1, 1), stride=(2, 1), mode=1), x), dot(z, u))


# ---------------------------------------------------------------------------
# Forward values
# ---------------------------------------------------------------------------

CONV_CASES = [
    # (x shape, w shape, padding, stride, dilation)
    ((2, 3, 7, 6), (4, 3, 3, 3), 0, 1, 1),
    ((2, 3, 7, 6), (4, 3, 3, 2), 1, 1, 1),
    ((2, 2, 7, 8), (3, 2, 2, 3), (1, 2), 1, 1),
    ((2, 2, 7, 8), (3, 2, 3, 3), 0, 2, 1),
    ((2, 2, 8, 7), (3, 2, 3, 2), 1, (2, 1), 1),
    ((2, 2, 8, 7), (3, 2, 2, 3), (1, 2), (2, 1), 1),
    ((2, 2, 8, 8), (3, 2, 3, 3), 0, 1, 2),
    ((2, 2, 9, 8), (3, 2, 2, 3), 1, 2, 2),
    ((2, 2, 9, 8), (3, 2, 3, 2), (1, 2), (2, 1), (2, 1)),
    ((1, 1, 5, 5), (1, 1, 5, 5), 0, 1, 1),            # kernel as large as the image
    ((3, 1, 6, 6), (2, 1, 1, 1), 0, 2, 1),            # 1x1 kernel, strided
]


@pytest.mark.parametrize("mode", [0, 1])
@pytest.mark.parametrize("xs, ws, padding, stride, dilation", CONV_CASES)
def test_conv4_matches_reference(xs, ws, padding, stride, dilation, mode):
    x = rng.standard_normal(xs)
    w = rng.standard_normal(ws)
    expected = ref_conv4(w, x, padding, stride, dilation, mode)
    y = knet.conv4(w, x, padding=padding, stride=stride, dilation=dilation, mode=mode)
    assert isinstance(y, np.ndarray)
    assert y.dtype == np.float64
    assert y.shape == expected.shape
    ph, pw = pair(padding)
    sh, sw = pair(stride)
    dh, dw = pair(dilation)
    assert y.shape == (xs[0], ws[0], conv_out(xs[2], ws[2], ph, sh, dh), conv_out(xs[3], ws[3], pw, sw, dw))
    assert np.allclose(y, expected, rtol=1e-10, atol=1e-10)


def test_conv4_default_is_true_convolution():
    x = rng.standard_normal((2, 2, 6, 5))
    w = rng.standard_normal((3, 2, 3, 2))
    y0 = knet.conv4(w, x)
    assert np.allclose(y0, ref_conv4(w, x, mode=0))
    assert np.allclose(y0, knet.conv4(w[:, :, ::-1, ::-1].copy(), x, mode=1))
    assert not np.allclose(y0, knet.conv4(w, x, mode=1))


def test_conv4_pair_options_equal_int_options():
    x = rng.standard_normal((2, 2, 7, 7))
    w = rng.standard_normal((2, 2, 3, 3))
    a = knet.conv4(w, x, padding=1, stride=2, dilation=2)
    b = knet.conv4(w, x, padding=(1, 1), stride=(2, 2), dilation=(2, 2))
    assert np.allclose(a, b)


@pytest.mark.parametrize("mode", [0, 1])
def test_conv4_float32(mode):
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((4, 3, 3, 2))
    y32 = knet.conv4(w.astype(np.float32), x.astype(np.float32), padding=(1, 2), stride=(2, 1), mode=mode)
    y64 = ref_conv4(w.astype(np.float32).astype(np.float64), x.astype(np.float32).astype(np.float64),
                    (1, 2), (2, 1), 1, mode)
    assert y32.dtype == np.float32
    assert y32.shape == y64.shape
    assert np.allclose(y32, y64, rtol=1e-4, atol=1e-5)


DECONV_CASES = [
    # (x shape, w shape (Cx, Cy, kh, kw), padding, stride, dilation)
    ((2, 3, 4, 5), (3, 2, 3, 3), 0, 1, 1),
    ((2, 3, 4, 5), (3, 2, 3, 2), 1, 1, 1),
    ((2, 2, 4, 3), (2, 3, 2, 3), 0, 2, 1),
    ((2, 2, 4, 3), (2, 3, 3, 3), (1, 2), (2, 1), 1),
    ((2, 2, 3, 4), (2, 2, 3, 2), 1, 2, 2),
    ((2, 2, 3, 4), (2, 3, 2, 3), (1, 0), (2, 1), (2, 1)),
]


@pytest.mark.parametrize("mode", [0, 1])
@pytest.mark.parametrize("xs, ws, padding, stride, dilation", DECONV_CASES)
def test_deconv4_is_the_adjoint_of_conv4(xs, ws, padding, stride, dilation, mode):
    x = rng.standard_normal(xs)
    w = rng.standard_normal(ws)
    opts = dict(padding=padding, stride=stride, dilation=dilation, mode=mode)
    y = knet.deconv4(w, x, **opts)
    ph, pw = pair(padding)
    sh, sw = pair(stride)
    dh, dw = pair(dilation)
    shape = (xs[0], ws[1], deconv_out(xs[2], ws[2], ph, sh, dh), deconv_out(xs[3], ws[3], pw, sw, dw))
    assert y.shape == shape
    assert y.dtype == np.float64
    for _ in range(3):
        z = rng.standard_normal(shape)
        # <conv4(w, z), x> == <z, deconv4(w, x)>, with the reference conv4 and the library's conv4
        assert np.isclose(dot(ref_conv4(w, z, padding, stride, dilation, mode), x), dot(z, y), rtol=1e-10)
        assert np.isclose(dot(knet.conv4(w, z, **opts), x), dot(z, y), rtol=1e-10)
    assert np.allclose(y, ref_deconv4(w, x, padding, stride, dilation, mode), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", [0, 1])
def test_deconv4_float32(mode):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 2)).astype(np.float32)
    y = knet.deconv4(w, x, padding=1, stride=2, mode=mode)
    assert y.dtype == np.float32
    expected = ref_deconv4(w.astype(np.float64), x.astype(np.float64), 1, 2, 1, mode)
    assert y.shape == expected.shape
    assert np.allclose(y, expected, rtol=1e-4, atol=1e-5)


POOL_CASES = [
    # (x shape, window, padding, stride)
    ((2, 3, 6, 6), 2, 0, None),
    ((2, 3, 7, 7), 2, 0, None),        # odd size: last row/column dropped
    ((2, 2, 7, 8), 3, 0, None),
    ((2, 2, 7, 8), (2, 3), 0, None),
    ((2, 2, 7, 7), 3, 1, 1),
    ((2, 2, 7, 7), 3, 1, 2),
    ((2, 2, 6, 7), 2, 1, None),
    ((2, 2, 7, 8), (2, 3), (1, 2), (1, 2)),
    ((2, 2, 8, 7), (3, 2), (1, 0), (2, 1)),
    ((2, 2, 6, 6), 3, 2, 2),           # padding 2 with window 3: corner windows hold one real entry
]


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("xs, window, padding, stride", POOL_CASES)
def test_pool_matches_reference(xs, window, padding, stride, mode):
    x = rng.standard_normal(xs)
    if mode == 0:
        x = x - 10.0  # all negative: a padded zero would win the max if padding were not -inf
    expected = ref_pool(x, window, padding, stride, mode)
    y = knet.pool(x, window=window, padding=padding, stride=stride, mode=mode)
    assert isinstance(y, np.ndarray)
    assert y.dtype == np.float64
    assert y.shape == expected.shape
    assert np.allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_pool_defaults():
    x = rng.standard_normal((2, 3, 6, 5))
    y = knet.pool(x)
    assert y.shape == (2, 3, 3, 2)
    assert np.allclose(y, x[:, :, :6, :4].reshape(2, 3, 3, 2, 2, 2).max(axis=(3, 5)))
    assert np.allclose(knet.pool(x, window=3), ref_pool(x, 3, 0, 3, 0))  # stride defaults to window


@pytest.mark.parametrize("mode", [0, 1, 2])
def test_pool_float32(mode):
    x = rng.standard_normal((2, 3, 7, 7)).astype(np.float32)
    y = knet.pool(x, window=3, padding=1, stride=2, mode=mode)
    assert y.dtype == np.float32
    expected = ref_pool(x.astype(np.float64), 3, 1, 2, mode)
    assert y.shape == expected.shape
    assert np.allclose(y, expected, rtol=1e-5, atol=1e-6)


UNPOOL_CASES = [
    # (x shape, window, padding, stride)
    ((2, 3, 3, 4), 2, 0, None),
    ((2, 2, 3, 3), 3, 0, None),
    ((2, 2, 3, 4), (2, 3), 0, None),
    ((2, 2, 4, 4), 3, 1, 2),
    ((2, 2, 4, 3), (2, 3), (1, 1), (2, 1)),
    ((2, 2, 3, 3), 2, 1, 1),
]


@pytest.mark.parametrize("xs, window, padding, stride", UNPOOL_CASES)
def test_unpool_is_scaled_adjoint_of_average_pool(xs, window, padding, stride):
    x = rng.standard_normal(xs)
    y = knet.unpool(x, window=window, padding=padding, stride=stride)
    kh, kw = pair(window)
    ph, pw = pair(padding)
    sh, sw = pair(window if stride is None else stride)
    shape = (xs[0], xs[1], (xs[2] - 1) * sh + kh - 2 * ph, (xs[3] - 1) * sw + kw - 2 * pw)
    assert y.shape == shape
    assert y.dtype == np.float64
    for _ in range(3):
        z = rng.standard_normal(shape)
        pooled = ref_pool(z, window, padding, stride, 1)
        assert pooled.shape == x.shape
        assert np.isclose(kh * kw * dot(pooled, x), dot(z, y), rtol=1e-10)
        lib_pooled = knet.pool(z, window=window, padding=padding, stride=stride, mode=1)
        assert np.isclose(kh * kw * dot(lib_pooled, x), dot(z, y), rtol=1e-10)
    assert np.allclose(y, ref_unpool(x, window, padding, stride), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("window", [2, 3, (2, 3)])
def test_unpool_is_nearest_neighbour_upsampling(window):
    x = rng.standard_normal((2, 3, 3, 4))
    kh, kw = pair(window)
    y = knet.unpool(x, window=window)
    assert np.array_equal(y, np.repeat(np.repeat(x, kh, axis=2), kw, axis=3))
    assert np.allclose(knet.pool(y, window=window, mode=1), x)


def test_unpool_float32():
    x = rng.standard_normal((2, 3, 3, 4)).astype(np.float32)
    y = knet.unpool(x, window=3, padding=1, stride=2)
    assert y.dtype == np.float32
    assert np.allclose(y, ref_unpool(x.astype(np.float64), 3, 1, 2), rtol=1e-5, atol=1e-6)


def test_mat():
    x = rng.standard_normal((3, 2, 4, 5))
    y = knet.mat(x)
    assert y.shape == (3, 40)
    assert np.array_equal(y, x.reshape(3, -1))
    assert np.array_equal(knet.mat(rng.standard_normal((4, 7))).shape, (4, 7))


# ---------------------------------------------------------------------------
# Gradients (loss functions must be real defs: knet.grad reads their source)
# ---------------------------------------------------------------------------

def _conv_loss(w, x, r, padding, stride, dilation, mode):
    return np.sum(knet.conv4(w, x, padding=padding, stride=stride, dilation=dilation, mode=mode) * r)


def _deconv_loss(w, x, r, padding, stride, dilation, mode):
    return np.sum(knet.deconv4(w, x, padding=padding, stride=stride, dilation=dilation, mode=mode) * r)


def _pool_loss(x, r, window, padding, stride, mode):
    return np.sum(knet.pool(x, window=window, padding=padding, stride=stride, mode=mode) * r)


def _unpool_loss(x, r, window, padding, stride):
    return np.sum(knet.unpool(x, window=window, padding=padding, stride=stride) * r)


def _mat_loss(x, r):
    return np.sum(knet.mat(x) * r)


def _conv_default_loss(w, x, r):
    return np.sum(knet.conv4(w, x) * r)


def _pool_default_loss(x, r):
    return np.sum(knet.pool(x) * r)


def _conv_nonlinear_loss(w, x):
    y = knet.conv4(w, x, padding=1)
    return np.sum(y * y)


GRAD_CONV_CASES = [
    # (x shape, w shape, padding, stride, dilation)
    ((2, 2, 5, 5), (3, 2, 3, 3), 0, 1, 1),
    ((2, 2, 6, 5), (3, 2, 2, 3), (1, 2), (2, 1), 1),
    ((2, 2, 7, 6), (2, 2, 3, 2), 1, 2, 2),
    ((2, 2, 6, 7), (2, 2, 2, 3), (1, 0), 1, (2, 1)),
]


@pytest.mark.parametrize("mode", [0, 1])
@pytest.mark.parametrize("xs, ws, padding, stride, dilation", GRAD_CONV_CASES)
def test_conv4_gradient(xs, ws, padding, stride, dilation, mode):
    x = rng.standard_normal(xs)
    w = rng.standard_normal(ws)
    r = rng.standard_normal(ref_conv4(w, x, padding, stride, dilation, mode).shape)
    check_grad(_conv_loss, w, x, r, padding, stride, dilation, mode, wrt=(0, 1))


def test_conv4_gradient_exact_values():
    # d/dx <conv4(w,x), r> = deconv4(w, r) (the adjoint) and d/dw is the correlation of x with r
    x = rng.standard_normal((2, 2, 7, 6))  # sizes where stride 2 leaves no row/column unused
    w = rng.standard_normal((3, 2, 3, 2))
    opts = (1, 2, 1, 0)
    r = rng.standard_normal(ref_conv4(w, x, *opts).shape)
    gw, gx = knet.grad(_conv_loss, wrt=(0, 1))(w, x, r, *opts)
    assert np.allclose(gx, ref_deconv4(w, r, *opts))
    gw_ref = np.zeros_like(w)
    for idx in np.ndindex(*w.shape):
        e = np.zeros_like(w)
        e[idx] = 1.0
        gw_ref[idx] = dot(ref_conv4(e, x, *opts), r)
    assert np.allclose(gw, gw_ref)


def test_conv4_gradient_defaults_and_nonlinear():
    x = rng.standard_normal((2, 2, 5, 6))
    w = rng.standard_normal((3, 2, 2, 3))
    r = rng.standard_normal((2, 3, 4, 4))
    check_grad(_conv_default_loss, w, x, r, wrt=(0, 1))
    check_grad(_conv_nonlinear_loss, w, x, wrt=(0, 1))


@pytest.mark.parametrize("mode", [0, 1])
@pytest.mark.parametrize("xs, ws, padding, stride, dilation", [
    ((2, 2, 4, 4), (2, 3, 3, 3), 0, 1, 1),
    ((2, 2, 4, 3), (2, 2, 3, 2), (1, 0), (2, 1), 1),
    ((2, 2, 3, 4), (2, 2, 2, 3), 1, 2, 2),
])
def test_deconv4_gradient(xs, ws, padding, stride, dilation, mode):
    x = rng.standard_normal(xs)
    w = rng.standard_normal(ws)
    r = rng.standard_normal(ref_deconv4(w, x, padding, stride, dilation, mode).shape)
    check_grad(_deconv_loss, w, x, r, padding, stride, dilation, mode, wrt=(0, 1))


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("xs, window, padding, stride", [
    ((2, 2, 6, 6), 2, 0, None),
    ((2, 2, 7, 7), 3, 1, 2),
    ((2, 2, 7, 6), (2, 3), (1, 2), (1, 2)),
    ((2, 2, 6, 6), 3, 2, 2),
])
def test_pool_gradient(xs, window, padding, stride, mode):
    x = rng.standard_normal(xs)
    if mode == 0:
        x = x - 10.0  # max must never pick a padded entry
    r = rng.standard_normal(ref_pool(x, window, padding, stride, mode).shape)
    check_grad(_pool_loss, x, r, window, padding, stride, mode)


def test_pool_max_gradient_goes_to_the_argmax():
    x = rng.standard_normal((2, 2, 6, 6))
    r = rng.standard_normal((2, 2, 3, 3))
    g = knet.grad(_pool_loss)(x, r, 2, 0, None, 0)
    expected = np.zeros_like(x)
    for n, c, i, j in np.ndindex(*r.shape):
        block = x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
        a, b = np.unravel_index(np.argmax(block), block.shape)
        expected[n, c, 2 * i + a, 2 * j + b] = r[n, c, i, j]
    assert np.array_equal(g, expected)
    check_grad(_pool_default_loss, x, r)


def test_pool_average_gradients_exact():
    x = rng.standard_normal((2, 2, 5, 5))
    r = rng.standard_normal(ref_pool(x, 3, 1, 2, 1).shape)
    g1 = knet.grad(_pool_loss)(x, r, 3, 1, 2, 1)
    assert np.allclose(g1, ref_unpool(r, 3, 1, 2) / 9)
    # mode 2: each window's gradient is spread over its in-bounds entries only
    g2 = knet.grad(_pool_loss)(x, r, 3, 1, 2, 2)
    count = ref_pool(np.ones_like(x), 3, 1, 2, 1) * 9
    assert np.allclose(g2, ref_unpool(r / count, 3, 1, 2))


@pytest.mark.parametrize("xs, window, padding, stride", [
    ((2, 2, 3, 3), 2, 0, None),
    ((2, 2, 3, 4), (2, 3), 0, None),
    ((2, 2, 4, 3), 3, 1, 2),
    ((2, 2, 3, 3), (2, 3), (1, 1), (2, 1)),
])
def test_unpool_gradient(xs, window, padding, stride):
    x = rng.standard_normal(xs)
    r = rng.standard_normal(ref_unpool(x, window, padding, stride).shape)
    g = check_grad(_unpool_loss, x, r, window, padding, stride)
    kh, kw = pair(window)
    assert np.allclose(g, kh * kw * ref_pool(r, window, padding, stride, 1))


def test_mat_gradient():
    x = rng.standard_normal((3, 2, 3, 2))
    r = rng.standard_normal((3, 12))
    g = check_grad(_mat_loss, x, r)
    assert np.array_equal(g, r.reshape(x.shape))


def _float32_conv_pool_loss(w, x):
    y = knet.pool(knet.conv4(w, x, padding=1), window=2)
    return np.sum(y * y)


def test_float32_gradients_stay_float32():
    x = rng.standard_normal((2, 2, 6, 6))
    w = rng.standard_normal((3, 2, 3, 3))
    gw64, gx64 = knet.grad(_float32_conv_pool_loss, wrt=(0, 1))(w, x)
    gw32, gx32 = knet.grad(_float32_conv_pool_loss, wrt=(0, 1))(w.astype(np.float32), x.astype(np.float32))
    assert gw32.dtype == np.float32 and gx32.dtype == np.float32
    assert np.allclose(gw32, gw64, rtol=1e-3, atol=1e-3)
    assert np.allclose(gx32, gx64, rtol=1e-3, atol=1e-3)


# ---------------------------------------------------------------------------
# A small LeNet
# ---------------------------------------------------------------------------

def lenet_predict(w, x):
    x = knet.pool(knet.relu(knet.conv4(w[0], x) + w[1]))
    x = knet.pool(knet.relu(knet.conv4(w[2], x, padding=1) + w[3]), mode=2)
    return knet.mat(x) @ w[4] + w[5]


def lenet_loss(w, x, labels):
    return knet.nll(lenet_predict(w, x), labels)


def test_lenet_gradient():
    x = rng.standard_normal((3, 1, 10, 10))
    labels = np.array([0, 2, 1])
    w = [0.5 * rng.standard_normal((4, 1, 3, 3)), 0.1 * rng.standard_normal((1, 4, 1, 1)),
         0.3 * rng.standard_normal((5, 4, 3, 3)), 0.1 * rng.standard_normal((1, 5, 1, 1)),
         0.3 * rng.standard_normal((20, 3)), 0.1 * rng.standard_normal(3)]
    assert lenet_predict(w, x).shape == (3, 3)
    check_grad(lenet_loss, w, x, labels)
    check_grad(lenet_loss, w, x, labels, seed=1)
    gw = knet.grad(lenet_loss)(w, x, labels)
    assert all(np.any(g != 0) for g in gw)
    # a few gradient steps lower the loss
    before = lenet_loss(w, x, labels)
    for _ in range(20):
        gw = knet.grad(lenet_loss)(w, x, labels)
        w = [p - 0.1 * g for p, g in zip(w, gw)]
    assert lenet_loss(w, x, labels) < 0.5 * before
