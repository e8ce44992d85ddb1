"""Convolution and pooling on NCHW arrays, with hand-written gradients.

A `Geometry` holds the sizes of one operator and two ways of reading the padded
input: `windows`, a strided view (N, C, kh, kw, Ho, Wo) whose entry
[n, c, a, b, i, j] is the pixel kernel tap (a, b) sees at output position
(i, j) (conv4's im2col, one matrix product), and `taps`, one output-shaped
slice per kernel tap (pool's running max or sum, one pass per tap). Backward
passes scatter per-tap gradients back through the same slices (`spread`,
col2im).

conv4 mode 0 is a true convolution (the kernel is flipped, as in Knet and
cuDNN's default); mode 1 is cross-correlation. deconv4 and unpool are the
transposes of conv4 and average pooling, so they share the same kernels with
the roles of forward and backward exchanged.
"""
import collections
import threading

import numpy as np

from ..runtime.backend import array_module
from ..runtime.training import after_gradient, training
from .registry import PRIMITIVES, defgrad


def _pair(value, what):
    pair = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(pair) != 2 or any(int(v) != v or v < 0 for v in pair):
        raise ValueError(f"{what} must be a non-negative int or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


class Geometry:
    """Sizes of one convolution or pooling: kernel, padding, stride, dilation and output."""

    def __init__(self, in_hw, kernel, padding, stride, dilation=1):
        self.k, self.p = _pair(kernel, "window"), _pair(padding, "padding")
        self.s, self.d = _pair(stride, "stride"), _pair(dilation, "dilation")
        if 0 in self.s or 0 in self.d or 0 in self.k:
            raise ValueError("window, stride and dilation must be positive")
        self.padded = tuple(n + 2 * p for n, p in zip(in_hw, self.p))
        span = tuple(d * (k - 1) + 1 for d, k in zip(self.d, self.k))
        self.out = tuple((n - e) // s + 1 for n, e, s in zip(self.padded, span, self.s))
        self.key = (self.k, self.p, self.s, self.d)
        if min(self.out) < 1:
            raise ValueError(f"a window spanning {span} does not fit an input of {in_hw} "
                             f"padded by {self.p}")

    @classmethod
    def transposed(cls, in_hw, kernel, padding, stride, dilation=1):
        """The geometry whose output size is `in_hw` and whose input is as large as possible
        (the output size of deconv4 and unpool)."""
        k, p, s, d = (_pair(kernel, "window"), _pair(padding, "padding"), _pair(stride, "stride"),
                      _pair(dilation, "dilation"))
        size = tuple((n - 1) * si + di * (ki - 1) + 1 - 2 * pi
                     for n, ki, pi, si, di in zip(in_hw, k, p, s, d))
        return cls(size, k, p, s, d), size

    def pad(self, x, value=0):
        (ph, pw) = self.p
        if ph == pw == 0:
            return x
        return array_module(x).pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)

    def crop(self, xpad):
        (ph, pw) = self.p
        return xpad[:, :, ph:xpad.shape[2] - ph, pw:xpad.shape[3] - pw]

    def windows(self, xpad):
        """A read-only strided view (N, C, kh, kw, Ho, Wo) of the padded input."""
        n, c = xpad.shape[:2]
        sn, sc, sh, sw = xpad.strides
        shape = (n, c) + self.k + self.out
        strides = (sn, sc, self.d[0] * sh, self.d[1] * sw, self.s[0] * sh, self.s[1] * sw)
        return array_module(xpad).lib.stride_tricks.as_strided(xpad, shape, strides, writeable=False)

    def taps(self):
        """(a, b, index): for each kernel tap, the padded-input entries it sees, as a slice
        shaped like the output."""
        (ho, wo), (sh, sw), (dh, dw) = self.out, self.s, self.d
        for a in range(self.k[0]):
            for b in range(self.k[1]):
                yield a, b, (slice(None), slice(None), slice(a * dh, a * dh + sh * (ho - 1) + 1, sh),
                             slice(b * dw, b * dw + sw * (wo - 1) + 1, sw))

    def window_reduce(self, xpad, ufunc):
        """`ufunc` (np.add, np.maximum) folded over each window, (N, C, Ho, Wo): one pass per tap
        (a reduction over the strided `windows` view is many times slower)."""
        taps = self.taps()
        total = xpad[next(taps)[2]].copy()
        for _, _, index in taps:
            ufunc(total, xpad[index], out=total)
        return total

    def spread(self, cols, like):
        """col2im: the padded-input gradient whose windows received `cols` (N, C, kh, kw, Ho, Wo),
        or the same `cols` (N, C, Ho, Wo) at every tap, cropped to the unpadded input; taps that
        overlap add up."""
        n, c = cols.shape[:2]
        out = array_module(cols).zeros((n, c) + self.padded, like.dtype)
        for a, b, index in self.taps():
            out[index] += cols if cols.ndim == 4 else cols[:, :, a, b]
        return self.crop(out)


def _flip(w, mode):
    if mode not in (0, 1):
        raise ValueError(f"conv4 mode must be 0 (convolution) or 1 (cross-correlation), got {mode!r}")
    return w[:, :, ::-1, ::-1] if mode == 0 else w


def _check_conv(w, x):
    if np.ndim(x) != 4 or np.ndim(w) != 4:
        raise ValueError(f"conv4 takes 4-d arrays: x (N, C, H, W) and w (O, C, kh, kw); "
                         f"got x {np.shape(x)} and w {np.shape(w)}")


def conv4(w, x, padding=0, stride=1, dilation=1, mode=0):
    """2-d convolution of x (N, C, H, W) with w (O, C, kh, kw), as Knet's conv4.

    Output (N, O, Ho, Wo), Ho = (H + 2 padding - dilation (kh - 1) - 1) // stride + 1.
    padding, stride and dilation are ints or (height, width) pairs. mode=0 flips
    the kernel (convolution), mode=1 does not (cross-correlation).

    Examples
    --------
    >>> x, w = np.arange(9.0).reshape(1, 1, 3, 3), np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> knet.conv4(w, x, mode=1).ravel()    # cross-correlation: 0*1 + 1*2 + 3*3 + 4*4 = 27, ...
    array([27., 37., 57., 67.])
    >>> knet.conv4(w, x).ravel()            # mode=0 flips the kernel: 0*4 + 1*3 + 3*2 + 4*1 = 13, ...
    array([13., 23., 43., 53.])
    >>> def loss(w, x):
    ...     return np.sum(knet.conv4(w, x, padding=1) ** 2)
    >>> knet.grad(loss)(w, x).shape
    (1, 1, 2, 2)
    """
    _check_conv(w, x)
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"conv4: w has {w.shape[1]} input channels, x has {x.shape[1]}")
    g = Geometry(x.shape[2:], w.shape[2:], padding, stride, dilation)
    cols = _im2col(x, g)
    if training():  # inside a gradient: conv4_dw will need the same matrix
        _remember_cols(x, g, cols)
    y = array_module(x).matmul(_flip(w, mode).reshape(w.shape[0], -1), cols)  # (N, O, Ho Wo)
    return y.reshape(y.shape[:2] + g.out)


