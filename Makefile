# The two commands of the README: `make run` and `make test`. Both create the virtual
# environment when it is missing (or when pyproject.toml changed).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format openapi webhook-schemas migrate bench chaos clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/chorus-gateway run

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check app tests bench migrations/env.py
	$(BIN)/ruff format --check app tests bench migrations/env.py
	$(BIN)/mypy app

format: $(STAMP)
	$(BIN)/ruff format app tests bench migrations/env.py
	$(BIN)/ruff check --fix app tests bench migrations/env.py

openapi: $(STAMP)
	$(BIN)/chorus-gateway openapi --output openapi/openapi.json

webhook-schemas: $(STAMP)
	$(BIN)/chorus-gateway webhook-schemas --output openapi/webhooks

migrate: $(STAMP)
	$(BIN)/chorus-gateway migrate

# Benchmarks (docs/benchmarks.md): each starts its own servers and baseline; needs wrk.
# BENCH_ARGS=--quick for a short run, --profile for py-spy profiles.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# 1,000 invoices through the whole gateway on its own servers while things break.
chaos: $(STAMP)
	$(BIN)/python -m bench.chaos --invoices 1000

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
