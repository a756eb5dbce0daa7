# The two commands of the quick start: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (perpscope needs Python >= 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

# At a terminal the demo ends by serving its dashboard until Ctrl-C; run from a script it finishes by itself.
demo: $(STAMP)
	@if [ -t 0 ] && [ -t 1 ]; then $(BIN)/perpscope demo --serve; else $(BIN)/perpscope demo; fi

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/store_write.py
	$(BIN)/python benchmarks/query.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
