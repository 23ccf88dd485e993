# The two set-up commands are `make run` and `make test`; see README.md.
UV ?= uv
PYTEST_ARGS ?=

.PHONY: sync test unit lint schemas run bench clean

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
	$(UV) run mypy libs/shared/src libs/devstack/src services/*/src

run: sync
	$(UV) run oco run

schemas: sync
	$(UV) run oco contract schemas
	$(UV) run python -m oco_intake.asyncapi
	$(UV) run python -m oco_assessment.asyncapi

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis

bench: sync
	$(UV) run python tests/bench/bench_pipeline.py
