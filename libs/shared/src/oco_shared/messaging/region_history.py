"""A read model any service can keep: each region's events in log order.

A projection (see `oco_shared.messaging.projector`): one table, `region_events`, in the
service's own schema, holding every event that names a region, filled in the same
transaction as its position. A service's query side rebuilds its region aggregates from
it with the domain's own rules, so what a command shows follows the decisions.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import asyncpg

from oco_shared.addresses import StartupError, redacted, resolve_addresses
from oco_shared.contract import REGISTRY, Event
from oco_shared.eventstore import LogEntry
from oco_shared.messaging.log import connect
from oco_shared.rounds import Round, UnknownRound, load_round
from oco_shared.settings import Settings

Region = TypeVar("Region")


def row_of(entry: LogEntry) -> tuple[Any, ...] | None:
    event = entry.document
    if event.get("region_code") is None:
        return None
    return (entry.position, event["round_id"], event["region_code"], json.dumps(event))


class RegionHistoryView:
    def __init__(self, name: str) -> None:
        self.name = name

    async def create_tables(self, connection: asyncpg.Connection) -> None:
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS region_events ("
            " position bigint PRIMARY KEY, round_id text NOT NULL, region_code text NOT NULL,"
            " document jsonb NOT NULL)"
        )
        await connection.execute(
            "CREATE INDEX IF NOT EXISTS region_events_region"
            " ON region_events (round_id, region_code, position)"
        )

    async def apply(self, connection: asyncpg.Connection, entries: list[LogEntry]) -> None:
        rows = [row for row in map(row_of, entries) if row is not None]
        if rows:
            await connection.executemany(
                "INSERT INTO region_events VALUES ($1, $2, $3, $4::text::jsonb)"
                " ON CONFLICT DO NOTHING",
                rows,
            )


async def region_histories(
    database_url: str, schema: str, round_id: str, region: str | None
) -> dict[str, list[dict[str, Any]]]:
    """Each region's event documents in log order (one region, or every one of the round)."""
    connection = await connect(database_url, schema)
    try:
        rows = await connection.fetch(
            "SELECT region_code, document::text AS document FROM region_events"
            " WHERE round_id = $1 AND ($2::text IS NULL OR region_code = $2)"
            " ORDER BY region_code, position",
            round_id,
            region,
        )
    finally:
        await connection.close()
    histories: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        histories.setdefault(row["region_code"], []).append(json.loads(row["document"]))
    return histories


def round_or_say_why(round_id: str) -> Round | None:
    """For a service's `oco` command: the round, or None after saying on stderr why not."""
    try:
        return load_round(round_id)
    except UnknownRound as unknown:
        print(f"oco: {unknown}", file=sys.stderr)
        return None


def rebuilt_regions(
    service: str,
    round_id: str,
    region: str | None,
    replay: Callable[[str, list[Any]], Region],
) -> dict[str, Region] | None:
    """For a service's `oco` command: each region's aggregate, rebuilt by `replay` (region
    code, events) from the service's region history in its own schema, or None after
    saying on stderr why not (no database, or the service has not run yet)."""
    settings = Settings()
    schema = f"{settings.schema_prefix}{service}"
    try:
        _, database_url = resolve_addresses(settings)
        histories = asyncio.run(region_histories(database_url, schema, round_id, region))
    except StartupError as error:
        print(f"oco: {error}", file=sys.stderr)
        return None
    except asyncpg.UndefinedTableError:
        print(f"oco: no {service} read model in schema {schema}: has it run?", file=sys.stderr)
        return None
    except (OSError, asyncpg.PostgresError) as error:
        print(f"oco: the database at {redacted(database_url)} answers: {error}", file=sys.stderr)
        return None
    regions = {}
    for code, documents in histories.items():
        events = [REGISTRY.parse(document) for document in documents]
        regions[code] = replay(code, [event for event in events if isinstance(event, Event)])
    return regions
