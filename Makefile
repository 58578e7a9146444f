# Maillage: the README's commands. `make run` and `make test` work on a fresh machine
# with python3 (3.11+), make and git.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export MAILLAGE_DEV ?= 1
HOST ?= 127.0.0.1
PORT ?= 8000
# The settings read the same variable: the SQLite file, uploads and local.env live there.
VAR_DIR := $(or $(MAILLAGE_VAR_DIR),var)
LOCAL_ENV := $(VAR_DIR)/local.env

.PHONY: install run test test-postgres lint format bench demo messages clean

install: $(STAMP) $(LOCAL_ENV)

# Re-install only when the dependency pins or the project metadata change.
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Maillage needs Python 3.11 or newer (found " + sys.version.split()[0] + ")")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

# Development settings of this machine (MAILLAGE_DEV=1, a generated key), so that
# `.venv/bin/maillage …` works as the README shows; written once, kept afterwards.
$(LOCAL_ENV): | $(STAMP)
	@$(BIN)/python -m config.local_env $@

run: install
	@mkdir -p $(VAR_DIR)/static
	$(BIN)/maillage migrate --noinput
	$(BIN)/maillage load_demo
	@echo ""
	@echo "Maillage is starting on http://$(HOST):$(PORT)/ with a background worker. Ctrl-C stops both."
	@$(BIN)/maillage demo_logins
	@$(BIN)/maillage dev $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/maillage} $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy maillage config tools
	$(BIN)/lint-imports
	$(BIN)/python tools/house_rules.py

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

messages: install
	cd maillage && ../$(BIN)/maillage makemessages -l en -l fr --ignore='*/tests/*'
	$(BIN)/maillage compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) $(VAR_DIR)/maillage.sqlite3*
