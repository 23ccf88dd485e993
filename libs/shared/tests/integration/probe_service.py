"""A probe service for the plumbing tests, runnable as its own process.

`relay` runs only the outbox relay of the `probe` schema; `service` runs a whole
ServiceRuntime whose consumer turns every upstream event on the `source` stream into one
downstream event (aggregate id derived from the upstream event id, so a second effect
would collide) and dead-letters what is not JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Sequence

from oco_shared.contract import REGISTRY, Actor, ActorKind
from oco_shared.contract.events import ObjectionWindowClosed
from oco_shared.eventstore import AsyncEventStore, EventStore, NewEvent
from oco_shared.messaging.consumer import DeadLetter, Delivery, ExactlyOnceConsumer
from oco_shared.messaging.relay import OutboxRelay
from oco_shared.messaging.topology import Topology
from oco_shared.runtime import ServiceRuntime, resolve_addresses, run_service
from oco_shared.settings import Settings

PROBE = "probe"
SOURCE = "source"
ECHO = uuid.UUID("6f1c2a3b-4d5e-4f60-8172-93a4b5c6d7e8")


def probe_event(
    round_id: str = "2027-2028", causation: uuid.UUID | None = None
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
            "closed_at": "2026-10-03T00:00:00+02:00",
            "rule": "probe",
            "objections_filed": 0,
        }
    )


def echo_policy(delivery: Delivery) -> Sequence[NewEvent]:
    if delivery.body == b"poison-forever":
        raise RuntimeError("this message fails every time")
    try:
        document = json.loads(delivery.body)
    except ValueError as error:
        raise DeadLetter("invalid_json", str(error)) from None
    upstream = REGISTRY.parse(document)
    upstream_id = uuid.UUID(str(document["event_id"]))
    return [
        NewEvent(uuid.uuid5(ECHO, str(upstream_id)), 1, probe_event(upstream.round_id, upstream_id))
    ]


def probe_consumers(
    store: EventStore, topology: Topology, settings: Settings
) -> list[ExactlyOnceConsumer]:
    return [
        ExactlyOnceConsumer(
            service=PROBE,
            name="from-source",
            upstream_stream=topology.service_stream(SOURCE),
            subject=topology.service_subjects(SOURCE),
            store=store,
            policy=echo_policy,
            topology=topology,
            max_deliver=settings.max_deliver,
            ack_wait_seconds=settings.ack_wait_seconds,
            backoff_seconds=(0.05, 0.1, 0.2),
        )
    ]


def probe_runtime(settings: Settings, **kwargs: object) -> ServiceRuntime:
    return ServiceRuntime(
        PROBE,
        settings,
        consumers=probe_consumers,
        streams=(SOURCE, PROBE),
        **kwargs,  # type: ignore[arg-type]
    )


async def relay_only(batch_size: int) -> None:
    import nats

    settings = Settings()
    nats_url, database_url = resolve_addresses(settings)
    store = EventStore(database_url, f"{settings.schema_prefix}{PROBE}")
    connection = await nats.connect(nats_url, max_reconnect_attempts=-1)
    relay = OutboxRelay(
        AsyncEventStore(store),
        connection.jetstream(),
        Topology(settings.subject_prefix),
        PROBE,
        database_url,
        batch_size=batch_size,
    )
    await relay.run(asyncio.Event())


if __name__ == "__main__":
    if sys.argv[1] == "relay":
        asyncio.run(relay_only(int(sys.argv[2])))
    else:
        run_service(probe_runtime(Settings()))
