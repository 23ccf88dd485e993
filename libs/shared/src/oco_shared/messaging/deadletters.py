"""Reading a service's dead letters from PostgreSQL, where their whole payloads are kept."""

from __future__ import annotations

from typing import Any

from oco_shared.messaging.consumer import close_quietly
from oco_shared.messaging.log import connect

LATEST = (
    "SELECT * FROM (SELECT upstream_stream, upstream_position, consumer, subject, reason,"
    " error, attempts, received_at, recorded_at, published, length(payload) AS payload_bytes"
    " FROM dead_letters ORDER BY recorded_at DESC, upstream_stream, upstream_position DESC"
    " LIMIT $1) latest ORDER BY recorded_at, upstream_stream, upstream_position"
)


async def list_dead_letters(database_url: str, schema: str, limit: int) -> list[dict[str, Any]]:
    """The latest `limit` dead letters, oldest first, without their payloads."""
    connection = await connect(database_url, schema)
    try:
        rows = await connection.fetch(LATEST, limit)
    finally:
        await close_quietly(connection)
    return [dict(row) for row in rows]


async def dead_letter(
    database_url: str, schema: str, stream: str, position: int
) -> dict[str, Any] | None:
    """One dead letter with its headers and whole payload, or None."""
    connection = await connect(database_url, schema)
    try:
        row = await connection.fetchrow(
            "SELECT *, length(payload) AS payload_bytes FROM dead_letters"
            " WHERE upstream_stream = $1 AND upstream_position = $2",
            stream,
            position,
        )
    finally:
        await close_quietly(connection)
    return dict(row) if row else None
