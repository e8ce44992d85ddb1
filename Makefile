# Two entry points for a fresh machine: `make demo` and `make test`.
# Each builds its own virtual environment in .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/activate setup.cfg pyproject.toml
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/python examples/quickstart.py

test: $(VENV)/.installed
	$(BIN)/python -m ruff check knet_ast tests examples benchmarks
	$(BIN)/python -m pytest -q

# The benchmark table (benchmarks/README.md) with every library installed. PyTorch
# 2.13.0 is pinned first so that pip does not pull a newer build with CUDA packages.
bench: $(VENV)/.installed
	$(BIN)/python -m pip install -q 'torch==2.13.0'
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info
