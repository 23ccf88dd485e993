"""Wires the assessment service: office, portal and upstream subscriptions, the read
model, relay and probes."""

from __future__ import annotations

from oco_shared.handling import ReceiptClock
from oco_shared.messaging.region_history import RegionHistoryView
from oco_shared.runtime import ServiceDefinition, ServiceRuntime
from oco_shared.settings import Settings

from oco_assessment.entrypoints.subjects import SUBSCRIPTIONS

SERVICE = "assessment"

DEFINITION = ServiceDefinition(
    service=SERVICE,
    default_port=8101,
    subscriptions=SUBSCRIPTIONS,
    # The shared region history under a name of its own, so it is built from the log up.
    projections=(RegionHistoryView("assessment_region_history_view"),),
)


def bootstrap(
    settings: Settings | None = None, receipt: ReceiptClock | None = None
) -> ServiceRuntime:
    return ServiceRuntime(DEFINITION, settings or Settings(), receipt=receipt)
