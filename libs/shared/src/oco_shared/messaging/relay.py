"""The outbox relay: publish every recorded event, in commit order, exactly once.

The relay reads the service's notification log after its last published position and
publishes each event to JetStream with `Nats-Msg-Id` = event id, keeping up to a window
of publishes in flight on its one connection (which delivers them in order). It records
the position only up to the last contiguously acknowledged event; a failed publish stops
the window, and the relay starts again from there. Killed at any point, it republishes
at most one window, which the stream's duplicate window drops. It also publishes the
service's dead letters (a bounded record; the whole payload stays in PostgreSQL).
Only one relay per service publishes: it holds a PostgreSQL advisory lock.
It wakes on the NOTIFY the store sends after each commit, with a slow poll as fallback.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections import deque
from collections.abc import Callable
from typing import Any

import asyncpg
import structlog
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from oco_shared.eventstore import EventStore, Outgoing
from oco_shared.messaging.consumer import close_quietly, hold_advisory_lock, wait_or_stop
from oco_shared.messaging.log import Wakeup, read_outgoing, wait_for_wakeup
from oco_shared.messaging.topology import Topology

log = structlog.get_logger(__name__)

DEAD_LETTER_PAYLOAD_PREFIX = 16 * 1024  # bytes of the original body in the published record


class DeadLetterRecord(BaseModel):
    """What lands on `<prefix>.deadletter.<service>`: the reason, and where to find the rest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: str
    consumer: str
    reason: str = Field(description="stable code, e.g. malformed, max_deliver_exceeded")
    error: str = Field(max_length=2000)
    upstream_stream: str
    upstream_position: int
    subject: str
    attempts: int
    received_at: AwareDatetime = Field(description="the broker's receipt time")
    headers: dict[str, str]
    payload_bytes: int = Field(description="size of the whole payload, kept in PostgreSQL")
    payload: str | None = Field(default=None, description="the start of the body, if it is UTF-8")
    payload_base64: str | None = Field(default=None, description="else its start in base64")


def dead_letter_record(service: str, row: asyncpg.Record) -> DeadLetterRecord:
    body: bytes = row["payload"]
    prefix = body[:DEAD_LETTER_PAYLOAD_PREFIX]
    try:
        shown: dict[str, str] = {"payload": prefix.decode("utf-8")}
    except UnicodeDecodeError:
        shown = {"payload_base64": base64.b64encode(prefix).decode()}
    return DeadLetterRecord(
        service=service,
        consumer=row["consumer"],
        reason=row["reason"],
        error=row["error"][:2000],
        upstream_stream=row["upstream_stream"],
        upstream_position=row["upstream_position"],
        subject=row["subject"],
        attempts=row["attempts"],
        received_at=row["received_at"],
        headers=json.loads(row["headers"]),
        payload_bytes=len(body),
        **shown,
    )


class PublishFailed(Exception):
    """JetStream did not acknowledge an event; the relay resumes from the last one it did."""


