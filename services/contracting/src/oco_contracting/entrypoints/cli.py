"""`oco contracts list`: each region's contracts, their terms, ceilings, obligations and spend.

`oco` imports this module to build its parser for every command, so the read model and
the service's plumbing (asyncpg, faststream) are imported only when a command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _regions(args: argparse.Namespace) -> dict[str, Any] | None:
    """Each region's rebuilt contracting state, or None after saying on stderr why not."""
    import asyncio

    import asyncpg
    from oco_shared.addresses import StartupError, redacted, resolve_addresses
    from oco_shared.contract import REGISTRY, Event
    from oco_shared.messaging.region_history import region_histories
    from oco_shared.settings import Settings

    from oco_contracting.bootstrap import SERVICE
    from oco_contracting.domain.model import RegionContracting, region_id

    settings = Settings()
    schema = f"{settings.schema_prefix}{SERVICE}"
    try:
        _, database_url = resolve_addresses(settings)
        histories = asyncio.run(region_histories(database_url, schema, args.round, args.region))
    except StartupError as error:
        print(f"oco: {error}", file=sys.stderr)
        return None
    except asyncpg.UndefinedTableError:
        print(f"oco: no contracting read model in schema {schema}: has it run?", file=sys.stderr)
        return None
    except (OSError, asyncpg.PostgresError) as error:
        print(f"oco: the database at {redacted(database_url)} answers: {error}", file=sys.stderr)
        return None
    regions = {}
    for code, documents in histories.items():
        events = [REGISTRY.parse(document) for document in documents]
        regions[code] = RegionContracting.replay(
            region_id(args.round, code), [e for e in events if isinstance(e, Event)]
        )
    return regions


def _list(args: argparse.Namespace) -> int:
    from oco_shared.rounds import UnknownRound, load_round

    from oco_contracting.domain.views import contracts

    try:
        load_round(args.round)
    except UnknownRound as unknown:
        print(f"oco: {unknown}", file=sys.stderr)
        return 2
    regions = _regions(args)
    if regions is None:
        return 2
    listed = {code: contracts(region) for code, region in sorted(regions.items())}
    if args.json:
        print(json.dumps({"round": args.round, "regions": listed}, indent=2, ensure_ascii=False))
        return 0
    if not any(listed.values()):
        print(f"no contracts in {args.round}" + (f" {args.region}" if args.region else ""))
        return 0
    for code, shown in listed.items():
        for contract in shown:
            term = f"{contract['starts_on']} to {contract['ends_on']}"
            if contract["extendable_until"]:
                term += f" (extendable to {contract['extendable_until']})"
            members = contract["consortium_members"]
            liable = f", jointly liable with {', '.join(members)}" if members else ""
            print(
                f"{code} {contract['provider_id']} {contract['name']}: {term}, "
                f"EUR {contract['hourly_tariff']}/h{liable}"
            )
            for year in contract["years"]:
                threat = ", overrun threatened" if year["overrun_threatened"] else ""
                print(
                    f"  {year['year']}: ceiling {year['ceiling']} ({year['ceiling_kind']}), "
                    f"paid {year['paid']}, left {year['left']}{threat}"
                )
            for obligation in contract["obligations"]:
                print(f"  {obligation['kind']}: due {obligation['due_at']}, {obligation['state']}")
    return 0


def register(commands: Any) -> None:
    contracts = commands.add_parser("contracts", help="the contracting service's read model")
    sub = contracts.add_subparsers(dest="contracts_command", required=True)
    listing = sub.add_parser(
        "list", help="contracts: terms, ceilings, obligations with due dates, spend"
    )
    listing.add_argument("--round", required=True, help="round id, e.g. 2027-2028")
    listing.add_argument("--region", help="region code, e.g. amsterdam")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_list)
