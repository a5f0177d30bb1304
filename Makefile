# Two commands for a new user: `make run` and `make test`. Everything else they need is set up here.
PORT ?= 8000
HOST ?= 127.0.0.1
DOCS_PORT ?= 8001
DOCS_CONFIG ?= mkdocs.yml
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM := /usr/bin/chromium
NGINX := /usr/sbin/nginx
# Every install takes its versions from here (`make lock` refreshes it).
CONSTRAINTS := constraints.txt
PIP_INSTALL := $(BIN)/pip install --quiet --constraint $(CONSTRAINTS)
# Material's instant navigation works only on the address the site was built for.
export HELPCENTER_SITE_URL ?= http://$(HOST):$(PORT)/

.PHONY: run test lint docs build bench lock chromium fonts nginx axe wrk clean

run: $(VENV)/.installed
	$(BIN)/helpcenter build
	$(BIN)/helpcenter serve --host $(HOST) --port $(PORT)

build: $(VENV)/.installed
	$(BIN)/helpcenter build

test: lint chromium fonts nginx axe
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

# The writers' preview: ProperDocs rebuilds and reloads the page on every save (articles, theme,
# policy) on DOCS_PORT, while the service runs beside it on PORT and allows the preview's origin,
# so the widget and the help bar answer in the preview. Ctrl+C stops both.
docs: $(VENV)/.installed
	HELPCENTER_ALLOWED_ORIGINS=http://$(HOST):$(DOCS_PORT) \
		$(BIN)/helpcenter serve --host $(HOST) --port $(PORT) & \
	service=$$!; trap 'kill $$service 2>/dev/null' EXIT INT TERM; \
	HELPCENTER_API_BASE=http://$(HOST):$(PORT) HELPCENTER_SITE_URL=http://$(HOST):$(DOCS_PORT)/ \
		$(BIN)/properdocs serve --config-file $(DOCS_CONFIG) --dev-addr $(HOST):$(DOCS_PORT) \
		--watch-theme --watch lookup/policy.toml

# About 15 minutes (25 on a slower machine); `make bench BENCH_ARGS=--quick` runs small sizes in a few.
bench: $(VENV)/.installed-bench chromium wrk
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

# Pins every dependency (test and bench tools included) to what a fresh install resolves today.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet ".[test,bench,kiwi]"
	echo "# Written by \`make lock\` from a fresh install of .[test,bench,kiwi]; do not edit by hand." > $(CONSTRAINTS)
	.lock-venv/bin/pip freeze --exclude helpcenter >> $(CONSTRAINTS)
	rm -rf .lock-venv build *.egg-info

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS) | $(VENV)/bin/python
	$(PIP_INSTALL) --editable .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(CONSTRAINTS) | $(VENV)/bin/python
	$(PIP_INSTALL) --editable ".[test]"
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml $(CONSTRAINTS) | $(VENV)/bin/python
	$(PIP_INSTALL) --editable ".[test,bench,kiwi]"
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

# Browser tests drive Debian's Chromium; install it with apt when it is missing.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; \
	fi

# Korean pages need a Hangul font in Chromium, or the screenshots show boxes; apt has one.
fonts:
	@if ! fc-list :lang=ko | grep -q .; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq fonts-nanum; \
	fi

# The deployment kit's test runs Debian's nginx in front of gunicorn; install it when missing.
# Its own configuration and prefix live in the test's temporary folder: /etc/nginx stays unused.
nginx:
	@if [ ! -x $(NGINX) ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nginx; \
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
