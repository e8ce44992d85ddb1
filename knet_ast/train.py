"""`knet.train`: the loop Knet's `adam(loss, data)` iterators run, over explicit parameters."""
from .api import gradloss
from .optim import Adam, Optimizer, optimizers, update
from .progress import progress as progress_bar


def train(f, w, data, optimizer=Adam, progress=False, **options):
    """One optimizer step per batch of data: `g, loss = gradloss(f)(w, *batch)`, then
    `update(w, g, opt)`. Returns the list of losses (each taken before its step).

    f(w, *batch) is the loss; a batch that is not a tuple is passed as one argument.
    optimizer is a class (built for w with `options`, e.g. lr=1e-3), an instance to copy
    per array, or the structure `knet.optimizers(w, ...)` returns: keep that structure
    and pass it again to carry the optimizer state (momentum, Adam's moments) from one
    call to the next. progress=True (or a description string) shows a progress bar
    with the loss. `knet.train(loss, w, knet.epochs(dtrn, 10), knet.Adam, lr=1e-3)`
    trains for 10 epochs."""
    if isinstance(optimizer, Optimizer) or (isinstance(optimizer, type)
                                            and issubclass(optimizer, Optimizer)):
        optimizer = optimizers(w, optimizer, **options)
    elif options:
        raise TypeError(f"train: options {sorted(options)} go with an optimizer class, not with "
                        f"an existing optimizer structure")
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
