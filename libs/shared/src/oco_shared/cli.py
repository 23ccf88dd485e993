"""The `oco` command: calendars, the contract, and (from the services) operations.

Services add their own sub-commands through the `oco.commands` entry-point group, so this
kernel never imports a service. Every command's parser is built on each call, so building
it imports no plumbing (the NATS client, the databases' drivers): a command imports what
it needs when it runs, and `oco --help` or `oco calendar` start quickly.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oco_shared.commands import instant
from oco_shared.messaging.topology import SERVICES

if TYPE_CHECKING:
    from oco_shared.deadlines import Deadline
    from oco_shared.rounds import Round

# The rounds and the deadline engine (pydantic, YAML: some 0.3 s) are imported by the
# commands that use them, so that `oco --help` and the service commands never load them.


def _calendar(
    round_: Round, published: datetime | None, answered: datetime | None
) -> dict[str, Any]:
    from oco_shared.deadlines import deadline_for
    from oco_shared.rounds import DeadlineCode

    milestones = [
        {
            "code": code.value,
            "title": milestone.title,
            "date": milestone.date.isoformat(),
            "time": milestone.time.strftime("%H:%M") if milestone.time else None,
            "precision": milestone.precision,
            "source": milestone.source.cite(),
        }
        for code, milestone in sorted(
            round_.milestones.items(), key=lambda item: item[1].starts_at()
        )
    ]
    deadlines: dict[str, Deadline] = {
        "objection": deadline_for(round_, DeadlineCode.OBJECTION, published),
        "kort_geding": deadline_for(
            round_, DeadlineCode.KORT_GEDING, _kort_geding_start(round_, published, answered)
        ),
    }
    for code, rule in round_.deadlines.items():  # every deadline the timetable fixes
        if rule.milestone is not None:
            deadlines[code.value] = deadline_for(round_, code)
    deadlines = dict(sorted(deadlines.items(), key=lambda item: item[1].closes_at))
    return {
        "round": round_.id,
        "title": round_.title,
        "rule_set_version": round_.rule_set_version,
        "timezone": "Europe/Amsterdam",
        "milestones": milestones,
        "deadlines": {name: deadline.as_json() for name, deadline in deadlines.items()},
    }


def _kort_geding_start(
    round_: Round, published: datetime | None, answered: datetime | None
) -> datetime | None:
    from oco_shared.rounds import DeadlineCode, Trigger

    # 2018-2020 counts the kort geding term from the outcome, later rounds from the answer.
    trigger = round_.deadlines[DeadlineCode.KORT_GEDING].counts_from
    return published if trigger is Trigger.OUTCOME_PUBLISHED else answered


def _print_calendar(calendar: dict[str, Any]) -> None:
    print(f"{calendar['title']} (round {calendar['round']}, rules {calendar['rule_set_version']})")
    print("All times Europe/Amsterdam.\n\nTimetable")
    for milestone in calendar["milestones"]:
        when = milestone["date"][:7] if milestone["precision"] == "month" else milestone["date"]
        if milestone["time"]:
            when += f" {milestone['time']}"
        print(f"  {when:<17} {milestone['title']}  [{milestone['source']}]")
    print("\nDeadlines")
    for name, deadline in calendar["deadlines"].items():
        print(
            f"  {name}: in time until {deadline['last_second_in_time']} inclusive;"
            f" out of time from {deadline['closes_at']}"
        )
        print(f"    rule: {deadline['rule']}")
        print(f"    source: {deadline['source']}")


def _cmd_calendar(args: argparse.Namespace) -> int:
    from oco_shared.rounds import AMSTERDAM, MilestoneCode, load_round

    round_ = load_round(args.round)
    if args.published and args.answered and args.answered < args.published:
        print(
            f"oco: the answer ({args.answered.isoformat()}) lies before the publication "
            f"({args.published.isoformat()}) it answers",
            file=sys.stderr,
        )
        return 2
    # The round runs from its publication to the end of its contracts.
    first = round_.milestones[MilestoneCode.PUBLICATION].date
    last = round_.contract.ends
    for name, moment in (("--published", args.published), ("--answered", args.answered)):
        if moment is not None and not first <= moment.astimezone(AMSTERDAM).date() <= last:
            print(
                f"oco: warning: {name} {moment.isoformat()} lies outside round {round_.id} "
                f"({first.isoformat()} to {last.isoformat()})",
                file=sys.stderr,
            )
    calendar = _calendar(round_, args.published, args.answered)
    if args.json:
        json.dump(calendar, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        _print_calendar(calendar)
    return 0


def _cmd_rounds(args: argparse.Namespace) -> int:
    if args.clock:
        from oco_shared.commands.rehearse import procedure_now

        now = procedure_now()
        if now is None:
            return 2
    else:
        from oco_shared.clock import SystemClock

        now = SystemClock().now()
    from oco_shared.commands.rounds import round_listing

    listed = round_listing(now)
    if args.json:
        json.dump(listed, sys.stdout, indent=2, ensure_ascii=False)
        print()
        return 0
    when = "on the procedure clock" if args.clock else "now"
    for item in listed:
        print(
            f"{item['round']}: {item['title']}; {item['requirements']} requirements, "
            f"{item['regions']} regions, tariff EUR {item['tariff']}; "
            f"inscription {item['inscription']} {when}"
        )
    return 0


def _cmd_schemas(args: argparse.Namespace) -> int:
    from oco_shared.contract.schema import drifted_schemas, write_schemas

    if args.check:
        drifted = drifted_schemas()
        for name in drifted:
            print(f"drifted: {name}", file=sys.stderr)
        return 1 if drifted else 0
    for path in write_schemas():
        print(path)
    return 0


def _cmd_migrate(args: argparse.Namespace) -> int:
    from oco_shared.addresses import StartupError
    from oco_shared.runtime import migrate
    from oco_shared.settings import Settings

    try:
        for service in args.services:
            print(f"{service}: schema {migrate(service, Settings())} ready")
    except StartupError as error:
        print(f"oco: {error}", file=sys.stderr)
        return 2
    return 0


def _dead_letter_schema(service: str) -> tuple[str, str] | None:
    from oco_shared.addresses import StartupError, resolve_addresses
    from oco_shared.settings import Settings

    settings = Settings()
    try:
        _, database_url = resolve_addresses(settings)
    except StartupError as error:
        print(f"oco: {error}", file=sys.stderr)
        return None
    return database_url, f"{settings.schema_prefix}{service}"


def _cmd_deadletters_list(args: argparse.Namespace) -> int:
    import asyncio

    from oco_shared.messaging.deadletters import list_dead_letters

    where = _dead_letter_schema(args.service)
    if where is None:
        return 2
    rows = asyncio.run(list_dead_letters(*where, args.limit))
    if args.json:
        print(json.dumps(rows, default=str, indent=2, ensure_ascii=False))
        return 0
    for row in rows:
        print(
            f"{row['recorded_at'].isoformat()}  {row['upstream_stream']}"
            f" #{row['upstream_position']}  {row['reason']}  {row['consumer']}"
            f"  {row['payload_bytes']} bytes"
            f"  attempts {row['attempts']}{'' if row['published'] else '  (not yet published)'}"
            f"\n      {row['error'][:300]}"
        )
    print(f"{len(rows)} dead letters of {args.service}")
    return 0


def _cmd_deadletters_show(args: argparse.Namespace) -> int:
    import asyncio

    from oco_shared.messaging.deadletters import dead_letter

    where = _dead_letter_schema(args.service)
    if where is None:
        return 2
    row = asyncio.run(dead_letter(*where, args.stream, args.position))
    if row is None:
        print(f"oco: no dead letter of {args.service} at {args.stream} #{args.position}")
        return 1
    if args.payload:
        sys.stdout.buffer.write(row["payload"])
        return 0
    payload: bytes = row.pop("payload")
    row["headers"] = json.loads(row["headers"])
    try:
        row["payload"] = payload.decode("utf-8")
    except UnicodeDecodeError:
        row["payload_hex"] = payload.hex()
    print(json.dumps(row, default=str, indent=2, ensure_ascii=False))
    return 0


def _cmd_roles(args: argparse.Namespace) -> int:
    import os

    from oco_shared.addresses import StartupError, resolve_addresses
    from oco_shared.roles import AUDITOR, provision_roles, provision_schemas, role_name
    from oco_shared.settings import Settings

    if args.cnpg_managed:
        import yaml

        from oco_shared.roles import cnpg_managed_roles

        roles = cnpg_managed_roles(Settings().schema_prefix, args.services)
        print(yaml.safe_dump({"managed": {"roles": roles}}, sort_keys=False), end="")
        return 0
    if args.schemas_only:  # the roles exist already (CloudNativePG manages them)
        settings = Settings()
        try:
            _, admin_url = resolve_addresses(settings)
        except StartupError as error:
            print(f"oco: {error}", file=sys.stderr)
            return 2
        provision_schemas(admin_url, settings.schema_prefix, args.services)
        for service in args.services:
            print(f"schema {role_name(settings.schema_prefix, service)} ready")
        return 0
    names = (*args.services, AUDITOR)
    variables = {name: f"OCO_ROLE_PASSWORD_{name.upper()}" for name in names}
    missing = [variable for variable in variables.values() if not os.environ.get(variable)]
    if missing:
        print(f"oco: set {', '.join(missing)} (each role's password)", file=sys.stderr)
        return 2
    settings = Settings()
    try:
        _, admin_url = resolve_addresses(settings)
    except StartupError as error:
        print(f"oco: {error}", file=sys.stderr)
        return 2
    passwords = {name: os.environ[variable] for name, variable in variables.items()}
    provision_roles(admin_url, settings.schema_prefix, args.services, passwords)
    for name in names:
        print(f"role {role_name(settings.schema_prefix, name)} ready")
    return 0


HELM_VALUES_HEADER = """\
# Values for the official NATS Helm chart (nats/nats 1.x), generated: do not edit.
#   {note}
# Each password comes from the Secret oco-nats-<user> (key `password`); see README.
"""


def _cmd_provision_streams(args: argparse.Namespace) -> int:
    """Create or update every stream, as the provisioner; running it again changes nothing."""
    import asyncio

    from oco_shared.addresses import StartupError
    from oco_shared.commands.broker import connect_as
    from oco_shared.messaging.topology import Topology, provision_streams
    from oco_shared.settings import Settings

    settings = Settings()
    topology = Topology(settings.subject_prefix)
    configs = topology.stream_configs(
        SERVICES,
        replicas=settings.stream_replicas,
        duplicate_window_seconds=settings.duplicate_window_seconds,
        max_bytes=settings.stream_max_bytes,
    )

    async def provision() -> None:
        client = await connect_as(settings, "provisioner")
        try:
            await provision_streams(client.jetstream(), configs)
        finally:
            await client.close()

    try:
        asyncio.run(provision())
    except StartupError as error:
        print(f"oco: {error}", file=sys.stderr)
        return 2
    for config in configs:
        print(f"stream {config.name} ready ({settings.stream_replicas} replicas)")
    return 0


def _cmd_nats_config(args: argparse.Namespace) -> int:
    """The broker's users for the installed services, the rounds' uitvoerders and a prefix."""
    from oco_shared.authority import installed_users, server_config
    from oco_shared.messaging.topology import Topology
    from oco_shared.settings import Settings

    users = installed_users(Topology(Settings().subject_prefix))
    if args.format == "helm-values":
        import yaml

        from oco_shared.authority import HELM_VALUES_NOTE, helm_values

        print(HELM_VALUES_HEADER.format(note=HELM_VALUES_NOTE), end="")
        print(yaml.safe_dump(helm_values(users), sort_keys=False, width=100), end="")
        return 0
    passwords = json.loads(args.passwords.read_text()) if args.passwords else {}
    missing = [user.name for user in users if not passwords.get(user.name)]
    if missing:
        print(
            f"oco: {args.passwords or 'no --passwords file'}: no password for {', '.join(missing)}",
            file=sys.stderr,
        )
        return 2
    print(
        server_config(users, passwords, host=args.host, port=args.port, store_dir=args.store_dir),
        end="",
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oco", description="OCO procurement procedure")
    commands = parser.add_subparsers(dest="command", required=True)

    calendar = commands.add_parser("calendar", help="a round's timetable and deadlines")
    calendar.add_argument("round", help="round id, e.g. 2027-2028")
    calendar.add_argument("--published", type=instant, help="when the outcome was made known")
    calendar.add_argument("--answered", type=instant, help="when the objection was answered")
    calendar.add_argument("--json", action="store_true", help="print JSON")
    calendar.set_defaults(run=_cmd_calendar)

    rounds = commands.add_parser("rounds", help="validate and list every round file")
    rounds.add_argument("--json", action="store_true", help="print JSON")
    rounds.add_argument(
        "--clock",
        action="store_true",
        help="judge 'open' by the broker's procedure clock (a rehearsal's time), not the wall",
    )
    rounds.set_defaults(run=_cmd_rounds)

    from oco_shared.commands import portal, rehearse

    rehearse.register(commands)
    portal.register(commands)

    contract = commands.add_parser("contract", help="the message contract")
    contract_commands = contract.add_subparsers(dest="contract_command", required=True)
    schemas = contract_commands.add_parser("schemas", help="write the JSON Schemas")
    schemas.add_argument("--check", action="store_true", help="fail if the files drifted")
    schemas.set_defaults(run=_cmd_schemas)

    migrate = commands.add_parser("migrate", help="create the services' schemas and tables")
    migrate.add_argument("services", nargs="+", choices=SERVICES)
    migrate.set_defaults(run=_cmd_migrate)

    roles = commands.add_parser(
        "roles", help="as an administrator: one PostgreSQL role per service, and the auditor"
    )
    roles.add_argument("services", nargs="+", choices=SERVICES)
    roles.add_argument(
        "--schemas-only",
        action="store_true",
        help="the roles exist (e.g. CloudNativePG's managed roles): make each service's schema "
        "its own, hand over what others made in it, and let the auditor read it",
    )
    roles.add_argument(
        "--cnpg-managed",
        action="store_true",
        help="print the roles as CloudNativePG managed roles (spec.managed) and connect nowhere",
    )
    roles.set_defaults(run=_cmd_roles)

    config = commands.add_parser(
        "nats-config", help="the broker's configuration: its users and what each may do"
    )
    config.add_argument("--passwords", type=Path, help="JSON file: user name -> password")
    config.add_argument("--host", default="0.0.0.0")
    config.add_argument("--port", type=int, default=4222)
    config.add_argument("--store-dir", default="/data/jetstream")
    config.add_argument(
        "--format",
        choices=("server", "helm-values"),
        default="server",
        help="a nats-server configuration (needs --passwords), or values for the NATS Helm "
        "chart whose passwords come from Kubernetes Secrets",
    )
    config.set_defaults(run=_cmd_nats_config)

    streams = commands.add_parser(
        "provision-streams",
        help="as the provisioner: create or update every stream (safe to run again)",
    )
    streams.set_defaults(run=_cmd_provision_streams)

    dead = commands.add_parser("deadletters", help="messages a service set aside, with reasons")
    dead_commands = dead.add_subparsers(dest="deadletters_command", required=True)
    listing = dead_commands.add_parser("list", help="the latest dead letters of a service")
    listing.add_argument("--service", required=True, choices=SERVICES)
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_cmd_deadletters_list)
    show = dead_commands.add_parser("show", help="one dead letter with its whole payload")
    show.add_argument("--service", required=True, choices=SERVICES)
    show.add_argument("--stream", required=True, help="upstream stream, e.g. OCO_PORTAL")
    show.add_argument("--position", required=True, type=int, help="upstream position")
    show.add_argument("--payload", action="store_true", help="write only the raw payload")
    show.set_defaults(run=_cmd_deadletters_show)

    for entry in entry_points(group="oco.commands"):
        entry.load()(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except Exception as error:
        from oco_shared.rounds import RoundFileError, UnknownRound

        if not isinstance(error, UnknownRound | RoundFileError):
            raise
        print(f"oco: {error}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
