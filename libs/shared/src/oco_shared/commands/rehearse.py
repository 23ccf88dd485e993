"""`oco rehearse start|advance|stop|status`: the procedure clock, set by the operator.

A rehearsal runs a round on a compressed clock: every service that allows it
(`OCO_REHEARSAL=true`) judges each message by the procedure time of its broker receipt,
and marks every event it records as part of the rehearsal. The definition is recorded
on the clock stream as the provisioner, so it is itself part of the log.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

from oco_shared.commands import instant


def _rate(text: str) -> float:
    from oco_shared.contract.messages import MAX_RATE

    try:
        rate = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < rate <= MAX_RATE:
        raise argparse.ArgumentTypeError(f"the rate must lie in (0, {MAX_RATE:g}]")
    return rate


def _run(work: Any) -> int:
    """Run a command's coroutine; a broker it cannot reach is one line and exit 2."""
    import asyncio

    from oco_shared.addresses import StartupError

    try:
        result: int = asyncio.run(work)
    except StartupError as error:
        print(f"oco: {error}", file=sys.stderr)
        return 2
    return result


async def _with_clock(action: Any, provision: bool = True) -> int:
    """Run `action(js, topology, timeline)` as the provisioner, the clock stream made first
    when it is to be written."""
    from oco_shared.authority import PROVISIONER
    from oco_shared.commands.broker import connect_as
    from oco_shared.messaging.procedure_clock import read_timeline
    from oco_shared.messaging.topology import SERVICES, Topology, provision_streams
    from oco_shared.settings import Settings

    settings = Settings()
    topology = Topology(settings.subject_prefix)
    client = await connect_as(settings, PROVISIONER)
    try:
        js = client.jetstream()
        if provision:
            configs = topology.stream_configs(
                SERVICES,
                replicas=settings.stream_replicas,
                duplicate_window_seconds=settings.duplicate_window_seconds,
                max_bytes=settings.stream_max_bytes,
            )
            await provision_streams(
                js, [config for config in configs if config.name == topology.clock_stream]
            )
        timeline = await read_timeline(js, topology, allow_rehearsal=True)
        result: int = await action(js, topology, timeline)
    finally:
        await client.close()
    return result


def _describe(segment: Any, now: datetime) -> dict[str, Any]:
    from oco_shared.rounds.model import AMSTERDAM

    definition = segment.definition if segment else None
    if definition is None or not definition.is_rehearsal:
        return {"rehearsal": False, "procedure_time": now.astimezone(AMSTERDAM).isoformat()}
    return {
        "rehearsal": True,
        "rehearsal_id": str(definition.rehearsal_id),
        "round": definition.round_id,
        "rate": definition.rate,
        "set_at": segment.epoch.isoformat(),
        "start": definition.start.astimezone(AMSTERDAM).isoformat(),
        "procedure_time": segment.judge(now).at.astimezone(AMSTERDAM).isoformat(),
    }


def _print_state(state: dict[str, Any]) -> None:
    if not state["rehearsal"]:
        print(f"real procedure: procedure time is broker time ({state['procedure_time']})")
        return
    print(
        f"rehearsal {state['rehearsal_id']} of round {state['round']}: {state['rate']:g} x "
        f"real time from {state['start']} (set at {state['set_at']})\n"
        f"procedure time now: {state['procedure_time']}"
    )


def _cmd_start(args: argparse.Namespace) -> int:
    from oco_shared.rounds import AMSTERDAM, MilestoneCode, load_round

    round_ = load_round(args.round)  # an unknown round is refused before the broker is asked
    start = args.start or datetime.combine(
        round_.milestones[MilestoneCode.PUBLICATION].date, datetime.min.time(), AMSTERDAM
    )

    async def action(js: Any, topology: Any, timeline: Any) -> int:
        from oco_shared.messaging.procedure_clock import set_procedure_clock
        from oco_shared.procedure_time import rehearsal_definition

        segment = await set_procedure_clock(
            js, topology, rehearsal_definition(round_.id, start, args.rate)
        )
        _print_state(_describe(segment, segment.epoch))
        print("services judge on it when OCO_REHEARSAL=true; others stop deciding until it ends")
        return 0

    return _run(_with_clock(action))


