"""The event store: contract events kept in PostgreSQL through `eventsourcing`.

Each service has its own schema. Its notification log (commit order) feeds the outbox
relay and the read models; what a consumer decided from a batch of upstream messages is
recorded in **one** transaction: the new events, the upstream position (the library's
single-row `Tracking`, which refuses a position that does not increase), the message ids
it handled, and the dead letters it set aside. Events are stored as compact UTF-8 JSON,
optionally AES-encrypted at rest; older schema versions are upcast on read.
`eventsourcing` is synchronous: async code calls `transact` once per batch through
`asyncio.to_thread`, never once per message.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import psycopg
from eventsourcing.cipher import AESCipher
from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from eventsourcing.utils import Environment
from psycopg import Connection, Cursor, sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow

from oco_shared.contract import REGISTRY, Event, Registry
from oco_shared.contract.registry import current_version

# The library's NOTIFY channel after each insert; relays and projectors LISTEN on it.
NOTIFY_CHANNEL = "stored_events"


@dataclass(frozen=True)
class NewEvent:
    """An event to record as version `version` of the aggregate `aggregate_id`."""

    aggregate_id: uuid.UUID
    version: int
    event: Event
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedEvent:
    """An event read back from the notification log, with its position."""

    position: int
    aggregate_id: uuid.UUID
    version: int
    event: Event


@dataclass(frozen=True)
class LogEntry:
    """One notification as stored: the upcast event document and the headers it travels with."""

    position: int
    document: dict[str, Any]
    headers: Mapping[str, str]


@dataclass(frozen=True)
class ChainHead:
    """The last link of a service's hash chain and the event it covers."""

    position: int
    sha256: bytes
    event: Event


@dataclass(frozen=True)
class Outgoing:
    """An event ready to publish: its type, id, JSON payload and headers."""

    type: str
    event_id: str
    payload: bytes
    headers: Mapping[str, str]


_STATE_START, _EVENT_START = '{"headers":', b',"event":'
_HEADERS = json.JSONDecoder()
_EVENT_ID = re.compile(rb'\{"event_id":"([0-9a-f-]{36})"')


@dataclass(frozen=True)
class HandledMessage:
    """A message id this service acted on; the same id never has a second effect."""

    message_id: uuid.UUID
    payload_sha256: str
    consumer: str
    upstream_position: int


@dataclass(frozen=True)
class DeadLetterEntry:
    """A message set aside with its reason; the whole payload stays in PostgreSQL."""

    consumer: str
    upstream_stream: str
    upstream_position: int
    subject: str
    reason: str
    error: str
    headers: Mapping[str, str]
    payload: bytes
    attempts: int
    received_at: datetime


@dataclass
class Recording:
    """Everything one transaction records."""

    events: list[NewEvent] = field(default_factory=list)
    handled: list[HandledMessage] = field(default_factory=list)
    dead_letters: list[DeadLetterEntry] = field(default_factory=list)
    tracking: Tracking | None = None


class ConcurrencyConflict(Exception):
    """Another writer recorded the same aggregate version, or the same upstream position."""


def topic_of(event: Event) -> str:
    return f"{event.type}.v{event.schema_version}"


