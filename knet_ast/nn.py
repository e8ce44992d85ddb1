"""Knet's neural-network functions: activations, normalised scores, losses and dropout.

Most are plain code that knet_ast differentiates; a few carry a one-line rule
where one fused pass beats the differentiated body (relu, sigm, elu, selu,
softplus, logsumexp, nll). Convolution, pooling, batch normalisation
and RNNs are primitives with hand-written gradients in knet_ast.primitives and
are re-exported here.
"""
import threading

import numpy as np

from .errors import KnetError
from .extend import getval
from .primitives.batchnorm import batchnorm, bnmoments, bnparams  # noqa: F401 (re-exported)
from .primitives.conv import conv4, deconv4, mat, pool, unpool  # noqa: F401 (re-exported)
from .primitives.registry import PRIMITIVES, defgrad, elementwise, is_nondiff, nondiff
from .primitives.rnn import rnnforw, rnninit, rnnparam  # noqa: F401 (re-exported)
from .runtime.backend import array_module
from .runtime.training import after_gradient, training

# --- activations ---

tanh = np.tanh  # Knet's tanh is Julia's; its rule is np.tanh's

_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def relu(x):
    """max(x, 0), elementwise.

    Examples
    --------
    >>> x = np.array([-1.0, 0.0, 2.0])
    >>> knet.relu(x)
    array([0., 0., 2.])
    >>> def total(x):
    ...     return np.sum(knet.relu(x))
    >>> knet.grad(total)(x)                  # 1 where x > 0, else 0 (also at 0)
    array([0., 0., 1.])
    """
    return np.maximum(x, 0)


def sigm(x):
    """The logistic sigmoid 1 / (1 + exp(-x)), computed stably through tanh.

    Examples
    --------
    >>> x = np.array([-np.log(3), 0.0, np.log(3), 1000.0])
    >>> knet.sigm(x)                         # 1 / (1 + 3) = 0.25, 1 / (1 + 1/3) = 0.75
    array([0.25, 0.5 , 0.75, 1.  ])
    >>> def total(x):
    ...     return np.sum(knet.sigm(x))
    >>> knet.grad(total)(x)                  # sigm(x) (1 - sigm(x))
    array([0.1875, 0.25  , 0.1875, 0.    ])
    """
    return 0.5 * np.tanh(0.5 * x) + 0.5


def elu(x, alpha=1.0):
    """x for x > 0, alpha (exp(x) - 1) otherwise.

    Examples
    --------
    >>> x = np.array([-100.0, -1.0, 0.0, 2.0])
    >>> knet.elu(x)                          # exp(-1) - 1 = -0.6321; -alpha for large negative x
    array([-1.    , -0.6321,  0.    ,  2.    ])
    >>> knet.elu(x, alpha=2.0)
    array([-2.    , -1.2642,  0.    ,  2.    ])
    >>> def total(x):
    ...     return np.sum(knet.elu(x))
    >>> knet.grad(total)(x)                  # 1 for x > 0, alpha exp(x) otherwise
    array([0.    , 0.3679, 1.    , 1.    ])
    """
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def selu(x):
    """Scaled ELU with the self-normalising constants of Klambauer et al. (2017).

    Examples
    --------
    >>> knet.selu(np.array([-100.0, 0.0, 1.0]))    # scale * alpha = 1.7581 below, scale = 1.0507 above
    array([-1.7581,  0.    ,  1.0507])
    >>> z = np.random.default_rng(0).standard_normal(100_000)
    >>> y = knet.selu(z)                     # a standard normal input keeps mean 0 and variance 1
    >>> bool(abs(y.mean()) < 0.01), bool(abs(y.var() - 1) < 0.01)
    (True, True)
    """
    return _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0)))


