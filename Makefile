# seedream-mock: one command to run, one to test. Everything installs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8080
ARGS ?=
PRISM_VERSION := 5.16.0
PRISM := .tools/node_modules/.bin/prism

.PHONY: run test lint typecheck unit installed bench screenshots clean help

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run  ## serve on 127.0.0.1:$(PORT) with the default key aio_your_api_key
	$(BIN)/seedream-mock serve --port $(PORT) $(ARGS)

lint: $(VENV)/.installed-dev  ## ruff, mypy (strict) and the import rules (import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

$(PRISM):  # Stoplight Prism, for the OpenAPI checks (needs node and npm)
	npm install --prefix .tools --no-save --no-audit --no-fund --silent \
		@stoplight/prism-cli@$(PRISM_VERSION)

unit: $(VENV)/.installed-dev $(PRISM)  ## the whole pytest suite, without lint
	$(BIN)/python -m pytest $(ARGS)

installed: $(VENV)/.installed-dev  ## build sdist + wheel, install it in a fresh venv, smoke-test it outside the repo
	$(BIN)/python tests/installed/run.py

test: lint unit installed  ## lint, the whole suite, then the built wheel as users get it (what CI runs)

bench: $(VENV)/.installed-dev $(PRISM)  ## speed numbers vs Prism (wrk); writes bench/results/
	$(BIN)/python bench/run.py $(ARGS)

screenshots: $(VENV)/.installed-dev  ## refresh docs/images/inspector-*.png from the browser tests
	SEEDREAM_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/browser

clean:  ## remove the virtualenv and caches
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .hypothesis
