"""Batch normalisation (Knet's batchnorm, bnmoments, bnparams) with a fused gradient.

Statistics are taken over every axis but the channel axis 1: x is (N, C) or
(N, C, H, W, ...). While training, the batch's mean and variance normalise x and
the running moments are updated in place; otherwise the running moments do.
"""
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
    """Running moments for batchnorm; mean and var start at 0 and 1 when first used."""
    return BNMoments(momentum, mean, var)


def bnparams(channels, dtype=np.float64):
    """Batchnorm's learned parameters for `channels` channels: C scales (ones), then C shifts
    (zeros), in one vector."""
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


def _statistics(x, moments, training, eps):
    """(mean, 1 / sqrt(var + eps), whether they are the batch's), shaped to broadcast over x."""
    axes, shape = _layout(x)
    batch = (_training() if training is None else training) or moments is None
    if batch:
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    else:
        _initialise(moments, x, shape)
        mean, var = moments.mean, moments.var
    return mean, (var + eps) ** -0.5, batch


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
    """
    _, shape = _layout(x)
    mean, inv_std, batch = _statistics(x, moments, training, eps)
    if batch and moments is not None:
        _initialise(moments, x, shape)
        n = x.size // x.shape[1]
        m = moments.momentum
        unbiased = x.var(axis=_layout(x)[0], keepdims=True) * (n / max(n - 1, 1))
        moments.mean = (1 - m) * moments.mean + m * mean
        moments.var = (1 - m) * moments.var + m * unbiased
    y = (x - mean) * inv_std
    if params is None:
        return y
    scale, shift = _scale_shift(params, shape)
    return y * scale + shift


@fused
def batchnorm_grads(dy, x, moments, params, training, eps):
    """(dx, dparams) for batchnorm, from one pass over dy and the normalised x."""
    axes, shape = _layout(x)
    mean, inv_std, batch = _statistics(x, moments, training, eps)
    xhat = (x - mean) * inv_std
    dshift = dy.sum(axis=axes, keepdims=True)
    dscale = (dy * xhat).sum(axis=axes, keepdims=True)
    scale = 1 if params is None else _scale_shift(params, shape)[0]
    if batch:  # the statistics depend on x too
        n = x.size // x.shape[1]
        dx = (scale * inv_std) * (dy - (dshift + xhat * dscale) / n)
    else:
        dx = dy * (scale * inv_std)
    dparams = None if params is None else array_module(dy).concatenate(
        [dscale.reshape(-1), dshift.reshape(-1)]).astype(params.dtype, copy=False)
    return dx.astype(x.dtype, copy=False), dparams


PRIMITIVES.add(batchnorm)
nondiff(bnmoments, bnparams)
defgrad(batchnorm, x="batchnorm_grads(dy, x, moments, params, training, eps)[0]",
        params="batchnorm_grads(dy, x, moments, params, training, eps)[1]")
