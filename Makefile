# Two commands set a fresh machine up (Python 3.11 and make are all it needs):
#   make demo   create the venv, install, build a store from sample_logs/ and run the main job
#   make test   create the venv, install, then lint, type-check, check the layers and run the whole test suite
#               and the docstring examples (pytest's testpaths: tests/ and src/flowmine/, --doctest-modules)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.flowmine-installed
STORE  ?= build/store

.PHONY: demo test lint bench notebooks clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,spark]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/flowmine demo --store $(STORE)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports  # the layers contract of [tool.importlinter] (docs/ARCHITECTURE.md)

test: lint
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

notebooks: $(STAMP)  # execute notebooks/*.ipynb from a temporary folder and keep them with their outputs
	$(BIN)/python scripts/notebooks.py

bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
