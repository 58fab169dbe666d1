# Two commands on a fresh machine: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: run test lint typecheck check sandbox serve bench clean

$(VENV)/.python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Switchboard needs Python 3.11 or newer (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@touch $@

$(VENV)/.installed: $(VENV)/.python pyproject.toml
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.python pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

## run: the local console on the embedded defaults (SQLite file + sandbox providers + demo workspace)
run: $(VENV)/.installed
	$(VENV)/bin/switchboard shell

## test: the whole test suite (Postgres tests run when SWITCHBOARD_TEST_DATABASE_URL is set)
test: $(VENV)/.installed-dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check bot tests bench migrations
	$(VENV)/bin/ruff format --check bot tests bench migrations

typecheck: $(VENV)/.installed-dev
	$(VENV)/bin/mypy

check: lint typecheck test

## bench: benchmarks, each printing JSON lines with a summary line last (ratios against a floor)
bench: $(VENV)/.installed-dev
	$(PY) -m bench.ack
	$(PY) -m bench.digest
	$(PY) -m bench.lookup_fanout
	$(PY) -m bench.lookup
	$(PY) -m bench.rate_limits
	$(PY) -m bench.shared_rate_limits
	$(PY) -m bench.worker_throughput

sandbox: $(VENV)/.installed
	$(VENV)/bin/switchboard sandbox --port 8900

serve: $(VENV)/.installed
	$(VENV)/bin/switchboard serve

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache switchboard.db
