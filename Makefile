# The two set-up commands: `make demo` and `make test`. Both create the environment first.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
RUN := $(UV) run --locked --no-sync
# loadgroup: tests marked xdist_group("spark") share one worker and one Spark session
PYTEST_ARGS ?= -n 2 --dist loadgroup
# property tests on fixed examples in CI (tests/conftest.py); `make test HYPOTHESIS_PROFILE=default` explores
HYPOTHESIS_PROFILE ?= ci

.PHONY: env system-deps demo test test-fast lint typecheck bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --locked
	touch $@

env: $(VENV)/.synced  ## create .venv from the lock file

system-deps:  ## PostgreSQL and Java 17 (for Spark) for the tests, from Debian's packages
	bash scripts/setup-system.sh

demo: env  ## run the whole pipeline on synthetic data in a fresh workspace
	$(RUN) wardwatch demo --workspace demo-workspace --force

lint: env
	$(RUN) ruff check src tests bench
	$(RUN) ruff format --check src tests bench

typecheck: env
	$(RUN) mypy

test: env system-deps lint typecheck  ## everything CI runs
	HYPOTHESIS_PROFILE=$(HYPOTHESIS_PROFILE) $(RUN) pytest $(PYTEST_ARGS)

test-fast: env
	$(RUN) pytest -x -q -m "not slow and not postgres and not spark"

bench: env
	$(RUN) python bench/ingest.py
	$(RUN) python bench/quality.py

clean:
	rm -rf $(VENV) $(TOOLS) demo-workspace .pytest_cache .mypy_cache .ruff_cache
