"""Procedure time: the instant the rules judge, as a function of the broker's receipt time.

In production procedure time is the broker's receipt time itself. A rehearsal maps broker
time linearly from an epoch onto a chosen start instant at a chosen rate (1 June 2026
00:00 Amsterdam, 100,000 x real time: the months of a round pass in minutes), so
operators rehearse a round and portals test against any round without touching a
service's internals (architecture.md, "procedure time").

The map is defined once for the whole system: by `ProcedureClockSet` messages on the
clock stream (`<prefix>.clock`), written by the operator. Each definition holds from its
own broker timestamp (its epoch) until the next one, so the map is part of the log: a
message received at broker time t is judged by the last definition recorded at or before
t, and replaying the log gives the same procedure times on any day. Pure: no I/O here.
"""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from oco_shared.clock import Clock, SystemClock, require_aware
from oco_shared.contract.base import RehearsalMark
from oco_shared.contract.messages import ProcedureClockSet
from oco_shared.rounds.model import AMSTERDAM


class RehearsalNotEnabled(RuntimeError):
    """A rehearsal clock reached a service whose settings do not allow one."""


@dataclass(frozen=True)
class ProcedureInstant:
    """When the rules consider a message received, and the rehearsal that says so."""

    at: datetime
    rehearsal: RehearsalMark | None = None


@dataclass(frozen=True)
class Segment:
    """One definition of the clock stream, in force from `epoch` (its broker timestamp)."""

    sequence: int
    epoch: datetime
    definition: ProcedureClockSet

    def judge(self, broker_time: datetime) -> ProcedureInstant:
        definition = self.definition
        if definition.rehearsal_id is None or definition.start is None:
            return ProcedureInstant(broker_time)
        elapsed = (broker_time - self.epoch) * definition.rate
        mark = RehearsalMark(
            rehearsal_id=definition.rehearsal_id,
            round_id=definition.round_id,
            epoch=self.epoch,
            start=definition.start,
            rate=definition.rate,
        )
        # Elapsed time is added in UTC: a rehearsal crosses summer time like the real one.
        return ProcedureInstant(definition.start.astimezone(UTC) + elapsed, mark)


@dataclass
class Timeline:
    """Every definition of the clock stream, in broker order; `judge` maps a broker time."""

    allow_rehearsal: bool = False
    segments: list[Segment] = field(default_factory=list)

    @property
    def last_sequence(self) -> int:
        return self.segments[-1].sequence if self.segments else 0

    @property
    def current(self) -> Segment | None:
        return self.segments[-1] if self.segments else None

    def add(self, segments: Iterable[Segment]) -> None:
        for segment in segments:
            require_aware(segment.epoch, "clock epoch")
            if segment.sequence <= self.last_sequence:
                continue  # read before
            self.segments.append(segment)

    def segment_at(self, broker_time: datetime) -> Segment | None:
        epochs = [segment.epoch for segment in self.segments]
        index = bisect.bisect_right(epochs, broker_time)
        return self.segments[index - 1] if index else None

    def judge(self, broker_time: datetime) -> ProcedureInstant:
        require_aware(broker_time, "broker time")
        segment = self.segment_at(broker_time)
        if segment is None:
            return ProcedureInstant(broker_time)
        if segment.definition.is_rehearsal and not self.allow_rehearsal:
            raise RehearsalNotEnabled(rehearsal_refusal(segment))
        return segment.judge(broker_time)


def rehearsal_refusal(segment: Segment) -> str:
    definition = segment.definition
    return (
        f"the procedure clock is rehearsal {definition.rehearsal_id} of round "
        f"{definition.round_id or '?'} (set at {segment.epoch.isoformat()}, "
        f"{definition.rate:g} x real time); this service does not run on a rehearsal clock "
        "unless OCO_REHEARSAL=true"
    )


@dataclass
class ProcedureClock:
    """The `Clock` that deadline ticks read: now, in procedure time."""

    timeline: Timeline
    system: Clock = field(default_factory=SystemClock)

    def now(self) -> datetime:
        return self.timeline.judge(self.system.now()).at


def rehearsal_definition(
    round_id: str, start: datetime, rate: float, rehearsal_id: uuid.UUID | None = None
) -> ProcedureClockSet:
    return ProcedureClockSet(
        rehearsal_id=rehearsal_id or uuid.uuid4(),
        round_id=round_id,
        start=require_aware(start, "rehearsal start"),
        rate=rate,
    )


def advanced(current: Segment, to: datetime, now: datetime) -> ProcedureClockSet:
    """The same rehearsal jumped forward to `to`; procedure time never runs backwards."""
    definition = current.definition
    if definition.rehearsal_id is None:
        raise ValueError("no rehearsal runs: start one first (oco rehearse start)")
    reached = current.judge(now).at
    if require_aware(to, "advance target") <= reached:
        raise ValueError(
            f"procedure time is already {reached.astimezone(AMSTERDAM).isoformat()}; it only "
            f"moves forward (asked: {to.astimezone(AMSTERDAM).isoformat()})"
        )
    return definition.model_copy(update={"start": to})
