"""Every event as one CSV row, with the full event as JSON in the last column."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from export_support import procedure
from oco_audit.csv_export import COLUMNS, EventCsv
from oco_shared.contract import REGISTRY, Event


@dataclass(frozen=True)
class Logged:
    service: str
    position: int
    event: Event


def test_one_row_per_event_and_the_json_reads_back_as_the_event() -> None:
    events = procedure()
    logged = [Logged("objection", position, e) for position, e in enumerate(events, start=1)]
    out = io.StringIO()
    assert EventCsv(out).write_all(logged) == len(events)
    header, *rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(header) == COLUMNS
    assert len(rows) == len(events)
    for row, event in zip(rows, events, strict=True):
        record = dict(zip(COLUMNS, row, strict=True))
        assert record["service"] == "objection"
        assert record["event_id"] == str(event.event_id)
        assert record["type"] == event.type
        assert record["region_code"] == (event.region_code or "")
        assert REGISTRY.parse(json.loads(record["json"])) == event
    assert [r[1] for r in rows] == [str(n) for n in range(1, len(events) + 1)]
