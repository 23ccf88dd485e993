"""Reading every stored event of a service, in order, as the auditor does.

The auditor connects with its read-only role and reads each service's schema directly:
one server-side cursor per service, fetched in batches, inside one read-only
repeatable-read transaction, so every service's log is read from the same snapshot and
memory stays flat however long the log is. Rows come back exactly as stored (the bytes
the hash chain covers); `LogDecoder` turns them into typed contract events (decrypting
when the store encrypts at rest, upcasting older schema versions).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import heapq
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from eventsourcing.cipher import AESCipher
from eventsourcing.utils import Environment
from oco_shared.contract import REGISTRY, Event, Registry
from oco_shared.contract.registry import current_version
from psycopg import sql

BATCH = 5_000  # rows per cursor fetch: large enough to amortise the round trip


@dataclass(frozen=True, slots=True)
class StoredRow:
    """One row of a service's `stored_events`, as PostgreSQL holds it."""

    position: int  # the notification id: commit order within the service
    originator_id: uuid.UUID
    originator_version: int
    topic: str
    state: bytes


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """A typed event of one service's log, with where it stands there."""

    service: str
    position: int
    event: Event
    headers: dict[str, str]


class LogDecoder:
    """Stored state to typed events: decrypted, upcast to today's schema, validated."""

    def __init__(self, registry: Registry = REGISTRY, cipher_key: str | None = None) -> None:
        self.registry = registry
        self._current = {name: current_version(model) for name, model in registry.models.items()}
        self._cipher = (
            AESCipher(Environment(env={"CIPHER_KEY": cipher_key})) if cipher_key else None
        )

    def document(self, state: bytes) -> tuple[dict[str, str], dict[str, Any]]:
        """(headers, the event document upcast to its current version)."""
        stored = orjson.loads(self._plain(state))
        return stored["headers"], self._upcast(stored["event"])

    def event_document(self, state: bytes) -> dict[str, Any]:
        """The event document alone, upcast to its current version: what verify and replay
        read of each stored event."""
        # orjson: the same documents as json, a fifth fewer instructions than pydantic's
        # parser; a replay spends about half its time here.
        return self._upcast(orjson.loads(self._plain(state))["event"])

    def _plain(self, state: bytes) -> bytes:
        return state if self._cipher is None else self._cipher.decrypt(state)

    def _upcast(self, event: dict[str, Any]) -> dict[str, Any]:
        if self._current.get(event.get("type", "")) != event.get("schema_version"):
            event = self.registry.upcast(event)  # an older version (or a wrong document)
        return event

    def topics(self, types: Iterable[str]) -> list[str]:
        """The stored topics ("<Type>.v<version>") of these event types, at every version
        the registry reads (older ones are upcast)."""
        return [
            f"{name}.v{version}"
            for name in types
            if name in self._current
            for version in range(1, self._current[name] + 1)
        ]

    def event(self, state: bytes) -> tuple[dict[str, str], Event]:
        headers, document = self.document(state)
        event = self.registry.parse(document)
        if not isinstance(event, Event):
            raise TypeError(f"stored {document.get('type')!r} is not an event")
        return headers, event


async def connect(database_url: str) -> asyncpg.Connection:
    # No JIT: the auditor's queries scan whole logs once, and compiling their expressions
    # (the chain's hashing among them) costs more than it saves: 0.5 to 1.4 s of the chain
    # query's 9 on a million events.
    connection: asyncpg.Connection = await asyncpg.connect(
        database_url, server_settings={"jit": "off"}
    )
    return connection


@contextlib.asynccontextmanager
async def snapshot(connection: asyncpg.Connection) -> AsyncIterator[asyncpg.Connection]:
    """A read-only transaction that sees one moment of every schema (cursors need one)."""
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        yield connection


@contextlib.asynccontextmanager
async def shared_snapshot(
    connection: asyncpg.Connection, other: asyncpg.Connection
) -> AsyncIterator[asyncpg.Connection]:
    """`snapshot` on two connections that see the same moment (the first exports it, the
    second imports it): two queries of one read, each on its own PostgreSQL backend."""
    async with snapshot(connection):
        exported = await connection.fetchval("SELECT pg_export_snapshot()")
        async with snapshot(other):
            await other.execute(
                sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(exported)).as_string(None)
            )
            yield connection