def _cmd_advance(args: argparse.Namespace) -> int:
    async def action(js: Any, topology: Any, timeline: Any) -> int:
        from oco_shared.clock import SystemClock
        from oco_shared.messaging.procedure_clock import set_procedure_clock
        from oco_shared.procedure_time import advanced

        if timeline.current is None:
            print("oco: no rehearsal runs: start one with `oco rehearse start`", file=sys.stderr)
            return 2
        try:
            definition = advanced(timeline.current, args.to, SystemClock().now())
        except ValueError as refused:
            print(f"oco: {refused}", file=sys.stderr)
            return 2
        segment = await set_procedure_clock(js, topology, definition)
        _print_state(_describe(segment, segment.epoch))
        return 0

    return _run(_with_clock(action))


def _cmd_stop(args: argparse.Namespace) -> int:
    async def action(js: Any, topology: Any, timeline: Any) -> int:
        from oco_shared.contract.messages import ProcedureClockSet
        from oco_shared.messaging.procedure_clock import set_procedure_clock

        current = timeline.current
        if current is None or not current.definition.is_rehearsal:
            print("no rehearsal runs: the clock is the real procedure's")
            return 0
        segment = await set_procedure_clock(js, topology, ProcedureClockSet())
        print(
            f"rehearsal {current.definition.rehearsal_id} stopped at {segment.epoch.isoformat()};"
            " procedure time is broker time again"
        )
        return 0

    return _run(_with_clock(action))


def _cmd_status(args: argparse.Namespace) -> int:
    async def action(js: Any, topology: Any, timeline: Any) -> int:
        from oco_shared.clock import SystemClock
        from oco_shared.commands.rounds import round_listing

        now = SystemClock().now()
        state = _describe(timeline.current, now)
        state["rounds"] = round_listing(datetime.fromisoformat(state["procedure_time"]))
        if args.json:
            print(json.dumps(state, indent=2, ensure_ascii=False))
            return 0
        _print_state(state)
        for item in state["rounds"]:
            print(f"  round {item['round']}: inscription {item['inscription']}")
        return 0

    return _run(_with_clock(action, provision=False))


def procedure_now() -> datetime | None:
    """Procedure time now on the broker's clock; None (said on stderr) if unreadable."""

    async def action(js: Any, topology: Any, timeline: Any) -> int:
        from oco_shared.clock import SystemClock

        found.append(_describe(timeline.current, SystemClock().now())["procedure_time"])
        return 0

    found: list[str] = []
    read = _run(_with_clock(action, provision=False))
    return datetime.fromisoformat(found[0]) if read == 0 else None


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rehearse = commands.add_parser(
        "rehearse", help="the procedure clock: rehearse a round on a compressed clock"
    )
    actions = rehearse.add_subparsers(dest="rehearse_command", required=True)
    start = actions.add_parser("start", help="start a rehearsal of a round")
    start.add_argument("--round", required=True, help="round id, e.g. 2027-2028")
    start.add_argument(
        "--from",
        dest="start",
        type=instant,
        help="procedure time at the start (default: the round's publication day, 00:00)",
    )
    start.add_argument(
        "--rate", type=_rate, default=1.0, help="procedure seconds per real second (default 1)"
    )
    start.set_defaults(run=_cmd_start)
    advance = actions.add_parser("advance", help="jump the rehearsal forward")
    advance.add_argument("--to", required=True, type=instant, help="the new procedure time")
    advance.set_defaults(run=_cmd_advance)
    actions.add_parser("stop", help="end the rehearsal: broker time again").set_defaults(
        run=_cmd_stop
    )
    status = actions.add_parser("status", help="the clock, procedure time now, open rounds")
    status.add_argument("--json", action="store_true")
    status.set_defaults(run=_cmd_status)
