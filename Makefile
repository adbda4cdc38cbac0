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
# llama.cpp's LoRA converter (retraining), fetched by `setup` so that retraining needs no network
export CULTUREWATCH_TOOLS_DIR ?= $(CURDIR)/tools
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup stack-deps demo ui test test-fast lint bench docs-screenshot clean

# The dbt manifest the transform DAG renders from (parsing a DAG never runs dbt): remade when the
# dbt project changes.
DBT_MANIFEST := dbt_project/target/manifest.digest
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/seeds dbt_project/tests -type f) \
	dbt_project/dbt_project.yml dbt_project/profiles.yml

# The converter of the llama.cpp the model server runs: the llama-cpp-python sdist of the locked
# version, downloaded from PyPI once (76 MB; 4 s here, 46 s once inside a test run).
LLAMA_CPP_PYTHON := $(shell sed -nE 's/^llama[-_]cpp[-_]python==(.+)$$/\1/Ip' requirements/model-server.lock)
LORA_CONVERTER := $(CULTUREWATCH_TOOLS_DIR)/llama.cpp-$(LLAMA_CPP_PYTHON)/convert_lora_to_gguf.py

setup: $(VENV)/.installed $(MODEL_VENV)/.installed $(DBT_MANIFEST) $(LORA_CONVERTER)

# $(call compile,VENV): the venv's bytecode, on every core (pip compiles one file at a time: 57 s of
# a 98-s install on 2 cores, against 33 s here). Like pip, it skips what does not compile (a
# Python 2 module, a test file of a newer Python), so its status is not checked.
compile = $(1)/bin/python -m compileall -qq -j 0 $(1)/lib || true

$(VENV)/.installed: pyproject.toml requirements/main.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet --no-compile -c requirements/main.lock -e ".[dev]"
	$(call compile,$(VENV))
	touch $@

$(DBT_MANIFEST): $(VENV)/.installed $(DBT_SOURCES)
	$(VENV)/bin/culturewatch dbt-manifest

$(LORA_CONVERTER): | $(VENV)/.installed
	$(VENV)/bin/culturewatch fetch-converter

$(MODEL_VENV)/.installed: requirements/model-server.lock
	$(PYTHON) -m venv $(MODEL_VENV)
	$(MODEL_VENV)/bin/pip install --quiet --no-compile $(FIND_LINKS) -r requirements/model-server.lock
	$(call compile,$(MODEL_VENV))
	touch $@

# Debian packages the stack tests need (tests/stack/): Postgres 15 and Redis for the native
# production topology, Chromium for the dashboard's browser test. Installed only when missing;
# the major versions match docker-compose.yaml's services where they exist (redis 7, postgres 15+).
STACK_APT_PACKAGES := postgresql-15 redis-server chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

stack-deps:
	@missing=""; \
	for bin in /usr/lib/postgresql/15/bin/postgres /usr/bin/redis-server /usr/bin/chromium; do \
	  [ -x $$bin ] || missing=yes; done; \
	if [ -n "$$missing" ]; then \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(STACK_APT_PACKAGES); \
	fi
	@redis-server --version | grep -q "v=7\." || { echo "stack-deps: redis 7 expected"; exit 1; }

demo: setup
	$(VENV)/bin/culturewatch demo

# The Airflow UI on this machine (http://127.0.0.1:8080, the login is printed); Ctrl-C stops it.
ui: setup
	$(VENV)/bin/culturewatch ui

# Two phases, both always run; the command fails when either does. First, with the machine to
# themselves, the tests that measure wall time under a load of their own (`timing`; they collect
# only their folder: tests/unit/test_phase_paths.py fails when a module marked `timing` is
# elsewhere). Then every other test, on both cores (pytest-xdist, one module per worker: a module's
# fixtures are built once). The end-to-end tests (`slow`) serve the real model: each model server
# on one llama.cpp thread (CULTUREWATCH_MODEL_THREADS=1) and torch's LoRA training on one OpenMP
# thread (OMP_NUM_THREADS=1). Their threads spin at a barrier, so two threads on cores another
# module uses collapse (the retrain test took 610 s instead of 225); one thread has no barrier.
# One session for both kinds: an end-to-end module runs beside the small ones instead of beside
# another end-to-end module, and nobody waits at a barrier between them (1037 s against 423 + 790 s
# as two sessions, 2026-12-08, docs/benchmarks.md). `test-fast` leaves out only `slow`.
# Modules marked `long(seconds)` are handed out first, the longest first (tests/conftest.py orders
# them; pytest-xdist keeps that order with --no-loadscope-reorder, where it would otherwise hand out
# the modules with the most tests first): two workers otherwise end with one long module running
# alone.
TEST_WORKERS ?= 2
# dbt builds run on one dbt thread (DBT_THREADS): the two workers already keep both cores busy, and
# a second thread per build costs 9 % more CPU for these small builds. The end-to-end pipeline
# module builds with the profile's two, the product's setting (tests/e2e/test_pipeline.py).
PARALLEL_TESTS := CULTUREWATCH_MODEL_THREADS=1 OMP_NUM_THREADS=1 DBT_THREADS=1 $(VENV)/bin/pytest \
	-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder
TIMING_TEST_PATHS := tests/dags
TIMING_TESTS := $(VENV)/bin/pytest -m timing $(TIMING_TEST_PATHS)
# $(call phases,FIRST,SECOND): run each whatever the other did; fail with the first failure's status.
phases = status=0; $(1) || status=$$?; $(2) || status=$$((status ? status : $$?)); exit $$status

test: setup stack-deps
	$(VENV)/bin/ruff check .
	$(call phases,$(TIMING_TESTS),$(PARALLEL_TESTS) -m "not timing")

test-fast: setup stack-deps
	$(call phases,$(TIMING_TESTS),$(PARALLEL_TESTS) -m "not slow and not timing")

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(VENV)/bin/python benchmarks/probe_throughput.py

# The dashboard screenshot in docs/ (README, "The Airflow UI and the Alignment view"), from the
# browser test's warehouse without its injected markup.
docs-screenshot: setup stack-deps
	CULTUREWATCH_SCREENSHOT_DIR=$(CURDIR)/docs $(VENV)/bin/pytest -q tests/stack/test_docs_screenshot.py

clean:
	rm -rf $(VENV) $(MODEL_VENV)
