"""`knet.train`: the loop Knet's `adam(loss, data)` iterators run, over explicit parameters."""
from .api import gradloss
from .optim import Adam, Optimizer, optimizers, update


class train:
    """Iterating takes one optimizer step per batch of data and yields the loss before
    the step: `g, loss = gradloss(f)(w, *batch)`, then `update(w, g, opt)`.

    f(w, *batch) is the loss; a batch that is not a tuple is passed as one argument.
    optimizer is a class (built for w with `options`, e.g. lr=1e-3), an instance to
    copy per array, or the structure `knet.optimizers(w, ...)` returns; keep that
    structure and pass it again to carry the optimizer state across calls.
    `list(knet.progress(knet.train(loss, w, knet.epochs(dtrn, 10))))` trains 10 epochs
    with a progress bar."""

    def __init__(self, f, w, data, optimizer=Adam, **options):
        if isinstance(optimizer, Optimizer) or (isinstance(optimizer, type)
                                                and issubclass(optimizer, Optimizer)):
            optimizer = optimizers(w, optimizer, **options)
        elif options:
            raise TypeError("train: options go with an optimizer class, not with an existing "
                            "optimizer structure")
        self.f, self.w, self.data, self.opt = f, w, data, optimizer
        self.lossgrad = gradloss(f)

    def __iter__(self):
        for batch in self.data:
            args = batch if isinstance(batch, tuple) else (batch,)
            g, loss = self.lossgrad(self.w, *args)
            update(self.w, g, self.opt)
            yield loss

    def __len__(self):
        return len(self.data)
