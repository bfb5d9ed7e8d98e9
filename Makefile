# Portail Famille — two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install demo test test-only lint browser lock serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Reproducible install: every package pinned in requirements.lock, then the project itself.
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

# Browser tests drive Debian's Chromium; install it when it is missing (needs root, as on CI).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Chromium from Debian's packages…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run

test: install browser lint test-only

test-only:
	$(BIN)/pytest $(PYTEST_ARGS)

demo: install
	$(MANAGE) migrate --noinput
	$(MANAGE) schedules_install
	$(MANAGE) demo_load --port $(PORT)
	@echo ""
	@echo "Serveur web : http://localhost:$(PORT)/ et http://valfleuri.localhost:$(PORT)/ (Ctrl+C pour arrêter)"
	@echo "Les e-mails s'affichent dans ce terminal (backend console)."
	@trap 'kill 0' EXIT INT TERM; \
	  $(MANAGE) qcluster & \
	  $(MANAGE) runserver 0.0.0.0:$(PORT)

# Regenerate the lock after changing dependencies in pyproject.toml.
lock: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip freeze --exclude-editable | grep -v '^portail-famille' > requirements.lock

clean:
	rm -rf $(VENV) node_modules var
