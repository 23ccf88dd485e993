"""Entry point: `python -m oco_objection`."""

from oco_shared.runtime import run_service

from oco_objection.bootstrap import bootstrap

run_service(bootstrap)
