"""Plays a scenario against running services, as the portals and the zorgkantoren would.

For each phase the rehearsal clock is moved to the phase's procedure time (a rehearsal at
real-time rate, jumped forward from phase to phase, so the months of a round pass in
seconds and no act lands near a deadline by chance); then every act is published on its
documented subject, as the party it comes from (with the embedded stack: the `portal`
user, or the office user of its uitvoerder), and the player waits until each act has its
outcome (an event it caused, or a dead letter), every service's consumers have caught up
and the services have gone quiet.

A phase that reacts to what the services decided gets the events heard so far; one that
follows deadlines first lets the services' tickers record what the moved clock made due
(windows closed, terms passed), so its acts come after those in every run.

It rides out a broker that goes away and comes back (the fault tests): its clients
reconnect, a message the broker did not acknowledge is sent again under the same message
id, and it reads what the services recorded from their streams, not from live subjects.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from oco_shared.authority import PORTAL, PROVISIONER, office_user
from oco_shared.commands.broker import connect_as
from oco_shared.commands.portal import Destination, choose, destinations
from oco_shared.messaging.consumer import BROKER_CLOCK_MARGIN
from oco_shared.messaging.procedure_clock import set_procedure_clock
from oco_shared.messaging.topology import SERVICES, Topology
from oco_shared.procedure_time import rehearsal_definition
from oco_shared.rounds import load_round
from oco_shared.settings import Settings

from oco_devstack.simulation.scenario import Act, Phase, Scenario


class Stalled(RuntimeError):
    """A phase's acts did not all get an outcome in time."""


@dataclass
class Log:
    """What the services recorded while the scenario played, in stream order per stream:
    read from their streams, so an event is heard once even when the broker restarted."""

    events: list[dict[str, Any]] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)
    last_heard: float = field(default_factory=time.monotonic)
    positions: set[tuple[str, int]] = field(default_factory=set)
    sent: int = 0  # acts published, those made in reply to the services' decisions included

    async def hear(self, msg: Msg) -> None:
        position = (msg.metadata.stream, msg.metadata.sequence.stream)
        if position in self.positions:  # delivered again after a consumer was recreated
            return
        self.positions.add(position)
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
# How soon a reader notices that the broker lost its consumer (a restart) and makes it anew.
HEARTBEAT_SECONDS = 1.0
PUBLISH_TIMEOUT_SECONDS = 2.0


# A consumer's pull for messages waits this long when there are none
# (`oco_shared.messaging.consumer.BatchConsumer._fetch`).
PULL_SECONDS = 1.0


def _tickers_quiet(settings: Settings) -> float:
    """How long the services stay quiet, at most, before a ticker records what a moved
    clock made due: a tick sees it due, the ticker waits until every consumer has pulled
    and found nothing since (a pull that started before, then one after: two pulls, and
    the margin for the broker's clock), and records on a following tick."""
    return 2 * settings.tick_seconds + 2 * PULL_SECONDS + BROKER_CLOCK_MARGIN.total_seconds()


async def _always() -> bool:
    return True


async def play(
    scenario: Scenario,
    settings: Settings,
    progress: Progress = lambda phase, done, total: None,
    quiet_seconds: float = 1.0,
    phase_timeout: float = 180.0,
    published: Callable[[int], None] = lambda count: None,
    settled: Callable[[], Awaitable[bool]] = _always,
) -> Log:
    """Play every phase; `published(n)` follows each act sent, and a phase ends only when
    `settled()` also holds (the fault tests: every service is up again)."""
    topology = Topology(settings.subject_prefix)
    where = destinations()
    log = Log()
    provisioner = await connect_as(settings, PROVISIONER, reconnect=True)
    parties: dict[str, Client] = {}
    try:
        # Every party connected before the first act (the portal and each office of the
        # round, whichever a reaction needs): one that has to connect while the broker is
        # away could not, and reconnecting clients ride out an outage.
        offices = {u.code for u in load_round(scenario.round_id).uitvoerders}
        for party in sorted({"portal", *offices}):
            user = PORTAL if party == "portal" else office_user(party)
            parties[party] = await connect_as(settings, user, reconnect=True)
        js = provisioner.jetstream()
        await _follow(js, topology, log)
        rehearsal = rehearsal_definition(scenario.round_id, scenario.phases[0].at, rate=1.0)
        done, total, moved = 0, scenario.acts, time.monotonic()
        ticks_quiet = _tickers_quiet(settings)
        for phase in scenario.phases:
            deadline = time.monotonic() + phase_timeout
            clock = rehearsal.model_copy(update={"start": phase.at})
            setting = functools.partial(set_procedure_clock, js, topology, clock)
            await _again_until(deadline, "the rehearsal clock", setting)
            moved = time.monotonic()
            if phase.settle_first:
                await _settle(
                    log, phase.milestone, (), js, topology, settled, ticks_quiet, deadline, moved
                )
            acts = phase.acts_after(log.events)
            total += len(acts) - len(phase.acts)
            for act in acts:
                client = parties[act.party]
                await _publish(client, topology, act, _destination(where, act), deadline)
                done += 1
                log.sent = done
                published(done)
            await _settle(
                log, phase.milestone, acts, js, topology, settled, quiet_seconds, deadline
            )
            progress(phase, done, total)
        # What the last moves of the clock made due, heard before the round is over.
        deadline = time.monotonic() + phase_timeout
        await _settle(log, "the end", (), js, topology, settled, ticks_quiet, deadline, moved)
    finally:
        for client in (*parties.values(), provisioner):
            await client.close()
    return log


