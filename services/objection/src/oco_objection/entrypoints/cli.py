"""`oco objection list`: each objection's state and every deadline that applies to it.

`oco` imports this module to build its parser for every command, so the read model and
the service's plumbing (asyncpg) are imported only when a command runs.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def _listed(args: argparse.Namespace) -> list[dict[str, Any]] | None:
    """The round's objections (of one region, or all), or None after saying why not."""
    from oco_shared.messaging.region_history import rebuilt_regions, round_or_say_why

    from oco_objection.bootstrap import SERVICE
    from oco_objection.domain.model import RegionObjections, region_id
    from oco_objection.domain.views import objections

    round_ = round_or_say_why(args.round)
    if round_ is None:
        return None
    regions = rebuilt_regions(
        SERVICE,
        args.round,
        args.region,
        lambda code, events: RegionObjections.replay(region_id(args.round, code), events),
    )
    if regions is None:
        return None
    listed = []
    for code, region in sorted(regions.items()):
        listed += objections(round_, code, region)
    return listed


def _list(args: argparse.Namespace) -> int:
    listed = _listed(args)
    if listed is None:
        return 2
    if args.json:
        print(json.dumps(listed, indent=2, ensure_ascii=False))
        return 0
    if not listed:
        print(f"no objections in {args.round}{f' {args.region}' if args.region else ''}")
    for objection in listed:
        print(
            f"{objection['region']} {objection['provider_id']} {objection['objection_id']}: "
            f"{objection['state']} (filed {objection['filed_at']}, edition {objection['edition']})"
        )
        for term in objection["deadlines"]:
            print(
                f"  {term['code']}: in time until {term['last_second_in_time']}"
                f"  [{term['rule']}; {term['source']}]"
            )
        for kort_geding in objection["kort_gedingen"]:
            print(
                f"  kort geding {kort_geding['case_number']} at {kort_geding['court']}, "
                f"summoned {kort_geding['summoned_on']}"
                f"{', suspends the procedure' if kort_geding['suspends_procedure'] else ''}"
            )
    return 0


def register(commands: Any) -> None:
    objection = commands.add_parser("objection", help="the objection service's read model")
    sub = objection.add_subparsers(dest="objection_command", required=True)
    listing = sub.add_parser(
        "list", help="each objection's state and every deadline that applies, with its rule"
    )
    listing.add_argument("--round", required=True, help="round id, e.g. 2027-2028")
    listing.add_argument("--region", help="region code, e.g. amsterdam (default: every region)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_list)
