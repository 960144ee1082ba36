# Sinergi: the two quick-start commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SINERGI_DATA_DIR ?= $(CURDIR)/sinergi-data

.PHONY: install run demo test test-fast lint bench bench-full clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned to the CPU build, so nothing later pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## The main job on embedded defaults: SQLite, on-disk Chroma, bundled model, sample data.
run: install
	$(BIN)/sinergi db upgrade
	$(BIN)/sinergi demo
	$(BIN)/sinergi run

## The whole test suite: lint, formatting, types (mypy strict), the import contracts, pytest.
test: lint
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow" -x -q

## Everything but pytest: ruff (lint and formatting), mypy (strict), the import contracts.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m bench

bench-full: install
	$(BIN)/python -m bench --full

clean:
	rm -rf $(VENV) sinergi-data .pytest_cache .mypy_cache .ruff_cache
