"""What a `for` loop iterates over, as something with len() and positional indexing.

The transform rewrites `for x in xs` into `for index in range(len(seq)): x = seq[index]`
with `seq = as_sequence(xs)`, so the gradient of each `x` flows back into `xs`
through the indexing (and the reverse loop can revisit the items).
"""
import numbers

from .backend import is_array


def as_sequence(x):
    """`x` itself for lists, tuples, ranges and arrays; the keys of a dict; any other iterable
    (a generator, a dict view, a map) read into a list once."""
    if isinstance(x, (list, tuple, range)) or is_array(x):
        return x
    return list(x)


def length(x):
    """len(x); a loop's tape saves only the length of a list it reads for nothing else."""
    return x if isinstance(x, numbers.Integral) else len(x)


def dict_from(keys, values):
    """The dict a dict comprehension builds, from its lists of keys and values."""
    return dict(zip(keys, values))
