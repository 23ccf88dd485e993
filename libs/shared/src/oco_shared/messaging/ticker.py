"""The deadline ticker: passing deadlines recorded as events, once each, on procedure time.

A service names its deadlines through a `Deadlines` port of two pure functions:
- `watch(event)`: the instants at which the aggregate of a recorded event must be looked at
  again (a window's closing, an answer's due date);
- `due(aggregate_id, events, now)`: given that aggregate's recorded events and procedure
  time `now`, the deadline events that are due, each with a `key` naming the deadline
  within its aggregate and the instant `at` it passed.

The ticker follows the service's own log to learn what to watch, and on each tick records
what is due through the same one-transaction path as handled events (`EventStore.transact`),
which makes it idempotent:
- the event's id is derived from its aggregate and key, and an id the aggregate holds is
  never recorded again (a second tick, a restart);
- one ticker per service runs at a time (a PostgreSQL advisory lock), and a second writer
  would lose on the aggregate's version anyway (two replicas);
- nothing is recorded before its instant, nor before the service's consumers have
  recorded every message the broker received until the tick (`drained`): a filing
  received a second before a window closed is counted in its closing;
- after a restart the log is read again from the start, so every deadline missed
  meanwhile is raised, once.

Replay never reads the wall clock: the event carries the deadline instant as its
`occurred_at`, not the tick's time; on a rehearsal clock it is marked with the rehearsal.
"""

from __future__ import annotations

import asyncio
import heapq
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from oco_shared.clock import Clock, require_aware
from oco_shared.contract import Event
from oco_shared.eventstore import (
    BatchReader,
    ConcurrencyConflict,
    EventStore,
    NewEvent,
    Recording,
)
from oco_shared.messaging.consumer import close_quietly, hold_advisory_lock
from oco_shared.messaging.log import Wakeup, wait_for_wakeup
from oco_shared.messaging.procedure_clock import ClockFollower, log_segments
from oco_shared.procedure_time import Timeline

log = structlog.get_logger(__name__)

DEADLINE_NAMESPACE = uuid.UUID("3b0f7c52-6d1e-4a8b-9f2c-5e4d3c2b1a09")


@dataclass(frozen=True)
class Due:
    """A deadline event due in an aggregate: `key` names the deadline there, `at` is the
    instant it passed (the event's `occurred_at`)."""

    key: str
    at: datetime
    event: Event


class Deadlines(Protocol):
    """A service's deadlines, as pure functions of its recorded events."""

    name: str

    def watch(self, event: Event) -> Iterable[datetime]: ...

    def due(
        self, aggregate_id: uuid.UUID, events: Sequence[Event], now: datetime
    ) -> Sequence[Due]: ...


def deadline_event_id(aggregate_id: uuid.UUID, key: str) -> uuid.UUID:
    """One id per deadline of an aggregate, whoever raises it and however often."""
    return uuid.uuid5(DEADLINE_NAMESPACE, f"{aggregate_id}:{key}")


def raised(
    deadlines: Deadlines,
    aggregate_id: uuid.UUID,
    events: Sequence[Event],
    now: datetime,
    stamp: dict[str, Any] | None = None,
) -> list[NewEvent]:
    """The events to record for one aggregate at `now`: those due that it does not hold
    yet, none before its instant, each with its deadline's id and instant."""
    now_utc = require_aware(now, "tick time").astimezone(UTC)
    held = {event.event_id for event in events}
    decided: list[NewEvent] = []
    for due in deadlines.due(aggregate_id, events, now):
        event_id = deadline_event_id(aggregate_id, due.key)
        if event_id in held or require_aware(due.at).astimezone(UTC) > now_utc:
            continue
        held.add(event_id)
        event = due.event.model_copy(
            update={"event_id": event_id, "occurred_at": due.at, **(stamp or {})}
        )
        decided.append(NewEvent(aggregate_id, len(events) + len(decided) + 1, event))
    return decided


