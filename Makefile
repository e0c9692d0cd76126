# Arbiter — the two commands a new machine needs:
#   make demo   installs what is missing and starts the whole system locally (no AWS account, no Docker)
#   make test   installs what is missing and runs the whole test suite
# Everything is installed inside the project (.venv, .venv-sam, node_modules) except Debian packages.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
STAMPS := .make
API_PORT ?= 3000
MOTO_PORT ?= 5000
# Two processes, a test file's tests kept in one (they share fixtures), the slowest tests named at the end; the
# API fuzzing apart, in one process: xdist's workers never run the tests schemathesis generates (they are
# collected, then silently left out), so FUZZ_ARGS runs that file on its own after the rest.
PYTEST_ARGS ?= -n 2 --dist loadfile --durations=25 --ignore=tests/system/test_fuzz_apis.py
FUZZ_ARGS ?= tests/system/test_fuzz_apis.py --durations=5
export PYTHONPATH := $(CURDIR)/layers/common:$(CURDIR)/local
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint lock schemas openapi bench-cost bench-coldstart bench-documents deps deps-test backoffice collection deploy-backoffice clean bench-screening bench-rules bench-webhooks bench-soak bench-latency bench-memory bench-monitoring

demo: deps backoffice collection
	@$(VENV)/bin/python -m arbiter_local --api-port $(API_PORT) --moto-port $(MOTO_PORT)

test: deps-test
	@echo "==> ruff"
	@$(VENV)/bin/ruff check .
	@echo "==> mypy"
	@$(VENV)/bin/mypy
	@echo "==> pytest"
	@$(VENV)/bin/python -m pytest $(PYTEST_ARGS)
	@$(if $(FUZZ_ARGS),echo "==> pytest: the API fuzzing" && $(VENV)/bin/python -m pytest $(FUZZ_ARGS))

# Checked-in artefacts generated from the code; tests fail when they drift.
schemas: deps
	@$(VENV)/bin/python -m arbiter.domain.event_schemas
openapi: deps
	@$(VENV)/bin/python -m arbiter_local.openapi_documents

# mypy checks the files [tool.mypy] names in pyproject.toml; its cache (.mypy_cache) makes a second run take a second.
lint: deps
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy

deps: $(STAMPS)/system $(STAMPS)/python $(STAMPS)/node
# The browser tests need both sites built (each installs its npm packages when its lock changed).
deps-test: deps $(STAMPS)/sam $(STAMPS)/browser $(STAMPS)/runtime-site backoffice collection

# Debian packages: ICU headers for PyICU (rigour's transliteration), built from source by pip.
$(STAMPS)/system:
	@mkdir -p $(STAMPS)
	@if ! dpkg -s libicu-dev pkg-config >/dev/null 2>&1; then \
		echo "==> Debian packages: libicu-dev pkg-config"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libicu-dev pkg-config >/dev/null; \
	fi
	@touch $@

$(STAMPS)/browser:
	@mkdir -p $(STAMPS)
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "==> Debian packages: chromium (for the back-office tests)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium fonts-liberation >/dev/null; \
	fi
	@touch $@

