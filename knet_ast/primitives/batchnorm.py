"""Batch normalisation (Knet's batchnorm, bnmoments, bnparams) with a fused gradient.

Statistics are taken over every axis but the channel axis 1: x is (N, C) or
(N, C, H, W, ...). While training, the batch's mean and variance normalise x and
the running moments are updated in place; otherwise the running moments do.
"""
import weakref

import numpy as np

from ..runtime.backend import array_module
from ..runtime.training import training as _training
from .registry import PRIMITIVES, defgrad, fused, nondiff


class BNMoments:
    """Running mean and variance of a batchnorm layer (Knet's bnmoments)."""

    def __init__(self, momentum=0.1, mean=None, var=None):
        if not 0 <= momentum <= 1:
            raise ValueError(f"bnmoments: momentum must be in [0, 1], got {momentum!r}")
        self.momentum, self.mean, self.var = momentum, mean, var

    def __repr__(self):
        shape = None if self.mean is None else tuple(self.mean.shape)
        return f"bnmoments(momentum={self.momentum}, shape={shape})"


def bnmoments(momentum=0.1, mean=None, var=None):
    """Running moments for batchnorm; mean and var start at 0 and 1 when first used.

    Examples
    --------
    >>> m = knet.bnmoments(momentum=0.1)
    >>> m
    bnmoments(momentum=0.1, shape=None)
    >>> x = np.full((4, 3, 2, 2), 5.0)      # every channel has mean 5 and variance 0
    >>> y = knet.batchnorm(x, m, training=True)
    >>> m.mean.shape                        # one per channel, shaped to broadcast over x
    (1, 3, 1, 1)
    >>> m.mean.ravel(), m.var.ravel()       # 0.9 * 0 + 0.1 * 5 and 0.9 * 1 + 0.1 * 0
    (array([0.5, 0.5, 0.5]), array([0.9, 0.9, 0.9]))
    """
    return BNMoments(momentum, mean, var)


def bnparams(channels, dtype=np.float64):
    """Batchnorm's learned parameters for `channels` channels: C scales (ones), then C shifts
    (zeros), in one vector.

    Examples
    --------
    >>> p = knet.bnparams(2)
    >>> p                                   # scales, then shifts
    array([1., 1., 0., 0.])
    >>> p[2:] = 5.0                         # shift both channels by 5
    >>> knet.batchnorm(np.array([[1.0, 10.0], [3.0, 30.0]]), None, p)
    array([[4., 4.],
           [6., 6.]])
    >>> knet.bnparams(2, np.float32).dtype
    dtype('float32')
    """
    return np.concatenate([np.ones(channels, dtype), np.zeros(channels, dtype)])


def _layout(x):
    if np.ndim(x) < 2:
        raise ValueError(f"batchnorm takes x of shape (N, C) or (N, C, H, W, ...), got {np.shape(x)}")
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    return axes, shape


def _scale_shift(params, shape):
    channels = shape[1]
    if params.shape != (2 * channels,):
        raise ValueError(f"batchnorm params must have shape ({2 * channels},) (bnparams({channels}))"
                         f", got {params.shape}")
    return params[:channels].reshape(shape), params[channels:].reshape(shape)


def _normalise(x, moments, training, eps):
    """(x normalised, 1 / sqrt(var + eps), the batch's (mean, variance) or None if the running
    moments were used), the statistics shaped to broadcast over x. x normalised is a new array."""
    axes, shape = _layout(x)
    if (_training() if training is None else training) or moments is None:
        mean = x.mean(axis=axes, keepdims=True)
        xhat = x - mean
        var = (xhat * xhat).mean(axis=axes, keepdims=True)
        inv_std = (var + eps) ** -0.5
        xhat *= inv_std
        return xhat, inv_std, (mean, var)
    _initialise(moments, x, shape)
    inv_std = (moments.var + eps) ** -0.5
    return (x - moments.mean) * inv_std, inv_std, None


def _initialise(moments, x, shape):
    xp = array_module(x)
    if moments.mean is None:
        moments.mean = xp.zeros(shape, x.dtype)
    if moments.var is None:
        moments.var = xp.ones(shape, x.dtype)


