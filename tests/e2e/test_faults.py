"""Faults during the sample round lose nothing and change nothing.

The round is played twice: once undisturbed, with every registered service in the test's
process on the suite's servers; once on a private embedded stack (its own nats-server and
PostgreSQL, never the machine's) with every service as its own process, as `oco run`
starts them, while a seeded plan of faults strikes at moments tied to the round's
progress: each service killed (SIGKILL) and started again, nats-server killed and started
again after 10 s, PostgreSQL stopped with `pg_ctl stop -m immediate` and started again.
Both runs must come to the same outcome per region, the same events per type and the same
refusals, and `oco audit verify` must find nothing in the log the faults were struck on;
a service added to the entry points, or a phase added to the scenario, is covered
without a change here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

import pytest
from oco_devstack.run import (
    ServiceProcesses,
    embedded_users,
    free_ports,
    registered_services,
)
from oco_devstack.servers import halt, role_url, stack_up
from oco_devstack.simulation.player import Log, Progress, play
from oco_devstack.simulation.report import differences
from oco_devstack.simulation.scenario import sample_round
from oco_devstack.simulation.session import wait_until_ready
from oco_shared.roles import AUDITOR, role_name
from oco_shared.settings import Settings
from plumbing_support import STREAM_MAX_BYTES, Isolation, Servers

pytestmark = pytest.mark.integration

SEED = 2027
KILLS = 10  # each service at least twice, the rest at random
BROKER_AWAY_SECONDS = 10.0


@dataclass(frozen=True)
class Fault:
    """`kill` one service, or take the `broker` or the `database` away, a moment after
    the round's act number `after_act` was sent."""

    kind: str
    after_act: int
    delay_seconds: float
    service: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.service}".strip() + f" after act {self.after_act}"


def fault_plan(seed: int, services: list[str], acts: int) -> list[Fault]:
    """Each service killed at least twice and KILLS kills in all, the broker and the
    database taken away once each, in a seeded order at seeded moments of the round."""
    rng = random.Random(seed)
    killed = [name for name in services for _ in range(2)]
    killed += rng.choices(services, k=max(0, KILLS - len(killed)))
    what = [("kill", name) for name in killed] + [("broker", ""), ("database", "")]
    rng.shuffle(what)
    moments = sorted(rng.sample(range(1, acts + 1), len(what)))
    return [
        Fault(kind, moment, rng.uniform(0.0, 1.5), service)
        for (kind, service), moment in zip(what, moments, strict=True)
    ]


class Chaos:
    """Strikes the plan's faults one after another as the player reaches their acts; a
    phase of the round ends only when every fault struck so far is over and every
    service answers ready again."""

    def __init__(self, plan: list[Fault], services: ServiceProcesses, data_dir: Path) -> None:
        self.plan, self.services, self.data_dir = plan, services, data_dir
        self.due: asyncio.Queue[Fault] = asyncio.Queue()
        self.outstanding = 0  # reached by the round, not yet over
        self.struck: list[Fault] = []
        self.task: asyncio.Task[None] | None = None

    def published(self, count: int) -> None:
        for fault in self.plan:
            if fault.after_act == count:
                self.outstanding += 1
                self.due.put_nowait(fault)

    async def run(self) -> None:
        while True:
            fault = await self.due.get()
            await asyncio.sleep(fault.delay_seconds)
            began = time.monotonic()
            await self._strike(fault)
            print(f"struck {fault}: over after {time.monotonic() - began:.1f} s", flush=True)
            self.struck.append(fault)
            self.outstanding -= 1

    async def _strike(self, fault: Fault) -> None:
        if fault.kind == "kill":
            await asyncio.to_thread(self.services.kill, fault.service)
            self.services.start(fault.service)
            await self._ready({fault.service: self.services.ports[fault.service]}, fault)
            return
        before = await asyncio.to_thread(stack_up, self.data_dir)
        await asyncio.to_thread(
            halt, self.data_dir, "nats" if fault.kind == "broker" else "postgres"
        )
        if fault.kind == "broker":
            await asyncio.sleep(BROKER_AWAY_SECONDS)
        after = await asyncio.to_thread(stack_up, self.data_dir)
        assert after == before, f"{fault}: the server came back elsewhere"

    async def _ready(self, ports: dict[str, int], fault: Fault) -> None:
        late = await asyncio.to_thread(wait_until_ready, "127.0.0.1", ports)
        assert late is None, f"{fault}: {late} not ready again"

    async def settled(self) -> bool:
        if self.task is not None and self.task.done():
            self.task.result()  # a fault that could not be struck fails the round now
        if self.outstanding:
            return False
        exited = self.services.exited()
        assert exited is None, f"a service stopped by itself: {exited}"
        late = await asyncio.to_thread(wait_until_ready, "127.0.0.1", self.services.ports, 1.0)
        return late is None


