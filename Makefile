# Pulse — make run (embedded demo) · make test (everything CI runs)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
SCALE  ?= 1
SEED   ?= 7
TEST_WORKERS ?= 2
export PYTHONPATH := $(CURDIR)

.PHONY: run test deps venv demo db-upgrade demo-renewals refresh load-seeds run-seeds test-unit test-browser clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

## Build the demo company in var/pulse.duckdb (SCALE=1 ≈ 5,000 deals) and its 18 months of KPI history
## in var/pulse.metrics.duckdb (computed once per demo build and day; data_access.backfill)
demo: venv
	$(PY) -m data_access.demo --scale $(SCALE) --seed $(SEED) --history-months 18

## Pulse's own database (PULSE_DATABASE_URL, default var/pulse.db): apply pending migrations
db-upgrade: venv
	$(PY) -m data_access.db upgrade

## The demo's customers and renewals in Pulse's database (written once; people's edits are kept)
demo-renewals: demo db-upgrade
	$(PY) -m data_access.demo_renewals --seed $(SEED)

## Serve Pulse on the embedded demo at http://127.0.0.1:8050 (Ctrl-C stops it)
run: demo-renewals
	$(PY) app.py

## Load the Fivetran seed CSVs instead of the demo (see README), then `make run-seeds`
load-seeds: venv
	$(PY) -m data_access.load hubspot ../shared/data/fivetran/dbt_hubspot --duckdb-path var/seeds.duckdb
	$(PY) -m data_access.load quickbooks ../shared/data/fivetran/dbt_quickbooks --duckdb-path var/seeds.duckdb

run-seeds: load-seeds
	PULSE_DUCKDB_PATH=var/seeds.duckdb $(PY) app.py

## Refresh every metric once into the configured store
refresh: venv db-upgrade
	$(PY) worker.py --once

## System programs the tests need (chromium, chromedriver, redis-server): installs them with
## apt-get when root, otherwise stops with the command to run. make test runs it first.
deps:
	@bash scripts/deps.sh

test: deps venv
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

test-unit: venv
	$(PY) -m pytest -q tests/unit

test-browser: deps venv
	$(PY) -m pytest -q tests/browser

## Remove the demo and bench files (var/targets/, the targets admins saved, stays)
clean:
	find var -mindepth 1 -maxdepth 1 ! -name targets -exec rm -rf {} + 2>/dev/null || true
	rm -rf .pytest_cache

.PHONY: bench
## Benchmarks of issue 3 (figures, not a test): refresh at scale 200, drill-down latency, 50-user load test
bench: venv
	$(PY) bench/run_all.py
