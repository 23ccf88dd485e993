"""The auditor's reader: every stored event of each service, typed, in order, from one snapshot."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from oco_audit.log import (
    LogDecoder,
    connect,
    logged_events,
    procedure_log,
    service_schemas,
    snapshot,
)
from oco_shared.contract import REGISTRY
from oco_shared.contract.events import RoundOpened
from oco_shared.contract.examples import EXAMPLES
from oco_shared.eventstore import EventStore, NewEvent
from plumbing_support import Isolation, Servers

pytestmark = pytest.mark.integration


def round_opened(round_id: str) -> RoundOpened:
    event = REGISTRY.parse({**EXAMPLES["RoundOpened"], "round_id": round_id})
    assert isinstance(event, RoundOpened)
    return event.model_copy(update={"event_id": uuid.uuid4()})


def stored(servers: Servers, schema: str, count: int, *, hours_from: int, round_id: str) -> list:
    store = EventStore(servers.database_url, schema)
    store.migrate()
    events = []
    for index in range(count):
        event = round_opened(round_id)
        events.append(
            event.model_copy(
                update={"occurred_at": event.occurred_at + timedelta(hours=hours_from + 2 * index)}
            )
        )
    store.append([NewEvent(uuid.uuid4(), 1, event) for event in events])
    store.close()
    return events


async def test_each_service_log_reads_back_typed_and_in_order(
    servers: Servers, isolation: Isolation
) -> None:
    schemas = service_schemas(isolation.schema_prefix, ["intake", "objection", "contracting"])
    intake = stored(servers, schemas[0][1], 3, hours_from=0, round_id="2027-2028")
    objection = stored(servers, schemas[1][1], 2, hours_from=1, round_id="2027-2028")
    stored(servers, schemas[1][1], 1, hours_from=50, round_id="2022")
    connection = await connect(servers.database_url)
    try:
        async with snapshot(connection):
            read = [
                e async for e in logged_events(connection, "intake", schemas[0][1], LogDecoder())
            ]
            assert [e.event for e in read] == intake
            assert [e.position for e in read] == sorted(e.position for e in read)
            merged = [
                (e.service, e.event.event_id)
                async for e in procedure_log(
                    connection, schemas, LogDecoder(), round_id="2027-2028"
                )
            ]
    finally:
        await connection.close()
    # Interleaved by procedure time; the service that never ran has no log and is skipped.
    assert merged == [
        ("intake", intake[0].event_id),
        ("objection", objection[0].event_id),
        ("intake", intake[1].event_id),
        ("objection", objection[1].event_id),
        ("intake", intake[2].event_id),
    ]