def timed() -> Progress:
    """Each phase's end, with the time since the round began: where a stalled run stood."""
    began = time.monotonic()
    return lambda phase, done, total: print(
        f"{time.monotonic() - began:6.1f} s  {done}/{total} {phase.milestone}", flush=True
    )


@contextlib.asynccontextmanager
async def round_stack(data_dir: Path) -> AsyncIterator[tuple[Settings, ServiceProcesses]]:
    """A fresh embedded stack under `data_dir` with every service running on it, as `oco
    run` makes them (each its own broker user and database role)."""
    addresses = await asyncio.to_thread(stack_up, data_dir)
    settings = Settings(
        data_dir=data_dir,
        nats_url=None,
        database_url=None,
        rehearsal=True,
        stream_max_bytes=STREAM_MAX_BYTES,
    )
    env = {
        **os.environ,
        "OCO_DATA_DIR": str(data_dir),
        "OCO_NATS_URL": addresses.nats_url,
        "OCO_DATABASE_URL": addresses.database_url,
        "OCO_REHEARSAL": "true",
        "OCO_STREAM_MAX_BYTES": str(STREAM_MAX_BYTES),
        "OCO_LOG_LEVEL": "WARNING",  # what went wrong, shown by pytest when the test fails
    }
    own_users = await asyncio.to_thread(
        embedded_users, settings, addresses.nats_url, addresses.database_url
    )
    services = ServiceProcesses(env, own_users, ports=free_ports(registered_services()))
    try:
        for name in services.modules:
            services.start(name)
        late = await asyncio.to_thread(wait_until_ready, "127.0.0.1", services.ports)
        assert late is None, f"not ready: {late}"
        yield settings, services
    finally:
        services.stop()  # the stack goes with `data_dir`


async def undisturbed_round(settings: Settings) -> Log:
    """The round with every registered service in this process, nothing struck."""
    services = [
        import_module(f"{package}.bootstrap").bootstrap(settings)
        for package in registered_services().values()
    ]
    for service in services:
        await service.start()
    try:
        return await play(sample_round(SEED), settings, progress=timed())
    finally:
        for service in services:
            await service.stop()


async def test_killed_services_and_restarted_servers_change_no_outcome(
    servers: Servers, isolation: Isolation, data_dir: Path
) -> None:
    undisturbed = await undisturbed_round(isolation.settings(servers, rehearsal=True))
    scenario = sample_round(SEED)

    async with round_stack(data_dir) as (settings, services):
        plan = fault_plan(SEED, list(services.modules), scenario.acts)
        chaos = Chaos(plan, services, data_dir)
        chaos.task = asyncio.create_task(chaos.run())
        try:
            disturbed = await play(
                scenario,
                settings,
                quiet_seconds=2.0,
                phase_timeout=300.0,
                progress=timed(),
                published=chaos.published,
                settled=chaos.settled,
            )
        finally:
            chaos.task.cancel()
        verified = await asyncio.to_thread(audit_verify, data_dir, settings)
        print(verified.stdout, verified.stderr, flush=True)

    assert [str(fault) for fault in chaos.struck] == [str(fault) for fault in plan]
    assert sum(fault.kind == "kill" for fault in chaos.struck) >= KILLS
    # The log the faults were struck on: every chain whole, every stream copy equal to its
    # stored log, every decision by its rule.
    assert verified.returncode == 0, verified.stdout[-3000:] + verified.stderr[-3000:]
    assert_same_round(undisturbed, disturbed)


def audit_verify(data_dir: Path, settings: Settings) -> subprocess.CompletedProcess[str]:
    """`oco audit verify` as an auditor runs it on the stack: its own database role, and
    the stack's broker as its own user."""
    env = {name: value for name, value in os.environ.items() if name != "OCO_NATS_URL"}
    env["OCO_DATA_DIR"] = str(data_dir)
    env["OCO_DATABASE_URL"] = role_url(data_dir, role_name(settings.schema_prefix, AUDITOR))
    return subprocess.run(
        [sys.executable, "-m", "oco_shared.cli", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def assert_same_round(undisturbed: Log, disturbed: Log) -> None:
    assert undisturbed.dead_letters == [] and disturbed.dead_letters == []
    found = differences(undisturbed.events, disturbed.events)
    assert not found, "the faults changed the round:\n" + "\n".join(found)
    assert len({event["event_id"] for event in disturbed.events}) == len(disturbed.events)


def test_the_fault_plan_strikes_every_service_broker_and_database_during_the_round() -> None:
    services = ["assessment", "contracting", "intake", "objection"]
    plan = fault_plan(SEED, services, 484)
    assert plan == fault_plan(SEED, services, 484)  # seeded: the same faults each run
    kills = [fault.service for fault in plan if fault.kind == "kill"]
    assert all(kills.count(name) >= 2 for name in services) and len(kills) == KILLS
    assert {fault.kind for fault in plan} == {"kill", "broker", "database"}
    assert all(1 <= fault.after_act <= 484 for fault in plan)
    assert [fault.after_act for fault in plan] == sorted(fault.after_act for fault in plan)
