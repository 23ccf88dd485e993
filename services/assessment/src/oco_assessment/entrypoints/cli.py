"""`oco assessment show|pending`: a region's parties, and what still blocks each region.

`oco` imports this module to build its parser for every command, so the read model and
the service's plumbing (asyncpg, faststream) are imported only when a command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _histories(args: argparse.Namespace, region: str | None) -> dict[str, Any] | None:
    """Each region's rebuilt assessment, or None after saying on stderr why not."""
    from oco_shared.messaging.region_history import rebuilt_regions

    from oco_assessment.bootstrap import SERVICE
    from oco_assessment.domain.model import RegionAssessment, region_id

    return rebuilt_regions(
        SERVICE,
        args.round,
        region,
        lambda code, events: RegionAssessment.replay(region_id(args.round, code), events),
    )


def _show(args: argparse.Namespace) -> int:
    from oco_shared.messaging.region_history import round_or_say_why

    from oco_assessment.domain.views import blockers, parties

    round_ = round_or_say_why(args.round)
    if round_ is None:
        return 2
    regions = _histories(args, args.region)
    if regions is None:
        return 2
    region = regions.get(args.region)
    if region is None:
        print(f"oco: nothing recorded for region {args.region} in {args.round}", file=sys.stderr)
        return 2
    shown = {
        "round": args.round,
        "region": args.region,
        "places": region.places.places if region.places else None,
        "edition": region.edition,
        "parties": parties(region),
        "blocked_by": blockers(round_, region),
    }
    if args.json:
        print(json.dumps(shown, indent=2, ensure_ascii=False))
        return 0
    print(
        f"{args.round} {args.region}: places {shown['places'] or 'not fixed'}, "
        f"published edition {region.edition or 'none'}"
    )
    print(f"{'provider':<9} {'suitable':<8} {'rank':>4}  {'outcome':<8} reason / conditions")
    for party in shown["parties"]:
        suitable = {None: "-", True: "yes", False: "no"}[party["suitable"]]
        detail = party["reason"] or ""
        if party["failed_requirements"]:
            detail += f" failed {', '.join(party['failed_requirements'])}"
        for condition in party["conditions"]:
            detail += f" [{condition['code']}: {condition['what']} by {condition['due_on']}]"
        print(
            f"{party['provider_id']:<9} {suitable:<8} {party['rank'] or '':>4}  "
            f"{party['outcome'] or '-':<8} {detail.strip()}"
        )
    for blocker in shown["blocked_by"]:
        print(f"blocked: {blocker}")
    return 0


def _pending(args: argparse.Namespace) -> int:
    from oco_shared.messaging.region_history import round_or_say_why

    from oco_assessment.domain.views import blockers

    round_ = round_or_say_why(args.round)
    if round_ is None:
        return 2
    regions = _histories(args, None)
    if regions is None:
        return 2
    pending = {code: blockers(round_, region) for code, region in sorted(regions.items())}
    if args.json:
        print(json.dumps(pending, indent=2, ensure_ascii=False))
        return 0
    for code, found in pending.items():
        state = "published" if regions[code].closed_for_assessment else "ready to publish"
        print(f"{code}: {'; '.join(found) if found else state}")
    return 0


def register(commands: Any) -> None:
    assessment = commands.add_parser("assessment", help="the assessment service's read model")
    sub = assessment.add_subparsers(dest="assessment_command", required=True)
    show = sub.add_parser("show", help="a region's parties: verdicts, scores, rank, outcome")
    show.add_argument("--round", required=True, help="round id, e.g. 2027-2028")
    show.add_argument("--region", required=True, help="region code, e.g. amsterdam")
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=_show)
    pending = sub.add_parser("pending", help="what still blocks each region's publication")
    pending.add_argument("--round", required=True, help="round id, e.g. 2027-2028")
    pending.add_argument("--json", action="store_true")
    pending.set_defaults(run=_pending)
