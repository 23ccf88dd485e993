"""The intake read model: inscriptions and rejections with their reasons, for `oco intake list`.

A projection (see `oco_shared.messaging.projector`): its own table in intake's schema,
filled from the stored event documents in the same transaction as its position.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg
from oco_shared.eventstore import LogEntry
from oco_shared.messaging.log import connect

STATUS = {
    "InscriptionReceived": "received",
    "InscriptionRejected": "rejected",
    "InscriptionWithdrawn": "withdrawn",
}


def row_of(entry: LogEntry) -> tuple[Any, ...] | None:
    event = entry.document
    status = STATUS.get(event["type"])
    if status is None:
        return None
    provider = event.get("provider") or {}
    return (
        entry.position,
        event["round_id"],
        status,
        event.get("uitvoerder_code"),
        event.get("provider_id"),
        provider.get("name"),
        event.get("inscription_id"),
        event.get("revision"),
        region_codes(event),
        json.dumps(event.get("refusals", [])),
        event["message_id"],
        event["occurred_at"],
    )


def region_codes(event: dict[str, Any]) -> list[str]:
    """An inscription names its regions as applications, a rejection as plain codes."""
    return [
        region if isinstance(region, str) else region["region_code"]
        for region in event.get("regions", ())
    ]


class InscriptionsView:
    name = "inscriptions_view"

    async def create_tables(self, connection: asyncpg.Connection) -> None:
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS inscriptions_view ("
            " position bigint PRIMARY KEY, round_id text NOT NULL, status text NOT NULL,"
            " uitvoerder_code text, provider_id text, provider_name text, inscription_id uuid,"
            " revision int, regions text[] NOT NULL DEFAULT '{}',"
            " reasons jsonb NOT NULL DEFAULT '[]',"
            " message_id uuid NOT NULL, received_at timestamptz NOT NULL)"
        )

    async def apply(self, connection: asyncpg.Connection, entries: list[LogEntry]) -> None:
        rows = [row for row in map(row_of, entries) if row is not None]
        if rows:
            await connection.executemany(
                "INSERT INTO inscriptions_view VALUES ($1, $2, $3, $4, $5, $6,"
                " $7::text::uuid, $8, $9, $10::text::jsonb, $11::text::uuid,"
                " $12::text::timestamptz) ON CONFLICT DO NOTHING",
                rows,
            )


async def list_inscriptions(
    database_url: str, schema: str, round_id: str, region: str | None
) -> list[dict[str, Any]]:
    connection = await connect(database_url, schema)
    try:
        rows = await connection.fetch(
            "SELECT * FROM inscriptions_view WHERE round_id = $1"
            " AND ($2::text IS NULL OR $2 = ANY(regions)) ORDER BY position",
            round_id,
            region,
        )
    finally:
        await connection.close()
    return [dict(row) for row in rows]
