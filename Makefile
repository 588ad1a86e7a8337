# 大客户管理台 — `make run` to try it, `make test` to test it. Needs only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app run.py
HOST   ?= 127.0.0.1
PORT   ?= 8080
WORKERS ?= 4

.PHONY: run test serve migrate demo i18n translations bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

i18n: $(VENV)/.runtime
	$(BIN)/python tools/i18n.py compile

migrate: $(VENV)/.runtime
	mkdir -p instance
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) load-demo
	$(FLASK) db-optimize

run: i18n demo
	$(FLASK) run --host $(HOST) --port $(PORT)

# SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (see README).
test: $(VENV)/.dev i18n
	$(BIN)/ruff check app tests tools bench config.py run.py
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -q tests
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL"; $(BIN)/python -m pytest -q tests; fi

# Production: gunicorn workers on PostgreSQL (DATABASE_URL). Permissions and schema are
# written once here, never by the workers, so any number of servers can share one database.
serve: i18n
	@test -n "$$DATABASE_URL" || (echo "DATABASE_URL is required, e.g. postgresql://user:pw@host/db" && exit 1)
	$(FLASK) db upgrade
	$(FLASK) init-roles
	$(FLASK) db-optimize
	$(BIN)/gunicorn --workers $(WORKERS) --bind 0.0.0.0:$(PORT) --access-logfile - 'app:create_app()'

translations: $(VENV)/.dev
	$(BIN)/python tools/i18n.py all

bench: $(VENV)/.dev
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) instance