def batchnorm(x, moments=None, params=None, training=None, eps=1e-5):
    """Normalise x per channel (axis 1), then scale and shift by `params` (from bnparams).

    `training` defaults to knet.training(): true inside a gradient. While training (or
    without moments) the batch's statistics are used and `moments` (from bnmoments) is
    updated in place with the batch mean and unbiased variance; otherwise the running
    moments are used.

    Examples
    --------
    >>> x, m = np.array([[1.0, 10.0], [3.0, 30.0]]), knet.bnmoments()   # 2 instances, 2 channels
    >>> knet.batchnorm(x, m, training=True)         # each channel to mean 0, variance 1
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> m.mean, m.var                               # 0.9 * (0, 1) + 0.1 * ([2, 20], unbiased [2, 200])
    (array([[0.2, 2. ]]), array([[ 1.1, 20.9]]))
    >>> def loss(p, x):
    ...     return np.sum(knet.batchnorm(x, m, p) * np.array([1.0, 2.0]))
    >>> knet.grad(loss)(knet.bnparams(2), x)        # scales: sum(dy * xhat) = 0; shifts: sum(dy)
    array([0., 0., 2., 4.])
    """
    _, shape = _layout(x)
    xhat, inv_std, batch = _normalise(x, moments, training, eps)
    if batch is not None and moments is not None:
        _initialise(moments, x, shape)
        n, m = x.size // x.shape[1], moments.momentum
        moments.mean = (1 - m) * moments.mean + m * batch[0]
        moments.var = (1 - m) * moments.var + m * batch[1] * (n / max(n - 1, 1))
    y = xhat
    if params is not None:
        scale, shift = _scale_shift(params, shape)
        y = xhat * scale
        y += shift
    if _training():  # a gradient will follow: keep what its backward needs
        # without params y is xhat: keeping it here would keep y alive and the entry forever
        _SAVED[id(y)] = (weakref.ref(y), None if xhat is y else xhat, inv_std, batch)
        weakref.finalize(y, _SAVED.pop, id(y), None)
    return y


_SAVED = {}  # id(output) -> (output, normalised x or None if it is the output, 1 / std, batch
# statistics), while the output lives


def _normalised(x, y, moments, training, eps):
    """(x normalised, 1 / std, batch statistics or None) of y = batchnorm(x, ...): what the
    forward pass kept, or computed again if it kept nothing. Read-only."""
    saved = _SAVED.get(id(y))
    if saved is not None and saved[0]() is y:
        xhat, inv_std, batch = saved[1:]
        return (y if xhat is None else xhat), inv_std, batch
    return _normalise(x, moments, training, eps)


@fused
def _sums(dy, x, y, moments, training, eps):
    """Per channel: sum(dy * xhat) and sum(dy), the gradients of the scale and the shift."""
    axes, _ = _layout(x)
    xhat = _normalised(x, y, moments, training, eps)[0]
    return (dy * xhat).sum(axis=axes, keepdims=True), dy.sum(axis=axes, keepdims=True)


def batchnorm_dparams(dy, x, y, moments, params, training, eps):
    """The gradient of y = batchnorm(x, moments, params, ...) with respect to params."""
    dscale, dshift = _sums(dy, x, y, moments, training, eps)
    return array_module(dy).concatenate([dscale.reshape(-1), dshift.reshape(-1)]).astype(
        params.dtype, copy=False)


def batchnorm_dx(dy, x, y, moments, params, training, eps):
    """The gradient of y = batchnorm(x, moments, params, ...) with respect to x."""
    _, shape = _layout(x)
    xhat, inv_std, batch = _normalised(x, y, moments, training, eps)
    k = inv_std if params is None else _scale_shift(params, shape)[0] * inv_std
    dx = dy * k
    if batch is not None:  # the batch statistics depend on x too
        dscale, dshift = _sums(dy, x, y, moments, training, eps)
        n = x.size // x.shape[1]
        dx -= xhat * (k * dscale / n)
        dx -= k * dshift / n
    return dx.astype(x.dtype, copy=False)


PRIMITIVES.add(batchnorm)
nondiff(bnmoments, bnparams)
_ARGS = "dy, x, y, moments, params, training, eps"
defgrad(batchnorm, x=f"batchnorm_dx({_ARGS})", params=f"batchnorm_dparams({_ARGS})")
