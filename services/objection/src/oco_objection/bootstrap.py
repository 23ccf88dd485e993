"""Wires the objection service: event store, relay and probes; consumers join as built."""

from __future__ import annotations

from oco_shared.runtime import ServiceRuntime
from oco_shared.settings import Settings

SERVICE = "objection"
DEFAULT_PORT = 8104


def bootstrap(settings: Settings | None = None) -> ServiceRuntime:
    return ServiceRuntime(SERVICE, settings or Settings(), default_port=DEFAULT_PORT)