@contextlib.contextmanager
def without_cycle_collection() -> Iterator[None]:
    """A long read keeps many objects alive and makes no reference cycles: the cycle
    collector's passes over them would cost more than the reading (as `gc.freeze` in
    the services' runtime). Reference counting still frees everything else."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def has_log(connection: asyncpg.Connection, schema: str) -> bool:
    """Whether the schema holds a service log (a service that never ran has none)."""
    found = await connection.fetchval(
        "SELECT to_regclass($1)", in_schema(sql.SQL("{schema}.stored_events"), schema)
    )
    return found is not None


async def stored_batches(
    connection: asyncpg.Connection, schema: str, *, after: int = 0, batch: int = BATCH
) -> AsyncIterator[list[StoredRow]]:
    """The rows of `schema.stored_events` after position `after`, in position order, a
    batch at a time. Runs inside `snapshot(connection)`."""
    cursor = await connection.cursor(in_schema(_SELECT_ROWS, schema), after)
    while rows := await cursor.fetch(batch):
        yield [StoredRow(*row) for row in rows]


async def chained_batches(
    connection: asyncpg.Connection, schema: str, *, batch: int = BATCH
) -> AsyncIterator[list[asyncpg.Record]]:
    """The stored rows on the hash chain, in position order: `(notification_id, topic,
    state, chain position, prev, sha256)`. Runs inside `snapshot(connection)`, and the
    caller queries nothing else on the connection until it has them all (`read_ahead`)."""
    cursor = await connection.cursor(in_schema(_SELECT_CHAINED, schema))
    async for rows in read_ahead(cursor, batch):
        yield rows


async def topic_chained_batches(
    connection: asyncpg.Connection, schema: str, topics: Sequence[str], *, batch: int = BATCH
) -> AsyncIterator[list[asyncpg.Record]]:
    """`(chain position, state)` of the stored rows on the chain with these `topics`, in
    position order (the others never leave the database); as `chained_batches`."""
    cursor = await connection.cursor(in_schema(_SELECT_CHAINED_OF, schema), list(topics))
    async for rows in read_ahead(cursor, batch):
        yield rows


async def unlinked_batches(
    connection: asyncpg.Connection, schema: str, *, batch: int = BATCH
) -> AsyncIterator[list[asyncpg.Record]]:
    """The rows where the hash chain, recomputed by PostgreSQL from the stored bytes, does
    not hold (`_SELECT_UNLINKED`), then the last row: a clean chain sends one row.
    Runs inside `snapshot(connection)`, nothing else queried until they are all read."""
    cursor = await connection.cursor(in_schema(_SELECT_UNLINKED, schema))
    async for rows in read_ahead(cursor, batch):
        yield rows


async def topic_batches(
    connection: asyncpg.Connection, schema: str, *, batch: int = BATCH
) -> AsyncIterator[list[asyncpg.Record]]:
    """`(topic, state)` of every stored row in position order: all a fold needs."""
    cursor = await connection.cursor(in_schema(_SELECT_TOPICS, schema))
    async for rows in read_ahead(cursor, batch):
        yield rows


async def read_ahead(
    cursor: asyncpg.cursor.Cursor, batch: int
) -> AsyncIterator[list[asyncpg.Record]]:
    """The cursor's rows a batch at a time, the next batch already on its way while the
    caller works through this one. The caller sends nothing else on the connection
    meanwhile (one operation at a time is all a connection does)."""
    following = asyncio.ensure_future(cursor.fetch(batch))
    try:
        while rows := await following:
            following = asyncio.ensure_future(cursor.fetch(batch))
            yield rows
    finally:
        if not following.done():
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError, asyncpg.PostgresError):
                await following


async def links_at(
    connection: asyncpg.Connection, schema: str, positions: Sequence[int]
) -> dict[int, bytes]:
    """The stored links of the hash chain at these positions (of rows still stored)."""
    rows = await connection.fetch(in_schema(_SELECT_LINKS, schema), list(positions))
    return {row[0]: row[1] for row in rows}


async def published_position(connection: asyncpg.Connection, schema: str, stream: str) -> int:
    """How far the service's relay has published its log to `stream`."""
    found = await connection.fetchval(in_schema(_SELECT_PUBLISHED, schema), stream)
    return int(found or 0)


async def logged_events(
    connection: asyncpg.Connection,
    service: str,
    schema: str,
    decoder: LogDecoder,
    *,
    round_id: str | None = None,
) -> AsyncIterator[LoggedEvent]:
    """Every event of a service's log in order (of `round_id` only, when given)."""
    async for rows in stored_batches(connection, schema):
        for logged in decoded(service, rows, decoder):
            if round_id is None or logged.event.round_id == round_id:
                yield logged


def decoded(service: str, rows: Iterable[StoredRow], decoder: LogDecoder) -> Iterator[LoggedEvent]:
    for row in rows:
        headers, event = decoder.event(row.state)
        yield LoggedEvent(service, row.position, event, headers)


