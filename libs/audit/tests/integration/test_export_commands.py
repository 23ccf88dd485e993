"""`oco audit timeline` and `oco audit export` against a real log: the sample round played
through the four services on a real broker and database, then read back from the
services' stores by the commands as an operator runs them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from oco_assessment.bootstrap import bootstrap as assessment
from oco_audit.ocds import validation_errors
from oco_contracting.bootstrap import bootstrap as contracting
from oco_devstack.simulation.player import play
from oco_devstack.simulation.scenario import sample_round
from oco_intake.bootstrap import bootstrap as intake
from oco_objection.bootstrap import bootstrap as objection
from oco_shared.messaging.topology import SERVICES
from plumbing_support import Isolation, Servers, stored_event_count
from psycopg import errors

pytestmark = pytest.mark.integration

OCO = [sys.executable, "-m", "oco_shared.cli"]
ROUND = "2027-2028"


def stored_events(servers: Servers, isolation: Isolation) -> int:
    total = 0
    for service in SERVICES:
        try:
            total += stored_event_count(
                servers, f"{isolation.schema_prefix}{service}", log_records=True
            )
        except errors.UndefinedTable:
            continue  # a service that did not run has no log
    return total


async def test_the_sample_round_exports_and_draws(
    servers: Servers, isolation: Isolation, tmp_path: Path
) -> None:
    settings = isolation.settings(servers, rehearsal=True)
    services = [
        intake(settings),
        assessment(settings),
        objection(settings),
        contracting(settings),
    ]
    for service in services:
        await service.start()
    try:
        log = await play(sample_round(2027, ROUND), settings)
    finally:
        for service in services:
            await service.stop()
    assert log.dead_letters == []
    env = isolation.env(servers)

    def oco(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*OCO, *args], env=env, capture_output=True, text=True, timeout=300, check=False
        )

    # CSV: one row per stored event, each with its service and position.
    exported = oco("audit", "export", "--round", ROUND, "--format", "csv")
    assert exported.returncode == 0, exported.stderr
    header, *rows = list(csv.reader(io.StringIO(exported.stdout)))
    assert header[:2] == ["service", "position"]
    assert len(rows) == stored_events(servers, isolation) > 0
    assert {row[0] for row in rows} == {"intake", "assessment", "objection", "contracting"}
    assert all(row[9] for row in rows), "every event of a rehearsal names its rehearsal"

    # OCDS: valid, with an award per party of every published region.
    ocds_file = tmp_path / "round.json"
    exported = oco("audit", "export", "--round", ROUND, "--format", "ocds", "--out", str(ocds_file))
    assert exported.returncode == 0, exported.stderr
    package = json.loads(ocds_file.read_text())
    assert validation_errors(package) == []
    awards = package["releases"][-1]["awards"]
    published = [e for e in log.events if e["type"] == "SelectionPublished"]
    latest = {e["region_code"]: e for e in sorted(published, key=lambda e: e["edition"])}
    assert len(awards) == sum(len(e["outcomes"]) for e in latest.values())
    assert package["releases"][-1]["rehearsalId"] == log.events[0]["rehearsal"]["rehearsal_id"]

    # The timeline: every milestone, and the inscriptions refused after the close in red.
    picture = tmp_path / "timeline.svg"
    drawn = oco("audit", "timeline", "--round", ROUND, "--out", str(picture))
    assert drawn.returncode == 0, drawn.stderr
    root = ET.fromstring(picture.read_text())
    classes = [element.get("class", "").split() for element in root.iter()]
    assert sum("milestone" in c for c in classes) == 10
    late_refusals = {
        e["event_id"] for e in log.events if any(r.get("deadline") for r in e.get("refusals", ()))
    }
    marked_late = {
        element.get("data-event-id")
        for element in root.iter()
        if "late" in element.get("class", "").split()
    }
    assert late_refusals and late_refusals <= marked_late
    page = tmp_path / "amsterdam.html"
    drawn = oco("audit", "timeline", "--round", ROUND, "--region", "amsterdam", "--out", str(page))
    assert drawn.returncode == 0, drawn.stderr
    assert "<svg" in page.read_text() and "objection_window" in page.read_text()

    refused = oco("audit", "timeline", "--round", ROUND, "--out", str(tmp_path / "t.pdf"))
    assert refused.returncode == 2 and ".svg, .html, .png" in refused.stderr
