"""The in-place accumulation pass (transform/inplace.py): where `add_at` may write into its
accumulator, and gradients that stay right where it must not."""
import textwrap

import gast
import numpy as np
import pytest
from checkgrad import check_grad

import knet_ast as knet
from knet_ast.transform.inplace import in_place


def rewritten(code):
    """The calls in `code` (a function body) after the pass: 'at' for add_at, 'in' for
    add_in_place, in source order."""
    tree = gast.parse("def f(x, g, h):\n" + textwrap.indent(textwrap.dedent(code), "    "))
    function = tree.body[0]
    for node in gast.walk(function):
        if isinstance(node, gast.Name) and node.id == "add_at":
            node.knet_ref = True
    in_place(function)
    calls = [n.func.id for n in gast.walk(function) if isinstance(n, gast.Call)
             and isinstance(n.func, gast.Name) and n.func.id.startswith("add_")]
    return [{"add_at": "at", "add_in_place": "in"}[c] for c in calls]


@pytest.mark.parametrize("code, expected", [
    ("d = add_at(None, x, 0, g)\nd = add_at(d, x, 1, h)", ["at", "in"]),
    ("d = None\nd = add_at(d, x, 1, h)", ["in"]),
    ("d = g\nd = add_at(d, x, 1, h)", ["at"]),                    # d is g's array
    ("d = add_at(None, x, 0, g)\ny = d\nd = add_at(d, x, 1, h)", ["at", "at"]),  # y holds it
    ("d = add_at(None, x, 0, g)\ne = add_at(None, x, 0, d)\nd = add_at(d, x, 1, h)",
     ["at", "at", "at"]),                                         # read as another's value
    ("d = add_at(None, x, 0, g)\nif g:\n    y = d\nd = add_at(d, x, 1, h)", ["at", "at"]),
    ("d = add_at(None, x, 0, g)\nif g:\n    d = add_at(d, x, 2, h)\nd = add_at(d, x, 1, h)",
     ["at", "in", "in"]),
    ("d = None\nfor i in g:\n    d = add_at(d, x, i, h)", ["in"]),
    ("d = None\nfor i in g:\n    d = add_at(d, x, i, h)\n    y = d", ["at"]),  # read each turn
    ("d = None\nfor i in g:\n    y = d\n    d = add_at(d, x, i, h)", ["at"]),
    ("d = None\nfor i in g:\n    d = add_at(d, x, i, h)\n    if i:\n        break", ["at"]),
    ("d = None\nwhile d is None:\n    d = add_at(d, x, 0, h)", ["at"]),       # the test reads d
    ("d = None\nfor i in g:\n    e = add_at(None, x, 0, h)\n    e = add_at(e, x, i, d)\n"
     "    d = e", ["at", "in"]),
])
def test_where_the_accumulator_is_written_in_place(code, expected):
    assert rewritten(code) == expected


def test_a_loop_over_elements_is_written_in_place_and_right():
    def f(x):
        s = 0.0
        for i in range(len(x)):
            if x[i] <= 0:
                s = s + np.exp(x[i])
            else:
                s = s + np.log(x[i])
        return s
    x = np.random.default_rng(0).uniform(-1, 1, 50)
    x[np.abs(x) < 0.05] = 0.5
    assert "add_in_place(dx, x, i" in knet.grad(f).source
    check_grad(f, x)


def aliased(w):
    a = w[0]
    v = w          # the same list under another name
    b = v[1] * 2
    total = np.sum(a * b)
    for i in range(len(w)):
        total = total + np.sum(w[i] * v[i])
    return total + np.sum(v[0])


def item_twice(w):
    a = w[0]
    pair = [a, a]
    return np.sum(pair[0] * pair[1]) + np.sum(w[0]) + np.sum(w[1] ** 3)


def nested_rows(x):
    total = 0.0
    for i in range(x.shape[0]):
        row = x[i]
        for j in range(row.shape[0]):
            total = total + row[j] * x[i, j]
    return total


@pytest.mark.parametrize("f", [aliased, item_twice])
def test_aliased_lists_keep_their_gradients_apart(f):
    rng = np.random.default_rng(1)
    w = [rng.standard_normal(3), rng.standard_normal(3)]
    check_grad(f, w)
    grad = knet.grad(f)
    first = grad(w)
    assert all(np.array_equal(a, b) for a, b in zip(first, grad(w)))  # nothing carried over


def test_rows_and_entries_of_one_array_add_up():
    check_grad(nested_rows, np.random.default_rng(2).standard_normal((3, 4)))
