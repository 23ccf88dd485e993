"""`oco intake list`: inscriptions and rejections of a round, from the read model.

`oco` imports this module to build its parser for every command, so the read model and
the service's plumbing (asyncpg, psycopg, faststream) are imported only when it runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any


def _list(args: argparse.Namespace) -> int:
    import asyncio

    import asyncpg
    from oco_shared.addresses import StartupError, redacted, resolve_addresses
    from oco_shared.settings import Settings

    from oco_intake.adapters.readmodel import list_inscriptions
    from oco_intake.bootstrap import SERVICE

    settings = Settings()
    schema = f"{settings.schema_prefix}{SERVICE}"
    try:
        _, database_url = resolve_addresses(settings)
        rows = asyncio.run(list_inscriptions(database_url, schema, args.round, args.region))
    except StartupError as error:
        print(f"oco: {error}", file=sys.stderr)
        return 2
    except asyncpg.UndefinedTableError:
        print(f"oco: no intake read model in schema {schema}: has intake run?", file=sys.stderr)
        return 2
    except (OSError, asyncpg.PostgresError) as error:
        print(f"oco: the database at {redacted(database_url)} answers: {error}", file=sys.stderr)
        return 2
    for row in rows:
        row["reasons"] = json.loads(row["reasons"])  # jsonb arrives as its text
        # The table reads to the second; JSON keeps the broker's full precision.
        row["received_at"] = _shown(
            row["received_at"], args.utc, "auto" if args.json else "seconds"
        )
    if args.json:
        print(json.dumps(rows, default=str, indent=2, ensure_ascii=False))
        return 0
    print(f"{'received at':<25}  {'status':<9} provider")
    for row in rows:
        print(_line(row))
    print(
        f"{len(rows)} inscription events in round {args.round}"
        + (f", region {args.region}" if args.region else "")
    )
    return 0


def _shown(moment: datetime, utc: bool, timespec: str) -> str:
    """Europe/Amsterdam wall-clock time, as the procedure counts; UTC on request."""
    from oco_shared.rounds import AMSTERDAM

    return moment.astimezone(UTC if utc else AMSTERDAM).isoformat(timespec=timespec)


def _line(row: dict[str, Any]) -> str:
    who = f"{row['provider_id'] or '?'} {row['provider_name'] or ''}".strip()
    head = f"{row['received_at']:<25}  {row['status']:<9} {who}"
    regions = f"[{', '.join(row['regions'])}]"
    if row["status"] == "received":
        return f"{head}  {row['uitvoerder_code']} r{row['revision']} {regions}"
    if row["regions"]:
        head += f"  {regions}"
    return head + "".join(f"\n      {r['code']}: {r['text']} [{r['rule']}]" for r in row["reasons"])


def register(commands: Any) -> None:
    intake = commands.add_parser("intake", help="the intake service's read model")
    sub = intake.add_subparsers(dest="intake_command", required=True)
    listing = sub.add_parser("list", help="received and rejected inscriptions with reasons")
    listing.add_argument("--round", required=True, help="round id, e.g. 2027-2028")
    listing.add_argument(
        "--region", help="only inscriptions and rejections naming this region code"
    )
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--utc", action="store_true", help="times in UTC, not Amsterdam time")
    listing.set_defaults(run=_list)
