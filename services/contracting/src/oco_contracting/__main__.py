"""Entry point: `python -m oco_contracting`."""

from oco_shared.runtime import run_service

from oco_contracting.bootstrap import bootstrap

run_service(bootstrap)