def softplus(x):
    """log(1 + exp(x)), without overflow.

    Examples
    --------
    >>> x = np.array([-1000.0, 0.0, 1000.0])
    >>> knet.softplus(x)                     # log 2 = 0.6931 at 0; no overflow at 1000
    array([   0.    ,    0.6931, 1000.    ])
    >>> def total(x):
    ...     return np.sum(knet.softplus(x))
    >>> knet.grad(total)(x)                  # the derivative is sigm(x)
    array([0. , 0.5, 1. ])
    """
    return np.logaddexp(x, 0)


defgrad(relu, "x", x="dy * (y > 0)")  # Knet's rule; one pass instead of maximum's tie split
defgrad(sigm, "x", x="dy * y * (1 - y)")
defgrad(elu, x="dy * np.where(x > 0, 1, y + alpha)")
defgrad(selu, x=f"dy * np.where(x > 0, {_SELU_SCALE}, y + {_SELU_SCALE * _SELU_ALPHA})")
defgrad(softplus, x="dy * sigm(x)")
elementwise(relu, sigm, elu, selu, softplus)

# --- normalised scores ---


def logsumexp(x, axis=-1):
    """log(sum(exp(x), axis)) without overflow; keeps the reduced axis.

    Examples
    --------
    >>> x = np.array([[0.0, np.log(3)], [1000.0, 1000.0]])
    >>> knet.logsumexp(x)                    # log(1 + 3) = 1.3863; 1000 + log 2
    array([[   1.3863],
           [1000.6931]])
    >>> def total(x):
    ...     return np.sum(knet.logsumexp(x))
    >>> knet.grad(total)(x)                  # the derivative is softmax(x)
    array([[0.25, 0.75],
           [0.5 , 0.5 ]])
    """
    m = getval(_finite_max(x, axis))  # its gradient cancels exactly
    return m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


@nondiff
def _finite_max(x, axis):
    """max(x, axis) with keepdims, 0 where that is not finite (a row of -inf stays -inf)."""
    m = np.max(x, axis=axis, keepdims=True)
    return np.where(np.isfinite(m), m, 0)


defgrad(logsumexp, x="dy * np.exp(x - y)")  # one fused pass instead of differentiating the body


def logp(x, axis=-1):
    """Log-probabilities: x normalised so that exp(x) sums to 1 along `axis` (log-softmax).

    Examples
    --------
    >>> x = np.array([0.0, np.log(3)])
    >>> knet.logp(x)                         # log(1/4) and log(3/4)
    array([-1.3863, -0.2877])
    >>> np.exp(knet.logp(x + 1000))          # shifting the scores changes nothing
    array([0.25, 0.75])
    >>> knet.logsoftmax is knet.logp
    True
    """
    return x - logsumexp(x, axis=axis)


logsoftmax = logp


def softmax(x, axis=-1):
    """Probabilities along `axis`.

    Examples
    --------
    >>> x = np.array([[0.0, np.log(3)], [1.0, 1.0]])
    >>> knet.softmax(x)                      # exp(x) / sum(exp(x)) along the last axis
    array([[0.25, 0.75],
           [0.5 , 0.5 ]])
    >>> def second(x):
    ...     return knet.softmax(x)[0, 1]
    >>> knet.grad(second)(x)                 # p1 ([0, 1] - p) in row 0
    array([[-0.1875,  0.1875],
           [ 0.    ,  0.    ]])
    """
    return np.exp(logp(x, axis=axis))


# --- losses and metrics ---

