# The Makefile is the interface: `make demo`, `make test`, `make lint`, `make bench`.
# Everything runs from the project's own virtualenv in .venv (created on first use).

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py

.DEFAULT_GOAL := help
.PHONY: help venv demo test lint format bench migrate worker beat

help:
	@echo "make demo     run the registry on http://127.0.0.1:$${PORT:-8000} with demo data (SQLite)"
	@echo "make test     run the whole test suite (PYTEST_ARGS=... passes options to pytest)"
	@echo "make lint     ruff check + ruff format --check"
	@echo "make bench    benchmarks on PostgreSQL (BENCH_ARGS=--small for a quick run)"
	@echo "make migrate  apply database migrations"
	@echo "make worker   start a Celery worker (needs CELERY_BROKER_URL)"
	@echo "make beat     start Celery beat (needs CELERY_BROKER_URL)"
	@echo "make venv     create .venv and install the project with its dev dependencies"

# Reinstall only when the dependency list changes; repeat runs are instant.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

demo: venv
	DEBUG=1 $(MANAGE) migrate --noinput
	@if test -f fixtures/demo.json; then DEBUG=1 $(MANAGE) loaddata demo; \
	else echo "fixtures/demo.json not found: starting without demo data."; fi
	@if DEBUG=1 $(MANAGE) help recompute >/dev/null 2>&1; then DEBUG=1 $(MANAGE) recompute; fi
	DEBUG=1 $(MANAGE) ensure_admin
	DEBUG=1 $(MANAGE) runserver 127.0.0.1:$${PORT:-8000}

test: venv
	$(BIN)/pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks run on PostgreSQL (BENCH_DATABASE_URL, database created if missing) with the peers they are compared
# with: django-import-export (installed here only) and wrk (Debian's package) as the load generator.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bench
bench: venv
	@$(BIN)/python -c "import import_export" 2>/dev/null || $(BIN)/pip install --quiet "django-import-export[xlsx]==4.4.3"
	@command -v wrk >/dev/null || (apt-get install -y -qq wrk >/dev/null 2>&1 || echo "wrk is not installed: P4 will be skipped")
	@psql "$(BENCH_DATABASE_URL)" -Atqc 'select 1' >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres "$$(basename $(BENCH_DATABASE_URL))"
	DEBUG=1 DATABASE_URL=$(BENCH_DATABASE_URL) $(MANAGE) migrate --noinput -v0
	DEBUG=1 DATABASE_URL=$(BENCH_DATABASE_URL) $(MANAGE) bench $(BENCH_ARGS)

migrate: venv
	$(MANAGE) migrate --noinput

worker: venv
	$(BIN)/celery -A config worker -l info

beat: venv
	$(BIN)/celery -A config beat -l info
