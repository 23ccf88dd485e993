"""The deadline engine: pure functions over a round's rules and recorded times.

Deadlines are Europe/Amsterdam wall-clock days (domain.md, "Deadlines that the log must
enforce"): 14 days that cross the end of summer time are 14 calendar days, not 14 x 24
hours. A window includes its boundary second: an act at 17:00:00 meets a 17:00 deadline,
and one at 23:59:59 meets an end-of-day deadline. All comparisons happen in UTC, because
Python compares two datetimes that share a tzinfo by their wall-clock fields.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from oco_shared.clock import require_aware
from oco_shared.holidays import roll_forward
from oco_shared.rounds.model import (
    AMSTERDAM,
    DeadlineCode,
    DeadlineRule,
    Milestone,
    MilestoneCode,
    Period,
    Round,
    Source,
    Trigger,
)

ONE_SECOND = timedelta(seconds=1)

# Where a trigger has no recorded time yet, the round's timetable says when it happens
# at the latest; the calendar shows the deadlines that follow from those dates.
TRIGGER_MILESTONES: Mapping[Trigger, MilestoneCode] = {
    Trigger.OUTCOME_PUBLISHED: MilestoneCode.OUTCOME_PUBLISHED,
    Trigger.OBJECTION_ANSWERED: MilestoneCode.OBJECTION_ANSWER_DEADLINE,
    Trigger.CONTRACT_STARTS: MilestoneCode.CONTRACT_STARTS,
}


class MissingTrigger(ValueError):
    """A deadline that counts from an event no one has recorded yet."""


@dataclass(frozen=True)
class Deadline:
    code: DeadlineCode
    title: str
    opens_at: datetime | None
    last_second: datetime
    closes_at: datetime
    counted_from: datetime | None
    decided_by: Literal["rule", "published_date", "milestone"]
    rule: str
    source: Source

    def contains(self, instant: datetime) -> bool:
        """Whether an act at `instant` is in time (the boundary second included)."""
        moment = require_aware(instant).astimezone(UTC)
        if self.opens_at is not None and moment < self.opens_at.astimezone(UTC):
            return False
        return moment < self.closes_at.astimezone(UTC)

    def has_passed(self, instant: datetime) -> bool:
        return require_aware(instant).astimezone(UTC) >= self.closes_at.astimezone(UTC)

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "title": self.title,
            "opens_at": self.opens_at.isoformat() if self.opens_at else None,
            "last_second_in_time": self.last_second.isoformat(),
            "closes_at": self.closes_at.isoformat(),
            "counted_from": self.counted_from.isoformat() if self.counted_from else None,
            "decided_by": self.decided_by,
            "rule": self.rule,
            "source": self.source.cite(),
        }


def local(instant: datetime) -> datetime:
    return require_aware(instant).astimezone(AMSTERDAM)


def add_period(day: date, period: Period) -> date:
    """`day` plus a term in calendar units; a month from 31 January ends on the last of February."""
    if period.days is not None:
        return day + timedelta(days=period.days)
    if period.weeks is not None:
        return day + timedelta(weeks=period.weeks)
    assert period.months is not None
    month_index = day.month - 1 + period.months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _closing(day: date, ends: Literal["end_of_day"] | time) -> tuple[datetime, datetime]:
    """(last second in time, first instant out of time) of a deadline on `day`."""
    if ends == "end_of_day":
        closes_at = datetime.combine(day + timedelta(days=1), time(0), tzinfo=AMSTERDAM)
        last_second = (closes_at.astimezone(UTC) - ONE_SECOND).astimezone(AMSTERDAM)
    else:
        last_second = datetime.combine(day, ends, tzinfo=AMSTERDAM)
        closes_at = (last_second.astimezone(UTC) + ONE_SECOND).astimezone(AMSTERDAM)
    return last_second, closes_at


def milestone_closing(milestone: Milestone) -> tuple[datetime, datetime]:
    """A milestone as a deadline: until its time of day, or until the end of its day."""
    return _closing(milestone.date, milestone.time or "end_of_day")


def _describe_end(ends: Literal["end_of_day"] | time) -> str:
    return "until the end of that day" if ends == "end_of_day" else f"until {ends:%H:%M}"


def deadline_for(
    round_: Round, code: DeadlineCode, counted_from: datetime | None = None
) -> Deadline:
    """The deadline `code` of the round; counted rules count from `counted_from`.

    Without `counted_from`, a counted rule counts from the timetable's milestone for its
    trigger (the latest date the round publishes for it).
    """
    rule = round_.deadlines[code]
    if rule.milestone is not None:
        return _fixed_deadline(round_, code, rule)
    return _counted_deadline(round_, code, rule, counted_from)


def _fixed_deadline(round_: Round, code: DeadlineCode, rule: DeadlineRule) -> Deadline:
    assert rule.milestone is not None
    milestone = round_.milestones[rule.milestone]
    last_second, closes_at = milestone_closing(milestone)
    opens_at = round_.milestones[rule.opens_at].starts_at() if rule.opens_at else None
    return Deadline(
        code=code,
        title=rule.title,
        opens_at=opens_at,
        last_second=last_second,
        closes_at=closes_at,
        counted_from=None,
        decided_by="milestone",
        rule=f"fixed in the timetable: {rule.milestone.value} {_milestone_text(milestone)}",
        source=rule.source,
    )


def _counted_deadline(
    round_: Round, code: DeadlineCode, rule: DeadlineRule, counted_from: datetime | None
) -> Deadline:
    assert rule.counts_from is not None and rule.period is not None
    start = _trigger_time(round_, rule.counts_from, counted_from)
    day = add_period(start.date(), rule.period)
    rolled = roll_forward(day) if rule.roll_forward else day
    last_second, closes_at = _closing(rolled, rule.ends)
    text = (
        f"{rule.period.describe()} after {rule.counts_from.value} ({start.date()}), "
        f"{_describe_end(rule.ends)}"
    )
    if rule.roll_forward:
        text += f"; Algemene termijnenwet roll-forward ({day} -> {rolled})"
    decided_by: Literal["rule", "published_date"] = "rule"
    if rule.not_before is not None:
        published = round_.milestones[rule.not_before]
        published_last, published_closes = milestone_closing(published)
        text += (
            f"; never before the published {rule.not_before.value} ({_milestone_text(published)})"
        )
        if published_closes.astimezone(UTC) > closes_at.astimezone(UTC):
            last_second, closes_at, decided_by = published_last, published_closes, "published_date"
        text += "; the later applies"
    return Deadline(
        code=code,
        title=rule.title,
        opens_at=start,
        last_second=last_second,
        closes_at=closes_at,
        counted_from=start,
        decided_by=decided_by,
        rule=text,
        source=rule.source,
    )


def _milestone_text(milestone: Milestone) -> str:
    return (
        f"{milestone.date} {milestone.time:%H:%M}"
        if milestone.time
        else f"{milestone.date}, end of day"
    )


def _trigger_time(round_: Round, trigger: Trigger, counted_from: datetime | None) -> datetime:
    if counted_from is not None:
        return local(counted_from)
    milestone_code = TRIGGER_MILESTONES.get(trigger)
    if milestone_code is None or milestone_code not in round_.milestones:
        raise MissingTrigger(f"the deadline counts from {trigger.value}: give its recorded time")
    return round_.milestones[milestone_code].starts_at()


def deadlines_of(round_: Round, triggers: Mapping[Trigger, datetime]) -> list[Deadline]:
    """Every deadline of the round that can be computed from the recorded triggers."""
    computed = []
    for code, rule in round_.deadlines.items():
        recorded = triggers.get(rule.counts_from) if rule.counts_from else None
        try:
            computed.append(deadline_for(round_, code, recorded))
        except MissingTrigger:
            continue
    return sorted(computed, key=lambda d: d.closes_at.astimezone(UTC))


def next_deadline(
    round_: Round, now: datetime, triggers: Mapping[Trigger, datetime] | None = None
) -> Deadline | None:
    """The first deadline that has not passed at `now`."""
    pending = [d for d in deadlines_of(round_, triggers or {}) if not d.has_passed(now)]
    return pending[0] if pending else None
