"""Entry point: `python -m oco_assessment`."""

from oco_shared.runtime import run_service

from oco_assessment.bootstrap import bootstrap

run_service(bootstrap)
