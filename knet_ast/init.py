"""Knet's initializers and `param`: new parameter arrays, drawn from knet.seed's generator.

Layouts follow docs/design.md: dense weights are (in, out), convolution weights
(out, in, kh, kw), so fan-in and fan-out are read from those axes.
"""
import math

import numpy as np

from .rng import generator
from .runtime.backend import converter, is_array


def _dims(dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 for d in dims):
        raise ValueError(f"dimensions must be non-negative integers, got {dims!r}")
    return tuple(int(d) for d in dims)


def fans(shape):
    """(fan_in, fan_out) of a weight of this shape, as Knet and PyTorch count them: a vector
    is all fan-in; dense (in, out); convolution (out, in, kh, kw, ...) has fan-in
    in*kh*kw*... and fan-out out*kh*kw*..."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], 1
    if len(shape) == 2:
        return shape[0], shape[1]
    size = math.prod(shape)
    return size // max(shape[0], 1), size // max(shape[1], 1)


def xavier_uniform(*dims, gain=1.0, dtype=np.float64):
    """Uniform on [-s, s], s = gain sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010;
    Knet's `xavier`).

    Examples
    --------
    >>> knet.seed(0)
    >>> w = knet.xavier_uniform(3, 2)
    >>> w.shape, w.dtype
    ((3, 2), dtype('float64'))
    >>> bool(np.all(np.abs(w) <= np.sqrt(6 / (3 + 2))))
    True
    >>> knet.xavier is knet.xavier_uniform
    True
    """
    shape = _dims(dims)
    fan_in, fan_out = fans(shape)
    s = gain * math.sqrt(6 / max(fan_in + fan_out, 1))
    return generator().uniform(-s, s, shape).astype(dtype, copy=False)


xavier = xavier_uniform


def xavier_normal(*dims, gain=1.0, dtype=np.float64):
    """Normal with mean 0 and std gain sqrt(2 / (fan_in + fan_out)).

    Examples
    --------
    >>> knet.seed(0)
    >>> w = knet.xavier_normal(200, 200, dtype=np.float32)
    >>> w.shape, w.dtype
    ((200, 200), dtype('float32'))
    >>> round(float(w.std()), 3), round(float(np.sqrt(2 / (200 + 200))), 3)
    (0.071, 0.071)
    """
    shape = _dims(dims)
    fan_in, fan_out = fans(shape)
    std = gain * math.sqrt(2 / max(fan_in + fan_out, 1))
    return (std * generator().standard_normal(shape)).astype(dtype, copy=False)


def gaussian(*dims, mean=0.0, std=0.01, dtype=np.float64):
    """Normal with the given mean and std (Knet's defaults: 0 and 0.01).

    Examples
    --------
    >>> knet.seed(0)
    >>> w = knet.gaussian(10000, mean=1.0, std=0.1)
    >>> w.shape, round(float(w.mean()), 2), round(float(w.std()), 2)
    ((10000,), 1.0, 0.1)
    >>> w = knet.param(3, 4, init=knet.gaussian)   # as an initializer for param
    """
    shape = _dims(dims)
    return (mean + std * generator().standard_normal(shape)).astype(dtype, copy=False)


def bilinear(factor_h, factor_w, channels_in, channels_out, dtype=np.float64):
    """A deconv4 kernel that upsamples each channel `factor` times by bilinear interpolation
    (Long et al., 2015; Knet's `bilinear`): shape (channels, channels, k, k) with
    k = 2 factor - factor % 2, channel i feeding channel i only. Use it as
    `deconv4(w, x, stride=factor, padding=factor // 2)`: (H, W) becomes (factor H, factor W).

    Examples
    --------
    >>> w = knet.bilinear(2, 2, 1, 1)
    >>> w.shape
    (1, 1, 4, 4)
    >>> print(w[0, 0, 0])
    [0.0625 0.1875 0.1875 0.0625]
    >>> x = np.ones((1, 1, 3, 3))    # (N, C, H, W)
    >>> knet.deconv4(w, x, stride=2, padding=1).shape
    (1, 1, 6, 6)
    """
    if factor_h != factor_w or channels_in != channels_out:
        raise ValueError(f"bilinear needs equal factors and as many input as output channels, "
                         f"got {factor_h}x{factor_w} and {channels_in} -> {channels_out}")
    f = factor_h
    k = 2 * f - f % 2
    center = f - 1 if k % 2 == 1 else f - 0.5
    taps = 1 - np.abs(np.arange(k) - center) / f
    w = np.zeros((channels_out, channels_in, k, k), dtype)
    w[np.arange(channels_in), np.arange(channels_in)] = np.outer(taps, taps)
    return w


def param(*dims, init=xavier, atype=None):
    """A new parameter array of shape dims: `init(*dims)` converted by `atype` (default
    float32 NumPy; a dtype, a knet.ArrayType such as ArrayType(gpu=True), or a callable).
    `param(array)` converts an existing array. Knet's `param`, without the Param wrapper:
    knet_ast differentiates plain arrays.

    Examples
    --------
    >>> knet.seed(0)
    >>> w = knet.param(3, 2)
    >>> w.shape, w.dtype
    ((3, 2), dtype('float32'))
    >>> knet.param(2, 2, init=knet.gaussian, atype=np.float64).dtype
    dtype('float64')
    >>> knet.param(np.arange(3))    # converts an existing array
    array([0., 1., 2.], dtype=float32)
    """
    if len(dims) == 1 and is_array(dims[0]):
        return _floating(converter(atype)(dims[0]))
    return _floating(converter(atype)(init(*_dims(dims))))


def param0(*dims, atype=None):
    """A new parameter array of zeros (biases).

    Examples
    --------
    >>> knet.param0(3)
    array([0., 0., 0.], dtype=float32)
    >>> knet.param0(1, 2, atype=np.float64)
    array([[0., 0.]])
    """
    return _floating(converter(atype)(np.zeros(_dims(dims))))


def _floating(w):
    if not np.issubdtype(w.dtype, np.floating):
        raise TypeError(f"parameters must be floating-point arrays (optimizers skip others), "
                        f"atype made {w.dtype}; use atype=np.float32 or np.float64")
    return w
