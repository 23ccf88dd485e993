"""One supervisor for every long-running task of a service process.

A task that raises (or returns while the service runs) is logged with its traceback at
once and restarted with back-off. `/readyz` reports each task's state; `/healthz` fails
when a task has been down longer than `down_limit`, so that Kubernetes restarts the pod.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

log = structlog.get_logger(__name__)


UP = ("running", "waiting_for_lock")  # states in which a task does its work (or may)


class Worker(Protocol):
    """A long-running task: runs until `stop` is set; keeps `state` up to date."""

    state: str

    @property
    def name(self) -> str: ...

    def status(self) -> dict[str, Any]: ...

    def run(self, stop: asyncio.Event) -> Awaitable[None]: ...


@dataclass
class Supervised:
    worker: Worker
    restarts: int = 0
    down_since: float | None = None
    last_error: str | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class Supervisor:
    def __init__(
        self,
        *,
        backoff_seconds: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0),
        down_limit_seconds: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backoff_seconds = backoff_seconds
        self.down_limit_seconds = down_limit_seconds
        self._clock = clock
        self._tasks: list[Supervised] = []
        self._stop = asyncio.Event()

    def start(self, worker: Worker) -> None:
        supervised = Supervised(worker)
        supervised.task = asyncio.create_task(self._keep_running(supervised), name=worker.name)
        self._tasks.append(supervised)

    async def _keep_running(self, supervised: Supervised) -> None:
        worker, failures = supervised.worker, 0
        while not self._stop.is_set():
            started = self._clock()
            try:
                await worker.run(self._stop)
            except Exception as error:
                supervised.last_error = repr(error)
                log.error("task.failed", task=worker.name, exc_info=error)
            else:
                if self._stop.is_set():
                    return
                supervised.last_error = "returned while the service runs"
                log.error("task.returned", task=worker.name)
            worker.state = "restarting"
            if supervised.down_since is None:
                supervised.down_since = self._clock()
            # A task that ran a good while before failing starts again from the first step.
            failures = 1 if self._clock() - started > 60 else failures + 1
            supervised.restarts += 1
            delay = self.backoff_seconds[min(failures, len(self.backoff_seconds)) - 1]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)

    def _refresh(self) -> None:
        for supervised in self._tasks:
            if supervised.worker.state in UP:
                supervised.down_since = None

    def report(self) -> dict[str, dict[str, Any]]:
        """Each task's state, position and restarts, for `/readyz`."""
        self._refresh()
        return {
            s.worker.name: {
                **s.worker.status(),
                "restarts": s.restarts,
                "last_error": s.last_error,
            }
            for s in self._tasks
        }

    def ready(self) -> bool:
        return all(s.worker.state in UP for s in self._tasks)

    def healthy(self) -> bool:
        """False when a task has been down longer than the limit: restart the process."""
        self._refresh()
        now = self._clock()
        return all(
            s.down_since is None or now - s.down_since < self.down_limit_seconds
            for s in self._tasks
        )

    async def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        tasks = [s.task for s in self._tasks if s.task is not None]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