def nll(scores, labels, axis=-1, average=True):
    """Negative log-likelihood of integer `labels` (0..C-1) under unnormalised `scores`.

    Classes are along `axis` (default: last, i.e. scores of shape (batch, classes)).
    With average=False returns (total, count), as Knet does. `nll(model, data)`
    averages over the (x, labels) minibatches of `data`, scoring each with model(x); it
    reports a number and carries no gradient (inside one it raises).

    Examples
    --------
    >>> scores = np.array([[0.0, np.log(3)], [0.0, np.log(3)]])   # probabilities [0.25, 0.75]
    >>> labels = np.array([1, 0])
    >>> round(float(knet.nll(scores, labels)), 4)                  # (-log 0.75 - log 0.25) / 2
    0.837
    >>> def loss(scores):
    ...     return knet.nll(scores, labels)
    >>> knet.grad(loss)(scores)                                    # (softmax - onehot) / 2
    array([[ 0.125, -0.125],
           [-0.375,  0.375]])
    """
    if callable(scores):
        return _over_batches(nll, scores, labels, axis, average)
    matrix = _classes_last(scores, axis)
    picked = matrix[array_module(matrix).arange(matrix.shape[0]), _flat_labels(labels, matrix)]
    lse = _row_logsumexp(matrix)
    if training():  # inside a gradient: nll_grad will need the normaliser again
        _LAST_NLL.saved = (scores, axis, matrix, lse)
    total = lse.sum() - picked.sum()
    count = np.size(labels)
    return total / count if average else (total, count)


# nll's last (scores, axis, matrix, logsumexp) in this thread, so that nll_grad reuses the
# normaliser instead of recomputing it; matched by the identity of the scores and the axis.
_LAST_NLL = threading.local()
after_gradient(lambda: setattr(_LAST_NLL, "saved", None))


def nll_grad(dy, scores, labels, axis=-1, average=True):
    """The gradient of nll w.r.t. the scores: dy (softmax(scores) - onehot(labels)), divided
    by the count when averaged; one pass over the scores."""
    if not average:  # nll returned (total, count): dy is their adjoints
        dy = dy[0]
        if dy is None:
            return array_module(scores).zeros_like(scores)
    else:
        dy = dy / np.size(labels)
    xp = array_module(scores)
    saved = getattr(_LAST_NLL, "saved", None)
    if saved is not None and saved[0] is scores and saved[1] == axis:
        _, _, p, lse = saved
        _LAST_NLL.saved = None
    else:  # nll ran outside a gradient, or another nll call came in between
        p = _classes_last(scores, axis)
        lse = _row_logsumexp(p)
    p = xp.exp(p - lse)
    p[xp.arange(p.shape[0]), xp.asarray(labels).reshape(-1)] -= 1  # nll checked them
    p *= dy  # in place: float32 stays float32 whatever dy's type
    if p.shape == scores.shape and axis in (-1, scores.ndim - 1):
        return p
    return xp.moveaxis(p.reshape(xp.moveaxis(scores, axis, -1).shape), -1, axis)


def _row_logsumexp(m):
    """logsumexp over the last axis of a matrix, keeping it (a row of -inf stays -inf)."""
    xp = array_module(m)
    top = m.max(axis=-1, keepdims=True)
    if not xp.isfinite(top).all():
        top = xp.where(xp.isfinite(top), top, 0)
    return top + xp.log(xp.exp(m - top).sum(axis=-1, keepdims=True))


def _classes_last(scores, axis):
    """scores as a (instances, classes) matrix."""
    if scores.ndim == 2 and axis in (-1, 1):
        return scores
    moved = array_module(scores).moveaxis(scores, axis, -1)
    return moved.reshape(-1, moved.shape[-1])


def _flat_labels(labels, matrix):
    """The labels as a vector, one per row of the (instances, classes) matrix, checked."""
    flat = array_module(matrix).asarray(labels).reshape(-1)
    if flat.shape[0] != matrix.shape[0]:
        raise ValueError(f"{flat.shape[0]} labels for {matrix.shape[0]} score vectors")
    if flat.dtype.kind not in "iu":
        raise ValueError(f"class labels must be integers 0 .. C-1, got {flat.dtype} labels")
    if flat.size and (int(flat.min()) < 0 or int(flat.max()) >= matrix.shape[1]):
        raise ValueError(f"class labels must be in 0 .. {matrix.shape[1] - 1}, got labels from "
                         f"{int(flat.min())} to {int(flat.max())}")
    return flat


PRIMITIVES.add(nll)
defgrad(nll, scores="nll_grad(dy, scores, labels, axis, average)")


