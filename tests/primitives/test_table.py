"""docs/coverage.md is the registry as it is (knet_ast/primitives/table.py)."""
from pathlib import Path

import knet_ast  # noqa: F401
from knet_ast.primitives.table import counts, markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "coverage.md"


def test_docs_coverage_is_current():
    assert DOCS.read_text() == markdown(), (
        "docs/coverage.md is out of date: run `python -m knet_ast.primitives.table > docs/coverage.md`")


def test_at_least_200_functions_are_covered():
    rules, nondiff = counts()
    assert rules + nondiff >= 200, (rules, nondiff)
