"""Wires the objection service: its subscriptions, deadlines, read model (each region's
history), relay and probes."""

from __future__ import annotations

from oco_shared.clock import Clock
from oco_shared.handling import ReceiptClock
from oco_shared.messaging.region_history import RegionHistoryView
from oco_shared.runtime import ServiceDefinition, ServiceRuntime
from oco_shared.settings import Settings

from oco_objection.domain.deadlines import ObjectionDeadlines
from oco_objection.entrypoints.subjects import SUBSCRIPTIONS

SERVICE = "objection"

DEFINITION = ServiceDefinition(
    service=SERVICE,
    default_port=8104,
    subscriptions=SUBSCRIPTIONS,
    projections=(RegionHistoryView("objection_regions_view"),),
    deadlines=ObjectionDeadlines(),
)


def bootstrap(
    settings: Settings | None = None,
    receipt: ReceiptClock | None = None,
    tick_clock: Clock | None = None,
) -> ServiceRuntime:
    return ServiceRuntime(
        DEFINITION, settings or Settings(), receipt=receipt, tick_clock=tick_clock
    )
