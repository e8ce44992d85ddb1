"""Every tutorial notebook runs top to bottom in a real Jupyter kernel.

The cell tagged "parameters" holds the full-size settings; the test inserts a cell
after it with tiny ones (the papermill convention), so CI runs each notebook in
seconds. The repository keeps the notebooks without outputs.
"""
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "examples" / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))

# Tiny settings per notebook, run after its "parameters" cell.
QUICK = {
    "01_quickstart": "",
    "02_how_it_works": "",
    "03_linear_softmax": "epochs = 3",
    "04_mlp_lenet": "epochs = 1\nntrain = 200",
    "05_charlm": "epochs = 1\nchars = 3000\nhidden = 16\nembed = 8\ngenerate = 50",
}


def test_the_tutorial_has_five_notebooks():
    assert [p.stem for p in PATHS] == sorted(QUICK)


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "each notebook has one cell tagged 'parameters'"
    nb.cells.insert(tagged[0] + 1, nbformat.v4.new_code_cell(QUICK[path.stem]))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("KNET_DATA", str(tmp_path / "cache"))   # no download reaches the real cache
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()   # raises CellExecutionError, naming the cell, on any error
