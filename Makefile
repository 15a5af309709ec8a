# Every target makes its own .venv when missing; only Python 3.11+ and make are needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
BROWSER_STAMP := $(VENV)/.installed-browser
BENCH_STAMP := $(VENV)/.installed-bench
CHROMIUM ?= /usr/bin/chromium
ASTERISK_SRC ?=
JOBS ?= 2

.PHONY: demo test test-browser test-asterisk bench chromium lint format generate check-generated clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

# The test extra holds the package itself: once it is installed, the demo's stamp is too.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP) $(DEMO_STAMP)

# The demo needs the package and its dependencies alone, not the test tools.
$(DEMO_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -e .
	touch $(DEMO_STAMP)

$(BENCH_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -e '.[bench]'
	touch $(BENCH_STAMP)

$(BROWSER_STAMP): $(STAMP)
	$(BIN)/python -m pip install -e '.[browser]'
	touch $(BROWSER_STAMP)

## make demo: send SIPnotify check-sync to a phone of the embedded AMI server (or AMI_URL)
demo: $(DEMO_STAMP)
	$(BIN)/python -m sdk.demo

## make test: every test but the real-browser test, real Asterisk and the benchmarks
test: $(STAMP)
	$(BIN)/python -m pytest -m "not browser and not bench and not asterisk"

## make test-asterisk: builds Asterisk 20.20.1 and 22.10.1 once from the tarballs in
## ASTERISK_SRC (cached in /var/tmp/ami-sdk-asterisk), then runs tests/asterisk against them
test-asterisk: $(STAMP)
	ASTERISK_SRC="$(ASTERISK_SRC)" JOBS="$(JOBS)" bash tests/asterisk/build.sh
	$(BIN)/python -m pytest -m asterisk tests/asterisk

## make bench: the SDK against panoramisk, asterisk-ami and pyst2, then alone (a few minutes);
## prints the report and keeps it in artifacts/bench/report.md (BENCHMARKS.md explains it)
bench: $(BENCH_STAMP)
	$(BIN)/python tests/bench/run.py --out artifacts/bench/report.md

## make test-browser: 01-sip-notify.ipynb in a real JupyterLab, driven in headless Chromium
## (installs Debian's chromium when missing, which needs root and apt, as CI has)
test-browser: $(BROWSER_STAMP) chromium
	AMI_TEST_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -m browser tests/test_browser.py

chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
	    echo "make test-browser needs Debian's chromium at $(CHROMIUM): apt-get install chromium (as root)" >&2; \
	    exit 1; \
	  fi; \
	  echo "installing Debian's chromium"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	}
	@$(CHROMIUM) --version

generate: $(STAMP)
	$(BIN)/python -m codegen

check-generated: $(STAMP)
	$(BIN)/python -m codegen --check

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make lint: ruff's format and checks, then mypy --strict over sdk/ and codegen/ (pyproject's [tool.mypy])
lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache artifacts
