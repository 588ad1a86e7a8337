# 大客户管理台 — `make run` to try it, `make test` to test it. Needs only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app run.py
# Local use only: a random key written once into instance/ (DESIGN.md §9). `make serve`
# never uses it: there SECRET_KEY must come from the environment.
KEYFILE := instance/secret_key
DEVKEY  = SECRET_KEY="$${SECRET_KEY:-$$(cat $(KEYFILE))}"
HOST   ?= 127.0.0.1
PORT   ?= 8080
WORKERS ?= 4
BIND   ?= 0.0.0.0:$(PORT)
# Test processes (pytest-xdist; whole files per process, each with its own database).
TEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

.PHONY: run test fuzz serve worker migrate demo i18n translations bench clean

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

$(KEYFILE):
	mkdir -p instance
	umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_hex(32))' > $@

migrate: $(VENV)/.runtime $(KEYFILE)
	$(DEVKEY) $(FLASK) db upgrade

demo: migrate
	$(DEVKEY) $(FLASK) load-demo
	$(DEVKEY) $(FLASK) db-optimize

# The web server and, beside it, the task queue's consumer (SQLite store in instance/, or
# REDIS_URL): background exports, large imports and periodic tasks. Both stop together.
run: i18n demo
	@export $(DEVKEY); \
	$(FLASK) worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (see README).
test: $(VENV)/.dev i18n
	$(BIN)/ruff check app tests tools bench config.py run.py
	env -u TEST_DATABASE_URL $(PYTEST) tests
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL"; $(PYTEST) tests; fi

# The generated tests at length: many more Hypothesis examples and a longer random day
# (tests/README.md). FUZZ_EXAMPLES and DAY_OPERATIONS may be set on the command line.
FUZZ_EXAMPLES ?= 300
DAY_OPERATIONS ?= 3000
fuzz: $(VENV)/.dev i18n
	env -u TEST_DATABASE_URL FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) DAY_OPERATIONS=$(DAY_OPERATIONS) \
	  $(PYTEST) tests/test_fuzz.py tests/test_random_day.py
	@if [ -n "$$TEST_DATABASE_URL" ]; then echo "== again on PostgreSQL"; \
	  FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) DAY_OPERATIONS=$(DAY_OPERATIONS) \
	  $(PYTEST) tests/test_fuzz.py tests/test_random_day.py; fi

# Production: gunicorn workers on PostgreSQL (DATABASE_URL) that only enqueue background
# work on Redis (REDIS_URL) for `make worker`; files in FILES_DIR, which every server mounts
# (deploy/ and README "Production"). Permissions and schema are written once here, never by
# the workers, so any number of servers can share one database.
# SECRET_KEY (and optionally JWT_SECRET_KEY) come from the environment, the same on every
# server; behind HTTPS also export SESSION_COOKIE_SECURE=1 (see README, "Cookies").
serve: i18n
	@test -n "$$DATABASE_URL" || (echo "DATABASE_URL is required, e.g. postgresql://user:pw@host/db" && exit 1)
	@test -n "$$SECRET_KEY" || (echo "SECRET_KEY is required: export SECRET_KEY=\$$(python3 -c 'import secrets; print(secrets.token_hex(32))')" && exit 1)
	@test -n "$$REDIS_URL" || (echo "REDIS_URL is required: background work is queued there for \`make worker\`, e.g. redis://host:6379/1" && exit 1)
	@test "$$SESSION_COOKIE_SECURE" = 1 || echo "warning: SESSION_COOKIE_SECURE is not 1: session cookies also travel over plain HTTP"
	@case "$${RATELIMIT_STORAGE_URI:-memory://}" in memory://*) \
	  echo "WARNING: RATELIMIT_STORAGE_URI is memory:// - the per-address login rate limit is counted per process ($(WORKERS) workers: up to $(WORKERS)x the limit). Set it to a shared store, e.g. redis://host:6379/0. (The account lockout is counted in the database and holds regardless.)" >&2;; esac
	$(FLASK) db upgrade
	$(FLASK) init-roles
	$(FLASK) db-optimize
	$(BIN)/gunicorn --workers $(WORKERS) --bind $(BIND) --timeout 300 --access-logfile - 'app:create_app()'

# The task queue's consumer for a deployment: tasks from REDIS_URL, on the database of
# DATABASE_URL (run one or more, on any machine that mounts FILES_DIR).
worker: i18n
	@test -n "$$DATABASE_URL" || (echo "DATABASE_URL is required, e.g. postgresql://user:pw@host/db" && exit 1)
	@test -n "$$SECRET_KEY" || (echo "SECRET_KEY is required (the same as the web servers')" && exit 1)
	@test -n "$$REDIS_URL" || (echo "REDIS_URL is required, e.g. redis://host:6379/1" && exit 1)
	$(FLASK) worker

translations: $(VENV)/.dev
	$(BIN)/python tools/i18n.py all

bench: $(VENV)/.dev
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) instance
