# Every target makes its own .venv when missing; only Python 3.11+ and make are needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format generate check-generated clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP)

## make demo: send SIPnotify check-sync to a phone of the embedded AMI server (or AMI_URL)
demo: $(STAMP)
	$(BIN)/python -m sdk.demo

## make test: every test but the real-browser test and the benchmarks
test: $(STAMP)
	$(BIN)/python -m pytest -m "not browser and not bench"

generate: $(STAMP)
	$(BIN)/python -m codegen

check-generated: $(STAMP)
	$(BIN)/python -m codegen --check

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
