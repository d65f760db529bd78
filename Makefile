# Two commands do everything: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
export FLASK_APP := wsgi
# The issue-15 headline benches first; the rest follow.
BENCHES := bench/pages.py bench/submissions.py bench/certificates.py bench/reports.py bench/content_build.py \
	bench/cohorts.py bench/sessions.py bench/editor_preview.py bench/lti_launch.py bench/cluster.py

.PHONY: run setup test test-sqlite test-postgres lint bench clean system-packages-run system-packages-test system-packages-bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian packages (Pango, fonts; Chromium, PostgreSQL, Redis for tests): apt-get as root, else one message.
system-packages-run:
	@scripts/system-packages run

system-packages-test:
	@scripts/system-packages test

system-packages-bench:
	@scripts/system-packages bench

## Install, migrate, publish the shipped courses, create demo accounts, serve on http://$(HOST):$(PORT)
run: setup
	BIN=$(BIN) HOST=$(HOST) PORT=$(PORT) scripts/run-with-worker --host $(HOST) --port $(PORT)

setup: system-packages-run $(VENV)/.installed node_modules/.installed
	$(BIN)/flask db upgrade
	$(BIN)/flask orgs sync
	$(BIN)/flask content build
	$(BIN)/flask demo accounts

## The whole suite on SQLite, then every database test again on PostgreSQL
test: system-packages-test $(VENV)/.installed-dev node_modules/.installed test-sqlite test-postgres

test-sqlite: system-packages-test $(VENV)/.installed-dev node_modules/.installed
	$(BIN)/python -m pytest

test-postgres: system-packages-test $(VENV)/.installed-dev node_modules/.installed
	LMS_TEST_DB=postgres $(BIN)/python -m pytest -m db

## Every benchmark in turn on this machine (30+ minutes); each prints its figures and the command to rerun it
bench: system-packages-bench $(VENV)/.installed-dev node_modules/.installed
	@for script in $(BENCHES); do echo "== $$script"; $(BIN)/python $$script || exit 1; done

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
