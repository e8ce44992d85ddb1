"""Knet's `progress`: a progress bar (tqdm) over a training loop that shows the loss."""
import numbers
import time

from tqdm import tqdm


def progress(iterable, total=None, desc=None, every=0.2, **options):
    """Iterate over `iterable` with a progress bar. When the items are numbers (the
    losses `knet.train` yields), the bar shows the latest one, read at most every
    `every` seconds (reading a GPU number waits for the GPU). Other tqdm options pass
    through; `list(progress(knet.train(...)))` runs a loop and keeps its losses."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    bar = tqdm(iterable, total=total, desc=desc, **options)
    shown = time.monotonic()
    for item in bar:
        now = time.monotonic()
        if now - shown >= every and _is_number(item):
            bar.set_postfix_str(f"loss={float(item):.4g}", refresh=False)
            shown = now
        yield item
    if total is not None and bar.n and _is_number(item):
        bar.set_postfix_str(f"loss={float(item):.4g}")
    bar.close()


def _is_number(x):
    return isinstance(x, numbers.Number) or getattr(x, "size", None) == 1
