"""MNIST (LeCun et al.): 60000 training and 10000 test digits, 28x28, from the IDX files."""
import gzip
import math
import struct

import numpy as np

from .remote import Remote, fetch

_MIRRORS = ("https://storage.googleapis.com/cvdf-datasets/mnist/",
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "http://yann.lecun.com/exdb/mnist/")
# sha256 as pinned by tensorflow/datasets (url_checksums/mnist.txt)
FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """The array in an IDX file (the format MNIST ships in), gzipped or not.

    Examples
    --------
    A 2x3 array of unsigned bytes: magic (0, 0, type 0x08, 2 dimensions), sizes, data:

    >>> import struct
    >>> with open("tiny-idx2-ubyte", "wb") as file:
    ...     _ = file.write(bytes([0, 0, 0x08, 2]) + struct.pack(">2I", 2, 3) + bytes(range(6)))
    >>> knet.data.read_idx("tiny-idx2-ubyte")
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as file:
        data = file.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number {data[:4].hex()})")
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        raise ValueError(f"{path}: truncated IDX header ({len(data)} bytes for {ndim} dimensions)")
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[data[2]])
    body = data[4 + 4 * ndim:]
    if len(body) != dtype.itemsize * math.prod(dims):
        raise ValueError(f"{path}: the header says {dims} entries of {dtype.itemsize} bytes, "
                         f"the file holds {len(body)} bytes (truncated?)")
    return np.frombuffer(body, dtype).reshape(dims).astype(dtype.newbyteorder("="))


def mnist(dtype=np.float32):
    """(xtrn, ytrn, xtst, ytst): images (N, 1, 28, 28) scaled to [0, 1], labels 0..9
    (int64). Downloaded on first use into knet_ast.data.cache_dir().

    Examples
    --------
    >>> xtrn, ytrn, xtst, ytst = knet.data.mnist()  # doctest: +SKIP
    >>> xtrn.shape, ytrn.shape, xtst.shape, ytst.shape  # doctest: +SKIP
    ((60000, 1, 28, 28), (60000,), (10000, 1, 28, 28), (10000,))
    >>> xtrn.dtype, ytrn.dtype  # doctest: +SKIP
    (dtype('float32'), dtype('int64'))
    """
    def load(name):
        return read_idx(fetch(Remote(name, tuple(m + name for m in _MIRRORS), FILES[name])))

    def images(name):
        x = load(name)
        return (x.reshape(x.shape[0], 1, 28, 28) / 255).astype(dtype)

    return (images("train-images-idx3-ubyte.gz"), load("train-labels-idx1-ubyte.gz").astype(np.int64),
            images("t10k-images-idx3-ubyte.gz"), load("t10k-labels-idx1-ubyte.gz").astype(np.int64))
