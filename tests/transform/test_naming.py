"""Naming conventions of generated code (knet_ast/transform/naming.py)."""
import gast
import pytest

from knet_ast.transform.naming import Namer, describe


def _expr(text):
    return gast.parse(text, mode="eval").body


@pytest.mark.parametrize("text, name", [
    ("x @ w0", "x_at_w0"), ("a + b", "a_plus_b"), ("-x", "neg_x"), ("w[0]", "w0"),
    ("w[i]", "w_i"), ("w[-1]", "wlast"), ("w[-2]", "wm2"), ("x.T", "xT"),
    ("x.shape", "x_shape"), ("f(h)", "f_h"), ("d * d", "d_times_d"), ("p['W1']", "p_W1"),
])
def test_temporaries_say_what_they_compute(text, name):
    assert describe(_expr(text)) == name


def test_long_descriptions_fall_back_to_the_operation():
    assert describe(_expr("first_long_name @ second_long_name")) == "at"
    assert describe(_expr("some_function(first_long_argument)")) == "some_function"


def test_module_functions_read_as_function_of_argument():
    is_np = lambda node: isinstance(node, gast.Name) and node.id == "np"  # noqa: E731
    assert describe(_expr("np.tanh(h)"), is_np) == "tanh_h"
    assert describe(_expr("x.sum()"), is_np) == "x_sum"


def test_adjoint_names_avoid_user_names():
    namer = Namer({"x", "dx", "y"})
    assert namer.adjoint("x") == "d_x"
    assert namer.adjoint("y") == "dy"


def test_fresh_names_and_versions_are_deterministic_and_unique():
    namer = Namer({"t", "x"})
    assert [namer.fresh("t"), namer.fresh("t"), namer.fresh("u")] == ["t_1", "t_2", "u"]
    assert [namer.version("x"), namer.version("x")] == ["x_1", "x_2"]
    assert namer.fresh("2x") == "c2x"