def _im2col(x, g):
    """The (N, C kh kw, Ho Wo) matrix whose column (n, :, p) is the window output pixel p of
    image n sees: the strided `windows` view, copied once in its natural order."""
    cols = g.windows(g.pad(x))
    return cols.reshape(x.shape[0], -1, g.out[0] * g.out[1])


# The im2col matrices of this thread's recent conv4 calls inside a gradient, by input
# array, so that conv4_dw does not build them again: consumed by conv4_dw, at most _KEEP,
# and dropped when the gradient call ends.
_COLS = threading.local()
_KEEP = 8
after_gradient(lambda: setattr(_COLS, "recent", None))


def _remember_cols(x, g, cols):
    recent = getattr(_COLS, "recent", None)
    if recent is None:
        recent = _COLS.recent = collections.OrderedDict()
    recent[id(x)] = (x, g.key, cols)
    while len(recent) > _KEEP:
        recent.popitem(last=False)


def _recall_cols(x, g):
    recent = getattr(_COLS, "recent", None)
    saved = recent.pop(id(x), None) if recent else None
    if saved is not None and saved[0] is x and saved[1] == g.key:
        return saved[2]
    return _im2col(x, g)


def conv4_dx(dy, w, x_shape, padding=0, stride=1, dilation=1, mode=0):
    """The gradient of conv4(w, x) with respect to x, for x of shape `x_shape`."""
    g = Geometry(x_shape[2:], w.shape[2:], padding, stride, dilation)
    n, o = dy.shape[:2]
    wmat = _flip(w, mode).reshape(o, -1)
    dcols = array_module(dy).matmul(wmat.T, dy.reshape(n, o, -1))  # (N, C kh kw, Ho Wo)
    return g.spread(dcols.reshape((n, w.shape[1]) + g.k + g.out), dy)


