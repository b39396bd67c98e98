# antq_core developer tasks. CI runs `make test` (see .ci/run).
#
# Everything runs in .venv, made from $(PYTHON). Tests, doctests, examples and docs
# run against the wheel built from this tree and installed into .venv, never
# against src/ (tests/conftest.py refuses to run otherwise).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
# Steps of `make test` must run in the order written.
.NOTPARALLEL:
MAKEFLAGS += --no-builtin-rules --no-print-directory

PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
DIST := dist
# Tools and dependencies are (re)installed only when pyproject.toml changes.
VENV_STAMP := $(VENV)/.stamp-venv
DEV_STAMP := $(VENV)/.stamp-dev

PIP_QUIET ?= --quiet
PIP := $(BIN)/python -m pip $(PIP_QUIET) --disable-pip-version-check
PYTEST_ARGS ?=
# pytest runs on this many processes (pytest-xdist; CI has 2 cores). Each worker loads the
# same Hypothesis profile (tests/conftest.py), so the CI profile stays deterministic, and
# pytest-cov combines the workers' coverage. PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
SPHINX_BASE := $(BIN)/sphinx-build -q -W --keep-going
SPHINX := $(SPHINX_BASE) -E
# The doctest and HTML builds share one environment (the parsed sources and autodoc's
# output): the HTML step reuses what the doctest step just read, when that is newer than
# the wheel installed for it, and reads everything afresh (-E) otherwise.
DOCTREES := docs/_build/doctrees

# Build an sdist, then a wheel from it (so a file missing from the sdist fails
# here too), into an emptied dist/. Output is shown only on failure.
define build_wheel
	@echo "== build sdist + wheel"
	@rm -rf $(DIST)
	@$(BIN)/python -m build --no-isolation --outdir $(DIST) . >$(VENV)/build.log 2>&1 \
		|| { cat $(VENV)/build.log; exit 1; }
	@ls $(DIST)/antq_core-*-py3-none-any.whl >/dev/null
endef
WHEEL = $$(ls $(DIST)/antq_core-*-py3-none-any.whl)

.PHONY: help
help:
	@echo "make demo       build and install the wheel into .venv, run 'antq report'"
	@echo "make serve      the reference web service on 127.0.0.1:8000 (SQLite antq-web.db; URL=..., PORT=...)"
	@echo "make test       everything CI runs: wheel, lint, typecheck, pytest, doctest, examples, docs"
	@echo "make lint       ruff check + ruff format --check"
	@echo "make format     ruff format + ruff check --fix (rewrites files)"
	@echo "make typecheck  mypy --strict on src/, examples/ and tests/"
	@echo "make pytest     pytest on 2 processes against the installed wheel (PYTEST_ARGS=..., PYTEST_WORKERS=...)"
	@echo "make ajv        install ajv (tools/ajv) for the JSON Schema tests, if Node.js is there"
	@echo "make doctest    run the code samples in docs/"
	@echo "make examples   run every examples/*.py"
	@echo "make docs       HTML docs into docs/_build/html (-W -n)"
	@echo "make fuzz       random search for about 10 minutes (FUZZ_SECONDS=420), see docs/safety.md"
	@echo "make bench      run benchmarks/*.py (not the profile_*.py helpers)"
	@echo "make clean      remove .venv, dist/, docs/_build and caches"

# ------------------------------------------------------------------ environment

