"""`oco stack up|down|status|env` and `oco run` (entry-point group `oco.commands`).

`oco` builds its parser from every registered command, so this module imports only
argparse: the servers' modules (psutil, psycopg, pydantic settings) load when a command
runs, not for `oco --help` or `oco calendar`.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from oco_devstack.servers import StackAddresses


def _data_dir() -> Path:
    from oco_shared.settings import Settings

    return Settings().data_dir


def _print_addresses(addresses: StackAddresses, export: bool = False) -> None:
    """`oco stack env` prints what `eval` needs, credentials included; `up` and `status`
    show the addresses without the password."""
    from oco_shared.addresses import redacted

    for name, url in (
        ("OCO_NATS_URL", addresses.nats_url),
        ("OCO_DATABASE_URL", addresses.database_url),
    ):
        shown = shlex.quote(url) if export else redacted(url)
        print(f"{'export ' if export else ''}{name}={shown}")


def _cmd_up(args: argparse.Namespace) -> int:
    from oco_devstack.servers import StackError, stack_up

    try:
        addresses = stack_up(_data_dir())
    except StackError as error:
        print(f"oco: {error}", file=sys.stderr)
        return 1
    _print_addresses(addresses, export=args.stack_command == "env")
    return 0


def _cmd_down(args: argparse.Namespace) -> int:
    """Exit 0 when nothing of the stack runs any more (also when nothing ran); 1 when a
    process survived, named on stderr."""
    from oco_devstack.servers import StackError, stack_down

    data_dir = _data_dir()
    try:
        stopped = stack_down(data_dir)
    except StackError as error:
        print(f"oco: {error}", file=sys.stderr)
        return 1
    for server in stopped:
        print(server)
    if not stopped:
        print(f"nothing was running under {data_dir.expanduser().resolve()}")
    if args.wipe:
        from oco_devstack.servers import stack_wipe

        print(f"removed {stack_wipe(data_dir)}: the next start is a fresh stack")
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from oco_devstack.servers import stack_status

    addresses = stack_status(_data_dir())
    if addresses is None:
        print("not running")
        return 1
    _print_addresses(addresses)
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from oco_devstack.run import run

    return run(play_seed=None if args.no_play else args.seed, exit_when_done=args.exit_when_done)


def _cmd_simulate(args: argparse.Namespace) -> int:
    from oco_shared.settings import Settings

    from oco_devstack.simulation.session import play_sample_round

    return play_sample_round(Settings(), args.seed, args.round, as_json=args.json)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stack = commands.add_parser("stack", help="the embedded nats-server and PostgreSQL")
    actions = stack.add_subparsers(dest="stack_command", required=True)
    for name, run, text in (
        ("up", _cmd_up, "start (or reuse) the stack and print its addresses"),
        ("down", _cmd_down, "stop the stack, saying what it stopped (exit 1: one survived)"),
        ("status", _cmd_status, "print the addresses if the stack answers, else exit 1"),
        ("env", _cmd_up, "start (or reuse) the stack; print export lines for eval"),
    ):
        parser = actions.add_parser(name, help=text)
        parser.set_defaults(run=run)
        if name == "down":
            parser.add_argument(
                "--wipe", action="store_true", help="also remove its data: start afresh"
            )
    running = commands.add_parser(
        "run",
        help="run every service (on the embedded stack unless addresses are set) and play "
        "the sample round",
    )
    running.add_argument("--seed", type=int, default=2027, help="the sample round's seed")
    running.add_argument("--no-play", action="store_true", help="only run the services")
    running.add_argument(
        "--exit-when-done",
        action="store_true",
        help="stop once the round is played: exit 0 if it completed, else 1 with the reason",
    )
    running.set_defaults(run=_cmd_run)
    simulate = commands.add_parser(
        "simulate", help="play the sample round against the running services"
    )
    simulate.add_argument("--seed", type=int, default=2027)
    simulate.add_argument("--round", default="2027-2028")
    simulate.add_argument("--json", action="store_true", help="the report as JSON")
    simulate.set_defaults(run=_cmd_simulate)