def conv4_dw(dy, w, x, padding=0, stride=1, dilation=1, mode=0):
    """The gradient of conv4(w, x) with respect to w."""
    g = Geometry(x.shape[2:], w.shape[2:], padding, stride, dilation)
    cols = _recall_cols(x, g)
    n, o = dy.shape[:2]
    dw = (dy.reshape(n, o, -1) @ cols.transpose(0, 2, 1)).sum(axis=0)  # N small products
    return _flip(dw.reshape(w.shape), mode).astype(w.dtype, copy=False)


def deconv4(w, x, padding=0, stride=1, dilation=1, mode=0):
    """Transposed convolution (Knet's deconv4): the gradient of conv4 with respect to its input,
    used as a layer. x (N, Cx, H, W), w (Cx, Cy, kh, kw); output (N, Cy, Ho, Wo) with
    Ho = (H - 1) stride - 2 padding + dilation (kh - 1) + 1, so that conv4 with the same
    options maps it back to (N, Cx, H, W).

    Examples
    --------
    >>> x, w = np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2))
    >>> y = knet.deconv4(w, x)              # each pixel spread over a 2x2 patch; overlaps add up
    >>> y[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    >>> knet.conv4(w, y).shape              # conv4 with the same options maps back to x's shape
    (1, 1, 2, 2)
    >>> knet.deconv4(np.ones((1, 3, 2, 2)), x, stride=2).shape   # w is (Cx, Cy, kh, kw)
    (1, 3, 4, 4)
    """
    _check_conv(w, x)
    if w.shape[0] != x.shape[1]:
        raise ValueError(f"deconv4: w has {w.shape[0]} input channels (its first axis), "
                         f"x has {x.shape[1]}")
    _, size = Geometry.transposed(x.shape[2:], w.shape[2:], padding, stride, dilation)
    return conv4_dx(x, w, (x.shape[0], w.shape[1]) + size, padding, stride, dilation, mode)


# --- pooling ---

def _pool_geometry(x, window, padding, stride):
    g = Geometry(x.shape[2:], window, padding, window if stride is None else stride)
    if any(p >= k for p, k in zip(g.p, g.k)):
        raise ValueError(f"pool: padding {g.p} must be smaller than the window {g.k}")
    return g


def pool(x, window=2, padding=0, stride=None, mode=0):
    """Pooling over (window x window) patches of x (N, C, H, W), as Knet's pool.

    mode 0: max (padding never wins); 1: average, padded zeros included;
    2: average over the entries inside the input. stride defaults to window.
    Output Ho = (H + 2 padding - window) // stride + 1.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> knet.pool(x)[0, 0]                  # the largest entry of each 2x2 patch
    array([[ 5.,  7.],
           [13., 15.]])
    >>> knet.pool(x, mode=1).ravel()        # the mean of each patch: (0 + 1 + 4 + 5) / 4 = 2.5, ...
    array([ 2.5,  4.5, 10.5, 12.5])
    >>> def total(x):
    ...     return np.sum(knet.pool(x))
    >>> np.flatnonzero(knet.grad(total)(x))  # the gradient goes to each patch's maximum
    array([ 5,  7, 13, 15])
    """
    if np.ndim(x) != 4:
        raise ValueError(f"pool takes a 4-d array (N, C, H, W), got shape {np.shape(x)}")
    g = _pool_geometry(x, window, padding, stride)
    if mode != 0:
        return g.window_reduce(g.pad(x), array_module(x).add) / _divisor(x, g, mode)
    return g.window_reduce(g.pad(x, _lowest(x)), array_module(x).maximum)


def _lowest(x):
    """What max pooling pads with: -inf, or the smallest integer of an integer array."""
    return -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min


