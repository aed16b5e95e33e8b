# One command each for a new user: `make run` and `make test` build the virtual
# environment from scratch when it is missing or pyproject.toml changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# numba kernels compiled and cached (in the user cache dir, see pricing/_jit.py) for these sources
COMPILED := $(VENV)/.compiled
HYPOTHESIS_PROFILE ?= ci

.PHONY: compile run test test-random test-deep bench lint typecheck demo-data clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: no python3.11 or python3 on PATH (set PYTHON=/path/to/python3.11)"; exit 1; }
	@$(PYTHON) -c "import sys; sys.exit(sys.version_info < (3, 11))" || { echo "error: $(PYTHON) is older than 3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

# Compilation belongs to setup: right after the install (and after any change of pricing/),
# compile and cache every kernel so that no command compiles in the middle of its work.
$(COMPILED): $(STAMP) $(wildcard pricing/*.py)
	$(BIN)/python -m pricing.compile
	@touch $(COMPILED)

compile: $(COMPILED)

run: $(COMPILED)
	$(BIN)/hedge app --source demo

test: $(COMPILED)
	$(BIN)/python -m pytest -q -p no:cacheprovider --hypothesis-profile=$(HYPOTHESIS_PROFILE) $(PYTEST_ARGS)

test-random: $(COMPILED)
	$(BIN)/python -m pytest -q --hypothesis-profile=dev $(PYTEST_ARGS)

test-deep: $(COMPILED)
	$(BIN)/python -m pytest -q --hypothesis-profile=deep $(PYTEST_ARGS)

bench: $(COMPILED)
	@failed=""; for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || failed="$$failed $$f"; done; \
	if [ -n "$$failed" ]; then echo "bars missed:$$failed"; exit 1; else echo "all bars met"; fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

demo-data: $(STAMP)
	$(BIN)/python scripts/make_demo_snapshot.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