async def _follow(js: JetStreamContext, topology: Topology, log: Log) -> None:
    """Read every service's stream and the dead letters from the start, with ordered
    consumers: the client makes one anew where the last left off when it goes missing."""
    followed = [(topology.service_stream(s), topology.service_subjects(s)) for s in SERVICES]
    followed.append((topology.deadletter_stream, topology.deadletter_subject("*")))
    for stream, subjects in followed:
        try:
            await js.subscribe(
                subjects,
                stream=stream,
                cb=log.hear,
                ordered_consumer=True,
                idle_heartbeat=HEARTBEAT_SECONDS,
            )
        except NotFoundError:
            continue  # a service whose stream was never made publishes nothing


def _destination(where: dict[str, list[Destination]], act: Act) -> Destination:
    found = choose(act.message, where)
    if found is None:
        raise Stalled(f"no installed service receives {act.message['type']}")
    return found


async def _again_until(deadline: float, what: str, send: Callable[[], Awaitable[object]]) -> None:
    """Send until the broker acknowledges: while it is away, the same message again once
    it is back (its message id makes a second arrival nothing)."""
    while True:
        try:
            await send()
            return
        except (TimeoutError, NatsError) as error:
            if time.monotonic() > deadline:
                raise Stalled(f"the broker did not take {what} ({error!r})") from None
            await asyncio.sleep(0.5)


async def _publish(
    client: Client, topology: Topology, act: Act, where: Destination, deadline: float
) -> None:
    if where.source == "office":
        subject, stream = topology.office_subject(act.party, where.kind), topology.office_stream
    else:
        subject, stream = topology.portal_subject(where.kind), topology.portal_stream
    body = json.dumps(act.message, ensure_ascii=False).encode()

    def send() -> Awaitable[object]:
        return client.jetstream().publish(
            subject,
            body,
            stream=stream,
            headers={"Nats-Msg-Id": act.message_id},
            timeout=PUBLISH_TIMEOUT_SECONDS,
        )

    await _again_until(deadline, f"{act.message['type']} {act.message_id}", send)


async def _caught_up(js: JetStreamContext, topology: Topology) -> bool:
    """Every service's durable consumer has taken and acknowledged all its stream holds,
    so nothing left from this phase can overtake the next one's acts."""
    streams = [topology.portal_stream, topology.office_stream, topology.clock_stream]
    streams += [topology.service_stream(service) for service in SERVICES]
    try:
        for stream in streams:
            with contextlib.suppress(NotFoundError):
                for consumer in await js.consumers_info(stream):
                    if consumer.config.durable_name and (
                        consumer.num_pending or consumer.num_ack_pending
                    ):
                        return False
    except (TimeoutError, NatsError):
        return False  # the broker is away: nothing is known to be done
    return True


async def _settle(
    log: Log,
    milestone: str,
    acts: tuple[Act, ...],
    js: JetStreamContext,
    topology: Topology,
    settled: Callable[[], Awaitable[bool]],
    quiet_seconds: float,
    deadline: float,
    since: float = 0.0,
) -> None:
    """Until every act has its outcome, every consumer has caught up, and nothing more is
    heard for a while since `since` (what the services decide from each other's events
    follows the outcomes)."""
    busy = max(log.last_heard, since)
    while True:
        waiting = [act for act in acts if act.message_id not in log.answered]
        busy = max(busy, log.last_heard)
        if not waiting and time.monotonic() - busy >= quiet_seconds:
            if await _caught_up(js, topology) and await settled():
                return
            busy = time.monotonic()  # something was still under way: quiet starts now
        if time.monotonic() > deadline:
            if not waiting:
                raise Stalled(f"{milestone}: the services did not catch up")
            names = ", ".join(f"{a.message['type']} {a.message_id}" for a in waiting[:5])
            raise Stalled(f"{milestone}: {len(waiting)} acts had no outcome ({names})")
        await asyncio.sleep(0.1)
