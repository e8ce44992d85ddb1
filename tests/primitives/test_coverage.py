"""Every registered rule is exercised by at least one row of the tables, and rows are honest."""
import inspect

import pytest
from rule_tables import rule_name
from test_arithmetic import ARITHMETIC
from test_elementwise import ELEMENTWISE
from test_linalg import LINALG
from test_nn_rules import NN
from test_pymath import MATH_RULES
from test_reductions import REDUCTIONS
from test_shape import SHAPES

from knet_ast.primitives import registry
from knet_ast.primitives.table import describe
from knet_ast.transform.pipeline import build_gradient

TABLES = ARITHMETIC + ELEMENTWISE + LINALG + MATH_RULES + NN + REDUCTIONS + SHAPES


def test_every_rule_has_a_row():
    covered = {case.key for case in TABLES}
    library = [key for key in registry.RULES if describe(key)[0] is not None]  # not a test's rule
    missing = [rule_name(key) for key in library if key not in covered]
    assert not missing, f"rules without a row in tests/primitives: {missing}"


def test_every_row_names_a_registered_rule():
    unknown = [str(case) for case in TABLES if case.key not in registry.RULES]
    assert not unknown, f"rows for keys that have no rule: {unknown}"


@pytest.mark.parametrize("case", TABLES, ids=str)
def test_row_uses_the_rule_it_names(case, monkeypatch):
    used = set()

    def spy(key):
        rule = lookup(key)
        if rule is not None:
            used.add(rule.key)
        return rule

    lookup = registry.lookup
    monkeypatch.setattr(registry, "lookup", spy)
    params = list(inspect.signature(case.loss).parameters)
    wrts = case.wrt if isinstance(case.wrt, tuple) else (case.wrt,)
    build_gradient(case.loss, tuple(params[i] for i in wrts))
    assert case.key in used, f"{case.loss.__qualname__} does not reach {rule_name(case.key)}"
