"""The deadline ticker on a real PostgreSQL: once per deadline, never early, across
restarts and beside a second replica."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from oco_shared.clock import FixedClock
from oco_shared.contract.events import ObjectionWindowClosed
from oco_shared.eventstore import EventStore, NewEvent
from oco_shared.messaging.log import Wakeup
from oco_shared.messaging.ticker import DeadlineTicker
from oco_shared.supervisor import Supervisor
from plumbing_support import Isolation, Servers
from ticking_support import CLOSES, WindowsClose, opened

pytestmark = pytest.mark.integration


@pytest.fixture
def store(servers: Servers, isolation: Isolation) -> Iterator[EventStore]:
    store = EventStore(servers.database_url, f"{isolation.schema_prefix}ticking")
    store.migrate()
    yield store
    store.close()


def closings(store: EventStore) -> list[ObjectionWindowClosed]:
    return [
        recorded.event
        for recorded in store.notifications(0, 10_000)
        if isinstance(recorded.event, ObjectionWindowClosed)
    ]


class Tickers:
    """Ticker replicas of one service, each under its own supervisor, on one clock."""

    def __init__(self, store: EventStore, database_url: str, clock: FixedClock) -> None:
        self.store, self.database_url, self.clock = store, database_url, clock
        self.running: list[tuple[Supervisor, DeadlineTicker]] = []

    def start(
        self, drained: Callable[[], datetime] = lambda: datetime.max.replace(tzinfo=UTC)
    ) -> DeadlineTicker:
        ticker = DeadlineTicker(
            service="ticking",
            deadlines=WindowsClose(),
            store=self.store,
            database_url=self.database_url,
            clock=self.clock,
            wakeup=Wakeup(),
            drained=drained,
            tick_seconds=0.05,
        )
        supervisor = Supervisor()
        supervisor.start(ticker)
        self.running.append((supervisor, ticker))
        return ticker

    async def stop_all(self) -> None:
        for supervisor, _ in self.running:
            await supervisor.stop()
        self.running.clear()


@pytest.fixture
async def tickers(
    store: EventStore, servers: Servers, isolation: Isolation
) -> AsyncIterator[Tickers]:
    clock = FixedClock(CLOSES - timedelta(hours=1))
    replicas = Tickers(store, servers.database_url, clock)
    yield replicas
    await replicas.stop_all()


async def until(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        await asyncio.sleep(0.05)


async def test_two_replicas_and_many_ticks_raise_a_passed_window_once_at_its_instant(
    store: EventStore, tickers: Tickers
) -> None:
    aggregate = uuid.uuid4()
    store.append([NewEvent(aggregate, 1, opened())])
    first, second = tickers.start(), tickers.start()
    await until(lambda: first.state == "running" or second.state == "running")
    active = first if first.state == "running" else second
    await until(lambda: active.position >= 1 and active.last_tick is not None)
    assert closings(store) == []  # an hour before: nothing

    tickers.clock.set(CLOSES + timedelta(days=2))
    await until(lambda: len(closings(store)) == 1)
    ticks = active.ticks
    await until(lambda: active.ticks > ticks + 3)  # ticked again after recording
    [closed] = closings(store)
    assert closed.occurred_at == CLOSES
    assert {first.state, second.state} == {"running", "waiting_for_lock"}


async def test_a_restart_raises_every_deadline_missed_while_down_exactly_once(
    store: EventStore, tickers: Tickers
) -> None:
    aggregate = uuid.uuid4()
    store.append([NewEvent(aggregate, 1, opened())])
    ticker = tickers.start()
    await until(lambda: ticker.position >= 1 and ticker.last_tick is not None)
    await tickers.stop_all()

    # While no ticker runs: a second window opens, and both windows pass.
    later = CLOSES + timedelta(days=1)
    store.append([NewEvent(aggregate, 2, opened(later))])
    tickers.clock.set(later + timedelta(hours=6))
    restarted = tickers.start()
    await until(lambda: len(closings(store)) == 2)
    assert sorted(c.occurred_at for c in closings(store)) == [CLOSES, later]

    await tickers.stop_all()
    again = tickers.start()  # and once more: nothing new
    await until(lambda: again.position >= 4 and again.ticks > 3)
    assert len(closings(store)) == 2
    assert restarted.recorded == 2 and again.recorded == 0


async def test_a_passed_deadline_waits_until_the_consumers_recorded_what_came_before_it(
    store: EventStore, tickers: Tickers
) -> None:
    consumers_drained_at = datetime.min.replace(tzinfo=UTC)  # a consumer busy with a backlog
    aggregate = uuid.uuid4()
    store.append([NewEvent(aggregate, 1, opened())])
    tickers.clock.set(CLOSES + timedelta(minutes=1))
    ticker = tickers.start(drained=lambda: consumers_drained_at)
    await until(lambda: ticker.position >= 1 and ticker.ticks > 5)
    assert closings(store) == [] and ticker.status()["waiting_for_consumers"]

    consumers_drained_at = datetime.now(UTC)  # its next pull found nothing waiting
    await until(lambda: len(closings(store)) == 1)
    assert closings(store)[0].occurred_at == CLOSES
