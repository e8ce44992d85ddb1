"""Datasets that need no network: they ship with installed packages.

digits and diabetes come with scikit-learn (installed with knet_ast's `data` and
`test` extras); stdlib_text is the source code of Python's standard library, the
Python counterpart of the Julia source Knet's character model can train on.
"""
import sys
import sysconfig
from pathlib import Path

import numpy as np

from .housing import standardize


def _sklearn_datasets():
    try:
        from sklearn import datasets
    except ImportError:
        raise ImportError("this dataset ships with scikit-learn: pip install scikit-learn "
                          "(or pip install 'knet_ast[data]')") from None
    return datasets


def split(n, test_fraction, seed=0):
    """(train, test) index arrays: a fixed shuffle of range(n), test_fraction of it for test.

    Examples
    --------
    >>> trn, tst = knet.data.split(10, 0.3)
    >>> len(trn), len(tst)
    (7, 3)
    >>> sorted(np.concatenate([trn, tst]).tolist()) == list(range(10))
    True
    >>> bool(np.array_equal(knet.data.split(10, 0.3)[1], tst))    # the same split every time
    True
    """
    if not 0 <= test_fraction <= 1:
        raise ValueError(f"split: test_fraction must be in [0, 1], got {test_fraction!r}")
    order = np.random.default_rng(seed).permutation(n)
    ntest = int(round(n * test_fraction))
    return order[ntest:], order[:ntest]


def digits(dtype=np.float32, test_fraction=0.2):
    """(xtrn, ytrn, xtst, ytst) from scikit-learn's 1797 handwritten digits (UCI): images
    (N, 1, 8, 8) scaled to [0, 1], labels 0..9 (int64); a fixed 80/20 split.

    Examples
    --------
    >>> xtrn, ytrn, xtst, ytst = knet.data.digits()
    >>> xtrn.shape, ytrn.shape, xtst.shape, ytst.shape
    ((1438, 1, 8, 8), (1438,), (359, 1, 8, 8), (359,))
    >>> xtrn.dtype, ytrn.dtype, float(xtrn.max()), sorted(set(ytrn.tolist())) == list(range(10))
    (dtype('float32'), dtype('int64'), 1.0, True)
    """
    bunch = _sklearn_datasets().load_digits()
    x = (bunch.images[:, None] / 16).astype(dtype)
    y = bunch.target.astype(np.int64)
    trn, tst = split(len(y), test_fraction)
    return x[trn], y[trn], x[tst], y[tst]


def diabetes(dtype=np.float32):
    """(x, y) from scikit-learn's diabetes data (Efron et al., 2004): x (442, 10) standardised
    columns, y (442, 1) disease progression after one year. A regression set the size of
    Boston housing, for when housing() cannot be downloaded.

    Examples
    --------
    >>> x, y = knet.data.diabetes()
    >>> x.shape, y.shape, x.dtype
    ((442, 10), (442, 1), dtype('float32'))
    >>> bool(np.allclose(x.mean(axis=0), 0, atol=1e-5) and np.allclose(x.std(axis=0), 1, atol=1e-5))
    True
    """
    bunch = _sklearn_datasets().load_diabetes()
    return standardize(bunch.data).astype(dtype), bunch.target[:, None].astype(dtype)


def stdlib_text(chars=1_000_000):
    """About `chars` characters of Python source: the standard library's top-level modules
    in name order (their text, and so the result, depends on the Python version).

    Examples
    --------
    >>> text = knet.data.stdlib_text(1000)
    >>> len(text), type(text).__name__
    (1000, 'str')
    >>> ids, vocab = knet.data.char_ids(text)    # ready for a character model
    >>> ids.shape
    (1000,)
    """
    if chars <= 0:
        return ""
    root = Path(sysconfig.get_paths()["stdlib"])
    parts, total = [], 0
    for path in sorted(root.glob("*.py")):
        if total >= chars:
            break
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        parts.append(text)
        total += len(text)
    if not parts:
        raise FileNotFoundError(f"no Python source found in {root} (Python {sys.version.split()[0]})")
    return "".join(parts)[:chars]
