"""`oco portal send FILE|--example TYPE [--round R]`: publish as a portal would, and wait
for the outcome.

The subject follows from the message type and the services installed here (their
subject tables): a provider's message goes to `<prefix>.portal.<kind>` as the `portal`
user, a zorgkantoor's act to `<prefix>.office.<uitvoerder>.<act>` as that office's
user. The header `Nats-Msg-Id` is the message id. The command listens to the services'
events and dead letters before it publishes, and prints the outcome: the event caused
by the message, or the dead letter that set it aside.

Exit codes: 0 the message was accepted; 1 it was refused (a `...Rejected` event) or
dead-lettered; 2 it could not be sent; 3 no outcome arrived in time.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACCEPTED, REFUSED, NOT_SENT, NO_OUTCOME = 0, 1, 2, 3


@dataclass(frozen=True)
class Destination:
    """Where a message type is received: a portal subject, or an office act."""

    service: str
    source: str  # "portal" or "office"
    kind: str


def destinations() -> dict[str, list[Destination]]:
    """Message type -> where the installed services receive it (their subject tables)."""
    from importlib import import_module
    from importlib.metadata import entry_points

    found: dict[str, list[Destination]] = {}
    for entry in entry_points(group="oco.services"):
        definition = import_module(f"{entry.value}.bootstrap").DEFINITION
        for subscription in definition.subscriptions:
            upstream = subscription.upstream
            if upstream.source not in ("portal", "office"):
                continue
            for model in subscription.route.accepts:
                found.setdefault(model.TYPE, []).append(
                    Destination(definition.service, upstream.source, upstream.subject)
                )
    return found


def choose(message: dict[str, Any], found: dict[str, list[Destination]]) -> Destination | None:
    """A zorgkantoor's act goes to its office subject, anything else to the portal's."""
    options = found.get(str(message.get("type")), [])
    actor = message.get("actor")
    by_office = isinstance(actor, dict) and actor.get("kind") == "zorgkantoor"
    preferred = [d for d in options if (d.source == "office") == by_office]
    return next(iter(preferred or options), None)


def _load(args: argparse.Namespace) -> dict[str, Any] | str:
    """The message to send, or why there is none."""
    from oco_shared.contract.examples import NoExample, message_example

    if args.example:
        try:
            message = message_example(args.example, args.round)
        except NoExample as missing:
            return str(missing)
        from datetime import UTC, datetime

        return {**message, "sent_at": datetime.now(UTC).isoformat()}
    try:
        text = sys.stdin.read() if str(args.file) == "-" else args.file.read_text()
        loaded = json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return f"{args.file}: {error}"
    if not isinstance(loaded, dict) or not isinstance(loaded.get("message_id"), str):
        return f"{args.file}: not a message (a JSON object with a message_id)"
    return loaded


def _matches(document: dict[str, Any], message_id: str) -> bool:
    if document.get("causation_id") == message_id or document.get("message_id") == message_id:
        return True
    headers = document.get("headers")
    return isinstance(headers, dict) and headers.get("Nats-Msg-Id") == message_id


async def _send(args: argparse.Namespace, message: dict[str, Any], where: Destination) -> int:
    import asyncio

    from nats.errors import Error as NatsError

    from oco_shared.authority import PORTAL, office_user
    from oco_shared.commands.broker import connect_as
    from oco_shared.messaging.topology import Topology
    from oco_shared.settings import Settings

    settings = Settings()
    topology = Topology(settings.subject_prefix)
    office = str(args.office or (message.get("actor") or {}).get("id"))
    if where.source == "office":
        subject, user = topology.office_subject(office, where.kind), office_user(office)
        stream = topology.office_stream
    else:
        subject, user, stream = topology.portal_subject(where.kind), PORTAL, topology.portal_stream
    message_id = str(message["message_id"])
    client = await connect_as(settings, user)
    outcomes: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

    async def heard(msg: Any) -> None:
        try:
            document = json.loads(msg.data)
        except ValueError:
            return
        if isinstance(document, dict) and _matches(document, message_id):
            await outcomes.put((msg.subject, document))

    try:
        # Listening first: the outcome can never pass before the command hears it.
        await client.subscribe(topology.service_subjects(where.service), cb=heard)
        await client.subscribe(topology.deadletter_subject(where.service), cb=heard)
        await client.flush()
        try:
            ack = await client.jetstream().publish(
                subject,
                json.dumps(message, ensure_ascii=False).encode(),
                stream=stream,
                headers={"Nats-Msg-Id": message_id},
                timeout=settings.connect_timeout_seconds,
            )
        except (TimeoutError, NatsError) as error:
            print(
                f"oco: {stream} did not store the message on {subject} ({error!r}): is the "
                "stream provisioned, and may this user publish there?",
                file=sys.stderr,
            )
            return NOT_SENT
        print(
            f"sent {message.get('type')} {message_id} on {subject} ({ack.stream} #{ack.seq})",
            file=sys.stderr if args.json else sys.stdout,
        )
        try:
            where_heard, outcome = await asyncio.wait_for(outcomes.get(), args.timeout)
        except TimeoutError:
            print(
                f"oco: no outcome within {args.timeout:g} s: is {where.service} running? "
                f"(`oco deadletters list --service {where.service}`)",
                file=sys.stderr,
            )
            return NO_OUTCOME
    finally:
        await client.close()
    return _report(where_heard, outcome, topology.deadletter_subject(where.service), args.json)


def _amsterdam(moment: object) -> str:
    """Europe/Amsterdam wall-clock time, as the procedure counts."""
    from datetime import datetime

    from oco_shared.rounds import AMSTERDAM

    try:
        return datetime.fromisoformat(str(moment)).astimezone(AMSTERDAM).isoformat()
    except ValueError:
        return str(moment)


def _report(subject: str, outcome: dict[str, Any], deadletters: str, as_json: bool) -> int:
    dead = subject == deadletters
    refused = dead or str(outcome.get("type", "")).endswith("Rejected")
    if as_json:
        print(json.dumps(outcome, indent=2, ensure_ascii=False))
        return REFUSED if refused else ACCEPTED
    if dead:
        print(f"dead letter ({outcome.get('reason')}): {outcome.get('error')}")
    else:
        rehearsal = outcome.get("rehearsal")
        print(
            f"{outcome.get('type')} at procedure time {_amsterdam(outcome.get('occurred_at'))}"
            f" (broker {_amsterdam(outcome.get('broker_time'))}"
            + (f", rehearsal {rehearsal['rehearsal_id']}" if rehearsal else "")
            + ")"
        )
        for refusal in outcome.get("refusals", ()):
            print(f"  {refusal['code']}: {refusal['text']} [{refusal['rule']}]")
    print(json.dumps(outcome, indent=2, ensure_ascii=False))
    return REFUSED if refused else ACCEPTED


def _cmd_send(args: argparse.Namespace) -> int:
    import asyncio

    from oco_shared.addresses import StartupError

    message = _load(args)
    if isinstance(message, str):
        print(f"oco: {message}", file=sys.stderr)
        return NOT_SENT
    where = choose(message, destinations())
    if where is None:
        print(
            f"oco: no installed service receives a message of type {message.get('type')!r}",
            file=sys.stderr,
        )
        return NOT_SENT
    try:
        return asyncio.run(_send(args, message, where))
    except StartupError as error:
        print(f"oco: {error}", file=sys.stderr)
        return NOT_SENT


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    portal = commands.add_parser("portal", help="act as a portal: send a message, see its outcome")
    actions = portal.add_subparsers(dest="portal_command", required=True)
    send = actions.add_parser(
        "send", help="publish a message on its subject and print the outcome event"
    )
    what = send.add_mutually_exclusive_group(required=True)
    what.add_argument("file", nargs="?", type=Path, help="a JSON message, or - for stdin")
    what.add_argument("--example", metavar="TYPE", help="the contract's example of TYPE")
    send.add_argument(
        "--round", default="2027-2028", help="the round of the example (default 2027-2028)"
    )
    send.add_argument(
        "--office", help="the uitvoerder of a zorgkantoor's act (default: its actor id)"
    )
    send.add_argument("--timeout", type=float, default=30.0, help="seconds to wait (default 30)")
    send.add_argument("--json", action="store_true", help="print only the outcome, as JSON")
    send.set_defaults(run=_cmd_send)
