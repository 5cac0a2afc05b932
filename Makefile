# Dauys: `make demo` runs the platform, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test e2e lint messages migrate bench clean help

help:
	@echo "make demo   - install, migrate, load demo data and serve on http://$(HOST):$(PORT)"
	@echo "make test   - install and run the whole test suite (lint, Python, JavaScript)"
	@echo "make e2e    - run the browser tests (needs /usr/bin/chromium: apt-get install chromium)"
	@echo "make bench  - print benchmark figures"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

messages: $(STAMP)
	$(PY) -m babel.messages.frontend compile --domain=django --directory=locale --use-fuzzy >/dev/null

migrate: $(STAMP) messages
	DEBUG=1 $(PY) manage.py migrate --noinput

demo: migrate
	DEBUG=1 $(PY) manage.py load_demo_data
	@echo "Serving Dauys with websockets on http://$(HOST):$(PORT)/ (embedded default: SQLite, in-memory channel layer, eager tasks)"
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: $(STAMP) messages lint
	@if [ -z "$$DATABASE_URL" ] || [ -z "$$REDIS_URL" ]; then \
	  echo "NOTE: DATABASE_URL and/or REDIS_URL are not set: the integration tests (PostgreSQL, Redis, Celery worker) will be SKIPPED and listed below."; \
	fi
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "NOTE: /usr/bin/chromium is missing: the browser tests (tests/e2e) will be SKIPPED (in CI they fail). Install it with: apt-get install chromium"; \
	fi
	$(PY) -m pytest -rs $(PYTEST_ARGS)
	@if command -v node >/dev/null 2>&1; then \
	  node --test frontend/tests/js/; \
	elif [ -n "$$CI" ]; then \
	  echo "ERROR: node is required in CI for the JavaScript tests"; exit 1; \
	else \
	  echo "NOTE: node not found: the JavaScript tests (frontend/tests/js) were SKIPPED."; \
	fi

e2e: $(STAMP) messages
	$(PY) -m pytest -rs -m e2e tests/e2e $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
