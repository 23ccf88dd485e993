"""Entry point: `python -m oco_intake`."""

from oco_shared.runtime import run_service

from oco_intake.bootstrap import bootstrap

run_service(bootstrap)
