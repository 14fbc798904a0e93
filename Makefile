# One command each: `make run` serves the demo on the embedded database; `make test` runs the suite
# (on SQLite, and again on PostgreSQL when TEST_DATABASE_URL is set).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app huishang
PORT ?= 5000
HOST ?= 127.0.0.1

.PHONY: install run demo test test-sqlite test-postgres lint migrate translations clean worker beat

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate setup.cfg pyproject.toml
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	@touch $@

install: $(VENV)/.installed

run: install
	$(FLASK) db upgrade
	$(FLASK) demo
	$(FLASK) run --host $(HOST) --port $(PORT)

# Background jobs on Redis (REDIS_URL or CELERY_BROKER_URL set): a worker and the one beat of a
# district. Without Redis, `make run` runs jobs in its own process and needs neither.
worker: install
	$(BIN)/celery -A worker worker --loglevel=INFO --concurrency=$${WORKER_CONCURRENCY:-1}

beat: install
	$(BIN)/celery -A worker beat --loglevel=INFO -s instance/celerybeat-schedule

demo: install
	$(FLASK) db upgrade
	$(FLASK) demo

test: install
	env -u TEST_DATABASE_URL $(BIN)/pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== the same suite on PostgreSQL: $$TEST_DATABASE_URL"; \
		$(BIN)/pytest; \
	fi

lint: install
	$(BIN)/ruff check huishang tests scripts

migrate: install
	$(FLASK) db migrate -m "$(m)"

translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -o huishang/translations/messages.pot .
	$(BIN)/pybabel update -i huishang/translations/messages.pot -d huishang/translations
	$(BIN)/pybabel compile -d huishang/translations

clean:
	rm -rf $(VENV) .pytest_cache
