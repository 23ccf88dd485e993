"""The Clock port: the only way code asks what time it is.

Deciding code never reads the wall clock itself; it takes the time recorded in the log
(the broker's receipt time) and, for ticks that raise passing deadlines, a `Clock`.
Replay uses recorded times only, so it gives the same answers on any day.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def require_aware(instant: datetime, what: str = "instant") -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{what} {instant.isoformat()} has no timezone")
    return instant


@dataclass
class FixedClock:
    """A clock that stands still until a test moves it."""

    instant: datetime

    def __post_init__(self) -> None:
        require_aware(self.instant, "FixedClock instant")

    def now(self) -> datetime:
        return self.instant

    def advance(self, by: timedelta) -> None:
        # Elapsed time, not wall-clock time: add in UTC.
        self.instant = self.instant.astimezone(UTC) + by

    def set(self, instant: datetime) -> None:
        self.instant = require_aware(instant, "FixedClock instant")


@dataclass
class AcceleratedClock:
    """Virtual time that starts at `start` and runs `factor` times faster than real time.

    For demos and soak tests that must pass weeks of a procedure in minutes.
    """

    start: datetime
    factor: float
    _real_start: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        require_aware(self.start, "AcceleratedClock start")
        if self.factor <= 0:
            raise ValueError(f"factor must be positive, got {self.factor}")

    def now(self) -> datetime:
        elapsed = time.monotonic() - self._real_start
        return self.start.astimezone(UTC) + timedelta(seconds=elapsed * self.factor)
