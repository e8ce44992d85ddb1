"""Knet's `minibatch`: iterate over a dataset in batches along the first (instance) axis."""
import math
import numbers

from .rng import generator
from .runtime.backend import array_module, converter


class Data:
    """What `minibatch` returns: iterable any number of times (one epoch each, reshuffled
    when shuffle=True), with len() the number of batches per epoch."""

    def __init__(self, x, y, batchsize, shuffle, partial, xtype, ytype):
        if not isinstance(batchsize, numbers.Integral) or isinstance(batchsize, bool) or batchsize < 1:
            raise ValueError(f"minibatch: batchsize must be a positive integer, got {batchsize!r}")
        n = _instances(x, "x")
        if y is not None and _instances(y, "y") != n:
            raise ValueError(f"minibatch: x has {n} instances (first axis) but y has {len(y)}")
        self.x, self.y, self.n = x, y, n
        self.batchsize, self.shuffle, self.partial = int(batchsize), shuffle, partial
        self.xtype = None if xtype is None else converter(xtype)
        self.ytype = None if ytype is None else converter(ytype)

    def __len__(self):
        return (math.ceil if self.partial else math.floor)(self.n / self.batchsize)

    def __iter__(self):
        order = generator().permutation(self.n) if self.shuffle else None
        for b in range(len(self)):
            lo, hi = b * self.batchsize, min((b + 1) * self.batchsize, self.n)
            xb = self._take(self.x, order, lo, hi, self.xtype)
            if self.y is None:
                yield xb
            else:
                yield xb, self._take(self.y, order, lo, hi, self.ytype)

    @staticmethod
    def _take(a, order, lo, hi, convert):
        if order is None:
            batch = a[lo:hi]
        else:
            batch = a[array_module(a).asarray(order[lo:hi])]
        return batch if convert is None else convert(batch)

    def __repr__(self):
        return (f"<minibatch: {len(self)} batches of {self.batchsize} from {self.n} instances"
                f"{', shuffled' if self.shuffle else ''}>")


def _instances(a, name):
    shape = getattr(a, "shape", None)
    if not shape:
        what = "a 0-d array" if shape == () else f"a {type(a).__name__}"
        raise TypeError(f"minibatch: {name} must be an array with an instance axis first, got {what}")
    return shape[0]


def minibatch(x, *args, shuffle=False, partial=False, xtype=None, ytype=None):
    """Batches of x, or of (x, y) pairs, along the first axis (Knet's `minibatch`, with
    instances first as in NumPy): `minibatch(x, y, 100)` or `minibatch(x, 100)`.

    shuffle: a new order each epoch (from knet.seed's generator). partial: keep the last,
    smaller batch (otherwise dropped). xtype / ytype: convert each batch (a dtype, a
    knet.ArrayType such as ArrayType(gpu=True), or a callable like cupy.asarray).
    Iterate as often as you like; `knet.epochs(data, n)` chains n epochs.

    Examples
    --------
    >>> x, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    >>> data = knet.minibatch(x, y, 2)
    >>> data
    <minibatch: 2 batches of 2 from 5 instances>
    >>> [yb.tolist() for xb, yb in data]         # the fifth instance is dropped
    [[0, 1], [2, 3]]
    >>> [yb.tolist() for xb, yb in knet.minibatch(x, y, 2, partial=True)]
    [[0, 1], [2, 3], [4]]
    >>> xb, yb = next(iter(knet.minibatch(x, y, 2, shuffle=True, xtype=np.float32)))
    >>> xb.shape, xb.dtype, yb.dtype
    ((2, 2), dtype('float32'), dtype('int64'))
    """
    if len(args) == 1:
        y, (batchsize,) = None, args
    elif len(args) == 2:
        y, batchsize = args
    else:
        raise TypeError("minibatch(x, batchsize) or minibatch(x, y, batchsize)")
    return Data(x, y, batchsize, shuffle, partial, xtype, ytype)


class epochs:
    """The batches of n passes over data (Knet's `repeat(data, n)`), with a length
    when data has one, so that progress bars know their total.

    Examples
    --------
    >>> data = knet.minibatch(np.arange(6.0), 3)
    >>> len(knet.epochs(data, 4))
    8
    >>> [batch.tolist() for batch in knet.epochs(data, 2)]
    [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    """

    def __init__(self, data, n):
        if iter(data) is data:
            raise TypeError("epochs needs data it can iterate over again (a list, a minibatch); "
                            "a generator or iterator runs out after one epoch: wrap it in list()")
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 0:
            raise ValueError(f"epochs: n must be a non-negative integer, got {n!r}")
        self.data, self.n = data, int(n)

    def __iter__(self):
        for _ in range(self.n):
            yield from self.data

    def __len__(self):
        return self.n * len(self.data)
