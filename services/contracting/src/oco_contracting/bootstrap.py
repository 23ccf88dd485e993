"""Wires the contracting service: event store, relay and probes; consumers join as built."""

from __future__ import annotations

from oco_shared.runtime import ServiceRuntime
from oco_shared.settings import Settings

SERVICE = "contracting"
DEFAULT_PORT = 8102


def bootstrap(settings: Settings | None = None) -> ServiceRuntime:
    return ServiceRuntime(SERVICE, settings or Settings(), default_port=DEFAULT_PORT)