async def procedure_log(
    connection: asyncpg.Connection,
    schemas: Sequence[tuple[str, str]],
    decoder: LogDecoder,
    *,
    round_id: str | None = None,
) -> AsyncIterator[LoggedEvent]:
    """The logs of several services, `(service, schema)` each, merged in procedure time
    (`occurred_at`); within a service its own order is kept. Schemas without a log are
    skipped. Runs inside `snapshot(connection)`: the cursors share its transaction."""
    sources = [
        logged_events(connection, service, schema, decoder, round_id=round_id)
        for service, schema in schemas
        if await has_log(connection, schema)
    ]
    heads: list[tuple[Any, int, int, LoggedEvent]] = []
    tie = 0  # keeps the heap from ever comparing two events

    async def advance(index: int) -> None:
        nonlocal tie
        found = await anext(sources[index], None)
        if found is not None:
            tie += 1
            heapq.heappush(heads, (found.event.occurred_at, tie, index, found))

    for index in range(len(sources)):
        await advance(index)
    while heads:
        _, _, index, found = heapq.heappop(heads)
        yield found
        await advance(index)


def service_schemas(schema_prefix: str, services: Iterable[str]) -> list[tuple[str, str]]:
    """`(service, schema)` for each service: a service's schema is prefix + name."""
    return [(service, f"{schema_prefix}{service}") for service in services]


_SELECT_ROWS = sql.SQL(
    "SELECT notification_id, originator_id, originator_version, topic, state"
    " FROM {schema}.stored_events WHERE notification_id > $1 ORDER BY notification_id"
)


_CHAINED = " FROM {schema}.stored_events e JOIN {schema}.event_chain c USING (notification_id)"
_SELECT_CHAINED = sql.SQL(
    "SELECT e.notification_id, e.topic, e.state, c.position, c.prev, c.sha256"
    + _CHAINED
    + " ORDER BY e.notification_id"
)
# Whole topics, not their type: the planner's statistics then know how many rows match.
_SELECT_CHAINED_OF = sql.SQL(
    "SELECT c.position, e.state"
    + _CHAINED
    + " WHERE e.topic = ANY($1::text[]) ORDER BY e.notification_id"
)
# The chain link of each row recomputed as the store made it (oco_shared.eventstore,
# CHAINED_INSERT; oco_audit.chain) and set beside its stored link and the row before it:
# a row is sent when it is off the chain, follows a row off the chain (whose position,
# lagged, is NULL), does not follow the link before it, or does not hash to its link (a
# topic or state set to NULL hashes to nothing: distinct); and the last row, which ends
# the walk.
_SELECT_UNLINKED = sql.SQL(
    "SELECT notification_id, originator_id, originator_version, topic, state, position,"
    " prev, sha256, before_position IS NOT NULL, before_position, before_sha256, events FROM ("
    " SELECT e.notification_id, e.originator_id, e.originator_version, e.topic,"
    "  e.state, c.position, c.prev, c.sha256,"
    "  lag(c.position, 1, 0::bigint) OVER w AS before_position,"
    "  lag(c.sha256, 1, decode(repeat('00', 32), 'hex')) OVER w AS before_sha256,"
    "  row_number() OVER w AS events,"
    "  lead(e.notification_id) OVER w IS NULL AS last,"
    "  sha256(c.prev || int8send(e.notification_id) || sha256(uuid_send(e.originator_id)"
    "   || int8send(e.originator_version) || int4send(octet_length(convert_to(e.topic, 'UTF8')))"
    "   || convert_to(e.topic, 'UTF8') || e.state)) AS computed"
    " FROM {schema}.stored_events e LEFT JOIN {schema}.event_chain c USING (notification_id)"
    " WINDOW w AS (ORDER BY e.notification_id)"
    ") linked WHERE last OR position IS NULL OR before_position IS NULL"
    " OR position <> before_position + 1"
    " OR prev <> before_sha256 OR computed IS DISTINCT FROM sha256"
    " ORDER BY notification_id"
)
_SELECT_LINKS = sql.SQL(
    "SELECT c.position, c.sha256 FROM {schema}.event_chain c"
    " JOIN {schema}.stored_events USING (notification_id) WHERE c.position = ANY($1::bigint[])"
)
_SELECT_TOPICS = sql.SQL("SELECT topic, state FROM {schema}.stored_events ORDER BY notification_id")
_SELECT_PUBLISHED = sql.SQL("SELECT position FROM {schema}.relay_position WHERE stream = $1")


def in_schema(statement: sql.SQL, schema: str) -> str:
    """The statement with `{schema}` quoted as an identifier (identifiers cannot be bind
    parameters; psycopg's composition quotes them, as the event store does)."""
    return statement.format(schema=sql.Identifier(schema)).as_string(None)
