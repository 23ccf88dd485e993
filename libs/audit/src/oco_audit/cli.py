"""`oco audit ...` (entry-point group `oco.commands`).

Imports only argparse at module level, so that `oco --help` stays fast; each command
loads what it needs when it runs.

The auditor reads as its own read-only parties: `OCO_DATABASE_URL` names the auditor's
PostgreSQL role (`oco roles`), and the broker is reached as the `auditor` user
(`OCO_NATS_URL` with `OCO_NATS_USER`/`OCO_NATS_PASSWORD`, or the embedded stack's).
Exit codes: 0 nothing found, 1 findings, 2 could not read the logs.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _verify(args: argparse.Namespace) -> int:
    import asyncio
    import json

    from oco_audit.verify import by_place

    try:
        report = asyncio.run(_verify_logs(args))
    except _Unreadable as error:
        print(f"oco: {error}", file=sys.stderr)
        return 2
    findings = list(by_place(report.findings))
    if args.json:
        print(
            json.dumps(
                {
                    "services": [vars(summary) for summary in report.services],
                    "findings": [finding.as_json() for finding in findings],
                },
                indent=2,
            )
        )
    else:
        for finding in findings:
            print(finding.line())
        for summary in report.services:
            if not summary.has_log:
                print(f"{summary.service}: no log")
                continue
            streamed = "" if args.no_stream else f", {summary.streamed} on the stream"
            pending = f", {summary.unpublished} not yet published" if summary.unpublished else ""
            print(
                f"{summary.service}: {summary.events} events, chain head {summary.head}"
                f"{streamed}{pending}"
            )
        print(f"{len(findings)} finding{'s' if len(findings) != 1 else ''}")
    return 1 if findings else 0


class _Unreadable(Exception):
    """The logs could not be read: one line naming the address, without its password."""


async def _verify_logs(args: argparse.Namespace) -> Any:
    import asyncpg
    from nats.errors import Error as NatsError
    from oco_shared.addresses import StartupError, redacted, resolve_addresses
    from oco_shared.authority import AUDITOR
    from oco_shared.commands.broker import connect_as
    from oco_shared.messaging.topology import SERVICES, Topology
    from oco_shared.settings import Settings

    from oco_audit.log import LogDecoder
    from oco_audit.verify import StreamUnreadable, verify

    settings = Settings()
    try:
        _, database_url = resolve_addresses(settings)
        broker = None if args.no_stream else await connect_as(settings, AUDITOR)
    except StartupError as error:
        raise _Unreadable(str(error)) from None
    try:
        return await verify(
            database_url,
            broker,
            Topology(settings.subject_prefix),
            settings.schema_prefix,
            SERVICES,
            LogDecoder(cipher_key=settings.cipher_key),
            args.round,
        )
    except (OSError, asyncpg.PostgresError) as error:
        raise _Unreadable(f"the database at {redacted(database_url)} answers: {error}") from None
    except (NatsError, TimeoutError) as error:
        raise _Unreadable(f"the broker answers: {error!r}") from None
    except StreamUnreadable as error:
        raise _Unreadable(str(error)) from None
    finally:
        if broker is not None:
            await broker.close()


def _replay(args: argparse.Namespace) -> int:
    import asyncio
    import json

    import asyncpg
    from oco_shared.addresses import StartupError, redacted, resolve_addresses
    from oco_shared.messaging.topology import SERVICES
    from oco_shared.rounds import UnknownRound, load_round
    from oco_shared.settings import Settings

    from oco_audit.log import LogDecoder
    from oco_audit.replay import replay

    try:
        load_round(args.round)
    except UnknownRound as unknown:
        print(f"oco: {unknown}", file=sys.stderr)
        return 2
    settings = Settings()
    try:
        _, database_url = resolve_addresses(settings)
        state = asyncio.run(
            replay(
                database_url,
                settings.schema_prefix,
                SERVICES,
                LogDecoder(cipher_key=settings.cipher_key),
                args.round,
                args.as_of,
            )
        )
    except StartupError as error:
        print(f"oco: {error}", file=sys.stderr)
        return 2
    except (OSError, asyncpg.PostgresError) as error:
        print(f"oco: the database at {redacted(database_url)} answers: {error}", file=sys.stderr)
        return 2
    shown = state.as_json(args.as_of)
    if args.json:
        print(json.dumps(shown, indent=2, ensure_ascii=False))
        return 0
    print(_replay_text(shown))
    return 0


def _replay_text(shown: dict[str, Any]) -> str:
    rehearsal = f" (rehearsal {', '.join(shown['rehearsal'])})" if shown["rehearsal"] else ""
    lines = [f"round {shown['round']} as of {shown['as_of']}: {shown['events']} events{rehearsal}"]
    for code, region in shown["regions"].items():
        selection = region["selection"]
        published = (
            f", edition {selection['edition']} published {selection['published_at']}"
            if selection
            else ""
        )
        lines.append(f"{code}: places {region['places'] or 'not fixed'}{published}")
        for row in region["inscriptions"]:
            reasons = f" {', '.join(row['reasons'])}" if row["reasons"] else ""
            lines.append(f"  {row['at']}  {row['status']:<9} {row['provider_id']}{reasons}")
        for party in region["parties"]:
            outcome = f" {party['outcome']} (rank {party['rank']})" if party["outcome"] else ""
            lines.append(f"  party {party['provider_id']} suitable {party['suitable']}{outcome}")
        for window in region["windows"]:
            lines.append(
                f"  window {window['provider_id']} edition {window['edition']}: {window['state']}"
                f" until {window['closes_at']}"
            )
        for objection in region["objections"]:
            answer = objection["answer"]["decision"] if objection["answer"] else "unanswered"
            lines.append(
                f"  objection {objection['provider_id']} {objection['filed_at']}: {answer}"
            )
        for kort_geding in region["kort_gedingen"]:
            lines.append(f"  kort geding {kort_geding['provider_id']} {kort_geding['status']}")
        for contract in region["contracts"]:
            lines.append(
                f"  contract {contract['provider_id']} ceiling {contract['budget_ceiling']}"
            )
    return "\n".join(lines)


def _timeline(args: argparse.Namespace) -> int:
    from oco_audit.commands import timeline

    return timeline(args)


def _export(args: argparse.Namespace) -> int:
    from oco_audit.commands import export

    return export(args)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = commands.add_parser("audit", help="verify, replay, draw and export the log")
    sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = sub.add_parser(
        "verify",
        help="each service's hash chain, its stream copy, and every rule-based decision",
        description="Reads every service's log from PostgreSQL and from JetStream as the "
        "auditor; prints each finding (service, copy, chain position, event id, what is "
        "wrong). Exit 0: nothing found; 1: findings; 2: the logs could not be read.",
    )
    verify.add_argument("--round", help="re-evaluate the decisions of this round only")
    verify.add_argument("--json", action="store_true", help="the summary and findings as JSON")
    verify.add_argument(
        "--no-stream", action="store_true", help="the stored logs only, not the broker's copy"
    )
    verify.set_defaults(run=_verify)
    replay = sub.add_parser(
        "replay",
        help="the round's state at an instant of procedure time, from the events alone",
        description="Per region: inscriptions, verdicts, ranking and lots, outcomes, "
        "windows open or closed, objections and answers, kort gedingen, contracts and "
        "ceilings. Without --as-of, as of the last event.",
    )
    replay.add_argument("--round", required=True)
    replay.add_argument(
        "--as-of",
        type=_instant,
        help="procedure time, ISO; without an offset Europe/Amsterdam time",
    )
    replay.add_argument("--json", action="store_true")
    replay.set_defaults(run=_replay)

    timeline = sub.add_parser(
        "timeline",
        help="draw the round: milestones, publications, windows, filings, answers, "
        "kort gedingen, contracts; late events in red",
    )
    timeline.add_argument("--round", required=True, help="round id, e.g. 2027-2028")
    timeline.add_argument("--region", help="one region, with a lane per party")
    timeline.add_argument(
        "--out", required=True, help="FILE.svg, FILE.html (self-contained) or FILE.png"
    )
    timeline.set_defaults(run=_timeline)

    export = sub.add_parser(
        "export", help="the round as an OCDS 1.1 release package, or every event as CSV"
    )
    export.add_argument("--round", required=True, help="round id, e.g. 2027-2028")
    export.add_argument("--format", required=True, choices=("ocds", "csv"))
    export.add_argument("--out", help="file to write (default: standard output)")
    export.add_argument(
        "--ocid-prefix",
        help="the publisher's registered OCDS prefix (default: an unregistered placeholder)",
    )
    export.add_argument(
        "--extension-url",
        help="where the complaints extension's extension.json is published",
    )
    export.set_defaults(run=_export)


def _instant(text: str) -> Any:
    from oco_shared.commands import instant

    return instant(text)
