# Sinergi: the two quick-start commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SINERGI_DATA_DIR ?= $(CURDIR)/sinergi-data

.PHONY: install dictionary run demo test test-fast lint bench bench-full clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned to the CPU build, so nothing later pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) dictionary

## FreeDict English-Indonesian (CC BY-SA 3.0, read at run time, not shipped): English questions
## also search their words' Indonesian translations. Installed when run as root on Debian/Ubuntu.
DICTIONARY := /usr/share/dictd/freedict-eng-ind.index
dictionary:
	@if [ ! -f $(DICTIONARY) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dict-freedict-eng-ind >/dev/null \
	      || echo "note: could not install dict-freedict-eng-ind; English questions are searched without translations"; \
	  else \
	    echo "note: English questions search better with FreeDict's dictionary: sudo apt-get install dict-freedict-eng-ind"; \
	  fi; \
	fi

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
