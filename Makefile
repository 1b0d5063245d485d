# Two commands matter: `make up` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION = 20
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION = 1

.PHONY: up down test lint typecheck unit venv browser-deps bench clean

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

lint: $(STAMP)
	$(BIN)/ruff check polyregion tests bench
	$(BIN)/ruff format --check polyregion tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

## Every test and check.
test: $(STAMP) browser-deps lint typecheck
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest -m "not functional and not infra and not browser"

## Benchmarks are run one at a time, by hand (each starts its own processes; minutes each).
bench: $(STAMP)
	@echo "run one of: $(wildcard bench/*.py)"
	@echo "as: $(BIN)/python bench/<name>.py  (results: docs/benchmarks.md)"

clean:
	rm -rf $(VENV) cdk.out build .mypy_cache .ruff_cache .pytest_cache
