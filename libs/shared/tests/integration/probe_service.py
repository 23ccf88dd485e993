"""A probe service for the plumbing tests, runnable as its own process.

`relay` runs only the outbox relay of the `probe` schema; `service` runs a whole
ServiceRuntime whose one route turns every upstream event on the `source` stream into
one downstream event on an aggregate of its own (so a second effect would show as a
second event), and whose handler fails every time on an event whose rule is `poison`.
With `OCO_PROBE_MUTANT=no-dedup` the worker runs with tracking and handled message ids
switched off: the crash test must catch that build.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Sequence

from oco_shared.contract import Actor, ActorKind
from oco_shared.contract.events import ObjectionWindowClosed
from oco_shared.eventstore import EventStore, NewEvent, ServiceRecorder
from oco_shared.handling import Received, Route, UnitOfWork
from oco_shared.messaging.log import Wakeup
from oco_shared.messaging.relay import OutboxRelay
from oco_shared.messaging.topology import Topology
from oco_shared.runtime import (
    ServiceDefinition,
    ServiceRuntime,
    Subscription,
    events_of,
    run_service,
)
from oco_shared.settings import Settings

PROBE = "probe"
SOURCE = "source"
POISON = "poison"


def probe_event(
    round_id: str = "2027-2028", causation: uuid.UUID | None = None, rule: str = "probe"
) -> ObjectionWindowClosed:
    """Any valid contract event will do; this one is small."""
    return ObjectionWindowClosed.model_validate(
        {
            "round_id": round_id,
            "region_code": "amsterdam",
            "provider_id": "12345678",
            "occurred_at": "2026-10-03T00:00:00+02:00",
            "correlation_id": str(causation or uuid.uuid4()),
            "causation_id": str(causation) if causation else None,
            "actor": Actor(kind=ActorKind.SYSTEM, id="probe"),
            "scope": "party",
            "selection_event_id": "6e5d4c3b-2a19-4f08-8e7d-6c5b4a392817",
            "edition": 1,
            "closed_at": "2026-10-03T00:00:00+02:00",
            "rule": rule,
            "objections_filed": 0,
        }
    )


def echo(event: ObjectionWindowClosed, uow: UnitOfWork, received: Received) -> Sequence[NewEvent]:
    if event.rule == POISON:
        raise RuntimeError("this message fails every time")
    return [NewEvent(uuid.uuid4(), 1, probe_event(event.round_id, event.event_id))]


PROBE_DEFINITION = ServiceDefinition(
    service=PROBE,
    default_port=8199,
    subscriptions=(
        Subscription(events_of(SOURCE), Route("from-source", {ObjectionWindowClosed: echo})),
    ),
    streams=(SOURCE, PROBE),
)


def probe_runtime(settings: Settings, **kwargs: object) -> ServiceRuntime:
    return ServiceRuntime(PROBE_DEFINITION, settings, **kwargs)  # type: ignore[arg-type]


def switch_off_deduplication() -> None:
    """The mutant: no tracking, no handled message ids; only at-least-once delivery is left."""
    from oco_shared import eventstore

    original = ServiceRecorder.record

    def record(self, curs, recording, stored):  # type: ignore[no-untyped-def]
        recording.tracking, recording.handled = None, []
        original(self, curs, recording, stored)

    ServiceRecorder.record = record  # type: ignore[method-assign]
    eventstore.BatchReader.tracked_position = lambda self, consumer: 0  # type: ignore[method-assign]
    eventstore.BatchReader.handled_messages = lambda self, ids: {}  # type: ignore[method-assign]


async def relay_only(window: int) -> None:
    import nats
    from oco_shared.addresses import resolve_addresses

    settings = Settings()
    nats_url, database_url = resolve_addresses(settings)
    store = EventStore(database_url, f"{settings.schema_prefix}{PROBE}")
    connection = await nats.connect(nats_url, max_reconnect_attempts=-1)
    js = connection.jetstream()
    relay = OutboxRelay(
        store,
        lambda: js,
        Topology(settings.subject_prefix),
        PROBE,
        database_url,
        Wakeup(),
        window=window,
    )
    await relay.run(asyncio.Event())


if __name__ == "__main__":
    if sys.argv[1] == "relay":
        asyncio.run(relay_only(int(sys.argv[2])))
    else:
        if os.environ.get("OCO_PROBE_MUTANT") == "no-dedup":
            switch_off_deduplication()
        run_service(lambda: probe_runtime(Settings()))