$(STAMPS)/python: pyproject.toml requirements/dev.txt
	@echo "==> Python packages into $(VENV) (first run: a few minutes)"
	@mkdir -p $(STAMPS)
	@[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/python -m pip install -q --disable-pip-version-check uv==0.13.9
	@$(VENV)/bin/uv pip sync -q --python $(VENV)/bin/python requirements/dev.txt
	@touch $@

# SAM CLI and cfn-lint pin their own dependencies; they get a virtualenv of their own.
$(STAMPS)/sam: requirements/sam.txt $(STAMPS)/python
	@echo "==> AWS SAM CLI and cfn-lint into $(SAM_VENV)"
	@[ -x $(SAM_VENV)/bin/python ] || $(PYTHON) -m venv $(SAM_VENV)
	@$(VENV)/bin/uv pip sync -q --python $(SAM_VENV)/bin/python requirements/sam.txt
	@touch $@

# The common layer's dependencies as `sam build` installs them for the functions' runtime (layers/common/Makefile),
# with what that runtime provides itself (requirements/runtime-provided.txt): tests/template/test_layer_runtime.py
# imports the layer and every function with them under the runtime's Python, where the machine has one (pyenv).
# The same pins, but for this machine's architecture: the functions run on arm64, and aarch64 wheels do not load
# on an x86_64 machine. tests/template/test_layer_platform.py checks the functions' own wheels (LAYER_SITE).
RUNTIME_SITE := $(STAMPS)/runtime-site.d
$(STAMPS)/runtime-site: layers/common/requirements.txt layers/common/Makefile requirements/runtime-provided.txt $(STAMPS)/python
	@echo "==> the layer's dependencies for the Lambda runtime ($(shell uname -m)) into $(RUNTIME_SITE)"
	@rm -rf $(RUNTIME_SITE)
	@$(MAKE) --no-print-directory -s -C layers/common dependencies DEPENDENCIES="$(CURDIR)/$(RUNTIME_SITE)" \
		REQUIREMENTS="requirements.txt $(CURDIR)/requirements/runtime-provided.txt" PIP="$(CURDIR)/$(VENV)/bin/python -m pip" \
		ARCH="$(shell uname -m)"
	@touch $@

# The common layer's dependencies exactly as `sam build` installs them (the functions' architecture, whatever the
# machine's): tests/template/test_layer_platform.py reads their wheels' platform tags and their binaries.
LAYER_SITE := $(STAMPS)/layer-site.d
$(STAMPS)/layer-site: layers/common/requirements.txt layers/common/Makefile $(STAMPS)/python
	@echo "==> the layer's dependencies for the functions' architecture into $(LAYER_SITE)"
	@rm -rf $(LAYER_SITE)
	@$(MAKE) --no-print-directory -s -C layers/common dependencies DEPENDENCIES="$(CURDIR)/$(LAYER_SITE)" \
		PIP="$(CURDIR)/$(VENV)/bin/python -m pip"
	@touch $@

$(STAMPS)/node: package.json package-lock.json
	@echo "==> npm packages (ASL validator, json-logic-js)"
	@mkdir -p $(STAMPS)
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Benchmarks print their figures (see bench/*/run.py); they are not part of `make test`.
bench-cost: deps
	@$(VENV)/bin/python bench/cost/run.py $(BENCH_ARGS)
bench-coldstart: deps
	@$(VENV)/bin/python bench/coldstart/run.py $(BENCH_ARGS)
bench-documents: deps
	@$(VENV)/bin/python bench/documents/run.py $(BENCH_ARGS)
# Peak memory of every function, each instance a fresh process, and the MemorySize it calls for;
# BENCH_ARGS="--write" records the figures template.yaml is held to (bench/memory/figures.json).
bench-memory: deps
	@$(VENV)/bin/python bench/memory/run.py $(BENCH_ARGS)

# Screening bench: 1M generated names; nomenklatura (the comparison) pins its own stack, so it gets a virtualenv.
BENCH_SCREENING_VENV := .venv-bench-screening
BENCH_ARGS ?=
bench-screening: deps $(STAMPS)/bench-screening
	@$(VENV)/bin/python bench/screening/run.py $(BENCH_ARGS)

$(STAMPS)/bench-screening: bench/screening/requirements.txt $(STAMPS)/python
	@echo "==> nomenklatura into $(BENCH_SCREENING_VENV)"
	@[ -x $(BENCH_SCREENING_VENV)/bin/python ] || $(PYTHON) -m venv $(BENCH_SCREENING_VENV)
	@$(VENV)/bin/uv pip sync -q --python $(BENCH_SCREENING_VENV)/bin/python bench/screening/requirements.txt
	@touch $@

# Rule engine bench: this engine, json-logic-qubit (dev dependency) and json-logic-js (node_modules) in one run.
bench-rules: deps
	@$(VENV)/bin/python bench/rules/run.py $(BENCH_ARGS)

# Webhooks bench: deliveries per second from the bus to a local receiver, cost per 1,000 deliveries.
bench-webhooks: deps
	@$(VENV)/bin/python bench/webhooks/run.py $(BENCH_ARGS)

# Soak bench: the local stack's memory and latency over 1,000 cases, the workflow tasks over 1,000 warm calls.
bench-soak: deps
	@$(VENV)/bin/python bench/soak/run.py $(BENCH_ARGS)

# Submit to decision for an auto-approved case on the local stack; BENCH_ARGS="--compare REF" measures REF too.
bench-latency: deps
	@$(VENV)/bin/python bench/latency/run.py $(BENCH_ARGS)
bench-monitoring: deps
	@$(VENV)/bin/python bench/monitoring/run.py $(BENCH_ARGS)

backoffice:
	@if [ -f backoffice/package.json ]; then $(MAKE) --no-print-directory -C backoffice build; fi
collection:
	@$(MAKE) --no-print-directory -C collection build

deploy-backoffice: deps backoffice collection
	@$(VENV)/bin/python -m arbiter_local.deploy_backoffice --stack-name $${STACK_NAME:-arbiter}

clean:
	rm -rf $(STAMPS) $(VENV) $(SAM_VENV) $(BENCH_SCREENING_VENV) node_modules .aws-sam backoffice/dist backoffice/node_modules collection/dist collection/node_modules

# Re-pin after editing pyproject.toml. Two locks of the same dependencies: requirements/dev.txt for the machine's
# Python 3.11 (tests, the local stack, on x86_64), layers/common/requirements.txt for the functions' runtime
# (template.yaml's python3.13 on arm64, Amazon Linux 2023: aarch64 manylinux_2_28 wheels only), resolved with the
# first as constraints so both pin the same versions (tests/unit/test_dependencies.py). PyICU is overridden away:
# it publishes no wheel (see docs/ARCHITECTURE.md), and layers/common/icu.py stands in for it.
lock:
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --override requirements/overrides.txt --python-version 3.11 --python-platform x86_64-manylinux_2_28 -o requirements/dev.txt -q
	$(VENV)/bin/uv pip compile pyproject.toml --override requirements/overrides.txt --constraint requirements/dev.txt --only-binary :all: --python-version 3.13 --python-platform aarch64-manylinux_2_28 -o layers/common/requirements.txt -q
	$(VENV)/bin/uv pip compile requirements/runtime-provided.in --constraint requirements/dev.txt --only-binary :all: --python-version 3.13 --python-platform aarch64-manylinux_2_28 -o requirements/runtime-provided.txt -q
	$(VENV)/bin/uv pip compile requirements/sam.in --python-version 3.11 -o requirements/sam.txt -q
