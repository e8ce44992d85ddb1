"""Reading source and resolving names (knet_ast/transform/parse.py)."""
import functools
import importlib
import sys

import gast
import numpy as np
import pytest

import knet_ast as knet
from knet_ast.errors import SourceUnavailableError, UnsupportedSyntaxError
from knet_ast.transform.parse import UNRESOLVED, parse_function

OFFSET = 0.5


def make_scaled(scale):
    def scaled(x):
        return scale * np.sum(x) + OFFSET
    return scaled


def _name(text):
    return gast.parse(text, mode="eval").body


def test_resolves_globals_closures_builtins_and_module_attributes():
    parsed = parse_function(make_scaled(3.0))
    assert parsed.resolve(_name("scale")) == 3.0
    assert parsed.resolve(_name("OFFSET")) == 0.5
    assert parsed.resolve(_name("np.sum")) is np.sum
    assert parsed.resolve(_name("len")) is len
    assert parsed.resolve(_name("x")) is UNRESOLVED  # a parameter: only known at run time


@functools.lru_cache(maxsize=None)
def decorated(x):
    y = x * 2.0
    return y


def test_decorators_are_dropped_and_lines_point_into_the_file():
    parsed = parse_function(decorated.__wrapped__)
    assert parsed.node.decorator_list == []
    body_line = parsed.user_lineno(parsed.node.body[0])
    with open(__file__) as source:
        assert source.read().splitlines()[body_line - 1].strip() == "y = x * 2.0"


class Holder:
    def method(self, x):
        return np.sum(x * x)


def test_methods_are_dedented():
    parsed = parse_function(Holder.method)
    assert parsed.name == "method" and parsed.line_text(parsed.node.body[0]) == "return np.sum(x * x)"


def test_lambdas_are_read_from_their_line():
    g = knet.grad(lambda x: np.sum(x * x))
    assert np.allclose(g(np.array([1.0, -2.0])), [2.0, -4.0])
    assert "def grad_lambda_fn(x):" in g.source


def test_two_lambdas_on_one_line_with_the_same_parameters_are_a_clear_error():
    _first, second = (lambda x: np.sum(x)), (lambda x: np.sum(x * x))
    with pytest.raises(UnsupportedSyntaxError, match="lambda"):
        knet.grad(second)(np.ones(2))


@pytest.mark.parametrize("edited", [
    "import numpy as np\n# one more line\n\ndef g(a):\n    return a\n\ndef f(x, y):\n    return np.sum(x * y)\n",
    "import numpy as np\n\ndef f(x, z):\n    return np.sum(x * z)\n",    # same line, other parameters
    "import numpy as np\n\n\n    return 1\n",                                 # a fragment
])
def test_a_file_edited_after_import_is_refused(edited, tmp_path, monkeypatch):
    path = tmp_path / "edited_module.py"
    path.write_text("import numpy as np\n\ndef f(x, y):\n    return np.sum(x * y)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("edited_module")
    monkeypatch.delitem(sys.modules, "edited_module")
    path.write_text(edited)
    with pytest.raises(SourceUnavailableError, match="edited after it was imported"):
        knet.grad(module.f)


def test_sourceless_functions_are_clear_errors():
    namespace = {}
    exec("def generated(x):\n    return x * x\n", namespace)
    with pytest.raises(SourceUnavailableError, match="cannot read the source of 'generated'"):
        knet.grad(namespace["generated"])
