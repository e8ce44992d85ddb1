"""`knet.train`: the loop Knet's `adam(loss, data)` iterators run, over explicit parameters."""
from .api import gradloss
from .optim import Adam, Optimizer, optimizers, update
from .progress import progress as progress_bar
from .runtime.backend import is_array


def train(f, w, data, optimizer=Adam, progress=False, **options):
    """One optimizer step per batch of data: `g, loss = gradloss(f)(w, *batch)`, then
    `update(w, g, opt)`. Returns the list of losses (each taken before its step).

    f(w, *batch) is the loss; a batch that is not a tuple is passed as one argument.
    optimizer is a class (built for w with `options`, e.g. lr=1e-3), an instance (used
    as is for a single array, as a template for each array of a structure), or the
    structure `knet.optimizers(w, ...)` returns: keep that structure (or the instance
    of a single array) and pass it again to carry the optimizer state (momentum,
    Adam's moments) from one call to the next. progress=True (or a description
    string) shows a progress bar with the loss.
    `knet.train(loss, w, knet.epochs(dtrn, 10), knet.Adam, lr=1e-3)` trains 10 epochs.

    Examples
    --------
    Linear regression, y = x @ [[2], [-1]], 20 epochs of 4 batches:

    >>> def loss(w, x, y):
    ...     return np.mean((x @ w - y) ** 2)
    >>> x = np.random.default_rng(0).standard_normal((32, 2))
    >>> y = x @ np.array([[2.0], [-1.0]])
    >>> w = np.zeros((2, 1))
    >>> losses = knet.train(loss, w, knet.epochs(knet.minibatch(x, y, 8), 20), knet.SGD, lr=0.1)
    >>> len(losses), bool(losses[-1] < losses[0])
    (80, True)
    >>> print(w.round(2))
    [[ 2.]
     [-1.]]
    """
    if not isinstance(w, (list, tuple, dict)) and not is_array(w):
        raise TypeError(f"train updates w in place, so it must be an array or a list / tuple / "
                        f"dict of them, got a {type(w).__name__}; put a number in a list")
    if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        optimizer = optimizers(w, optimizer, **options)
    elif options:
        raise TypeError(f"train: options {sorted(options)} go with an optimizer class, not with "
                        f"an optimizer or a structure of them")
    elif isinstance(optimizer, Optimizer) and not is_array(w):
        optimizer = optimizers(w, optimizer)  # an instance as a template for each array
    elif optimizer is None:
        raise TypeError("train needs an optimizer: a class such as knet.Adam, an instance, or "
                        "the structure knet.optimizers(w, ...) returns")
    lossgrad = gradloss(f)
    bar = None
    if progress:
        data = bar = progress_bar(data, desc=progress if isinstance(progress, str) else None)
    losses = []
    for batch in data:
        g, loss = lossgrad(w, *(batch if isinstance(batch, tuple) else (batch,)))
        update(w, g, optimizer)
        losses.append(loss)
        if bar is not None:
            bar.show(loss)
    return losses
