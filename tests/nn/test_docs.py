"""docs/nn.md is executed block by block, so its examples stay true."""
import re
import runpy
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "nn.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)


def test_the_page_has_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("block", range(len(BLOCKS)))
def test_docs_nn_examples_run(block, tmp_path):
    path = tmp_path / f"nn_block_{block}.py"  # knet_ast reads functions from their file
    path.write_text(BLOCKS[block])
    runpy.run_path(str(path))