class Schedule:
    """Which aggregate to look at when: the earliest instants first."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, uuid.UUID]] = []
        self._queued: set[tuple[datetime, uuid.UUID]] = set()

    def add(self, at: datetime, aggregate_id: uuid.UUID) -> None:
        entry = (require_aware(at).astimezone(UTC), aggregate_id)
        if entry not in self._queued:
            self._queued.add(entry)
            heapq.heappush(self._heap, entry)

    def pop_due(self, now: datetime) -> list[uuid.UUID]:
        """Every aggregate with an instant at or before `now`, once each."""
        now_utc = now.astimezone(UTC)
        found: dict[uuid.UUID, None] = {}
        while self._heap and self._heap[0][0] <= now_utc:
            entry = heapq.heappop(self._heap)
            self._queued.discard(entry)
            found[entry[1]] = None
        return list(found)

    @property
    def next_at(self) -> datetime | None:
        return self._heap[0][0] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)


class DeadlineTicker:
    """One service's deadlines as one supervised task."""

    def __init__(
        self,
        *,
        service: str,
        deadlines: Deadlines,
        store: EventStore,
        database_url: str,
        clock: Clock,
        wakeup: Wakeup,
        timeline: Timeline | None = None,
        follower: ClockFollower | None = None,
        drained: Callable[[], datetime] = lambda: datetime.max.replace(tzinfo=UTC),
        tick_seconds: float = 1.0,
        batch_size: int = 1000,
    ) -> None:
        self.service = service
        self.deadlines = deadlines
        self.store = store
        self.database_url = database_url
        self.clock = clock
        self.wakeup = wakeup
        self.woken = wakeup.subscribe()
        self.timeline = timeline
        self.follower = follower
        self.drained = drained
        self._due_seen_at: datetime | None = None
        self.tick_seconds = tick_seconds
        self.batch_size = batch_size
        self.state = "starting"
        self.position = 0
        self.recorded = 0
        self.ticks = 0
        self.last_tick: datetime | None = None
        self.schedule = Schedule()

    @property
    def name(self) -> str:
        return f"ticker:{self.deadlines.name}"

    def status(self) -> dict[str, Any]:
        next_at = self.schedule.next_at
        return {
            "state": self.state,
            "position": self.position,
            "recorded": self.recorded,
            "ticks": self.ticks,
            "watched": len(self.schedule),
            "next_due": next_at.isoformat() if next_at else None,
            "last_tick": self.last_tick.isoformat() if self.last_tick else None,
            "waiting_for_consumers": self._due_seen_at is not None,
        }

    async def run(self, stop: asyncio.Event) -> None:
        # A restart learns every deadline again from the start of the log.
        self.position, self.schedule = 0, Schedule()
        lock = await hold_advisory_lock(
            self.database_url, f"ticker:{self.store.schema}", stop, self._waiting
        )
        if lock is None:
            return
        try:
            await self.wakeup.listen(lock)
            self.state = "running"
            while not stop.is_set():
                await self._follow()
                if await self.tick() == 0:
                    await wait_for_wakeup(self.woken, stop, self.tick_seconds)
        finally:
            await close_quietly(lock)

    def _waiting(self) -> None:
        self.state = "waiting_for_lock"

    async def _follow(self) -> None:
        """Read the log since the last call; schedule what its events ask to watch."""
        while True:
            recorded = await asyncio.to_thread(
                self.store.notifications, self.position, self.batch_size
            )
            for entry in recorded:
                for at in self.deadlines.watch(entry.event):
                    self.schedule.add(at, entry.aggregate_id)
            if recorded:
                self.position = recorded[-1].position
            if len(recorded) < self.batch_size:
                return

    async def tick(self) -> int:
        """Record what is due now; return how many events were recorded."""
        if self.follower is not None:
            log_segments(await self.follower.catch_up())
        now = self.clock.now()
        self.last_tick, self.ticks = now, self.ticks + 1
        next_at = self.schedule.next_at
        if next_at is None or next_at > now.astimezone(UTC):
            return 0
        # Something is due: first every message received until now must be recorded.
        if self._due_seen_at is None:
            self._due_seen_at = datetime.now(UTC)
        if self.drained() < self._due_seen_at:
            return 0
        self._due_seen_at = None
        aggregates = self.schedule.pop_due(now)
        stamp = self._stamp(now)
        try:
            count = await asyncio.to_thread(self._record, aggregates, now, stamp)
        except ConcurrencyConflict as conflict:
            # A consumer recorded in the same aggregate meanwhile: look again next tick,
            # with what it recorded.
            log.info("ticker.conflict", ticker=self.name, error=str(conflict)[:300])
            count = 0
            self._look_again(aggregates, now)
        except Exception:
            self._look_again(aggregates, now)
            raise
        if count:
            self.recorded += count
            self.wakeup.notify()
            log.info("ticker.recorded", ticker=self.name, count=count, now=now.isoformat())
        return count

    def _look_again(self, aggregates: list[uuid.UUID], now: datetime) -> None:
        for aggregate_id in aggregates:
            self.schedule.add(now, aggregate_id)

    def _stamp(self, now: datetime) -> dict[str, Any]:
        """On a rehearsal clock, the rehearsal every raised event belongs to."""
        if self.timeline is None or self.timeline.current is None:
            return {}
        current = self.timeline.current
        if not current.definition.is_rehearsal:
            return {}
        # The mark is the same at every broker time of the segment; its epoch will do.
        return {"rehearsal": current.judge(current.epoch).rehearsal}

    def _record(self, aggregates: list[uuid.UUID], now: datetime, stamp: dict[str, Any]) -> int:
        def work(reader: BatchReader) -> tuple[Recording, int]:
            events: list[NewEvent] = []
            for aggregate_id in aggregates:
                held = reader.aggregate_events(aggregate_id)
                events += raised(self.deadlines, aggregate_id, held, now, stamp)
            return Recording(events=events), len(events)

        return self.store.transact(work)
