"""Read models: a projection keeps its own tables and its own position in the log.

The projector reads the service's notification log in batches and hands each batch to
the projection inside one asyncpg transaction that also records the new position: a
restart neither skips nor repeats. A projection works on the stored JSON documents
(already validated when they were recorded), not on re-validated models.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import asyncpg
import structlog

from oco_shared.eventstore import EventStore, LogEntry
from oco_shared.messaging.consumer import close_quietly
from oco_shared.messaging.log import Wakeup, connect, read_log, wait_for_wakeup

log = structlog.get_logger(__name__)


class Projection(Protocol):
    """A read model: its tables (in the service's schema) and how a batch changes them."""

    name: str

    async def create_tables(self, connection: asyncpg.Connection) -> None: ...

    async def apply(self, connection: asyncpg.Connection, entries: list[LogEntry]) -> None: ...


class Projector:
    def __init__(
        self,
        store: EventStore,
        database_url: str,
        projection: Projection,
        wakeup: Wakeup,
        *,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
    ) -> None:
        self.store = store
        self.database_url = database_url
        self.projection = projection
        self.woken = wakeup.subscribe()
        self.wakeup = wakeup
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.state = "starting"
        self.position = 0

    @property
    def name(self) -> str:
        return f"projector:{self.projection.name}"

    def status(self) -> dict[str, Any]:
        return {"state": self.state, "position": self.position}

    async def run(self, stop: asyncio.Event) -> None:
        connection = await connect(self.database_url, self.store.schema)
        try:
            await self.wakeup.listen(connection)
            await connection.execute(
                "CREATE TABLE IF NOT EXISTS view_position"
                " (view text PRIMARY KEY, position bigint NOT NULL)"
            )
            await self.projection.create_tables(connection)
            self.position = (
                await connection.fetchval(
                    "SELECT position FROM view_position WHERE view = $1", self.projection.name
                )
                or 0
            )
            self.state = "running"
            while not stop.is_set():
                entries = await read_log(connection, self.store, self.position, self.batch_size)
                if not entries:
                    await wait_for_wakeup(self.woken, stop, self.poll_seconds)
                    continue
                async with connection.transaction():
                    await self.projection.apply(connection, entries)
                    await connection.execute(
                        "INSERT INTO view_position VALUES ($1, $2)"
                        " ON CONFLICT (view) DO UPDATE SET position = EXCLUDED.position",
                        self.projection.name,
                        entries[-1].position,
                    )
                self.position = entries[-1].position
        finally:
            await close_quietly(connection)