def compact_json(document: Any) -> bytes:
    """The wire and storage encoding: UTF-8 (not ASCII-escaped), no spaces."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def database_kwargs(database_url: str) -> dict[str, Any]:
    params = conninfo_to_dict(database_url)
    return {
        "dbname": params.get("dbname", "postgres"),
        "host": params.get("host", "127.0.0.1"),
        "port": params.get("port", 5432),
        "user": params.get("user", "postgres"),
        "password": params.get("password", ""),
    }


# Tamper evidence: each service's log is a hash chain. The event at chain position p
# (1, 2, ...; the notification order) carries link(p) = SHA-256(link(p-1) ‖
# notification_id ‖ SHA-256(originator_id ‖ version ‖ len(topic) ‖ topic ‖ state)), with
# link(0) = 32 zero bytes: the integers big-endian in 8 bytes (the topic's length in 4),
# the originator id's 16 bytes, the topic in UTF-8, the state as stored; PostgreSQL's
# binary forms (int8send, uuid_send), so that the auditor recomputes a million links in
# a few seconds without formatting text. A changed, removed, reordered or added event
# breaks the chain there (`oco audit verify` recomputes it; the relay publishes it with
# each event). The links are computed by PostgreSQL in the statement that inserts the
# events, under the store's table lock, so that they follow the commit order and cost no
# extra round trip; only the rows of that statement are chained, never a row put in the
# table by other means.
GENESIS = bytes(32)
# The headers that carry an event's link to JetStream (hex digests).
CHAIN_POSITION = "Oco-Chain-Position"
CHAIN_PREV = "Oco-Chain-Prev"
CHAIN_SHA256 = "Oco-Chain-Sha256"
CHAINED_INSERT = """
WITH RECURSIVE inserted AS (
    INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state)
    SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[])
    RETURNING notification_id, originator_id, originator_version, topic, state
), batch AS MATERIALIZED (  -- once: the recursion indexes into it
    SELECT array_agg(notification_id ORDER BY notification_id) AS ids,
           array_agg(sha256(uuid_send(originator_id) || int8send(originator_version)
                     || int4send(octet_length(convert_to(topic, 'UTF8')))
                     || convert_to(topic, 'UTF8') || state)
                     ORDER BY notification_id) AS contents
      FROM inserted
), head AS (  -- the last link (by the primary key's index), else the genesis
    (SELECT 0 AS n, position, sha256 FROM {schema}.event_chain ORDER BY position DESC LIMIT 1)
     UNION ALL SELECT 0, 0, decode(repeat('00', 32), 'hex')
     ORDER BY position DESC LIMIT 1
), links (n, position, notification_id, prev, sha256) AS (
    SELECT n, position, NULL::bigint, NULL::bytea, sha256 FROM head
     UNION ALL
    SELECT links.n + 1, links.position + 1, batch.ids[links.n + 1], links.sha256,
           sha256(links.sha256 || int8send(batch.ids[links.n + 1]) || batch.contents[links.n + 1])
      FROM links, batch WHERE links.n < cardinality(batch.ids)
)
INSERT INTO {schema}.event_chain (position, notification_id, prev, sha256)
SELECT position, notification_id, prev, sha256 FROM links WHERE n > 0
"""


def _rendered(statement: Any) -> Any:
    return statement.as_bytes(None) if isinstance(statement, sql.Composable) else statement


class ServiceRecorder(PostgresProcessRecorder):
    """The library's process recorder plus a service's own tables, written in its transaction."""

    def __init__(self, datastore: PostgresDatastore) -> None:
        super().__init__(datastore)
        schema = sql.Identifier(datastore.schema)
        self.sql_create_statements += [
            sql.SQL(statement).format(schema=schema)
            for statement in (
                "CREATE TABLE IF NOT EXISTS {schema}.relay_position"
                " (stream text PRIMARY KEY, position bigint NOT NULL)",
                "CREATE TABLE IF NOT EXISTS {schema}.handled_messages"
                " (message_id uuid PRIMARY KEY, payload_sha256 text NOT NULL,"
                " consumer text NOT NULL, upstream_position bigint NOT NULL)",
                "CREATE TABLE IF NOT EXISTS {schema}.dead_letters"
                " (upstream_stream text NOT NULL, upstream_position bigint NOT NULL,"
                " consumer text NOT NULL, subject text NOT NULL, reason text NOT NULL,"
                " error text NOT NULL, headers jsonb NOT NULL, payload bytea NOT NULL,"
                " attempts int NOT NULL, received_at timestamptz NOT NULL,"
                " recorded_at timestamptz NOT NULL DEFAULT now(),"
                " published boolean NOT NULL DEFAULT false,"
                " PRIMARY KEY (upstream_stream, upstream_position))",
                "CREATE INDEX IF NOT EXISTS dead_letters_unpublished"
                " ON {schema}.dead_letters (recorded_at) WHERE NOT published",
                "CREATE TABLE IF NOT EXISTS {schema}.event_chain"
                " (position bigint PRIMARY KEY, notification_id bigint NOT NULL UNIQUE,"
                " prev bytea NOT NULL, sha256 bytea NOT NULL)",
            )
        ]
        # Statements rendered once: psycopg then caches their parsing, which a composed
        # statement would repeat on every execution.
        self.lock_table_statements = [_rendered(q) for q in self.lock_table_statements]
        self.insert_tracking_statement = _rendered(self.insert_tracking_statement)
        self._notify = _rendered(sql.SQL("NOTIFY {}").format(sql.Identifier(self.channel_name)))
        self._insert_handled = _rendered(
            sql.SQL("INSERT INTO {schema}.handled_messages VALUES (%s, %s, %s, %s)").format(
                schema=schema
            )
        )
        self._insert_dead_letter = _rendered(
            sql.SQL(
                "INSERT INTO {schema}.dead_letters (upstream_stream, upstream_position, consumer,"
                " subject, reason, error, headers, payload, attempts, received_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            ).format(schema=schema)
        )
        self._select_handled = _rendered(
            sql.SQL(
                "SELECT message_id, payload_sha256 FROM {schema}.handled_messages"
                " WHERE message_id = ANY(%s)"
            ).format(schema=schema)
        )
        self._select_aggregate = _rendered(
            sql.SQL(
                "SELECT state FROM {schema}.{table} WHERE originator_id = %s"
                " ORDER BY originator_version"
            ).format(schema=schema, table=sql.Identifier(self.events_table_name))
        )
        self._insert_columns = _rendered(
            sql.SQL(CHAINED_INSERT).format(
                schema=schema, table=sql.Identifier(self.events_table_name)
            )
        )
        self._select_aggregates = _rendered(
            sql.SQL(
                "SELECT originator_id, state FROM {schema}.{table} WHERE originator_id = ANY(%s)"
                " ORDER BY originator_id, originator_version"
            ).format(schema=schema, table=sql.Identifier(self.events_table_name))
        )
        self._select_chain_head = _rendered(
            sql.SQL(
                "SELECT position, sha256, state FROM {schema}.event_chain"
                " JOIN {schema}.{table} USING (notification_id) ORDER BY position DESC LIMIT 1"
            ).format(schema=schema, table=sql.Identifier(self.events_table_name))
        )
        self._select_tracking = _rendered(
            sql.SQL(
                # FOR UPDATE: a second writer of the same consumer waits, then sees this one's
                # position, so two batches can never both record the same messages.
                "SELECT notification_id FROM {schema}.{table}"
                " WHERE application_name = %s FOR UPDATE"
            ).format(schema=schema, table=sql.Identifier(self.tracking_table_name))
        )

    def _notify_channel(self, curs: Cursor[DictRow]) -> None:
        curs.execute(self._notify)

    def record(
        self, curs: Cursor[DictRow], recording: Recording, stored: list[StoredEvent]
    ) -> None:
        """Write one batch's effects with the cursor of the open transaction. In pipeline
        mode they travel together: only the tracking record's answer is waited for."""
        if stored:
            self._insert_stored_events(curs, stored)
        if recording.handled:
            curs.executemany(
                self._insert_handled,
                [
                    (h.message_id, h.payload_sha256, h.consumer, h.upstream_position)
                    for h in recording.handled
                ],
            )
        if recording.dead_letters:
            curs.executemany(
                self._insert_dead_letter,
                [
                    (
                        d.upstream_stream,
                        d.upstream_position,
                        d.consumer,
                        d.subject,
                        d.reason,
                        d.error,
                        json.dumps(dict(d.headers)),
                        d.payload,
                        d.attempts,
                        d.received_at,
                    )
                    for d in recording.dead_letters
                ],
            )
            self._notify_channel(curs)  # the relay publishes dead letters too
        if recording.tracking is not None:  # refuses a position that does not increase
            self._insert_tracking(curs, recording.tracking)

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any
    ) -> None:
        # The library's lock (notification order = commit order) and NOTIFY, then one
        # INSERT of four plain arrays in binary: cheaper than its array of composites.
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(
            self._insert_columns,
            (
                [stored.originator_id for stored in stored_events],
                [stored.originator_version for stored in stored_events],
                [stored.topic for stored in stored_events],
                [stored.state for stored in stored_events],
            ),
        )


