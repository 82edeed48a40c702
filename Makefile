# Mimamori: two commands on a fresh Debian machine with Python 3.11.
#   make run    set up everything and serve the demo on http://127.0.0.1:$(PORT)
#   make test   install what the tests need and run the whole suite
# Everything else here is a helper of those two.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export DJANGO_SETTINGS_MODULE ?= cms.settings.dev

.PHONY: help run test test-only serve migrate seed system-deps test-system-deps lint lock bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.requirements: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.requirements-test: requirements-test.txt $(VENV)/.requirements
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

system-deps: ## Debian packages the app needs (installed when missing and running as root)
	@./scripts/apt-ensure libmagic1

test-system-deps: system-deps ## Debian packages the tests need (browser, font, nginx, gettext, openssl)
	@./scripts/apt-ensure chromium fonts-ipaexfont
	@./scripts/apt-ensure nginx-light
	@./scripts/apt-ensure gettext openssl

migrate: $(VENV)/.requirements system-deps ## Migrate the embedded SQLite database
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput

seed: migrate ## Load the demo data (idempotent)
	$(BIN)/python manage.py seed_demo

run: seed ## Set up and serve the demo on http://127.0.0.1:$(PORT)
	@echo ""
	@echo "  みまもりSNS: http://127.0.0.1:$(PORT)/   (事務局管理画面: http://127.0.0.1:$(PORT)/admin/)"
	@echo "  送信メールは var/mail/ に保存されます。"
	@echo ""
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.requirements-test test-system-deps ## Install test needs, lint, and run the whole suite
	$(MAKE) --no-print-directory test-only

test-only: ## Run lint and the suite without installing anything
	DJANGO_SETTINGS_MODULE=cms.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	DJANGO_SETTINGS_MODULE=cms.settings.test $(BIN)/python -m pytest

lint: $(VENV)/.requirements-test ## ruff and Django's checks
	$(BIN)/ruff check .
	DJANGO_SETTINGS_MODULE=cms.settings.test $(BIN)/python manage.py check
	DJANGO_SETTINGS_MODULE=cms.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

lock: $(BIN)/python ## Re-pin requirements*.txt from pyproject.toml
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile -q --strip-extras --no-header --no-emit-index-url --no-emit-find-links --output-file=requirements.txt pyproject.toml
	$(BIN)/pip-compile -q --strip-extras --no-header --no-emit-index-url --no-emit-find-links --extra=test --output-file=requirements-test.txt pyproject.toml

bench: $(VENV)/.requirements-test ## Run the benchmarks (figures to bench/results/)
	DJANGO_SETTINGS_MODULE=cms.settings.test $(BIN)/python bench/access.py
	DJANGO_SETTINGS_MODULE=cms.settings.test $(BIN)/python bench/timeline.py
	DJANGO_SETTINGS_MODULE=cms.settings.test $(BIN)/python bench/audit.py
	DJANGO_SETTINGS_MODULE=cms.settings.test $(BIN)/python bench/pdf.py
	DJANGO_SETTINGS_MODULE=cms.settings.test $(BIN)/python bench/purge.py
	DJANGO_SETTINGS_MODULE=cms.settings.test $(BIN)/python bench/trust.py
	DJANGO_SETTINGS_MODULE=cms.settings.test $(BIN)/python bench/search.py

clean: ## Remove the virtualenv and the embedded database
	rm -rf $(VENV) var

.PHONY: messages
messages: $(VENV)/.requirements ## Re-extract the English catalogue (locale/en) and compile it; lists texts still to translate
	$(BIN)/python manage.py update_translations
