# gitbrag — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run demo test lint format bench chaos screenshots clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,demo]'
	touch $(STAMP)

run: install
	$(BIN)/gitbrag up

demo: install
	$(BIN)/gitbrag demo

test: install
	$(BIN)/python -m pytest -q
	$(MAKE) lint

lint: install
	$(BIN)/ruff check gitbrag actors web tests bench
	$(BIN)/ruff format --check gitbrag actors web tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix gitbrag actors web tests bench
	$(BIN)/ruff format gitbrag actors web tests bench

bench: install
	$(BIN)/python -m bench

# Faults under load (not part of `make test`, which runs a smoke of it): writes
# docs/reliability.md and docs/reliability.json; fails when an invariant broke.
chaos: install
	$(BIN)/python -m tests.chaos

screenshots: install
	$(BIN)/python -m tests.screenshots

clean:
	rm -rf $(VENV) build dist *.egg-info
