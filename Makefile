# gitbrag — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run demo test lint format bench chaos screenshots lock clean

install: $(STAMP)

# Every dependency at the version and hashes of the lock file (pip refuses anything else),
# then gitbrag itself, editable, without resolving anything again.
$(STAMP): pyproject.toml requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Re-resolve the locks after changing dependencies in pyproject.toml (pip's own index
# configuration decides where from; the lock names no index).
LOCK := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links --no-emit-trusted-host
lock: install
	$(LOCK) -o requirements.lock pyproject.toml
	$(LOCK) --extra dev --extra demo -o requirements-dev.lock pyproject.toml

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
