# The two set-up commands are `make run` and `make test`; see README.md.
UV ?= uv
PYTEST_ARGS ?=
DOCKER ?= docker
IMAGE_PREFIX ?= oco-
IMAGE_TAG ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)
SERVICES := intake assessment objection contracting

.PHONY: sync test unit lint schemas run bench clean images

# Bytecode compiled once here, so that `oco` starts without compiling its libraries (which
# matters where PYTHONDONTWRITEBYTECODE is set); not as a uv setting, or every `uv run`
# would check all of it again (+0.3 s).
sync:
	$(UV) sync --frozen --compile-bytecode

test: sync lint
	$(UV) run pytest $(PYTEST_ARGS)

unit: sync
	$(UV) run pytest -m "not integration" $(PYTEST_ARGS)

lint: sync
	$(UV) run ruff check .
	$(UV) run mypy libs/shared/src libs/devstack/src libs/audit/src services/*/src

run: sync
	$(UV) run oco run

schemas: sync
	$(UV) run oco contract schemas
	$(UV) run python -m oco_intake.asyncapi
	$(UV) run python -m oco_assessment.asyncapi
	$(UV) run python -m oco_objection.asyncapi
	$(UV) run python -m oco_contracting.asyncapi

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis

# The servers the tests use (.ci/run): OCO_DATABASE_URL when set, else the machine's
# PostgreSQL when it answers, else the embedded one (PyPI pgserver's PostgreSQL 16, built
# without OpenSSL: its sha256() of an 870-byte event takes 3.5 µs where the machine's takes
# 1 µs, which the audit's chain query shows).
MACHINE_POSTGRES := postgresql://postgres@127.0.0.1:5432/postgres

bench: sync
	@if [ -z "$$OCO_DATABASE_URL" ] && psql -X -q -w "$(MACHINE_POSTGRES)" -tAc 'select 1' >/dev/null 2>&1; \
	then export OCO_DATABASE_URL="$(MACHINE_POSTGRES)"; fi; \
	$(UV) run python tests/bench/bench_pipeline.py && $(UV) run python tests/bench/bench_audit.py

# One image per service from the one Dockerfile; only where a Docker engine answers.
images:
	@$(DOCKER) info >/dev/null 2>&1 || { \
	  echo "make images: no Docker engine answers here ('$(DOCKER) info' failed); build the images on a machine with one" >&2; \
	  exit 1; }
	@for service in $(SERVICES); do \
	  echo "building $(IMAGE_PREFIX)$$service:$(IMAGE_TAG)"; \
	  $(DOCKER) build --build-arg SERVICE=$$service -t $(IMAGE_PREFIX)$$service:$(IMAGE_TAG) . || exit 1; \
	done
