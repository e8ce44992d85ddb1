"""The documentation's examples are executed block by block, so they stay true.

A ```python block runs as its own file (knet_ast reads functions from their
file). When the block is followed directly by a ```text block, that block is the
output the code must print, exactly: generated source shown on a page is the
source knet_ast generates today.
"""
import contextlib
import io
import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["README.md"] + [f"docs/{page}" for page in ("getting-started.md", "how-it-works.md", "constructs.md",
                                                     "extending.md", "nn.md", "training.md", "knet.md")]
BLOCK = re.compile(r"```python\n(.*?)```\n(?:\n?```text\n(.*?)```\n)?", re.S)
BLOCKS = [(page, i, code, output) for page in PAGES
          for i, (code, output) in enumerate(BLOCK.findall((ROOT / page).read_text()))]


@pytest.mark.parametrize("page", PAGES)
def test_the_page_has_examples(page):
    assert sum(p == page for p, *_ in BLOCKS) >= (1 if page == "README.md" else 2)


@pytest.mark.parametrize("page, block, code, output", BLOCKS, ids=[f"{p}-{i}" for p, i, *_ in BLOCKS])
def test_docs_examples_run(page, block, code, output, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / f"{Path(page).stem.replace('-', '_')}_block_{block}.py"
    path.write_text(code)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        runpy.run_path(str(path))
    if output:
        assert printed.getvalue() == output, f"{page}: the text block after python block {block} is stale"
