"""docs/rules.md is the rule table as registered (knet_ast/primitives/table.py)."""
from pathlib import Path

import knet_ast  # noqa: F401
from knet_ast.primitives.table import markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_docs_rule_table_is_current():
    assert DOCS.read_text() == markdown(), (
        "docs/rules.md is out of date: run `python -m knet_ast.primitives.table > docs/rules.md`")
