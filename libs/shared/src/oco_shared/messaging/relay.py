"""The outbox relay: publish every recorded event, in commit order, exactly once.

The relay reads the service's notification log after its last published position,
publishes each event to JetStream with `Nats-Msg-Id` = event id, waits for the ack, and
only then records the new position. Killed at any point, it republishes at most the
batch it was in, which the stream's duplicate window drops. Only one relay per service
publishes at a time: it holds a PostgreSQL advisory lock, and a second one waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from enum import StrEnum

import asyncpg
import structlog
from nats.errors import Error as NatsError
from nats.js import JetStreamContext

from oco_shared.eventstore import AsyncEventStore
from oco_shared.messaging.topology import Topology

log = structlog.get_logger(__name__)


class RelayState(StrEnum):
    STARTING = "starting"
    WAITING_FOR_LOCK = "waiting_for_lock"
    RUNNING = "running"
    STOPPED = "stopped"


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class OutboxRelay:
    def __init__(
        self,
        store: AsyncEventStore,
        js: JetStreamContext,
        topology: Topology,
        service: str,
        database_url: str,
        *,
        batch_size: int = 500,
        poll_interval: float = 0.05,
        publish_timeout: float = 5.0,
    ) -> None:
        self.store = store
        self.js = js
        self.topology = topology
        self.service = service
        self.database_url = database_url
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.publish_timeout = publish_timeout
        self.schema = store.sync.schema
        self.state = RelayState.STARTING
        self.position = 0

    async def run(self, stop: asyncio.Event) -> None:
        connection = await asyncpg.connect(self.database_url)
        try:
            if not await self._acquire_lock(connection, stop):
                return
            self.position = await self._published_position(connection)
            self.state = RelayState.RUNNING
            log.info("relay.running", service=self.service, position=self.position)
            while not stop.is_set():
                try:
                    published = await self._publish_batch(connection)
                except (TimeoutError, NatsError) as error:
                    # The broker is away: keep the position, retry; nothing is skipped.
                    log.warning("relay.publish_failed", service=self.service, error=repr(error))
                    await wait_or_stop(stop, 1.0)
                    continue
                if not published:
                    await wait_or_stop(stop, self.poll_interval)
        finally:
            self.state = RelayState.STOPPED
            await connection.close()

    async def _acquire_lock(self, connection: asyncpg.Connection, stop: asyncio.Event) -> bool:
        key = advisory_key(f"oco-relay:{self.schema}:{self.topology.service_stream(self.service)}")
        self.state = RelayState.WAITING_FOR_LOCK
        while not stop.is_set():
            if await connection.fetchval("SELECT pg_try_advisory_lock($1)", key):
                return True
            log.info("relay.waiting_for_lock", service=self.service)
            await wait_or_stop(stop, 1.0)
        return False

    async def _published_position(self, connection: asyncpg.Connection) -> int:
        position = await connection.fetchval(
            f'SELECT position FROM "{self.schema}".relay_position WHERE stream = $1',
            self.topology.service_stream(self.service),
        )
        return int(position or 0)

    async def _publish_batch(self, connection: asyncpg.Connection) -> bool:
        entries = await self.store.outbox(self.position, self.batch_size)
        if not entries:
            return False
        stream = self.topology.service_stream(self.service)
        for entry in entries:
            document = entry.document
            await self.js.publish(
                self.topology.event_subject(self.service, document["type"]),
                json.dumps(document, separators=(",", ":")).encode(),
                timeout=self.publish_timeout,
                stream=stream,
                headers={**entry.headers, "Nats-Msg-Id": document["event_id"]},
            )
        last = entries[-1].position
        await connection.execute(
            f'INSERT INTO "{self.schema}".relay_position (stream, position) VALUES ($1, $2)'
            " ON CONFLICT (stream) DO UPDATE SET position = EXCLUDED.position",
            stream,
            last,
        )
        self.position = last
        log.debug("relay.published", service=self.service, position=last, count=len(entries))
        return True


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less if `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
