"""The API reference is the docstrings; their examples run here, under doctest.

Every public name of knet_ast and knet_ast.data has an example. The examples may
use `np` (NumPy) and `knet` (knet_ast) without importing them, as docs/api.md says.
"""
import doctest
import importlib
import pkgutil
from pathlib import Path

import numpy as np
import pytest

import knet_ast as knet
from knet_ast import apidoc

MODULES = sorted(m.name for m in pkgutil.walk_packages(knet.__path__, "knet_ast.")
                 if not m.name.endswith("__main__"))
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def public_names():
    for module, names in ((knet, knet.__all__), (knet.data, knet.data.__all__)):
        for name in names:
            obj = getattr(module, name)
            if callable(obj) and getattr(obj, "__module__", "").startswith("knet_ast"):
                yield f"{module.__name__}.{name}", obj


PUBLIC = sorted(public_names())


@pytest.mark.parametrize("name, obj", PUBLIC, ids=[n for n, _ in PUBLIC])
def test_public_name_has_an_example(name, obj):
    assert ">>>" in (obj.__doc__ or ""), f"{name} needs a docstring with a runnable example"


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                       # examples that save files write here
    monkeypatch.setenv("KNET_DATA", str(tmp_path / "cache"))
    mod = importlib.import_module(module)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    state = np.random.get_state()
    try:
        with np.printoptions(precision=4, suppress=True):
            for test in finder.find(mod, module, globs={"np": np, "knet": knet}):
                runner.run(test)
    finally:
        np.random.set_state(state)
    failed, attempted = runner.summarize(verbose=False)
    assert failed == 0, f"{failed} of {attempted} examples in {module} failed (output above)"


def test_api_reference_lists_every_public_name():
    listed = {name for _, names in apidoc.SECTIONS for name in names}
    assert set(knet.__all__) - listed == {"data", "tanh"}        # tanh is np.tanh
    assert set(apidoc.DATA) == set(knet.data.__all__)


def test_api_reference_is_current():
    page = Path(__file__).resolve().parents[1] / "docs" / "api.md"
    assert page.read_text() == apidoc.markdown(), (
        "docs/api.md is out of date: run `python -m knet_ast.apidoc > docs/api.md`")
