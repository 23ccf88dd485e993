"""The deadline ticker's pure part: what it records for an aggregate at a given instant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from oco_shared.contract import Event
from oco_shared.messaging.ticker import Due, Schedule, deadline_event_id, raised
from ticking_support import CLOSES, WindowsClose, closing, opened

AGGREGATE = uuid.uuid4()


def test_nothing_is_raised_before_the_deadline_instant() -> None:
    before = CLOSES - timedelta(microseconds=1)
    assert raised(WindowsClose(), AGGREGATE, [opened()], before) == []


def test_a_passed_deadline_is_raised_at_its_own_instant_not_the_ticks() -> None:
    window = opened()
    tick = CLOSES + timedelta(days=3, hours=5)
    [new] = raised(WindowsClose(), AGGREGATE, [window], tick)
    assert new.event.occurred_at == CLOSES
    assert (new.aggregate_id, new.version) == (AGGREGATE, 2)
    assert new.event.event_id == deadline_event_id(AGGREGATE, f"closed:{window.event_id}")


def test_a_deadline_the_aggregate_holds_is_never_raised_again() -> None:
    window = opened()
    tick = CLOSES + timedelta(hours=1)
    [first] = raised(WindowsClose(), AGGREGATE, [window], tick)
    assert raised(WindowsClose(), AGGREGATE, [window, first.event], tick + timedelta(days=9)) == []


def test_a_due_function_that_returns_a_future_instant_is_not_believed() -> None:
    class Eager(WindowsClose):
        def due(self, aggregate_id: uuid.UUID, events: Sequence[Event], now: datetime) -> list[Due]:
            return [Due("early", CLOSES, closing(opened()))]

    assert raised(Eager(), AGGREGATE, [opened()], CLOSES - timedelta(seconds=1)) == []


def test_several_deadlines_of_one_aggregate_get_consecutive_versions() -> None:
    windows = [opened(CLOSES), opened(CLOSES + timedelta(days=1))]
    decided = raised(WindowsClose(), AGGREGATE, windows, CLOSES + timedelta(days=2))
    assert [new.version for new in decided] == [3, 4]
    assert [new.event.occurred_at for new in decided] == [w.closes_at for w in windows]


def test_the_schedule_gives_each_due_aggregate_once_and_keeps_the_rest() -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    schedule = Schedule()
    schedule.add(CLOSES, first)
    schedule.add(CLOSES, first)  # asked twice for the same instant
    schedule.add(CLOSES + timedelta(hours=2), first)
    schedule.add(CLOSES + timedelta(days=1), second)
    assert schedule.pop_due(CLOSES - timedelta(seconds=1)) == []
    assert schedule.pop_due(CLOSES + timedelta(hours=3)) == [first]
    assert schedule.next_at == (CLOSES + timedelta(days=1)).astimezone(UTC)
    assert len(schedule) == 1
