# culturewatch: `make demo` sets everything up and runs the main job; `make test` runs the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
MODEL_VENV := .venv-model
# The wheel built from llama-cpp-python's sdist, when this checkout has it beside it (a cache:
# without it pip builds the sdist, 6-7 minutes on 2 cores).
WHEELHOUSE := $(firstword $(wildcard ../shared/wheelhouse) $(wildcard shared/wheelhouse))
FIND_LINKS := $(if $(WHEELHOUSE),--find-links $(WHEELHOUSE),)
export CULTUREWATCH_MODEL_PYTHON := $(CURDIR)/$(MODEL_VENV)/bin/python
export CULTUREWATCH_MODELS_DIR ?= $(CURDIR)/models
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup demo test test-fast lint bench clean

setup: $(VENV)/.installed $(MODEL_VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements/main.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c requirements/main.lock -e ".[dev]"
	touch $@

$(MODEL_VENV)/.installed: requirements/model-server.lock
	$(PYTHON) -m venv $(MODEL_VENV)
	$(MODEL_VENV)/bin/pip install --quiet $(FIND_LINKS) -r requirements/model-server.lock
	touch $@

demo: setup
	$(VENV)/bin/culturewatch demo

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

test-fast: setup
	$(VENV)/bin/pytest -m "not slow"

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(VENV)/bin/python benchmarks/probe_throughput.py

clean:
	rm -rf $(VENV) $(MODEL_VENV)
