# MIA-DO Events — the two commands of the README are `make run` and `make test`.
# Python packages come from the hash-pinned locks in requirements/ (refresh: `make lock`).
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
PIP     := $(VENV)/bin/pip
FLASK   := $(VENV)/bin/flask --app app
PYBABEL := $(VENV)/bin/pybabel
UV      := $(VENV)/bin/uv
HOST    ?= 127.0.0.1
PORT    ?= 5000

.PHONY: run install install-test translations extract-messages test test-sqlite test-postgres system-deps node-deps postgres bench lint lock lock-check

## make run: install into .venv, build the SQLite schema, load demo data, serve on http://127.0.0.1:5000
run: install
	$(FLASK) db upgrade
	$(FLASK) demo
	$(FLASK) run --host $(HOST) --port $(PORT)

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# The locked packages first (every file checked against its hash), then the
# project itself without resolving anything more.
install: $(VENV)/bin/activate
	$(PIP) install -q --require-hashes -r requirements/app.txt
	$(PIP) install -q --no-deps -e .
	$(PIP) check -q || { echo "requirements/app.txt lacks what pyproject.toml asks for: run make lock" >&2; exit 1; }
	$(MAKE) --no-print-directory translations

# The app, the test tools and the checkers of `make lint` (extras test and dev).
install-test: $(VENV)/bin/activate
	$(PIP) install -q --require-hashes -r requirements/test.txt
	$(PIP) install -q --no-deps -e .
	$(PIP) check -q || { echo "requirements/test.txt lacks what pyproject.toml asks for: run make lock" >&2; exit 1; }
	$(MAKE) --no-print-directory translations

## make lock: resolve pyproject.toml again into requirements/test.txt (app + extras test, dev)
## and requirements/app.txt (the app alone, same versions), with hashes, for Python 3.11+ on
## every platform. Versions already pinned stay unless pyproject.toml asks otherwise;
## make lock LOCK_ARGS=--upgrade moves all to the newest, LOCK_ARGS="--upgrade-package flask" one.
LOCK_FLAGS = --quiet --universal --python-version 3.11 --generate-hashes --custom-compile-command "make lock" $(LOCK_ARGS)
LOCK_DIR ?= .
lock: $(VENV)/bin/activate
	test -x $(UV) || $(PIP) install -q uv
	cd $(LOCK_DIR) && $(abspath $(UV)) pip compile pyproject.toml --extra test --extra dev $(LOCK_FLAGS) -o requirements/test.txt
	cd $(LOCK_DIR) && $(abspath $(UV)) pip compile pyproject.toml -c requirements/test.txt $(LOCK_FLAGS) -o requirements/app.txt

# Part of make lint: the locks are what `make lock` would write now (same pins, nothing missing).
lock-check: $(VENV)/bin/activate
	@tmp=$$(mktemp -d) && mkdir $$tmp/requirements && cp pyproject.toml $$tmp/ && cp requirements/*.txt $$tmp/requirements/ && \
	$(MAKE) --no-print-directory -s lock LOCK_DIR=$$tmp >/dev/null && \
	diff -u requirements/test.txt $$tmp/requirements/test.txt && diff -u requirements/app.txt $$tmp/requirements/app.txt; \
	status=$$?; rm -rf $$tmp; \
	if [ $$status -ne 0 ]; then echo "requirements/*.txt do not match pyproject.toml: run make lock and commit both" >&2; fi; \
	exit $$status

## make lint: ruff (errors and likely bugs), import-linter (the layer order of the packages,
## in pyproject.toml), deptry (every imported package is declared) and lock-check (the locks
## match pyproject.toml). CI runs it before the tests. All run; the target fails if any found something.
lint: install-test
	@status=0; \
	echo "ruff check ."; $(VENV)/bin/ruff check --output-format concise . || status=1; \
	echo "lint-imports"; $(VENV)/bin/lint-imports || status=1; \
	echo "deptry ."; $(VENV)/bin/deptry . || status=1; \
	echo "make lock-check"; $(MAKE) --no-print-directory lock-check || status=1; \
	exit $$status

translations:
	$(PYBABEL) -q compile -f -d miado_events/translations

## Re-extract messages.pot and merge it into every catalogue (then translate the new entries).
extract-messages:
	$(PYBABEL) -q extract -F miado_events/babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 --ignore-dirs ".* __pycache__" \
	  --no-location --sort-output --project "MIA-DO Events" \
	  -o miado_events/translations/messages.pot .
	$(PYBABEL) -q update --no-fuzzy-matching -i miado_events/translations/messages.pot -d miado_events/translations

## make test: install everything the suite needs (Chromium, PostgreSQL, venv), then run it on SQLite and on PostgreSQL
## (the browser tests once, on PostgreSQL: see SQLITE_TESTS below)
test: system-deps install-test node-deps postgres
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

system-deps:
	bash .ci/system-deps

# axe-core (the accessibility checker the browser tests inject), pinned in package-lock.json.
node-deps:
	npm ci --no-audit --no-fund --silent

postgres:
	bash .ci/postgres start

# Both runs use two workers per core (pytest-xdist; the tests wait on browsers,
# servers and sockets much of the time, so two per core keep the cores busy;
# tests of one file stay on one worker, each worker has its own SQLite file /
# PostgreSQL database). PYTEST_JOBS=0 runs serially.
PYTEST_JOBS ?= $(shell echo $$(( $$(nproc) * 2 )))
XDIST = $(if $(filter 0,$(PYTEST_JOBS)),,-n $(PYTEST_JOBS) --dist loadfile)

# The unit and integration tests run on both databases: they hold everything
# that depends on the database (constraints, locking, concurrency, SQL dialect).
# The browser tests (tests/e2e) drive pages and scripts through those same
# services and run once, on PostgreSQL (the production database): on both they
# took half of CI's time. `make test-sqlite SQLITE_TESTS=tests` runs them on SQLite too.
SQLITE_TESTS ?= tests/unit tests/integration

test-sqlite:
	env -u DATABASE_URL $(VENV)/bin/pytest $(XDIST) $(SQLITE_TESTS) $(PYTEST_ARGS)

test-postgres:
	DATABASE_URL="$$(bash .ci/postgres url)" $(VENV)/bin/pytest $(XDIST) $(PYTEST_ARGS)

## make bench: load-test eight endpoints on SQLite and PostgreSQL under gunicorn against a minimal
## Flask floor; prints a table and writes bench/last-run.md (options: make bench BENCH_ARGS="--only sqlite")
bench: install
	$(PY) bench/run.py $(BENCH_ARGS)
