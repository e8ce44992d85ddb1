"""The random generator behind initializers and shuffling, and `knet.seed`."""
import numpy as np

from .runtime.backend import cupy, gpu

_generator = np.random.default_rng()


def generator():
    """The NumPy Generator that initializers and `minibatch(shuffle=True)` draw from."""
    return _generator


def seed(n):
    """Make knet_ast's randomness reproducible (Knet's `seed!`): reseeds the generator
    behind initializers and shuffling, NumPy's global generator (dropout without a seed)
    and, when a GPU is in use, CuPy's.

    Examples
    --------
    >>> knet.seed(1)
    >>> a = knet.param(2, 2)
    >>> knet.seed(1)
    >>> b = knet.param(2, 2)
    >>> bool(np.array_equal(a, b))
    True
    """
    global _generator
    _generator = np.random.default_rng(n)
    np.random.seed(n)
    if gpu():  # pragma: no cover - needs a GPU
        cupy.random.seed(n)
