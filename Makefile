# joinedup: two commands for a fresh clone — `make demo` and `make test`.
# Needs only Python 3.11, git and make; uv is bootstrapped with pip when it is missing.

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3.11
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --frozen
DEMO_DIR ?= var/demo
DEMO_PERSONS ?= 2000
PYTEST_ARGS ?=

.PHONY: help demo test lint typecheck unit check-docs env migration clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

.tools/bin/uv:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

env: .venv/.synced ## Create the environment from uv.lock

demo: env ## Run the hub on the embedded store with a synthetic partnership
	$(RUN) python -m joinedup.demo --dir $(DEMO_DIR) --persons $(DEMO_PERSONS)

lint: env ## ruff (lint and format) and mypy
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

check-docs: env ## Generated documents are current
	$(RUN) python scripts/generate_docs.py --check

test: lint check-docs ## Lint, then the whole test suite (SQLite and PostgreSQL)
	$(RUN) pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

migration: env ## Regenerate the initial migration from the table definitions
	$(RUN) python scripts/regenerate_migration.py

clean: ## Remove the environment, the embedded store and test output
	rm -rf .venv .tools var .pytest_cache .ruff_cache .mypy_cache
