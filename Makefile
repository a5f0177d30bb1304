# Two commands for a new user: `make run` and `make test`. Everything else they need is set up here.
PORT ?= 8000
HOST ?= 127.0.0.1
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM := /usr/bin/chromium
export NO_MKDOCS_2_WARNING := 1
# Material's instant navigation works only on the address the site was built for.
export HELPCENTER_SITE_URL ?= http://$(HOST):$(PORT)/

.PHONY: run test build bench chromium axe wrk clean

run: $(VENV)/.installed
	$(BIN)/helpcenter build
	$(BIN)/helpcenter serve --host $(HOST) --port $(PORT)

build: $(VENV)/.installed
	$(BIN)/helpcenter build

test: $(VENV)/.installed-test chromium axe
	$(BIN)/pytest

# About 10 minutes; `make bench BENCH_ARGS=--quick` runs small sizes in a few.
bench: $(VENV)/.installed-bench chromium wrk
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet --editable .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet --editable ".[test]"
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet --editable ".[test,bench]"
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

# Browser tests drive Debian's Chromium; install it with apt when it is missing.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; \
	fi

# The accessibility tests inject axe-core, pinned in tests/axe/package-lock.json; npm comes with
# apt when it is missing.
AXE := tests/axe/node_modules/axe-core/axe.min.js
axe: $(AXE)

$(AXE): tests/axe/package.json tests/axe/package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm; \
	fi
	npm ci --prefix tests/axe --no-audit --no-fund --silent
	touch $@

# The lookup benchmark drives wrk; install it with apt when it is missing.
wrk:
	@if ! command -v wrk >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk; \
	fi

clean:
	rm -rf site instance $(VENV) *.egg-info
