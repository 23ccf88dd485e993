"""Every event of the log as one flat CSV row, for a spreadsheet or a script.

Pure over an iterable of logged events (a service, its position there, the typed event),
written row by row: the log is never held in memory. The last column is the event's full
JSON, so nothing of it is lost in the flattening.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Protocol, TextIO

from oco_shared.contract.base import Event

COLUMNS = (
    "service",
    "position",
    "event_id",
    "type",
    "round_id",
    "region_code",
    "provider_id",
    "occurred_at",
    "broker_time",
    "rehearsal_id",
    "json",
)


class Logged(Protocol):
    """An event as a service's log holds it."""

    @property
    def service(self) -> str: ...
    @property
    def position(self) -> int: ...
    @property
    def event(self) -> Event: ...


def row(logged: Logged) -> list[str]:
    event = logged.event
    return [
        logged.service,
        str(logged.position),
        str(event.event_id),
        event.type,
        event.round_id,
        event.region_code or "",
        event.provider_id or "",
        event.occurred_at.isoformat(),
        event.broker_time.isoformat() if event.broker_time else "",
        str(event.rehearsal.rehearsal_id) if event.rehearsal else "",
        event.model_dump_json(),
    ]


class EventCsv:
    """A CSV of events on `out`: the header at once, then a row for each event written."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator="\n")
        self._writer.writerow(COLUMNS)
        self.written = 0

    def write(self, logged: Logged) -> None:
        self._writer.writerow(row(logged))
        self.written += 1

    def write_all(self, logged: Iterable[Logged]) -> int:
        for each in logged:
            self.write(each)
        return self.written
