# hspwork: the two README commands are `make run` and `make test`.
# Both set themselves up from nothing: a virtual environment in .venv, the package with its
# test extra, and (for the browser tests) Debian's chromium package.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= build

.PHONY: setup setup-browser run test test-fast lint bench mutate sample clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	touch $(STAMP)

setup: $(STAMP)

# Browser tests use Debian's Chromium through Playwright's executable_path; no browser download.
# R's spdep is the independent reference for Gi* (tests skip it when Rscript is missing).
setup-browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v Rscript >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium r-base-core r-cran-spdep >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium r-base-core r-cran-spdep >/dev/null; fi; \
	fi

run: setup
	$(BIN)/hspwork brief --out $(OUT)

test: setup setup-browser
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests hspwork --doctest-modules --durations=15

# The quick tests: no browser, no notebooks, no simulation studies (under two minutes).
test-fast: setup
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests hspwork --doctest-modules -m "not slow and not browser" -q

lint: setup
	$(BIN)/ruff check hspwork tests benchmarks
	$(BIN)/ruff format --check hspwork tests benchmarks

bench: setup
	$(BIN)/python -m benchmarks

# Mutation testing of the core modules (tools/mutate.toml), one cosmic-ray session per module
# under build/mutate/, incremental across runs; not part of `make test`. cosmic-ray writes each
# mutant into the source file in place: run it in a checkout you are not editing.
# `make mutate MODULES="privacy crs"` runs only those; docs/mutation.md has the scores.
MUTATE_STAMP := $(VENV)/.mutate-stamp
MODULES ?=

$(MUTATE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,bench,mutate]"
	touch $(MUTATE_STAMP)

mutate: $(MUTATE_STAMP)
	$(BIN)/python tools/mutate.py $(MODULES)

sample: setup
	$(BIN)/python -m hspwork.sample --out data/sample

clean:
	rm -rf $(OUT) .pytest_cache
