"""Wires the intake service: portal subscriptions, the read model, relay and probes."""

from __future__ import annotations

from oco_shared.handling import ReceiptClock
from oco_shared.runtime import ServiceDefinition, ServiceRuntime
from oco_shared.settings import Settings

from oco_intake.adapters.readmodel import InscriptionsView
from oco_intake.entrypoints.subjects import SUBSCRIPTIONS

SERVICE = "intake"

DEFINITION = ServiceDefinition(
    service=SERVICE,
    default_port=8103,
    subscriptions=SUBSCRIPTIONS,
    projections=(InscriptionsView(),),
)


def bootstrap(
    settings: Settings | None = None, receipt: ReceiptClock | None = None
) -> ServiceRuntime:
    return ServiceRuntime(DEFINITION, settings or Settings(), receipt=receipt)
