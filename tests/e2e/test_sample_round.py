"""The sample round played through the services on a real broker and database.

The simulator plays the portals and the zorgkantoren on a rehearsal clock; the services
run as deployed (their procedure clock read from the broker, `OCO_REHEARSAL=true`). Two
runs of the same seed, each in a world of its own, come to the same outcome per region.
"""

from __future__ import annotations

from typing import Any

import pytest
from oco_assessment.bootstrap import bootstrap as assessment
from oco_devstack.simulation.player import play
from oco_devstack.simulation.report import event_counts, refusal_counts, region_report
from oco_devstack.simulation.scenario import sample_round
from oco_intake.bootstrap import bootstrap as intake
from oco_shared.rounds import load_round
from plumbing_support import Isolation, Servers

pytestmark = pytest.mark.integration

SEED = 2027


async def played(
    servers: Servers, isolation: Isolation, round_id: str = "2027-2028"
) -> list[dict[str, Any]]:
    settings = isolation.settings(servers, rehearsal=True)
    services = [intake(settings), assessment(settings)]
    for service in services:
        await service.start()
    try:
        log = await play(sample_round(SEED, round_id), settings)
    finally:
        for service in services:
            await service.stop()
    assert log.dead_letters == []
    return log.events


async def test_the_sample_round_is_decided_the_same_way_twice(
    servers: Servers, isolation: Isolation, second_isolation: Isolation
) -> None:
    first = await played(servers, isolation)
    report = region_report(first)
    round_ = load_round("2027-2028")
    # Every region of the round published its selection, within its places, after a lot
    # where the last place was tied.
    assert len(report) == sum(len(u.regions) for u in round_.uitvoerders)
    for region, outcome in report.items():
        assert 1 <= len(outcome["selected"]) <= outcome["places"] <= 4, region
    assert any(outcome["lot"] for outcome in report.values())
    assert any(outcome["places"] < 4 for outcome in report.values())
    assert any("unsuitable" in outcome["rejected"].values() for outcome in report.values())
    refusals = refusal_counts(first)
    assert {"inscription_closed", "document_too_old", "document_missing"} <= set(refusals)
    counts = event_counts(first)
    assert counts["InscriptionWithdrawn"] >= 1 and counts["LotDrawn"] >= 1
    assert all(event["rehearsal"] and event["broker_time"] for event in first)

    second = await played(servers, second_isolation)
    assert region_report(second) == report
    assert event_counts(second) == counts


async def test_a_2018_round_lets_existing_organisations_keep_their_place(
    servers: Servers, isolation: Isolation, second_isolation: Isolation
) -> None:
    """002_ecc96e9cc94e3a31.txt 2.1.3: suitable existing organisations keep their place;
    new ones compete for the rest. No questions, no Nota in that round."""
    events = await played(servers, isolation, "2018-2020")
    kept = [
        outcome
        for event in events
        if event["type"] == "SelectionPublished"
        for outcome in event["outcomes"]
        if outcome["reason"] == "existing_keeps_place"
    ]
    assert kept and all(outcome["outcome"] == "selected" for outcome in kept)
    assert "QuestionReceived" not in event_counts(events)
    report = region_report(events)
    assert len(report) == 31
    assert all(len(o["selected"]) <= o["places"] for o in report.values())
    again = await played(servers, second_isolation, "2018-2020")
    assert region_report(again) == report
