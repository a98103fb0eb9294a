# Two commands from a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PATIENTS ?= 150
# The host's own Python 3.11; a venv is built from it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)

.PHONY: run test setup browser messages migrate lint format bench bench-smoke load clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 18+ (apt-get install -y nodejs npm)." >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(VENV)/.installed node_modules/.package-lock.json

# Debian's Chromium for the browser tests (never a downloaded browser). Needs root to install.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Chromium from Debian's packages…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is missing: run 'sudo apt-get install -y chromium' (browser tests need it)." >&2; exit 1; \
	  fi; \
	fi

# Compiled translations (locale/*/LC_MESSAGES/django.mo, not committed) need GNU gettext's msgfmt.
messages: setup
	@if ! command -v msgfmt >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing gettext from Debian's packages…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; \
	  else \
	    echo "gettext is missing: run 'sudo apt-get install -y gettext' (translations need msgfmt)." >&2; exit 1; \
	  fi; \
	fi
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules --ignore=var -v 0

migrate: setup messages
	$(PY) manage.py migrate --no-input -v 0

# Web server, Celery worker and beat together; Ctrl-C stops all three.
# DEBUG off unless asked for: the clinic's own error pages, not Django's technical ones.
run: migrate
	$(PY) manage.py seed_demo --patients $(DEMO_PATIENTS)
	DEBUG=$${DEBUG:-false} $(PY) manage.py runall --host $(HOST) --port $(PORT)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/bandit -q -r config clinic patients sessions scheduling outcomes plans reports interop demo scripts -x '*/migrations/*' -ll
	$(VENV)/bin/mypy

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: setup browser messages lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Issue 19's figures, each with its target and MET or MISSED: the seed, the report endpoints
# against their bare SQL on a 5,000-patient clinic, the small endpoints against the request
# floor, and the chart of a 200-session patient (PostgreSQL; see README).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/clinic_bench
bench: setup
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) scripts/bench_reports.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) scripts/bench_chart.py

# Every script in scripts/ at a tiny size (the load test as a 20-user smoke), as CI runs them
# within `make test` (PostgreSQL).
bench-smoke: setup messages
	$(VENV)/bin/pytest -q -p no:cacheprovider tests/integration/test_scripts.py

# Concurrent staff and patients against gunicorn with the production settings (scripts/load.py).
LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/clinic_load
LOAD_USERS ?= 50
LOAD_SECONDS ?= 120
LOAD_PATIENTS ?= 2000
load: setup messages
	DATABASE_URL=$(LOAD_DATABASE_URL) $(PY) scripts/load.py --users $(LOAD_USERS) \
	  --duration $(LOAD_SECONDS) --patients $(LOAD_PATIENTS)

clean:
	rm -rf var $(VENV) node_modules
