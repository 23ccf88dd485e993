"""The event store: contract events kept in PostgreSQL through `eventsourcing`.

A thin layer over the library's process recorder. Each service has its own schema; its
notification log (commit order) feeds the outbox relay, and its tracking table records
which upstream positions were processed in the same transaction as their effects.
Events are stored as their contract JSON, optionally AES-encrypted at rest; older
schema versions are upcast on read. `eventsourcing` is synchronous: async code calls it
through `asyncio.to_thread` (see `AsyncEventStore`).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from eventsourcing.cipher import AESCipher
from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from eventsourcing.utils import Environment
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from oco_shared.contract import REGISTRY, Event, Registry


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
class OutboxEntry:
    position: int
    document: dict[str, Any]
    headers: Mapping[str, str]


class ConcurrencyConflict(Exception):
    """Another writer recorded the same aggregate version first: decide again."""


class AlreadyProcessed(Exception):
    """The upstream position is already tracked: a redelivery with no second effect."""


def topic_of(event: Event) -> str:
    return f"{event.type}.v{event.schema_version}"


def database_kwargs(database_url: str) -> dict[str, Any]:
    params = conninfo_to_dict(database_url)
    return {
        "dbname": params.get("dbname", "postgres"),
        "host": params.get("host", "127.0.0.1"),
        "port": params.get("port", 5432),
        "user": params.get("user", "postgres"),
        "password": params.get("password", ""),
    }


def ensure_schema(database_url: str, schema: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


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
        self.datastore = PostgresDatastore(
            **database_kwargs(database_url),
            schema=schema,
            pool_size=pool_size,
            connect_timeout=connect_timeout,
            pre_ping=True,
        )
        self.recorder = PostgresProcessRecorder(self.datastore)

    def migrate(self) -> None:
        """Create the schema and tables (events, tracking, relay position); safe to rerun."""
        ensure_schema(self.database_url, self.schema)
        self.recorder.create_table()
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            connection.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {}.relay_position"
                    " (stream text PRIMARY KEY, position bigint NOT NULL)"
                ).format(sql.Identifier(self.schema))
            )

    def close(self) -> None:
        self.datastore.close()

    # Encoding between contract events and stored events.

    def _encode(self, new: NewEvent) -> StoredEvent:
        # The headers (trace context) travel with the event so that the relay publishes
        # it inside the trace of the message that caused it.
        event_json = new.event.model_dump_json()
        state = f'{{"headers":{json.dumps(dict(new.headers))},"event":{event_json}}}'.encode()
        if self._cipher is not None:
            state = self._cipher.encrypt(state)
        return StoredEvent(new.aggregate_id, new.version, topic_of(new.event), state)

    def decode_state(self, state: bytes) -> tuple[dict[str, str], dict[str, Any]]:
        """(headers, the event document upcast to its current version)."""
        stored: dict[str, Any] = json.loads(self._plain(state))
        return stored["headers"], self.registry.upcast(stored["event"])

    def _decode(self, stored: StoredEvent) -> Event:
        event = self.registry.parse(self.decode_state(stored.state)[1])
        assert isinstance(event, Event)
        return event

    # Writing.

    def append(self, events: Sequence[NewEvent], tracking: Tracking | None = None) -> list[int]:
        """Record `events` (and the upstream position) atomically; return their positions.

        Raises `AlreadyProcessed` when the tracking position was recorded before, and
        `ConcurrencyConflict` when an aggregate version was taken by another writer.
        """
        try:
            recorded = self.recorder.insert_events(
                [self._encode(new) for new in events], tracking=tracking
            )
        except IntegrityError as error:
            if tracking is not None and self.recorder.has_tracking_id(
                tracking.application_name, tracking.notification_id
            ):
                raise AlreadyProcessed(f"{tracking} was processed before") from error
            raise ConcurrencyConflict(str(error)) from error
        return list(recorded or [])

    # Reading.

    def aggregate_events(self, aggregate_id: uuid.UUID) -> list[Event]:
        return [self._decode(stored) for stored in self.recorder.select_events(aggregate_id)]

    def notifications(self, after: int, limit: int) -> list[RecordedEvent]:
        """Events in commit order with a position greater than `after`."""
        return [
            RecordedEvent(
                notification.id,
                uuid.UUID(str(notification.originator_id)),
                notification.originator_version,
                self._decode(notification),
            )
            for notification in self.recorder.select_notifications(
                after, limit, inclusive_of_start=False
            )
        ]

    def outbox(self, after: int, limit: int) -> list[OutboxEntry]:
        """What the relay publishes, in commit order: the upcast event JSON and its headers."""
        entries = []
        for row in self.recorder.select_notifications(after, limit, inclusive_of_start=False):
            headers, document = self.decode_state(row.state)
            entries.append(OutboxEntry(row.id, document, headers))
        return entries

    def _plain(self, state: bytes) -> bytes:
        return self._cipher.decrypt(state) if self._cipher is not None else state

    def is_processed(self, upstream: str, position: int) -> bool:
        return bool(self.recorder.has_tracking_id(upstream, position))

    def max_position(self) -> int:
        return self.recorder.max_notification_id() or 0


class AsyncEventStore:
    """What the relay reads, for async code: each call runs in a worker thread."""

    def __init__(self, store: EventStore) -> None:
        self.sync = store

    async def outbox(self, after: int, limit: int) -> list[OutboxEntry]:
        return await asyncio.to_thread(self.sync.outbox, after, limit)
