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
    """numpy or cupy, whichever `x` belongs to.

    Examples
    --------
    Code written with `xp` runs on NumPy and CuPy arrays alike:

    >>> def norm(x):
    ...     xp = knet.array_module(x)
    ...     return xp.sqrt((x * x).sum())
    >>> knet.array_module(np.ones(2)) is np
    True
    >>> float(norm(np.array([3.0, 4.0])))
    5.0
    """
    if cupy is not None and isinstance(x, cupy.ndarray):
        return cupy
    return np


def is_array(x):
    return isinstance(x, np.ndarray) or (cupy is not None and isinstance(x, cupy.ndarray))


def gpu():
    """True if CuPy is installed and a GPU is usable.

    Examples
    --------
    The usual way to put parameters on the GPU when there is one:

    >>> atype = knet.ArrayType(np.float32, gpu=knet.gpu())
    >>> w = knet.param(2, 3, atype=atype)
    >>> w.shape, w.dtype
    ((2, 3), dtype('float32'))
    >>> isinstance(knet.gpu(), bool)
    True
    """
    if cupy is None:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


class ArrayType:
    """Where and in what precision arrays live (Knet's `atype`: Array{Float32},
    KnetArray{Float32}). Calling it converts: `ArrayType(np.float32, gpu=True)(x)` is x
    as a float32 CuPy array (x itself when it already is one).

    Examples
    --------
    >>> at = knet.ArrayType(np.float64)
    >>> at
    ArrayType(float64)
    >>> at([1, 2, 3])
    array([1., 2., 3.])
    >>> knet.param(2, 3, atype=at).dtype
    dtype('float64')
    """

    def __init__(self, dtype=np.float32, gpu=False):
        if gpu and cupy is None:
            raise RuntimeError("ArrayType(gpu=True) needs CuPy: pip install 'knet_ast[gpu]' "
                               "on a machine with an NVIDIA GPU")
        self.dtype = np.dtype(dtype)
        self.gpu = bool(gpu)

    def __call__(self, a):
        xp = cupy if self.gpu else np
        return xp.asarray(a, dtype=self.dtype)

    def __eq__(self, other):
        return isinstance(other, ArrayType) and (self.dtype, self.gpu) == (other.dtype, other.gpu)

    def __hash__(self):
        return hash((self.dtype, self.gpu))

    def __repr__(self):
        return f"ArrayType({self.dtype.name}{', gpu=True' if self.gpu else ''})"


def converter(atype):
    """A function that puts an array where `atype` says: None (float32 NumPy), an
    ArrayType, a dtype (NumPy, in that precision) or any callable (e.g. cupy.asarray)."""
    if atype is None:
        return ArrayType()
    if isinstance(atype, ArrayType):
        return atype
    try:
        dtype = np.dtype(atype)
    except TypeError:
        dtype = None
    if dtype is not None:
        if dtype.kind not in "biuf":
            raise TypeError(f"atype {atype!r} means dtype {dtype}; use a numeric dtype such as "
                            f"np.float32, or a callable such as cupy.asarray")
        return ArrayType(dtype)
    if callable(atype):
        return atype
    raise TypeError(f"atype must be a dtype, a knet.ArrayType or a callable, got {atype!r}")


def to_host(x):
    """x as a NumPy array (copied from the GPU if it is a CuPy array).

    Examples
    --------
    >>> a = np.ones(2)
    >>> knet.to_host(a) is a          # a NumPy array is returned as is
    True
    >>> knet.to_host([1.5, 2.5])
    array([1.5, 2.5])
    """
    return x.get() if cupy is not None and isinstance(x, cupy.ndarray) else np.asarray(x)
