"""Tables of functions to differentiate: input makers, one row per case, argument drawing.

A maker takes a seeded generator and returns one argument; a row names a function, its
makers, what to differentiate and the tolerances. Used by the corpus and control-flow tables.
"""
import numpy as np
import pytest
from checkgrad import tree_map


def normal(*shape, scale=1.0):
    return lambda rng: scale * rng.standard_normal(shape)


def uniform(low, high, *shape):
    return lambda rng: rng.uniform(low, high, shape)


def positive(*shape, low=0.5, high=2.0):
    return uniform(low, high, *shape)


def number(low=-1.0, high=1.0):
    return lambda rng: float(rng.uniform(low, high))


def zero_dim(low=-1.0, high=1.0):
    return lambda rng: np.array(rng.uniform(low, high))


def fixed(value):
    return lambda rng: value


def array(*values):
    return fixed(np.array(values, dtype=np.float64))


def tree(structure):
    """An argument built from a list/tuple/dict whose leaves are makers (or fixed values)."""
    return lambda rng: tree_map(lambda leaf: leaf(rng) if callable(leaf) else leaf, structure)


def mlp(*sizes):
    """[w0, b0, w1, b1, ...] for a dense network with these layer widths."""
    makers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        makers += [normal(n_in, n_out), normal(n_out)]
    return tree(makers)


class Case:
    """One row of a table: a function, its input makers, and what to differentiate.

    `xfail` marks a known bug for every test of the row; `loss_xfail` one that
    only breaks the loss returned by knet.gradloss.
    """

    def __init__(self, func, makers, wrt, rtol, atol, label, xfail, loss_xfail):
        self.func, self.makers, self.wrt, self.rtol, self.atol = func, makers, wrt, rtol, atol
        self.id = func.__name__ + (f"[{label}]" if label else "")
        self.xfail, self.loss_xfail = xfail, loss_xfail

    def param(self, for_loss=False):
        reason = self.xfail or (self.loss_xfail if for_loss else None)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        return pytest.param(self.func, self.makers, self.wrt, self.rtol, self.atol, id=self.id,
                            marks=marks)


def case(func, *makers, wrt=0, rtol=1e-5, atol=1e-7, label=None, xfail=None, loss_xfail=None):
    return Case(func, makers, wrt, rtol, atol, label, xfail, loss_xfail)


def make_args(makers, seed=0):
    rng = np.random.default_rng(seed)
    return tuple(make(rng) for make in makers)