class OutboxRelay:
    def __init__(
        self,
        store: EventStore,
        js: Callable[[], JetStreamContext],
        topology: Topology,
        service: str,
        database_url: str,
        wakeup: Wakeup,
        *,
        window: int = 256,
        publish_timeout: float = 5.0,
        poll_seconds: float = 1.0,
    ) -> None:
        self.store = store
        self.js = js
        self.topology = topology
        self.service = service
        self.database_url = database_url
        self.wakeup = wakeup
        self.woken = wakeup.subscribe()
        self.window = window
        self.publish_timeout = publish_timeout
        self.poll_seconds = poll_seconds
        self.stream = topology.service_stream(service)
        self.state = "starting"
        self.position = 0
        self.last_error: str | None = None

    name = "relay"

    def status(self) -> dict[str, Any]:
        return {"state": self.state, "position": self.position, "error": self.last_error}

    async def run(self, stop: asyncio.Event) -> None:
        connection = await hold_advisory_lock(
            self.database_url,
            f"oco-relay:{self.store.schema}:{self.stream}",
            stop,
            lambda: setattr(self, "state", "waiting_for_lock"),
        )
        if connection is None:
            return
        try:
            await connection.execute(
                "SELECT set_config('search_path', $1, false)", self.store.schema
            )
            await self.wakeup.listen(connection)
            self.position = (
                await connection.fetchval(
                    "SELECT position FROM relay_position WHERE stream = $1", self.stream
                )
                or 0
            )
            self.state, failures = "running", 0
            log.info("relay.running", service=self.service, position=self.position)
            while not stop.is_set():
                try:
                    busy = await self._publish_events(connection)
                    busy = await self._publish_dead_letters(connection) or busy
                except (PublishFailed, NatsError, TimeoutError) as error:
                    # The broker is away or refused: keep the position, retry; nothing is
                    # skipped. Failing on and on is an alarm: /readyz names the event.
                    failures += 1
                    self.state, self.last_error = "retrying", str(error)
                    alarm = log.error if failures >= 3 else log.warning
                    alarm(
                        "relay.publish_failed",
                        service=self.service,
                        attempt=failures,
                        error=str(error),
                    )
                    await wait_or_stop(stop, min(failures, 10))
                    continue
                failures = 0
                self.state, self.last_error = "running", None
                if not busy:
                    await wait_for_wakeup(self.woken, stop, self.poll_seconds)
        finally:
            await close_quietly(connection)

    async def _publish_events(self, connection: asyncpg.Connection) -> bool:
        """Publish what the log holds after the position; True when there was any.

        Publishes in flight plus those acknowledged but not yet recorded never exceed
        the window: that is the most a relay killed at any point publishes again.
        """
        js = self.js()
        in_flight: deque[tuple[int, str, asyncio.Future[Any]]] = deque()
        started = read_up_to = acknowledged = self.position
        unrecorded = 0
        try:
            while True:
                room = self.window - len(in_flight) - unrecorded
                if room >= self.window // 2:  # top up before the window runs dry
                    for position, event in await read_outgoing(
                        connection, self.store, read_up_to, room
                    ):
                        future = await self._send(js, position, event)
                        in_flight.append((position, event.event_id, future))
                        read_up_to = position
                if not in_flight:
                    break
                position, event_id, future = in_flight[0]
                try:
                    if not future.done():
                        await asyncio.wait_for(asyncio.shield(future), self.publish_timeout)
                    future.result()
                except Exception as error:
                    raise PublishFailed(
                        f"event {event_id} at position {position} was not acknowledged: {error!r}"
                    ) from error
                in_flight.popleft()
                acknowledged, unrecorded = position, unrecorded + 1
                if unrecorded >= self.window // 2:
                    await self._record(connection, acknowledged)
                    unrecorded = 0
        finally:
            for _, _, future in in_flight:
                future.cancel()  # frees its place in nats-py's window of pending publishes
            if acknowledged > self.position:
                await self._record(connection, acknowledged)
        return read_up_to > started

    async def _send(self, js: JetStreamContext, position: int, event: Outgoing) -> Any:
        try:
            return await js.publish_async(
                self.topology.event_subject(self.service, event.type),
                event.payload,
                stream=self.stream,
                headers={**event.headers, "Nats-Msg-Id": event.event_id},
            )
        except NatsError as error:
            raise PublishFailed(
                f"event {event.event_id} at position {position} was not published: {error!r}"
            ) from error

    async def _record(self, connection: asyncpg.Connection, position: int) -> None:
        await connection.execute(
            "INSERT INTO relay_position (stream, position) VALUES ($1, $2)"
            " ON CONFLICT (stream) DO UPDATE SET position = EXCLUDED.position",
            self.stream,
            position,
        )
        self.position = position

    async def _publish_dead_letters(self, connection: asyncpg.Connection) -> bool:
        rows = await connection.fetch(
            "SELECT * FROM dead_letters WHERE NOT published"
            " ORDER BY recorded_at, upstream_stream, upstream_position LIMIT 100"
        )
        js = self.js()
        for row in rows:
            record = dead_letter_record(self.service, row)
            await js.publish(
                self.topology.deadletter_subject(self.service),
                record.model_dump_json(exclude_none=True).encode(),
                timeout=self.publish_timeout,
                stream=self.topology.deadletter_stream,
                headers={
                    "Nats-Msg-Id": f"{self.service}:{record.upstream_stream}:"
                    f"{record.upstream_position}"
                },
            )
            await connection.execute(
                "UPDATE dead_letters SET published = true"
                " WHERE upstream_stream = $1 AND upstream_position = $2",
                record.upstream_stream,
                record.upstream_position,
            )
        return bool(rows)
