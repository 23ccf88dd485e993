"""`oco intake list`: inscriptions and rejections of a round, from the read model.

`oco` imports this module to build its parser for every command, so the read model and
the service's plumbing (asyncpg, psycopg, faststream) are imported only when it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any


def _list(args: argparse.Namespace) -> int:
    from oco_shared.addresses import StartupError, resolve_addresses
    from oco_shared.settings import Settings

    from oco_intake.adapters.readmodel import list_inscriptions
    from oco_intake.bootstrap import SERVICE

    settings = Settings()
    try:
        _, database_url = resolve_addresses(settings)
    except StartupError as error:
        print(f"oco: {error}")
        return 2
    rows = asyncio.run(
        list_inscriptions(
            database_url, f"{settings.schema_prefix}{SERVICE}", args.round, args.region
        )
    )
    if args.json:
        print(json.dumps(rows, default=str, indent=2, ensure_ascii=False))
        return 0
    for row in rows:
        print(_line(row))
    print(
        f"{len(rows)} inscription events in round {args.round}"
        + (f", region {args.region}" if args.region else "")
    )
    return 0


def _line(row: dict[str, Any]) -> str:
    who = f"{row['provider_id'] or '?'} {row['provider_name'] or ''}".strip()
    head = f"{row['received_at'].isoformat()}  {row['status']:<9} {who}"
    if row["status"] == "received":
        return f"{head}  {row['uitvoerder_code']} r{row['revision']} [{', '.join(row['regions'])}]"
    reasons = json.loads(row["reasons"]) if isinstance(row["reasons"], str) else row["reasons"]
    return head + "".join(f"\n      {r['code']}: {r['text']} [{r['rule']}]" for r in reasons)


def register(commands: Any) -> None:
    intake = commands.add_parser("intake", help="the intake service's read model")
    sub = intake.add_subparsers(dest="intake_command", required=True)
    listing = sub.add_parser("list", help="received and rejected inscriptions with reasons")
    listing.add_argument("--round", required=True, help="round id, e.g. 2027-2028")
    listing.add_argument("--region", help="only inscriptions naming this region code")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_list)