def _softmax_rows(scores, axis):
    """softmax(scores) along `axis`, as an (instances, classes) matrix."""
    m = _classes_last(scores, axis)
    return array_module(m).exp(m - _row_logsumexp(m))


def nll_jvp(dscores, scores, labels, axis=-1, average=True):
    """The tangent of nll(scores, labels) along `dscores`: softmax . ds - ds[label], per
    instance, averaged (or the tangent of (total, count))."""
    p, ds = _softmax_rows(scores, axis), _classes_last(dscores, axis)
    xp = array_module(p)
    picked = ds[xp.arange(ds.shape[0]), xp.asarray(labels).reshape(-1)]
    total = (p * ds).sum() - picked.sum()
    return total / max(np.size(labels), 1) if average else (total, 0)


def nll_grad_jvp(dy, dscores, scores, labels, axis=-1, average=True):
    """The tangent of nll_grad(dy, scores, ...) along the scores' tangent `dscores`:
    dy times the tangent of the softmax, p * (ds - p . ds)."""
    if not average:
        dy = dy[0]
        if dy is None:
            return array_module(scores).zeros_like(scores)
    else:
        dy = dy / np.size(labels)
    p, ds = _softmax_rows(scores, axis), _classes_last(dscores, axis)
    out = p * (ds - (p * ds).sum(axis=-1, keepdims=True)) * dy
    if out.shape == scores.shape:
        return out
    xp = array_module(out)
    return xp.moveaxis(out.reshape(xp.moveaxis(scores, axis, -1).shape), -1, axis)


@nondiff
def accuracy(scores, labels, axis=-1, average=True):
    """Fraction of instances whose highest score is the correct label; with average=False,
    (correct, count). `accuracy(model, data)` averages over minibatches as nll does.

    Examples
    --------
    >>> scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    >>> labels = np.array([1, 0, 0])                 # the last instance is wrong
    >>> round(knet.accuracy(scores, labels), 4)
    0.6667
    >>> knet.accuracy(scores, labels, average=False)
    (2.0, 3)
    >>> data = [(scores[:2], labels[:2]), (scores[2:], labels[2:])]   # two minibatches
    >>> round(knet.accuracy(lambda x: x, data), 4)   # the model here returns its input as scores
    0.6667
    """
    if callable(scores):
        return _over_batches(accuracy, scores, labels, axis, average)
    matrix = _classes_last(scores, axis)
    hits = matrix.argmax(axis=-1) == _flat_labels(labels, matrix)
    correct, count = float(hits.sum()), int(hits.size)
    return correct / count if average else (correct, count)


def bce(scores, labels, average=True):
    """Binary cross-entropy of labels in {0, 1} under logits `scores` (Knet's bce):
    -[labels log sigm(scores) + (1 - labels) log(1 - sigm(scores))], averaged.

    Examples
    --------
    >>> scores = np.array([0.0, np.log(3), np.log(3)])   # sigm(scores) = [0.5, 0.75, 0.75]
    >>> labels = np.array([1, 1, 0])
    >>> round(float(knet.bce(scores, labels)), 4)        # (-log 0.5 - log 0.75 - log 0.25) / 3
    0.789
    >>> def loss(scores):
    ...     return knet.bce(scores, labels)
    >>> knet.grad(loss)(scores)                          # (sigm(scores) - labels) / 3
    array([-0.1667, -0.0833,  0.25  ])
    """
    losses = softplus(scores) - _like(labels, scores) * scores
    return _mean_or_pair(losses, average)


def logistic(scores, labels, average=True):
    """Logistic loss of labels in {-1, 1}: log(1 + exp(-labels scores)), averaged.

    Examples
    --------
    >>> scores = np.array([0.0, np.log(3), np.log(3)])
    >>> labels = np.array([1, 1, -1])
    >>> round(float(knet.logistic(scores, labels)), 4)   # (log 2 + log(4/3) + log 4) / 3
    0.789
    >>> bool(np.isclose(knet.logistic(scores, labels), knet.bce(scores, (labels + 1) // 2)))
    True
    >>> def loss(scores):
    ...     return knet.logistic(scores, labels)
    >>> knet.grad(loss)(scores)                          # -labels sigm(-labels scores) / 3
    array([-0.1667, -0.0833,  0.25  ])
    """
    return _mean_or_pair(softplus(-_like(labels, scores) * scores), average)