def _divisor(x, g, mode):
    """What average pooling divides by: the window size (mode 1), or the number of entries of
    each window inside the input (mode 2)."""
    if mode == 1:
        return x.dtype.type(g.k[0] * g.k[1])
    if mode != 2:
        raise ValueError(f"pool mode must be 0 (max), 1 (average with padding) or 2 (average "
                         f"without padding), got {mode!r}")
    ones = array_module(x).ones((1, 1) + x.shape[2:], x.dtype)
    return g.window_reduce(g.pad(ones), array_module(x).add)


def pool_dx(dy, x, y, window=2, padding=0, stride=None, mode=0):
    """The gradient of y = pool(x, ...) with respect to x. For max, each window's gradient goes
    to its first largest entry."""
    g = _pool_geometry(x, window, padding, stride)
    xp = array_module(dy)
    if mode != 0:
        return g.spread(dy / _divisor(x, g, mode), dy)
    xpad = g.pad(x, _lowest(x))
    out = xp.zeros(xpad.shape, dy.dtype)
    disjoint = all(s >= k for s, k in zip(g.s, g.k))  # each entry in one window at most
    routed = None  # windows whose maximum has been found
    for _, _, index in g.taps():
        hit = xpad[index] == y
        if routed is None:
            routed = hit
        else:
            hit &= ~routed
            routed |= hit
        if disjoint:
            xp.multiply(hit, dy, out=out[index])
        else:
            out[index] += xp.where(hit, dy, 0)
    return g.crop(out)


def unpool(x, window=2, padding=0, stride=None):
    """The reverse of average pooling (Knet's unpool): each entry copied over its window, so
    that pool(unpool(x), mode=1) == x when stride == window. Output
    (H - 1) stride + window - 2 padding.

    Examples
    --------
    >>> x = np.array([[[[1.0, 2.0]]]])        # (1, 1, 1, 2)
    >>> knet.unpool(x)[0, 0]                # each entry copied over a 2x2 window
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.]])
    >>> bool(np.array_equal(knet.pool(knet.unpool(x), mode=1), x))
    True
    >>> def total(x):
    ...     return np.sum(knet.unpool(x))
    >>> knet.grad(total)(x)                 # each entry was copied 4 times
    array([[[[4., 4.]]]])
    """
    if np.ndim(x) != 4:
        raise ValueError(f"unpool takes a 4-d array (N, C, H, W), got shape {np.shape(x)}")
    return _unpool_geometry(x, window, padding, stride).spread(x, x)


def unpool_dx(dy, x, window=2, padding=0, stride=None):
    """The gradient of unpool: each window of dy summed."""
    g = _unpool_geometry(x, window, padding, stride)
    return g.window_reduce(g.pad(dy), array_module(dy).add)


def _unpool_geometry(x, window, padding, stride):
    """The pooling geometry whose output is x's size (unpool's output is its input)."""
    return Geometry.transposed(x.shape[2:], window, padding, window if stride is None else stride)[0]


def mat(x):
    """x as a matrix (N, everything else): instances first (Knet's mat).

    Examples
    --------
    >>> x = np.ones((2, 3, 4, 4))           # e.g. 2 images of 3 channels after a convolution
    >>> knet.mat(x).shape
    (2, 48)
    >>> def loss(w, x):
    ...     return np.sum(knet.mat(x) @ w)
    >>> knet.grad(loss, wrt=1)(np.ones((48, 10)), x).shape   # the gradient takes x's shape again
    (2, 3, 4, 4)
    """
    return x.reshape(x.shape[0], -1)


_OPTIONS = "padding, stride, dilation, mode"
PRIMITIVES.update({conv4, deconv4, pool, unpool})
defgrad(conv4, w=f"conv4_dw(dy, w, x, {_OPTIONS})", x=f"conv4_dx(dy, w, x.shape, {_OPTIONS})")
defgrad(deconv4, w=f"conv4_dw(x, w, dy, {_OPTIONS})", x=f"conv4(w, dy, {_OPTIONS})")
defgrad(pool, x="pool_dx(dy, x, y, window, padding, stride, mode)")
defgrad(unpool, x="unpool_dx(dy, x, window, padding, stride)")
