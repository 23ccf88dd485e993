"""The intake read model: inscriptions and rejections with their reasons, for `oco intake list`.

Its own tables, written with asyncpg, and its own position in the service's notification
log, updated in the same transaction as the rows: a restart neither skips nor repeats.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
from oco_shared.contract.events import (
    InscriptionReceived,
    InscriptionRejected,
    InscriptionWithdrawn,
)
from oco_shared.eventstore import EventStore, RecordedEvent
from oco_shared.messaging.relay import wait_or_stop

VIEW = "inscriptions_view"


async def ensure_tables(connection: asyncpg.Connection, schema: str) -> None:
    await connection.execute(
        f'CREATE TABLE IF NOT EXISTS "{schema}".{VIEW} ('
        " position bigint PRIMARY KEY, round_id text NOT NULL, status text NOT NULL,"
        " uitvoerder_code text, provider_id text, provider_name text, inscription_id uuid,"
        " revision int, regions text[] NOT NULL DEFAULT '{}', reasons jsonb NOT NULL DEFAULT '[]',"
        " message_id uuid NOT NULL, received_at timestamptz NOT NULL)"
    )
    await connection.execute(
        f'CREATE TABLE IF NOT EXISTS "{schema}".view_position'
        " (view text PRIMARY KEY, position bigint NOT NULL)"
    )


def row_of(recorded: RecordedEvent) -> tuple[Any, ...] | None:
    event = recorded.event
    if isinstance(event, InscriptionReceived):
        return (
            recorded.position,
            event.round_id,
            "received",
            event.uitvoerder_code,
            event.provider.id,
            event.provider.name,
            event.inscription_id,
            event.revision,
            [r.region_code for r in event.regions],
            "[]",
            event.message_id,
            event.occurred_at,
        )
    if isinstance(event, InscriptionRejected):
        reasons = json.dumps([r.model_dump(mode="json") for r in event.refusals])
        return (
            recorded.position,
            event.round_id,
            "rejected",
            None,
            event.provider_id,
            None,
            event.inscription_id,
            None,
            [],
            reasons,
            event.message_id,
            event.occurred_at,
        )
    if isinstance(event, InscriptionWithdrawn):
        return (
            recorded.position,
            event.round_id,
            "withdrawn",
            None,
            event.provider_id,
            None,
            event.inscription_id,
            None,
            [],
            "[]",
            event.message_id,
            event.occurred_at,
        )
    return None


async def project(store: EventStore, stop: asyncio.Event, *, batch: int = 500) -> None:
    """Keep the view up to date with the notification log until `stop` is set."""
    connection = await asyncpg.connect(store.database_url)
    try:
        await ensure_tables(connection, store.schema)
        position = (
            await connection.fetchval(
                f'SELECT position FROM "{store.schema}".view_position WHERE view = $1', VIEW
            )
            or 0
        )
        while not stop.is_set():
            recorded = await asyncio.to_thread(store.notifications, position, batch)
            if not recorded:
                await wait_or_stop(stop, 0.1)
                continue
            rows = [row for row in map(row_of, recorded) if row is not None]
            async with connection.transaction():
                await connection.executemany(
                    f'INSERT INTO "{store.schema}".{VIEW} VALUES '
                    "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10::jsonb,$11,$12) ON CONFLICT DO NOTHING",
                    rows,
                )
                position = recorded[-1].position
                await connection.execute(
                    f'INSERT INTO "{store.schema}".view_position VALUES ($1, $2)'
                    " ON CONFLICT (view) DO UPDATE SET position = EXCLUDED.position",
                    VIEW,
                    position,
                )
    finally:
        await connection.close()


async def list_inscriptions(
    database_url: str, schema: str, round_id: str, region: str | None
) -> list[dict[str, Any]]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            f'SELECT * FROM "{schema}".{VIEW} WHERE round_id = $1'
            " AND ($2::text IS NULL OR $2 = ANY(regions)) ORDER BY position",
            round_id,
            region,
        )
    finally:
        await connection.close()
    return [dict(row) for row in rows]