@nondiff
def _like(labels, scores):
    """Labels in the floating type of the scores, so float32 scores give a float32 loss."""
    dtype = _float_dtype(scores)
    return labels.astype(dtype) if hasattr(labels, "astype") else dtype.type(labels)


def _float_dtype(x):
    """x's dtype if it is floating, else float64."""
    return np.dtype(np.result_type(getattr(x, "dtype", np.float64), np.float16))


def _mean_or_pair(losses, average):
    total = np.sum(losses)
    return total / np.size(losses) if average else (total, np.size(losses))


@nondiff
def _over_batches(metric, model, data, axis, average):
    """Knet's metric(model, data): the metric's totals over the (x, labels) minibatches of data,
    scored by model(x), then averaged. A report: for a metric that has a gradient (nll) it
    raises inside a gradient, where that gradient would silently be zero."""
    if training() and not is_nondiff(metric):
        raise KnetError(
            f"{metric.__name__}(model, data) reports a metric over a dataset and carries no "
            f"gradient; inside a loss, loop over the minibatches and call "
            f"{metric.__name__}(model(x), labels) on each")
    total, count = 0.0, 0
    for x, labels in data:
        part, n = metric(model(x), labels, axis=axis, average=False)
        total, count = total + float(part), count + n
    if count == 0:
        raise ValueError(f"{metric.__name__}(model, data): data has no minibatches")
    return total / count if average else (total, count)


# --- dropout ---

def dropout(x, p, seed=None, drop=None):
    """x with each entry zeroed with probability p and the rest scaled by 1 / (1 - p)
    (inverted dropout, Knet's). Active while training (inside knet.grad) unless `drop`
    says otherwise; `seed` makes the mask reproducible.

    Examples
    --------
    >>> x = np.ones(8)
    >>> knet.dropout(x, 0.5)                          # outside knet.grad: inactive, x unchanged
    array([1., 1., 1., 1., 1., 1., 1., 1.])
    >>> np.unique(knet.dropout(x, 0.5, seed=1, drop=True))   # kept entries scaled by 1 / (1 - 0.5)
    array([0., 2.])
    >>> def loss(x):
    ...     return np.sum(knet.dropout(x, 0.5, seed=1))
    >>> dx = knet.grad(loss)(x)                       # active inside knet.grad: the gradient is the mask
    >>> bool(np.array_equal(dx, knet.dropout(x, 0.5, seed=1, drop=True)))
    True
    """
    return x * dropout_mask(x, p, seed, drop)


@nondiff
def dropout_mask(x, p, seed=None, drop=None):
    """The factor dropout multiplies by: 0 or 1 / (1 - p) per entry, or 1 when inactive."""
    if not 0 <= p < 1:
        raise ValueError(f"dropout probability must be in [0, 1), got {p!r}")
    if not (training() if drop is None else drop) or p == 0:
        return 1
    xp = array_module(x)
    random = xp.random if seed is None else xp.random.RandomState(seed)
    keep = random.random_sample(np.shape(x)) >= p
    dtype = _float_dtype(x)
    return keep.astype(dtype) * dtype.type(1 / (1 - p))


__all__ = ["relu", "sigm", "tanh", "elu", "selu", "softplus", "logsumexp", "logp", "logsoftmax",
           "softmax", "nll", "accuracy", "bce", "logistic", "dropout", "conv4", "deconv4", "pool",
           "unpool", "mat", "batchnorm", "bnmoments", "bnparams", "rnninit", "rnnforw", "rnnparam",
           "training"]
