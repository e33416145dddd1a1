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

.PHONY: help demo test lint typecheck unit check-docs env migration clean web-assets browser

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

# The web UI's front-end packages (GOV.UK Frontend, HTMX, axe-core) from package-lock.json,
# and the assets built from them into the package (not committed).
NPM ?= npm
CHROMIUM ?= /usr/bin/chromium
WEB_VENDOR := src/joinedup/web/static/vendor

node_modules/.installed: package.json package-lock.json
	@command -v $(NPM) >/dev/null || { \
		echo "npm is missing: installing Debian's npm for the web UI's assets"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm; }
	$(NPM) ci --no-audit --no-fund
	@touch $@

$(WEB_VENDOR)/.built: node_modules/.installed src/joinedup/web/assets.py src/joinedup/web/build_assets.py | .venv/.synced
	$(RUN) python -m joinedup.web.build_assets --node-modules node_modules --dest $(WEB_VENDOR)
	@touch $@

web-assets: $(WEB_VENDOR)/.built ## Install the npm packages (npm ci) and build the web UI's assets

browser: ## Install Debian's chromium for the browser tests when it is missing
	@test -x $(CHROMIUM) || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

demo: env web-assets ## Run the hub on the embedded store with a synthetic partnership
	$(RUN) python -m joinedup.demo --dir $(DEMO_DIR) --persons $(DEMO_PERSONS)

lint: env ## ruff (lint and format) and mypy
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

check-docs: env ## Generated documents are current
	$(RUN) python scripts/generate_docs.py --check

test: lint check-docs web-assets browser ## Lint, then the whole test suite (SQLite and PostgreSQL)
	$(RUN) pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

migration: env ## Regenerate the initial migration from the table definitions
	$(RUN) python scripts/regenerate_migration.py

clean: ## Remove the environment, the embedded store and test output
	rm -rf .venv .tools var .pytest_cache .ruff_cache .mypy_cache
