"""Knet's `training()`: true while a gradient is being computed.

Dropout and batch normalisation behave differently while training; they ask
`training()` unless told explicitly. GradFunction sets the flag around each
call of a generated gradient, so `loss(w, x)` called directly evaluates the
model and `knet.grad(loss)(w, x)` trains it.
"""
import threading

_state = threading.local()


def training():
    """True inside a call of a gradient made by knet.grad / knet.gradloss.

    Examples
    --------
    >>> knet.training()
    False
    >>> def loss(w):
    ...     scale = 2.0 if knet.training() else 1.0   # as dropout: different while training
    ...     return scale * np.sum(w * w)
    >>> float(loss(np.ones(2)))
    2.0
    >>> g, value = knet.gradloss(loss)(np.ones(2))
    >>> float(value), g
    (4.0, array([4., 4.]))
    """
    return getattr(_state, "depth", 0) > 0


_AFTER_GRADIENT = []  # functions that drop what operators kept for their rules (per thread)


def after_gradient(clear):
    """Call `clear()` when the outermost gradient call of a thread ends: nll and conv4 keep
    values from their forward pass for their rules while a gradient runs, and let go here."""
    _AFTER_GRADIENT.append(clear)
    return clear


class _TrainingMode:
    """`with TRAINING:` sets the flag for this thread (a class, not a generator-based
    context manager: entering it is on every gradient call's path)."""

    def __enter__(self):
        _state.depth = getattr(_state, "depth", 0) + 1

    def __exit__(self, *exc):
        _state.depth -= 1
        if _state.depth == 0:
            for clear in _AFTER_GRADIENT:
                clear()


TRAINING = _TrainingMode()
