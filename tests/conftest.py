import pytest


def pytest_collection_modifyitems(config, items):
    from knet_ast.runtime.backend import gpu
    if gpu():
        return
    skip = pytest.mark.skip(reason="needs CuPy and an NVIDIA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
