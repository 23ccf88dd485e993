"""Procedure time: the broker's receipt time in production, a linear map in a rehearsal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from oco_shared.clock import FixedClock
from oco_shared.contract.messages import ProcedureClockSet
from oco_shared.deadlines import deadline_for
from oco_shared.procedure_time import (
    ProcedureClock,
    RehearsalNotEnabled,
    Segment,
    Timeline,
    advanced,
    rehearsal_definition,
)
from oco_shared.rounds import AMSTERDAM, DeadlineCode, load_round
from pydantic import ValidationError

BROKER_NOW = datetime(2026, 12, 1, 21, 0, tzinfo=UTC)
JUNE_FIRST = datetime(2026, 6, 1, 0, 0, tzinfo=AMSTERDAM)


def rehearsal(sequence: int = 1, start: datetime = JUNE_FIRST, rate: float = 100_000) -> Segment:
    return Segment(sequence, BROKER_NOW, rehearsal_definition("2027-2028", start, rate))


def test_without_a_definition_procedure_time_is_the_brokers_time() -> None:
    judged = Timeline().judge(BROKER_NOW)
    assert judged.at == BROKER_NOW and judged.rehearsal is None


def test_a_rehearsal_maps_broker_time_linearly_and_marks_the_instant() -> None:
    timeline = Timeline(allow_rehearsal=True)
    timeline.add([rehearsal()])
    judged = timeline.judge(BROKER_NOW + timedelta(seconds=60))
    # 60 real seconds at 100,000 x: 6,000,000 s = 69 days 10 h 40 min after 1 June 00:00.
    assert judged.at == JUNE_FIRST + timedelta(seconds=6_000_000)
    assert judged.rehearsal is not None
    assert judged.rehearsal.round_id == "2027-2028" and judged.rehearsal.rate == 100_000
    assert judged.rehearsal.epoch == BROKER_NOW and judged.rehearsal.start == JUNE_FIRST


def test_a_message_received_before_a_definition_keeps_the_clock_it_arrived_under() -> None:
    timeline = Timeline(allow_rehearsal=True)
    timeline.add([rehearsal()])
    earlier = BROKER_NOW - timedelta(seconds=1)
    assert timeline.judge(earlier).at == earlier


def test_an_advance_holds_from_its_own_broker_time_and_the_past_stays_as_it_was() -> None:
    first = rehearsal(rate=1)
    jump = Segment(
        2,
        BROKER_NOW + timedelta(minutes=1),
        first.definition.model_copy(update={"start": datetime(2026, 8, 1, 9, tzinfo=AMSTERDAM)}),
    )
    timeline = Timeline(allow_rehearsal=True)
    timeline.add([first, jump, first])  # a definition read twice counts once
    assert len(timeline.segments) == 2
    assert timeline.judge(BROKER_NOW + timedelta(seconds=30)).at == JUNE_FIRST + timedelta(
        seconds=30
    )
    after = timeline.judge(BROKER_NOW + timedelta(minutes=1, seconds=5)).at
    assert after == datetime(2026, 8, 1, 9, 0, 5, tzinfo=AMSTERDAM)


def test_fourteen_rehearsed_days_across_the_end_of_summer_time_end_on_the_same_wall_clock() -> None:
    # Elapsed time is added in UTC; the deadline engine counts Amsterdam calendar days.
    start = datetime(2026, 10, 16, 12, 0, tzinfo=AMSTERDAM)
    timeline = Timeline(allow_rehearsal=True)
    timeline.add([rehearsal(start=start, rate=86_400)])  # a day per second
    fourteen_days = timeline.judge(BROKER_NOW + timedelta(seconds=14)).at.astimezone(AMSTERDAM)
    assert fourteen_days.date().isoformat() == "2026-10-30"
    assert fourteen_days.hour == 11  # 14 x 24 hours: the clocks went back an hour on 25 October


def test_a_service_that_may_not_rehearse_refuses_to_judge_on_a_rehearsal_clock() -> None:
    timeline = Timeline(allow_rehearsal=False)
    timeline.add([rehearsal()])
    with pytest.raises(RehearsalNotEnabled, match="OCO_REHEARSAL=true"):
        timeline.judge(BROKER_NOW + timedelta(seconds=1))
    assert timeline.judge(BROKER_NOW - timedelta(seconds=1)).at < BROKER_NOW


def test_stopping_a_rehearsal_returns_to_broker_time() -> None:
    stop = Segment(2, BROKER_NOW + timedelta(minutes=5), ProcedureClockSet())
    timeline = Timeline(allow_rehearsal=False)
    timeline.add([rehearsal(), stop])
    later = BROKER_NOW + timedelta(minutes=6)
    assert timeline.judge(later).at == later and timeline.judge(later).rehearsal is None


def test_the_deadline_ticks_read_procedure_time() -> None:
    timeline = Timeline(allow_rehearsal=True)
    timeline.add([rehearsal(start=datetime(2026, 7, 31, 16, 59, 59, tzinfo=AMSTERDAM), rate=1)])
    system = FixedClock(BROKER_NOW + timedelta(seconds=1))
    window = deadline_for(load_round("2027-2028"), DeadlineCode.INSCRIPTION)
    assert window.contains(ProcedureClock(timeline, system).now())
    system.advance(timedelta(seconds=1))
    assert not window.contains(ProcedureClock(timeline, system).now())


def test_advancing_moves_forward_only() -> None:
    current = rehearsal(rate=1)
    now = BROKER_NOW + timedelta(hours=1)
    with pytest.raises(ValueError, match="only moves forward"):
        advanced(current, JUNE_FIRST + timedelta(minutes=59), now)
    forward = advanced(current, datetime(2026, 8, 1, 9, tzinfo=AMSTERDAM), now)
    assert forward.rehearsal_id == current.definition.rehearsal_id
    assert forward.start == datetime(2026, 8, 1, 9, tzinfo=AMSTERDAM)
    with pytest.raises(ValueError, match="no rehearsal"):
        advanced(Segment(2, BROKER_NOW, ProcedureClockSet()), JUNE_FIRST, now)


@pytest.mark.parametrize(
    "fields",
    [
        {"rehearsal_id": str(uuid.uuid4())},  # a rehearsal without a start
        {"start": JUNE_FIRST.isoformat()},  # a start without a rehearsal
        {"rate": 2.0},  # the real procedure at another rate
        {"rehearsal_id": str(uuid.uuid4()), "start": "2026-06-01T00:00:00", "rate": 1.0},
        {"rehearsal_id": str(uuid.uuid4()), "start": JUNE_FIRST.isoformat(), "rate": 0},
    ],
)
def test_a_definition_that_cannot_be_a_clock_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ProcedureClockSet.model_validate({"type": "ProcedureClockSet", **fields})
