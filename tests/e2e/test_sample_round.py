"""The sample round played through the services on a real broker and database.

The simulator plays the portals and the zorgkantoren on a rehearsal clock; the services
run as deployed (their procedure clock read from the broker, `OCO_REHEARSAL=true`). Two
runs of the same seed, each in a world of its own, come to the same outcome per region:
selection, objections, kort gedingen and contracts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from oco_assessment.bootstrap import bootstrap as assessment
from oco_contracting.bootstrap import bootstrap as contracting
from oco_devstack.simulation.player import play
from oco_devstack.simulation.report import (
    LOG_RECORDS,
    differences,
    event_counts,
    refusal_counts,
    region_report,
)
from oco_devstack.simulation.scenario import sample_round
from oco_intake.bootstrap import bootstrap as intake
from oco_objection.bootstrap import bootstrap as objection
from oco_shared.rounds import load_round
from oco_shared.rounds.model import AMSTERDAM
from plumbing_support import Isolation, Servers

pytestmark = pytest.mark.integration

SEED = 2027


async def played(
    servers: Servers, isolation: Isolation, round_id: str = "2027-2028"
) -> list[dict[str, Any]]:
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
    assert all(event["rehearsal"] for event in first)
    # What a message caused is timed by the broker's receipt; what a ticker raised, by
    # the tick, and a record about the log by the log: they have no message.
    untimed = TICKED | LOG_RECORDS
    assert all(event["broker_time"] for event in first if event["type"] not in untimed)
    assert set(counts) >= TICKED
    after_the_selection(first, report)

    # 000_d8e1bdfab127271e.txt 4.1 eis 7: a provider new to OCO shows its BCMB membership
    # within four months of the start; the one left without evidence is overdue.
    (overdue,) = [e for e in first if e["type"] == "ObligationOverdue"]
    assert overdue["kind"] == "bcmb_membership"
    # 4.1 eis 14: a signal report per quarter (due a month after it); one in ten is late.
    assert counts["SignalReportRecorded"] > counts["SignalReportOverdue"] >= 1

    second = await played(servers, second_isolation)
    assert region_report(second) == report
    assert event_counts(second) == counts
    assert differences(first, second) == []


TICKED = {
    "ObjectionWindowClosed",
    "KortGedingTermClosed",
    "ObligationOverdue",
    "SignalReportOverdue",
}


def after_the_selection(events: list[dict[str, Any]], report: dict[str, Any]) -> None:
    """Objections in time and out of it, on a wrong channel and by no party; answers
    dismissing most and upholding one, which reopens its region for a second edition;
    kort gedingen in time and out of it."""
    refusals = refusal_counts(events)
    assert {"window_closed", "wrong_channel", "not_a_party"} <= set(refusals)
    assert "kort_geding_out_of_time" in refusals
    counts = event_counts(events)
    assert counts["ObjectionFiled"] == counts["ObjectionAnswered"] > 1
    assert counts["KortGedingFiled"] >= 1 and counts["KortGedingRejected"] == 1
    decisions = [e["decision"] for e in events if e["type"] == "ObjectionAnswered"]
    assert decisions.count("upheld") == 1 and "dismissed" in decisions
    (reopened,) = [e["region_code"] for e in events if e["type"] == "SelectionReopened"]
    assert report[reopened]["edition"] == 2
    (upheld,) = [line.split()[0] for line in report[reopened]["objections"]]
    assert upheld in report[reopened]["selected"], "found suitable after all"
    assert all(o["edition"] == 1 for r, o in report.items() if r != reopened)
    # Each region's windows closed once, and every objection refused for a window that
    # closed arrived after it did.
    closed = {e["region_code"] for e in events if e["type"] == "ObjectionWindowClosed"}
    assert closed == set(report)
    late = [
        e
        for e in events
        if e["type"] == "ObjectionRejected"
        and any(r["code"] == "window_closed" for r in e["refusals"])
    ]
    assert late and all(
        instant(e["occurred_at"]) >= instant(e["refusals"][0]["deadline"]) for e in late
    )
    under_contract(events, report, reopened, upheld)


def under_contract(
    events: list[dict[str, Any]], report: dict[str, Any], reopened: str, upheld: str
) -> None:
    """Every party selected in a region's latest edition signed, the upheld objector on
    the second edition; one more in a full region refused; obligations met but one, the
    first quarter's production, one ceiling threatened."""
    for region, outcome in report.items():
        assert outcome["contracts"] == outcome["selected"], region
    (contract,) = [
        e
        for e in events
        if e["type"] == "ContractSigned"
        and e["provider_id"] == upheld
        and e["region_code"] == reopened
    ]
    assert contract["edition"] == 2
    (refused,) = [e for e in events if e["type"] == "ContractRefused"]
    assert {r["code"] for r in refused["refusals"]} == {"not_selected", "region_full"}
    counts = event_counts(events)
    assert counts["ObligationFulfilled"] >= 1 and counts["ProductionReported"] >= 3
    assert counts["BudgetOverrunThreatened"] == 1


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


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
    after_the_selection(events, report)
    objections_and_kort_gedingen_by_the_2018_rules(events)
    again = await played(servers, second_isolation, "2018-2020")
    assert region_report(again) == report


def objections_and_kort_gedingen_by_the_2018_rules(events: list[dict[str, Any]]) -> None:
    """002_ecc96e9cc94e3a31.txt 3: objections until 29 September 2017 17:00 for the
    outcome of 15 September; a kort geding within 20 days of the original outcome, with no
    answer needed first and no suspensive effect."""
    closes = {
        instant(e["closes_at"]).astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M")
        for e in events
        if e["type"] == "ObjectionWindowOpened" and e["edition"] == 1
    }
    assert closes == {"2017-09-29 17:00"}  # the first instant after 17:00:00
    filed = [e for e in events if e["type"] == "KortGedingFiled"]
    answered = {
        e["objection_id"]: instant(e["occurred_at"])
        for e in events
        if e["type"] == "ObjectionAnswered"
    }
    assert filed and all(instant(e["occurred_at"]) < answered[e["objection_id"]] for e in filed)
    assert not any(e["suspends_procedure"] for e in filed)
