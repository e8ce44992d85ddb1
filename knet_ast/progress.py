"""Knet's `progress`: a progress bar (tqdm) over a training loop that shows the loss."""
import time

from tqdm import tqdm


class progress:
    """Iterate over `iterable` with a progress bar, as tqdm does. When the items are
    floating-point numbers (losses), the bar shows the latest one; `show(value)` sets
    it from inside a loop over batches. The number is read at most every `every`
    seconds (reading a GPU number waits for the GPU). Other tqdm options (desc, total,
    leave, file, disable, ...) pass through.

    Examples
    --------
    The bar goes to stderr; the loop sees the items unchanged:

    >>> bar = knet.progress(range(3), desc="batches")
    >>> len(bar)
    3
    >>> for i in bar:
    ...     bar.show(1.0 / (i + 1))         # the loss shown next to the bar
    >>> list(knet.progress([0.5, 0.25, 0.125], leave=False))   # losses show themselves
    [0.5, 0.25, 0.125]
    """

    def __init__(self, iterable, every=0.2, **options):
        if options.get("total") is None:
            try:
                options["total"] = len(iterable)
            except TypeError:
                pass
        self.iterable = iterable
        self.bar = tqdm(**options)
        self.every = every
        self._shown = -float("inf")
        self._latest = None

    def __iter__(self):
        try:
            for item in self.iterable:
                if _is_loss(item):
                    self.show(item)
                yield item
                self.bar.update(1)
            if self._latest is not None:  # the last loss, shown when the bar closes
                self.bar.set_postfix_str(f"loss={float(self._latest):.4g}", refresh=False)
        finally:
            self.bar.close()

    def __len__(self):
        return self.bar.total

    def show(self, value):
        """Display `value` as the current loss (throttled)."""
        self._latest = value
        now = time.monotonic()
        if now - self._shown >= self.every:
            self.bar.set_postfix_str(f"loss={float(value):.4g}", refresh=False)
            self._shown = now


def _is_loss(x):
    """A float, or a one-entry floating-point array."""
    if isinstance(x, float):
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and dtype.kind == "f" and getattr(x, "size", None) == 1
