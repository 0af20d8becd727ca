# The two commands of the README: `make up` (run everything) and `make test` (the whole suite);
# `make test-fast` is the quick lane beside it (no e2e, no slow tests).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up test test-fast lint install clean web

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Set up and run the whole system: databases, NATS, migrations, demo data, subgraphs, router.
up: $(STAMP)
	$(BIN)/polyshop up $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## The benchmark's Node subgraphs, used by tests/bench (skipped, saying so, where Node is missing).
bench/node_modules: bench/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix bench --silent --no-audit --no-fund || \
		echo "npm ci in bench/ failed: the benchmark subgraph tests will be skipped" >&2; \
	else echo "npm not found: the benchmark subgraph tests will be skipped" >&2; fi

## The real GraphQL clients the suite drives (Apollo Client, apollo-upload-client, graphql-ws,
## graphql-sse), pinned in
## tests/clients/package-lock.json; their tests skip, saying so, where Node is missing.
tests/clients/node_modules: tests/clients/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/clients --silent --no-audit --no-fund || \
		echo "npm ci in tests/clients/ failed: the client tests will be skipped" >&2; \
	else echo "npm not found: the client tests will be skipped" >&2; fi

## The storefront (web/): Node's packages pinned in web/package-lock.json, which also pin
## playwright-core for the storefront's Chromium test; skipped, saying so, where Node is missing.
web/node_modules: web/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix web --silent --no-audit --no-fund || \
		echo "npm ci in web/ failed: the storefront's browser test will be skipped" >&2; \
	else echo "npm not found: the storefront's browser test will be skipped" >&2; fi

## Rebuild the storefront into web/dist (committed, so that `make up` needs no Node) and record
## the digest of its sources there (a test fails when the committed build is stale).
web: $(STAMP)
	npm ci --prefix web --no-audit --no-fund
	npm run --prefix web build
	$(BIN)/python -m polyshop.devstack.storefront record

## Lint, type-check and run the full test suite. pytest's exit code 5 (no tests collected)
## means the suite layout is broken, and fails like any other failure.
test: lint bench/node_modules tests/clients/node_modules web/node_modules
	@$(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: the suite layout is broken" >&2; fi; \
	exit $$rc

## The fast lane while working: the suite without the `e2e` and `slow` markers (tests/conftest.py
## says which directories they cover), no lint, no npm. `make test` stays the whole suite.
test-fast: $(STAMP)
	@$(BIN)/pytest -m "not e2e and not slow" $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: the suite layout is broken" >&2; fi; \
	exit $$rc

clean:
	rm -rf $(VENV) .polyshop .pytest_cache .mypy_cache .ruff_cache