_Result = TypeVar("_Result")


class EventStore:
    def __init__(
        self,
        database_url: str,
        schema: str,
        *,
        registry: Registry = REGISTRY,
        cipher_key: str | None = None,
        pool_size: int = 4,
        connect_timeout: float = 5.0,
    ) -> None:
        self.database_url = database_url
        self.schema = schema
        self.registry = registry
        self._cipher = (
            AESCipher(Environment(env={"CIPHER_KEY": cipher_key})) if cipher_key else None
        )
        # No pre-ping: a connection broken by a database restart fails its batch, which
        # the consumer retries; pinging would cost a round trip on every checkout.
        self.datastore = PostgresDatastore(
            **database_kwargs(database_url),
            schema=schema,
            pool_size=pool_size,
            connect_timeout=connect_timeout,
            pre_ping=False,
        )
        self.recorder = ServiceRecorder(self.datastore)

    def migrate(self) -> None:
        """Create the schema and every table of the service; safe to rerun."""
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            # A service's own role may not create schemas (`oco roles` made its schema).
            exists = connection.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)
            ).fetchone()
            if exists is None:
                connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))
        self.recorder.create_table()

    def close(self) -> None:
        self.datastore.close()

    # Encoding between contract events and stored events.

    def encode(self, new: NewEvent) -> StoredEvent:
        # The headers (trace context) travel with the event so that the relay publishes
        # it inside the trace of the message that caused it.
        # Headers in ASCII: `outgoing` finds where they end without decoding the event.
        headers = json.dumps(dict(new.headers), separators=(",", ":")) if new.headers else "{}"
        state = b'{"headers":%b,"event":%b}' % (
            headers.encode(),
            new.event.__pydantic_serializer__.to_json(new.event),
        )
        if self._cipher is not None:
            state = self._cipher.encrypt(state)
        return StoredEvent(new.aggregate_id, new.version, topic_of(new.event), state)

    def decode_state(self, state: bytes) -> tuple[dict[str, str], dict[str, Any]]:
        """(headers, the event document upcast to its current version)."""
        plain = self._cipher.decrypt(state) if self._cipher is not None else state
        stored: dict[str, Any] = json.loads(plain)
        return stored["headers"], self.registry.upcast(stored["event"])

    def outgoing(self, topic: str, state: bytes) -> Outgoing:
        """An event as the relay publishes it: the stored JSON itself when it is of today's
        schema version (no decoding and encoding again), else upcast and encoded."""
        plain = self._cipher.decrypt(state) if self._cipher is not None else state
        type_name, _, version = topic.rpartition(".v")
        current = self.registry.models.get(type_name)
        if current is not None and str(current_version(current)) == version:
            headers, end = _HEADERS.raw_decode(plain.decode("latin-1"), len(_STATE_START))
            event = plain[end + len(_EVENT_START) : -1]
            found = _EVENT_ID.match(event)
            if found is not None:
                return Outgoing(type_name, found.group(1).decode(), event, headers)
        headers, document = self.decode_state(state)
        return Outgoing(document["type"], document["event_id"], compact_json(document), headers)

    def decode_event(self, state: bytes) -> Event:
        event = self.registry.parse(self.decode_state(state)[1])
        assert isinstance(event, Event)
        return event

    # Writing: one transaction per batch.

    def transact(self, work: Callable[[BatchReader], tuple[Recording, _Result]]) -> _Result:
        """Run `work` with a reader inside one transaction and record what it returns.

        Raises `ConcurrencyConflict` when an aggregate version or the tracking position
        was taken by another writer meanwhile; nothing of the batch is recorded then.
        """
        try:
            # Pipeline mode: the reads travel in one round trip, the writes in another.
            with (
                self.datastore.get_connection() as connection,
                connection.pipeline(),
                connection.transaction(),
                connection.cursor() as curs,
            ):
                recording, result = work(BatchReader(self, connection))
                stored = [self.encode(new) for new in recording.events]
                self.recorder.record(curs, recording, stored)
        except IntegrityError as error:
            raise ConcurrencyConflict(str(error)) from error
        return result

    def append(self, events: Sequence[NewEvent]) -> None:
        """Record events with nothing upstream (fixtures, benchmarks, administrative acts)."""
        self.transact(lambda reader: (Recording(events=list(events)), None))

    # Reading.

    def notifications(self, after: int, limit: int) -> list[RecordedEvent]:
        """Events in commit order with a position greater than `after`."""
        return [
            RecordedEvent(
                notification.id,
                uuid.UUID(str(notification.originator_id)),
                notification.originator_version,
                self.decode_event(notification.state),
            )
            for notification in self.recorder.select_notifications(
                after, limit, inclusive_of_start=False
            )
        ]

    def chain_head(self) -> ChainHead | None:
        """The last event of the hash chain with its position and link; None: no event yet."""
        with self.datastore.get_connection() as connection:
            row = connection.execute(self.recorder._select_chain_head).fetchone()
        if row is None:
            return None
        return ChainHead(row["position"], bytes(row["sha256"]), self.decode_event(row["state"]))

    def last_event(self, aggregate_id: uuid.UUID) -> tuple[int, Event] | None:
        """The aggregate's last recorded version and event; None when it has none."""
        found = self.recorder.select_events(aggregate_id, desc=True, limit=1)
        if not found:
            return None
        return found[0].originator_version, self.decode_event(found[0].state)

    def max_position(self) -> int:
        return self.recorder.max_notification_id() or 0


