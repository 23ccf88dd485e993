"""Plays a scenario against running services, as the portals and the zorgkantoren would.

For each phase the rehearsal clock is moved to the phase's procedure time (a rehearsal at
real-time rate, jumped forward from phase to phase, so the months of a round pass in
seconds and no act lands near a deadline by chance); then every act is published on its
documented subject, as the party it comes from (with the embedded stack: the `portal`
user, or the office user of its uitvoerder), and the player waits until each act has its
outcome (an event it caused, or a dead letter) and the services have gone quiet.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from oco_shared.authority import PORTAL, PROVISIONER, office_user
from oco_shared.commands.broker import connect_as
from oco_shared.commands.portal import Destination, choose, destinations
from oco_shared.messaging.procedure_clock import set_procedure_clock
from oco_shared.messaging.topology import SERVICES, Topology
from oco_shared.procedure_time import rehearsal_definition
from oco_shared.settings import Settings

from oco_devstack.simulation.scenario import Act, Phase, Scenario


class Stalled(RuntimeError):
    """A phase's acts did not all get an outcome in time."""


@dataclass
class Log:
    """What the services published while the scenario played, in arrival order."""

    events: list[dict[str, Any]] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)
    last_heard: float = field(default_factory=time.monotonic)

    async def hear(self, msg: Msg) -> None:
        try:
            document = json.loads(msg.data)
        except ValueError:
            return
        if not isinstance(document, dict):
            return
        self.last_heard = time.monotonic()
        if msg.subject.split(".")[1] == "deadletter":
            self.dead_letters.append(document)
            self.answered.add(str((document.get("headers") or {}).get("Nats-Msg-Id")))
            return
        self.events.append(document)
        self.answered.update(str(document.get(key)) for key in ("causation_id", "message_id"))


Progress = Callable[[Phase, int, int], None]


async def play(
    scenario: Scenario,
    settings: Settings,
    progress: Progress = lambda phase, done, total: None,
    quiet_seconds: float = 1.0,
    phase_timeout: float = 180.0,
) -> Log:
    topology = Topology(settings.subject_prefix)
    where = destinations()
    log = Log()
    provisioner = await connect_as(settings, PROVISIONER)
    parties: dict[str, Client] = {}
    try:
        for service in SERVICES:
            await provisioner.subscribe(topology.service_subjects(service), cb=log.hear)
        await provisioner.subscribe(topology.deadletter_subject("*"), cb=log.hear)
        await provisioner.flush()
        js = provisioner.jetstream()
        rehearsal = rehearsal_definition(scenario.round_id, scenario.phases[0].at, rate=1.0)
        done = 0
        for phase in scenario.phases:
            clock = rehearsal.model_copy(update={"start": phase.at})
            await set_procedure_clock(js, topology, clock)
            for act in phase.acts:
                client = parties.get(act.party) or await _connect(settings, act.party, parties)
                await _publish(client, topology, act, _destination(where, act))
            await _settle(log, phase, quiet_seconds, phase_timeout)
            done += len(phase.acts)
            progress(phase, done, scenario.acts)
    finally:
        for client in (*parties.values(), provisioner):
            await client.close()
    return log


async def _connect(settings: Settings, party: str, parties: dict[str, Client]) -> Client:
    parties[party] = await connect_as(settings, PORTAL if party == "portal" else office_user(party))
    return parties[party]


def _destination(where: dict[str, list[Destination]], act: Act) -> Destination:
    found = choose(act.message, where)
    if found is None:
        raise Stalled(f"no installed service receives {act.message['type']}")
    return found


async def _publish(client: Client, topology: Topology, act: Act, where: Destination) -> None:
    if where.source == "office":
        subject, stream = topology.office_subject(act.party, where.kind), topology.office_stream
    else:
        subject, stream = topology.portal_subject(where.kind), topology.portal_stream
    await client.jetstream().publish(
        subject,
        json.dumps(act.message, ensure_ascii=False).encode(),
        stream=stream,
        headers={"Nats-Msg-Id": act.message_id},
    )


async def _settle(log: Log, phase: Phase, quiet_seconds: float, timeout: float) -> None:
    """Until every act of the phase has its outcome and nothing more is heard for a while
    (what the services decide from each other's events follows the outcomes)."""
    deadline = time.monotonic() + timeout
    while True:
        waiting = [act for act in phase.acts if act.message_id not in log.answered]
        quiet = time.monotonic() - log.last_heard >= quiet_seconds
        if not waiting and quiet:
            return
        if time.monotonic() > deadline:
            names = ", ".join(f"{a.message['type']} {a.message_id}" for a in waiting[:5])
            raise Stalled(f"{phase.milestone}: {len(waiting)} acts had no outcome ({names})")
        await asyncio.sleep(0.1)
