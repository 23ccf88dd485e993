"""Reads a round's stored events from every service's schema, for the export commands.

Kept private: the audit package's own log reader (`oco_audit.log`, with the hash chain)
replaces it once it lands. One read-only transaction and a server-side cursor per
service, so the rows stream in batches.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
from eventsourcing.cipher import AESCipher
from eventsourcing.utils import Environment
from oco_shared.contract import REGISTRY, Event
from oco_shared.messaging.topology import SERVICES
from psycopg import sql

_BATCH = 2_000
_SELECT = sql.SQL(
    "SELECT notification_id, state FROM {schema}.stored_events ORDER BY notification_id"
)


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    service: str
    position: int
    event: Event


async def round_log(
    database_url: str, schema_prefix: str, round_id: str, cipher_key: str | None = None
) -> AsyncIterator[LoggedEvent]:
    """The events of `round_id` in every service's log, service by service, in log order.
    A service that never ran (no table) has none."""
    cipher = AESCipher(Environment(env={"CIPHER_KEY": cipher_key})) if cipher_key else None
    connection = await asyncpg.connect(database_url)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            for service in SERVICES:
                schema = sql.Identifier(f"{schema_prefix}{service}")
                table = sql.SQL("{}.stored_events").format(schema).as_string(None)
                if await connection.fetchval("SELECT to_regclass($1)", table) is None:
                    continue
                cursor = await connection.cursor(_SELECT.format(schema=schema).as_string(None))
                while rows := await cursor.fetch(_BATCH):
                    for position, state in rows:
                        plain = cipher.decrypt(bytes(state)) if cipher else bytes(state)
                        event = REGISTRY.parse(json.loads(plain)["event"])
                        assert isinstance(event, Event)
                        if event.round_id == round_id:
                            yield LoggedEvent(service, position, event)
    finally:
        await connection.close()
