"""Wires the contracting service: office, portal and upstream subscriptions, the read
model, the deadline ticker, relay and probes."""

from __future__ import annotations

from oco_shared.clock import Clock
from oco_shared.handling import ReceiptClock
from oco_shared.messaging.region_history import RegionHistoryView
from oco_shared.runtime import ServiceDefinition, ServiceRuntime
from oco_shared.settings import Settings

from oco_contracting.domain.deadlines import ContractingDeadlines
from oco_contracting.entrypoints.subjects import SUBSCRIPTIONS

SERVICE = "contracting"

DEFINITION = ServiceDefinition(
    service=SERVICE,
    default_port=8102,
    subscriptions=SUBSCRIPTIONS,
    projections=(RegionHistoryView("contracting_regions_view"),),
    deadlines=ContractingDeadlines(),
)


def bootstrap(
    settings: Settings | None = None,
    receipt: ReceiptClock | None = None,
    tick_clock: Clock | None = None,
) -> ServiceRuntime:
    return ServiceRuntime(
        DEFINITION, settings or Settings(), receipt=receipt, tick_clock=tick_clock
    )