class BatchReader:
    """What a batch reads inside its own transaction, before anything is written."""

    def __init__(self, store: EventStore, connection: Connection[DictRow]) -> None:
        self._store, self._connection = store, connection
        self._recorder = store.recorder

    def prefetch(
        self,
        consumer: str,
        message_ids: Collection[uuid.UUID],
        aggregate_ids: Collection[uuid.UUID],
    ) -> Prefetched:
        """The tracked position (its row locked), the handled message ids among
        `message_ids`, and the events of `aggregate_ids`: three queries, one round trip."""
        tracking = self._connection.execute(
            self._recorder._select_tracking, (consumer,), prepare=True
        )
        handled = self._connection.execute(self._recorder._select_handled, (list(message_ids),))
        events = self._connection.execute(self._recorder._select_aggregates, (list(aggregate_ids),))
        row = tracking.fetchone()
        aggregates: dict[uuid.UUID, list[Event]] = {key: [] for key in aggregate_ids}
        for found in events.fetchall():
            aggregates[found["originator_id"]].append(
                self._store.decode_event(bytes(found["state"]))
            )
        digests: dict[uuid.UUID, str | None] = dict.fromkeys(message_ids)
        digests.update((found["message_id"], found["payload_sha256"]) for found in handled)
        return Prefetched(
            tracked=int(row["notification_id"]) if row else 0,
            handled=digests,
            aggregates=aggregates,
        )

    def aggregate_events(self, aggregate_id: uuid.UUID) -> list[Event]:
        rows = self._connection.execute(
            self._recorder._select_aggregate, (aggregate_id,), prepare=True
        ).fetchall()
        return [self._store.decode_event(bytes(row["state"])) for row in rows]

    def handled_messages(self, message_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The payload digest recorded for each of `message_ids` handled before."""
        rows = self._connection.execute(self._recorder._select_handled, (list(message_ids),))
        return {row["message_id"]: row["payload_sha256"] for row in rows}


@dataclass(frozen=True)
class Prefetched:
    tracked: int
    handled: dict[uuid.UUID, str | None]  # None: not handled before
    aggregates: dict[uuid.UUID, list[Event]]
