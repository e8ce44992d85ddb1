"""The one place that knows NumPy from CuPy.

CuPy is optional: if it is not installed, `cupy` is None and everything runs
on NumPy.
"""
import numpy as np

try:  # pragma: no cover - depends on the machine
    import cupy
except Exception:  # ImportError, or a CUDA runtime that fails to load
    cupy = None


def array_module(x):
    """numpy or cupy, whichever `x` belongs to."""
    if cupy is not None and isinstance(x, cupy.ndarray):
        return cupy
    return np


def is_array(x):
    return isinstance(x, np.ndarray) or (cupy is not None and isinstance(x, cupy.ndarray))


def gpu():
    """True if CuPy is installed and a GPU is usable."""
    if cupy is None:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False
