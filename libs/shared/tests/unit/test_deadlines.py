"""The deadline engine on the rounds' own data, including summer-time edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from oco_shared.clock import AcceleratedClock, FixedClock
from oco_shared.deadlines import add_period, deadline_for, deadlines_of, next_deadline
from oco_shared.holidays import easter_sunday, roll_forward
from oco_shared.rounds import AMSTERDAM, DeadlineCode, Trigger, load_round
from oco_shared.rounds.model import DeadlineRule, Period, Source

ROUND_2027 = load_round("2027-2028")
SOURCE = Source(file="000_d8e1bdfab127271e.txt", section="test")


def ams(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=AMSTERDAM)  # type: ignore[misc]


def test_objection_window_2027_closes_at_the_end_of_2_october() -> None:
    window = deadline_for(ROUND_2027, DeadlineCode.OBJECTION, ams(2026, 9, 18, 16, 0))
    assert window.closes_at == ams(2026, 10, 3, 0, 0)
    assert window.closes_at.utcoffset() == timedelta(hours=2)
    assert window.contains(ams(2026, 10, 2, 23, 59, 59))
    assert not window.contains(ams(2026, 10, 3, 0, 0))


def test_kort_geding_2027_counts_wall_clock_days_across_the_end_of_summer_time() -> None:
    term = deadline_for(ROUND_2027, DeadlineCode.KORT_GEDING, ams(2026, 10, 16, 12, 0))
    assert term.closes_at.isoformat() == "2026-10-31T00:00:00+01:00"
    assert term.contains(ams(2026, 10, 30, 23, 59, 59))
    assert not term.contains(datetime(2026, 10, 30, 23, 0, tzinfo=UTC))
    # 14 x 24 hours from the answer would end an hour earlier in local time.
    assert term.closes_at.astimezone(UTC) - ams(2026, 10, 17, 0, 0).astimezone(UTC) == timedelta(
        days=14, hours=1
    )


def test_a_late_publication_moves_the_objection_deadline() -> None:
    window = deadline_for(ROUND_2027, DeadlineCode.OBJECTION, ams(2026, 9, 25, 9, 0))
    assert window.closes_at == ams(2026, 10, 10, 0, 0)
    assert window.decided_by == "rule"


def test_an_early_publication_never_closes_before_the_published_date() -> None:
    window = deadline_for(ROUND_2027, DeadlineCode.OBJECTION, ams(2026, 9, 10, 9, 0))
    assert window.closes_at == ams(2026, 10, 3, 0, 0)
    assert window.decided_by == "published_date"


def test_2018_objection_counts_15_days_with_the_publication_as_day_1_until_17_00() -> None:
    # 002_… 3 and the timetable: "binnen 15 kalenderdagen", "tot 29 september 2017 17.00
    # uur" for a 15 September outcome (domain.md, Deadlines).
    round_2018 = load_round("2018-2020")
    published = round_2018.milestones[round_2018.deadlines[DeadlineCode.OBJECTION].not_before]  # type: ignore[index]
    assert (published.date, published.time) == (date(2017, 9, 29), time(17, 0))
    window = deadline_for(round_2018, DeadlineCode.OBJECTION, ams(2017, 9, 15, 12, 0))
    assert window.contains(ams(2017, 9, 29, 17, 0))
    assert window.closes_at == ams(2017, 9, 29, 17, 0, 1)  # not 30 September 23:59:59
    late = deadline_for(round_2018, DeadlineCode.OBJECTION, ams(2017, 9, 18, 12, 0))
    assert late.last_second == ams(2017, 10, 2, 17, 0)  # three days later, still 17:00


def test_2018_kort_geding_counts_20_days_from_the_outcome_not_the_answer() -> None:
    round_2018 = load_round("2018-2020")
    assert round_2018.deadlines[DeadlineCode.KORT_GEDING].counts_from is Trigger.OUTCOME_PUBLISHED
    term = deadline_for(round_2018, DeadlineCode.KORT_GEDING, ams(2017, 9, 15, 12, 0))
    assert term.last_second.date() == date(2017, 10, 5)
    assert term.counted_from == ams(2017, 9, 15, 12, 0)


def test_inscription_2027_includes_the_closing_second_and_not_the_next() -> None:
    inscription = deadline_for(ROUND_2027, DeadlineCode.INSCRIPTION)
    assert inscription.contains(ams(2026, 7, 31, 17, 0, 0))
    assert inscription.contains(ams(2026, 7, 31, 17, 0, 0).replace(microsecond=999_999))
    assert not inscription.contains(ams(2026, 7, 31, 17, 0, 1))
    assert not inscription.contains(ams(2026, 5, 31, 23, 59, 59))


def test_next_deadline_follows_the_clock() -> None:
    clock = FixedClock(ams(2026, 7, 1, 9, 0))
    assert next_deadline(ROUND_2027, clock.now()).code is DeadlineCode.INSCRIPTION  # type: ignore[union-attr]
    clock.set(ams(2026, 8, 1, 9, 0))
    following = next_deadline(
        ROUND_2027, clock.now(), {Trigger.OUTCOME_PUBLISHED: ams(2026, 9, 18, 16, 0)}
    )
    assert following is not None and following.code is DeadlineCode.OBJECTION


def test_every_counted_deadline_needs_its_trigger_or_a_timetable_date() -> None:
    codes = {d.code for d in deadlines_of(ROUND_2027, {})}
    assert DeadlineCode.OBJECTION in codes
    assert DeadlineCode.OTHER_DISPUTES not in codes  # counts from a circumstance nobody recorded


def test_accelerated_clock_runs_faster_than_real_time() -> None:
    clock = AcceleratedClock(start=ams(2026, 9, 18, 16, 0), factor=3600.0)
    first = clock.now()
    later = clock.now()
    assert first >= ams(2026, 9, 18, 16, 0)
    assert later >= first
    with pytest.raises(ValueError, match="positive"):
        AcceleratedClock(start=first, factor=0)


def test_easter_and_atw_roll_forward() -> None:
    assert easter_sunday(2026) == date(2026, 4, 5)
    assert easter_sunday(2017) == date(2017, 4, 16)
    assert roll_forward(date(2026, 10, 3)) == date(2026, 10, 5)  # Saturday -> Monday
    assert roll_forward(date(2026, 12, 25)) == date(2026, 12, 28)  # Christmas, then a weekend
    assert roll_forward(date(2026, 4, 6)) == date(2026, 4, 7)  # Easter Monday


def test_roll_forward_applies_only_to_rules_that_say_so() -> None:
    rule = ROUND_2027.deadlines[DeadlineCode.OBJECTION].model_copy(
        update={"roll_forward": True, "not_before": None}
    )
    rolled = ROUND_2027.model_copy(
        update={"deadlines": {**ROUND_2027.deadlines, DeadlineCode.OBJECTION: rule}}
    )
    # 19 Sep + 14 days = Saturday 3 October 2026 -> Monday 5 October.
    window = deadline_for(rolled, DeadlineCode.OBJECTION, ams(2026, 9, 19, 10, 0))
    assert window.last_second.date() == date(2026, 10, 5)
    assert "roll-forward" in window.rule


# Properties of the engine, over any instant of several years and any term.

instants = st.datetimes(
    min_value=datetime(2017, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(AMSTERDAM)
).map(lambda moment: moment.astimezone(AMSTERDAM))
terms = st.integers(min_value=0, max_value=400)
ends = st.one_of(st.just("end_of_day"), st.times().map(lambda t: t.replace(microsecond=0)))


def _rule(days: int, end: object, rolls: bool = False) -> DeadlineRule:
    return DeadlineRule(
        title="test",
        counts_from=Trigger.OUTCOME_PUBLISHED,
        period=Period(days=days),
        ends=end,
        roll_forward=rolls,
        source=SOURCE,  # type: ignore[arg-type]
    )


def _with_rule(rule: DeadlineRule):  # type: ignore[no-untyped-def]
    deadlines = {**ROUND_2027.deadlines, DeadlineCode.OBJECTION: rule}
    return ROUND_2027.model_copy(update={"deadlines": deadlines})


@given(start=instants, days=terms, end=ends, rolls=st.booleans())
def test_a_deadline_never_lies_before_its_start(
    start: datetime, days: int, end: object, rolls: bool
) -> None:
    window = deadline_for(_with_rule(_rule(days, end, rolls)), DeadlineCode.OBJECTION, start)
    if end == "end_of_day" or days > 0:
        assert window.closes_at.astimezone(UTC) > start.astimezone(UTC)
    assert window.last_second.date() >= start.date()


@given(start=instants, days=terms, more=st.integers(min_value=0, max_value=60), end=ends)
def test_adding_days_is_monotonic(start: datetime, days: int, more: int, end: object) -> None:
    shorter = deadline_for(_with_rule(_rule(days, end)), DeadlineCode.OBJECTION, start)
    longer = deadline_for(_with_rule(_rule(days + more, end)), DeadlineCode.OBJECTION, start)
    assert shorter.closes_at.astimezone(UTC) <= longer.closes_at.astimezone(UTC)


@given(start=instants, days=terms, end=ends, probe=instants)
def test_every_instant_is_inside_or_outside_and_the_boundary_second_is_inside(
    start: datetime, days: int, end: object, probe: datetime
) -> None:
    window = deadline_for(_with_rule(_rule(days, end)), DeadlineCode.OBJECTION, start)
    inside = window.contains(probe)
    outside = probe.astimezone(UTC) < start.astimezone(UTC) or window.has_passed(probe)
    assert inside != outside
    if window.last_second.astimezone(UTC) >= start.astimezone(UTC):
        assert window.contains(window.last_second)
        assert window.contains(window.last_second.astimezone(UTC) + timedelta(microseconds=999_999))
    assert not window.contains(window.closes_at)
    assert window.closes_at.astimezone(UTC) - window.last_second.astimezone(UTC) == timedelta(
        seconds=1
    )


@given(
    day=st.dates(min_value=date(2017, 1, 1), max_value=date(2030, 12, 31)),
    months=st.integers(0, 24),
)
def test_adding_months_keeps_the_day_or_ends_the_month(day: date, months: int) -> None:
    later = add_period(day, Period(months=months))
    assert (later.year - day.year) * 12 + later.month - day.month == months
    assert later.day == day.day or (later.day < day.day and (later + timedelta(days=1)).day == 1)
