"""Reading a service's notification log with asyncpg, and waking when it grows.

The relay and the read models read the log in commit order (the library's table lock
makes notification order equal commit order). They connect with the service's schema
as `search_path`, so no query names a schema. `eventsourcing` sends a NOTIFY on every
insert; `Wakeup` turns it, and commits in this process, into a wake-up for every reader.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import asyncpg

from oco_shared.eventstore import (
    CHAIN_POSITION,
    CHAIN_PREV,
    CHAIN_SHA256,
    NOTIFY_CHANNEL,
    EventStore,
    LogEntry,
    Outgoing,
)


async def connect(database_url: str, schema: str) -> asyncpg.Connection:
    connection: asyncpg.Connection = await asyncpg.connect(
        database_url, server_settings={"search_path": schema}
    )
    return connection


async def read_log(
    connection: asyncpg.Connection, store: EventStore, after: int, limit: int
) -> list[LogEntry]:
    """Up to `limit` entries after position `after`, upcast to today's schema versions."""
    rows = await connection.fetch(
        "SELECT notification_id, state FROM stored_events"
        " WHERE notification_id > $1 ORDER BY notification_id LIMIT $2",
        after,
        limit,
    )
    entries = []
    for row in rows:
        headers, document = store.decode_state(row["state"])
        entries.append(LogEntry(row["notification_id"], document, headers))
    return entries


async def read_outgoing(
    connection: asyncpg.Connection, store: EventStore, after: int, limit: int
) -> list[tuple[int, Outgoing]]:
    """Up to `limit` events after position `after`, as the relay publishes them: each
    with its link of the service's hash chain in its headers."""
    rows = await connection.fetch(
        "SELECT notification_id, topic, state, position, prev, sha256"
        " FROM stored_events LEFT JOIN event_chain USING (notification_id)"
        " WHERE notification_id > $1 ORDER BY notification_id LIMIT $2",
        after,
        limit,
    )
    return [
        (row["notification_id"], _chained(store.outgoing(row["topic"], row["state"]), row))
        for row in rows
    ]


def _chained(event: Outgoing, row: asyncpg.Record) -> Outgoing:
    if row["position"] is None:  # not recorded by the store: published as it is, unlinked
        return event
    return replace(
        event,
        headers={
            **event.headers,
            CHAIN_POSITION: str(row["position"]),
            CHAIN_PREV: row["prev"].hex(),
            CHAIN_SHA256: row["sha256"].hex(),
        },
    )


class Wakeup:
    """Wakes every waiting reader of the log: on NOTIFY, and on commits in this process."""

    def __init__(self) -> None:
        self._events: list[asyncio.Event] = []

    def subscribe(self) -> asyncio.Event:
        event = asyncio.Event()
        self._events.append(event)
        return event

    def notify(self, *_: Any) -> None:
        for event in self._events:
            event.set()

    async def listen(self, connection: asyncpg.Connection) -> None:
        await connection.add_listener(NOTIFY_CHANNEL, self.notify)


async def wait_for_wakeup(event: asyncio.Event, stop: asyncio.Event, poll_seconds: float) -> None:
    """Until `event` or `stop` is set, at most `poll_seconds` (the fallback poll)."""
    waiters = [asyncio.ensure_future(event.wait()), asyncio.ensure_future(stop.wait())]
    try:
        await asyncio.wait(waiters, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    event.clear()
