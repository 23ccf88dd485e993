# The two set-up commands are `make run` and `make test`; see README.md.
UV ?= uv
PYTEST_ARGS ?=

.PHONY: sync test unit lint schemas run bench clean

sync:
	$(UV) sync --frozen

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
