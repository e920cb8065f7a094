# Every target sets up what it needs, so a fresh clone runs any of them first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test generate check-generated lint types pytest bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e ".[testing]" --group dev
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py

generate: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/openapi-python-client generate \
		--path openapi.yaml --config generator-config.yaml --meta none \
		--output-path leapocr_client --overwrite

check-generated: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python scripts/check_generated.py

lint: $(STAMP)
	$(BIN)/ruff check leapocr tests benchmarks scripts examples
	$(BIN)/ruff format --check leapocr tests benchmarks scripts examples

types: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

test: check-generated lint types pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
