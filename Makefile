# Arrears: `make run` serves on 127.0.0.1:8000 with the embedded database; `make test` is what CI runs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export ARREARS_TEST_POSTGRES_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

.PHONY: install run migrate lint test test-sqlite test-postgres fuzz openapi bench bench-quick clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	@mkdir -p var
	$(BIN)/arrears migrate

run: migrate
	$(BIN)/arrears serve --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check app tests bench migrations
	$(BIN)/ruff format --check app tests bench
	$(BIN)/mypy app

test-sqlite: install
	@echo "== test suite on embedded SQLite =="
	ARREARS_TEST_DB=sqlite $(BIN)/pytest -q -p no:cacheprovider

# Mandatory in CI; elsewhere skipped (loudly) when no PostgreSQL answers.
test-postgres: install
	@echo "== test suite on PostgreSQL =="
	@if bash .ci/postgres.sh; then \
	  ARREARS_TEST_DB=postgres $(BIN)/pytest -q -p no:cacheprovider; \
	elif [ "$${CI:-}" = "true" ]; then \
	  echo "CI: the PostgreSQL run is mandatory" >&2; exit 1; \
	else \
	  echo "*** PostgreSQL suite SKIPPED: no server on 127.0.0.1:5432 ***" >&2; \
	fi

test: lint test-sqlite test-postgres

# Schemathesis against a real server and openapi/openapi.json (~4 minutes; see tests/fuzz/run.py).
fuzz: install
	$(PY) -m tests.fuzz.run

openapi: install
	$(BIN)/arrears openapi --output openapi/openapi.json

bench: install
	$(PY) -m bench.run

bench-quick: install
	$(PY) -m bench.run --quick

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
