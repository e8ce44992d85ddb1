"""The Boston housing data (Harrison and Rubinfeld, 1978), from the UCI repository:
506 houses, 13 features, the median value in $1000s."""
import numpy as np

from .remote import Remote, fetch

URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/housing/housing.data"
SHA256 = "baadf72995725d76efe787b664e1f083388c79ba21ef9a7990d87f774184735a"  # as Flux.jl pins it


def standardize(x):
    """Each column shifted to mean 0 and scaled to standard deviation 1.

    Examples
    --------
    A constant column (standard deviation 0) becomes zeros:

    >>> x = np.array([[1.0, 5.0], [3.0, 5.0]])
    >>> knet.data.standardize(x)
    array([[-1.,  0.],
           [ 1.,  0.]])
    """
    std = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(std > 0, std, 1)


def housing(dtype=np.float32):
    """(x, y): x (506, 13) with standardised columns (as Knet's housing()), y (506, 1).

    Examples
    --------
    >>> x, y = knet.data.housing()  # doctest: +SKIP
    >>> x.shape, y.shape, x.dtype  # doctest: +SKIP
    ((506, 13), (506, 1), dtype('float32'))
    """
    table = np.loadtxt(fetch(Remote("housing.data", (URL,), SHA256)), dtype=np.float64)
    if table.ndim != 2 or table.shape[1] != 14:
        raise ValueError(f"housing.data should have 14 columns, got shape {table.shape}")
    return standardize(table[:, :13]).astype(dtype), table[:, 13:].astype(dtype)
