# Two entry points for a fresh machine: `make demo` and `make test`.
# Each builds its own virtual environment in .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint clean

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

clean:
	rm -rf $(VENV) build *.egg-info
