"""The documentation's examples are executed block by block, so they stay true."""
import re
import runpy
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = ["nn.md", "training.md"]
BLOCKS = [(page, i, code) for page in PAGES
          for i, code in enumerate(re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), re.S))]


@pytest.mark.parametrize("page", PAGES)
def test_the_page_has_examples(page):
    assert sum(p == page for p, _, _ in BLOCKS) >= 2


@pytest.mark.parametrize("page, block, code", BLOCKS, ids=[f"{p}-{i}" for p, i, _ in BLOCKS])
def test_docs_examples_run(page, block, code, tmp_path):
    path = tmp_path / f"{page[:-3]}_block_{block}.py"  # knet_ast reads functions from their file
    path.write_text(code)
    runpy.run_path(str(path))
