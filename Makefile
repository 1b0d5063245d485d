# Two commands matter: `make up` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION = 20
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION = 1

.PHONY: up down test lint typecheck unit venv browser-deps bench bench-deps examples clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[aws,sandbox,infra,dev]'
	touch $(STAMP)

venv: $(STAMP)

## Start the local multi-region sandbox (Ctrl-C stops everything).
# The bundled blog: its own topology once it lives in examples/blog, else the built-ins
# (whose app is the blog too); either way its command is whatever that topology declares.
BLOG_CONFIG := $(if $(wildcard examples/blog/polyregion.toml),--config examples/blog/polyregion.toml)

up: $(STAMP)
	$(BIN)/polyregion up $(BLOG_CONFIG)

down: $(STAMP)
	$(BIN)/polyregion down $(BLOG_CONFIG)

## Headless Chromium from Debian's packages, for the dashboard's browser test.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium could not be installed: browser tests will be skipped"; }

## The Node example: `npm ci` from its lockfile, then `next build` (standalone). Each step is
## redone only when its inputs changed, so `make test` skips it in a second when built.
NEXTJS         := examples/nextjs-notes
NEXTJS_DEPS    := $(NEXTJS)/node_modules/.polyregion-installed
NEXTJS_BUILT   := $(NEXTJS)/.next/.polyregion-built
NEXTJS_SOURCES := $(shell find $(NEXTJS)/app $(NEXTJS)/lib $(NEXTJS)/public -type f 2>/dev/null) \
                  $(NEXTJS)/proxy.js $(NEXTJS)/next.config.mjs $(NEXTJS)/package.json

$(NEXTJS_DEPS): $(NEXTJS)/package-lock.json $(NEXTJS)/package.json
	cd $(NEXTJS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(NEXTJS_BUILT): $(NEXTJS_DEPS) $(NEXTJS_SOURCES)
	cd $(NEXTJS) && NEXT_TELEMETRY_DISABLED=1 npm run --silent build
	touch $@

examples: $(NEXTJS_BUILT)

lint: $(STAMP)
	$(BIN)/ruff check polyregion tests bench examples
	$(BIN)/ruff format --check polyregion tests bench examples

typecheck: $(STAMP)
	$(BIN)/mypy

## Every test and check.
## Modules run in parallel: most of a functional test's time is spent waiting on processes
## and timeouts, not on CPU (tests/conftest.py keeps each module, infra and replication on one
## worker). `make test PYTEST_WORKERS=0` runs them one after another.
PYTEST_WORKERS ?= 2

test: $(STAMP) browser-deps examples lint typecheck
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

unit: $(STAMP)
	$(BIN)/pytest -m "not functional and not infra and not browser"

## Debian's wrk, the load generator of bench/edge.py.
bench-deps:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing Debian's wrk for the benchmarks"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) \
	  || echo "wrk could not be installed: apt-get install wrk, then run bench/edge.py"; }

## Benchmarks are run one at a time, by hand (each starts its own processes; minutes each).
bench: $(STAMP) bench-deps
	@echo "run one of: $(wildcard bench/*.py)"
	@echo "as: $(BIN)/python bench/<name>.py  (results: docs/benchmarks.md)"

clean:
	rm -rf $(VENV) cdk.out build .mypy_cache .ruff_cache .pytest_cache $(NEXTJS)/node_modules $(NEXTJS)/.next