$(VENV_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "antq_core needs Python 3.11+; got " + sys.version.split()[0] + " from $(PYTHON). Set PYTHON=...")'
	@test -x $(BIN)/python || { echo "== create $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "== install build tools"
	@$(PIP) install build $$($(BIN)/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"])')
	@touch $@

# Dependencies of the [dev] extra, resolved from a freshly built wheel.
$(DEV_STAMP): $(VENV_STAMP)
	$(build_wheel)
	@echo "== install antq_core[dev] dependencies"
	@$(PIP) install "$(WHEEL)[dev]"
	@touch $@

# Always rebuild and reinstall the package itself (dependencies are already there).
.PHONY: install
install: $(VENV_STAMP)
	$(build_wheel)
	@echo "== install $(WHEEL)"
	@$(PIP) install "$(WHEEL)"
	@$(PIP) install --force-reinstall --no-deps "$(WHEEL)"

.PHONY: install-dev
install-dev: $(DEV_STAMP)
	$(build_wheel)
	@echo "== install $(WHEEL)"
	@$(PIP) install --force-reinstall --no-deps "$(WHEEL)"

# ------------------------------------------------------------------ main targets

.PHONY: demo
demo: install
	@echo "== antq report"
	@$(BIN)/antq report

# The reference web service (examples/webapp/app.py) with the [web] extra, in the foreground.
.PHONY: serve
serve: $(VENV_STAMP)
	$(build_wheel)
	@echo "== install $(WHEEL)[web]"
	@$(PIP) install "$(WHEEL)[web]"
	@$(PIP) install --force-reinstall --no-deps "$(WHEEL)"
	@echo "== reference service: http://127.0.0.1:$(or $(PORT),8000)/docs (Ctrl-C stops it)"
	@$(BIN)/python examples/webapp/app.py $(if $(URL),--url "$(URL)") $(if $(PORT),--port $(PORT))

.PHONY: test
test: install-dev lint typecheck pytest doctest examples docs
	@echo "== make test: all steps passed"

.PHONY: lint
lint: $(DEV_STAMP)
	@echo "== ruff check"
	@$(BIN)/ruff check .
	@echo "== ruff format --check"
	@$(BIN)/ruff format --check .

.PHONY: format
format: $(DEV_STAMP)
	@$(BIN)/ruff format .
	@$(BIN)/ruff check --fix .

.PHONY: typecheck
typecheck: $(DEV_STAMP)
	@echo "== mypy"
	@$(BIN)/mypy

# ajv checks the published JSON Schema in tests/io/test_schema_corpus.py. It is
# installed from tools/ajv/package-lock.json (again only when that changes) when
# Node.js is there; without Node.js those tests skip.
AJV_STAMP := tools/ajv/node_modules/.stamp-ajv
$(AJV_STAMP): tools/ajv/package.json tools/ajv/package-lock.json
	@echo "== install ajv into tools/ajv"
	@npm ci --prefix tools/ajv --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: ajv
ajv: $(if $(shell command -v node),$(AJV_STAMP))
	@command -v node >/dev/null 2>&1 || echo "== no Node.js: the ajv checks of the JSON Schema will skip"

# tools/with-postgres.sh starts a throwaway PostgreSQL server for the store's tests (installing
# Debian's package when missing, as root), exports its URL, and stops it however pytest ends.
# Under CI=true a server that cannot start fails the run; elsewhere those tests skip, saying why.
.PHONY: pytest
pytest: install-dev ajv
	@echo "== pytest"
	@tools/with-postgres.sh $(BIN)/pytest -n $(PYTEST_WORKERS) --cov --cov-report=term $(PYTEST_ARGS)

.PHONY: doctest
doctest: install-dev
	@echo "== sphinx doctest"
	@$(SPHINX) -b doctest -d $(DOCTREES) docs docs/_build/doctest
	@grep -E '^ +[0-9]+ tests?$$' docs/_build/doctest/output.txt | sed 's/^ */   doctest: /'

.PHONY: examples
examples: install-dev
	@for f in examples/*.py; do \
		[ -e "$$f" ] || continue; \
		echo "== example $$f"; \
		if ! out=$$($(BIN)/python "$$f" 2>&1); then \
			printf '%s\n' "$$out"; echo "FAILED: $$f"; exit 1; \
		fi; \
	done

.PHONY: docs
docs: install-dev
	@echo "== sphinx html (-W -n)"
	@rm -rf docs/_build/html
	@fresh=-E; \
	if [ $(DOCTREES)/environment.pickle -nt "$(WHEEL)" ]; then fresh=; fi; \
	$(SPHINX_BASE) $$fresh -n -b html -d $(DOCTREES) docs docs/_build/html

# Random search for about ten minutes, in two runs with random seeds (the fuzz profile of
# tests/conftest.py: 1,000 examples a property). First the mutation properties of every
# input format and the privacy probes (tests/test_fuzz_inputs.py, tests/test_privacy.py;
# about 3 minutes on 2 cores), whole; then the rest of the suite, where a worker starts no
# new test after FUZZ_SECONDS (those left are reported as skipped). A failure prints the
# seed blob that reproduces it. FUZZ_SECONDS=60 for a short run.
FUZZ_SECONDS ?= 420
FUZZ_FIRST ?= tests/test_fuzz_inputs.py tests/test_privacy.py
FUZZ_PYTEST = HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -n $(PYTEST_WORKERS) -q --hypothesis-show-statistics
.PHONY: fuzz
fuzz: install-dev
	@echo "== fuzz 1/2: input mutations and privacy probes, HYPOTHESIS_PROFILE=fuzz"
	@$(FUZZ_PYTEST) $(PYTEST_ARGS) $(FUZZ_FIRST)
	@echo "== fuzz 2/2: every other test, HYPOTHESIS_PROFILE=fuzz, about $(FUZZ_SECONDS) s"
	@ANTQ_FUZZ_SECONDS=$(FUZZ_SECONDS) $(FUZZ_PYTEST) $(PYTEST_ARGS) \
		$(addprefix --ignore=,$(FUZZ_FIRST)) tests

# The benchmarks compare against hand-written polars and DuckDB: the [bench] extra.
BENCH_STAMP := $(VENV)/.stamp-bench
$(BENCH_STAMP): $(DEV_STAMP)
	$(build_wheel)
	@echo "== install antq_core[bench] dependencies"
	@$(PIP) install "$(WHEEL)[bench]"
	@touch $@

.PHONY: bench
bench: install-dev $(BENCH_STAMP)
	@for f in benchmarks/*.py; do \
		[ -e "$$f" ] || continue; \
		case "$$f" in benchmarks/profile_*) continue;; esac; \
		echo "== benchmark $$f"; \
		$(BIN)/python "$$f"; \
	done

.PHONY: clean
clean:
	rm -rf $(VENV) $(DIST) build docs/_build .mypy_cache .ruff_cache .pytest_cache \
		.hypothesis .coverage .coverage.* htmlcov tools/ajv/node_modules
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
