# Two commands on a fresh clone: `make run` and `make test`.
# Each bootstraps uv and the locked environment (.venv) when they are missing.

# pyenv's shim picks Python 3.10 from .python-version inside this folder.
PYTHON ?= python
UV_VERSION := 0.13.9
VENV := .venv
STAMP := $(VENV)/.installed
# The tests also compile for Kubeflow and Airflow: the optional groups on top.
TEST_STAMP := $(VENV)/.installed-test
TEST_GROUPS := --group kubeflow --group airflow
# Use the machine's Python 3.10; never download an interpreter.
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test test-fast lint env clean

$(STAMP): pyproject.toml uv.lock .python-version
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 10), f"Python 3.10 is required, found {sys.version.split()[0]}: install it (pyenv install 3.10) or set PYTHON=python3.10"'
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"
	$(PYTHON) -m uv sync --frozen --compile-bytecode
	@touch $@

# Newer than the lean stamp, or the lean sync (exact) has just removed the groups.
$(TEST_STAMP): $(STAMP)
	$(PYTHON) -m uv sync --frozen --compile-bytecode $(TEST_GROUPS)
	@touch $@

env: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/python run_local.py $(ARGS)

test: $(TEST_STAMP)
	$(VENV)/bin/python -m ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

test-fast: $(TEST_STAMP)
	$(VENV)/bin/python -m pytest -m "not e2e" $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/python -m ruff check .
	$(VENV)/bin/python -m ruff format --check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf outputs
