# Two commands do all set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app webapp
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 5000
# The demo's date (inside FY2025's window, so the seeded cases are live); only `make run` uses it.
DEMO_CLOCK ?= 2025-09-01T10:00:00+09:00

.PHONY: run serve test lint bench stress install translations assets clean

$(PY):
	python3 -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) translations assets

translations: $(STAMP)
	$(VENV)/bin/pybabel --quiet compile -d webapp/translations

# bpmn-js for the case page's diagram, installed from the npm registry (not copied into the repo); the designers'
# editor (webapp/static/src/editor/) bundled with esbuild into webapp/static/build/ (git-ignored, built here).
EDITOR_BUILD := webapp/static/build/editor.js
assets: node_modules/.package-lock.json $(EDITOR_BUILD)

node_modules/.package-lock.json: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

$(EDITOR_BUILD): node_modules/.package-lock.json $(wildcard webapp/static/src/editor/*)
	node_modules/.bin/esbuild webapp/static/src/editor/index.js --bundle --minify --format=iife --target=es2020 \
		--loader:.woff=file --loader:.woff2=file --loader:.ttf=file --loader:.eot=file --loader:.svg=file \
		--log-level=warning --outfile=$@

# The session key: TSS_SECRET_KEY if set, else one generated on first run into instance/secret_key (0600).
# Each web process delivers email from a background thread after commit (TSS_MAIL_THREAD=1).
run: export TSS_SECRET_KEY_FILE ?= secret_key
run: export TSS_MAIL_THREAD ?= 1
run: install
	$(FLASK) db upgrade
	TSS_CLOCK_START=$(DEMO_CLOCK) $(FLASK) deploy  # one clock: the version's deploy date is on the demo's timeline
	TSS_CLOCK_START=$(DEMO_CLOCK) $(FLASK) seed-demo --at $(DEMO_CLOCK)
	@echo "Serving on http://$(HOST):$(PORT)/ (run 'TSS_CLOCK_START=... $(FLASK) tick' from cron to fire timers)"
	TSS_CLOCK_START=$(DEMO_CLOCK) $(FLASK) run --host $(HOST) --port $(PORT)

# Production serving: gunicorn with deploy/gunicorn.conf.py (workers, timeouts, worker recycling; bind with
# TSS_BIND, default 127.0.0.1:8000). No demo data. The key file is kept across restarts in instance/, or set
# TSS_SECRET_KEY. Timers and email retries need `flask --app webapp tick` every minute (deploy/tss-tick.timer).
serve: export TSS_SECRET_KEY_FILE ?= secret_key
serve: export TSS_MAIL_THREAD ?= 1
serve: install
	$(FLASK) db upgrade
	$(FLASK) deploy
	$(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py "webapp:create_app()"

lint: $(STAMP)
	$(VENV)/bin/ruff check workflows forms webapp tests features
	$(VENV)/bin/ruff format --check workflows forms webapp tests features
	$(VENV)/bin/mypy

test: install lint
	mkdir -p build
	$(PY) -m pytest -q -p no:cacheprovider --cucumberjson=build/cucumber.json

bench: install
	$(PY) -m tests.bench.run

# Fault and load harness (tests/stress): gunicorn on SQLite and a throwaway PostgreSQL, loopback only, bounded
# to about 10 minutes; exits non-zero when a target (no lost update, no 5xx, no duplicate email...) is missed.
stress: install
	$(PY) -m tests.stress.run

clean:
	rm -rf $(VENV) node_modules build instance webapp/static/build
