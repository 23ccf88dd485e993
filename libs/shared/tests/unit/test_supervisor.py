"""The supervisor restarts a task that fails, and says when one stays down too long."""

from __future__ import annotations

import asyncio
from typing import Any

from oco_shared.supervisor import Supervisor


class FlakyWorker:
    """Fails `failures` times on start, then runs until stopped."""

    name = "flaky"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.starts = 0
        self.state = "starting"

    def status(self) -> dict[str, Any]:
        return {"state": self.state, "position": self.starts}

    async def run(self, stop: asyncio.Event) -> None:
        self.starts += 1
        self.state = "starting"
        if self.starts <= self.failures:
            raise ConnectionError(f"database away (start {self.starts})")
        self.state = "running"
        await stop.wait()


async def test_a_failing_task_is_restarted_with_backoff_and_reported() -> None:
    worker = FlakyWorker(failures=3)
    supervisor = Supervisor(backoff_seconds=(0.01, 0.02))
    supervisor.start(worker)
    for _ in range(200):
        if worker.state == "running":
            break
        await asyncio.sleep(0.01)
    report = supervisor.report()["flaky"]
    assert worker.starts == 4 and report["state"] == "running"
    assert report["restarts"] == 3 and "database away (start 3)" in report["last_error"]
    assert supervisor.ready() and supervisor.healthy()
    await supervisor.stop()


async def test_a_task_down_longer_than_the_limit_makes_the_process_unhealthy() -> None:
    now = [0.0]
    worker = FlakyWorker(failures=1_000_000)
    supervisor = Supervisor(backoff_seconds=(0.01,), down_limit_seconds=60, clock=lambda: now[0])
    supervisor.start(worker)
    await asyncio.sleep(0.05)
    assert not supervisor.ready()
    assert supervisor.report()["flaky"]["state"] == "restarting"
    assert supervisor.healthy(), "down, but not yet for long"
    now[0] = 61.0
    assert not supervisor.healthy()
    await supervisor.stop()


async def test_a_task_that_returns_while_the_service_runs_is_started_again() -> None:
    class Quitter(FlakyWorker):
        async def run(self, stop: asyncio.Event) -> None:
            self.starts += 1
            self.state = "running"
            if self.starts == 1:
                return
            await stop.wait()

    worker = Quitter(failures=0)
    supervisor = Supervisor(backoff_seconds=(0.01,))
    supervisor.start(worker)
    await asyncio.sleep(0.1)
    assert worker.starts == 2
    assert supervisor.report()["flaky"]["last_error"] == "returned while the service runs"
    await supervisor.stop()
