"""Wires the intake service: portal consumers, the read model, the relay and the probes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from oco_shared.eventstore import EventStore, NewEvent
from oco_shared.messaging.consumer import Delivery, ExactlyOnceConsumer
from oco_shared.messaging.topology import Topology
from oco_shared.runtime import ServiceRuntime
from oco_shared.settings import Settings

from oco_intake.adapters.readmodel import project
from oco_intake.handlers import (
    ReceiptTime,
    broker_receipt,
    handle_inscription_message,
    handle_question_message,
)

Handler = Callable[[Delivery, EventStore, ReceiptTime], Sequence[NewEvent]]

SERVICE = "intake"
DEFAULT_PORT = 8103
INSCRIPTION_SUBJECT = "inscription"
QUESTION_SUBJECT = "question"


def bootstrap(
    settings: Settings | None = None, receipt: ReceiptTime = broker_receipt
) -> ServiceRuntime:
    def consumers(
        store: EventStore, topology: Topology, settings: Settings
    ) -> list[ExactlyOnceConsumer]:
        def consumer(name: str, kind: str, handler: Handler) -> ExactlyOnceConsumer:
            return ExactlyOnceConsumer(
                service=SERVICE,
                name=name,
                upstream_stream=topology.portal_stream,
                subject=topology.portal_subject(kind),
                store=store,
                policy=lambda delivery: handler(delivery, store, receipt),
                topology=topology,
                max_deliver=settings.max_deliver,
                ack_wait_seconds=settings.ack_wait_seconds,
            )

        return [
            consumer("inscriptions", INSCRIPTION_SUBJECT, handle_inscription_message),
            consumer("questions", QUESTION_SUBJECT, handle_question_message),
        ]

    return ServiceRuntime(
        SERVICE,
        settings or Settings(),
        consumers=consumers,
        default_port=DEFAULT_PORT,
        workers=[project],
    )
