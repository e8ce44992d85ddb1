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


class Closure(tuple):
    """A nested function used as a value: the lifted function and the values it captured.

    It is a tuple of the captured values, so a gradient flows back into them like into any
    tuple, and it is callable like the nested function it stands for."""

    def __new__(cls, function, names, values):
        closure = super().__new__(cls, values)
        closure.function, closure.names = function, names
        return closure

    def __call__(self, *args, **kwargs):
        return self.function(*args, **kwargs, **dict(zip(self.names, self)))


def make_closure(function, names, values):
    return Closure(function, names, values)
