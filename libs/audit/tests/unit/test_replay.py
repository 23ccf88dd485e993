"""The round's state at an instant, folded from its events alone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oco_audit.replay import ProcedureState
from oco_shared.contract.examples import EXAMPLES
from oco_shared.rounds import AMSTERDAM

REHEARSAL = {
    "rehearsal_id": "0f1e2d3c-4b5a-4697-8877-665544332211",
    "round_id": "2027-2028",
    "epoch": "2026-12-01T10:00:00+00:00",
    "start": "2026-06-01T00:00:00+02:00",
    "rate": 1000.0,
}


def event(type_name: str, at: str, **fields: Any) -> dict[str, Any]:
    return {**EXAMPLES[type_name], "occurred_at": at, **fields}


def amsterdam(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=AMSTERDAM)  # type: ignore[arg-type,misc]


LOG = [
    event("InscriptionReceived", "2026-07-15T10:30:00+02:00"),
    event("AssessmentCaseOpened", "2026-07-31T18:00:00+02:00"),
    event("RegionPlacesSet", "2026-08-03T10:00:00+02:00"),
    event("SuitabilityAssessed", "2026-08-10T10:00:00+02:00"),
    event("CriteriaScored", "2026-08-10T10:05:00+02:00"),
    event("SelectionPublished", "2026-09-18T12:00:00+02:00"),
    event("ObjectionWindowOpened", "2026-09-18T12:00:00+02:00"),  # closes 3 Oct 00:00
    event("ObjectionFiled", "2026-10-01T09:00:00+02:00"),
    event("ObjectionAnswered", "2026-10-16T12:00:00+02:00"),
    event("ContractSigned", "2026-12-01T10:00:00+01:00", rehearsal=REHEARSAL),
    event("BudgetCeilingSet", "2026-12-15T10:00:00+01:00"),
    event("BudgetReallocated", "2027-06-30T10:00:00+02:00"),
]


def replayed(as_of: datetime | None) -> dict[str, Any]:
    state = ProcedureState("2027-2028")
    for document in LOG:
        if as_of is None or datetime.fromisoformat(document["occurred_at"]) <= as_of:
            state.apply(document)
    return state.as_json(as_of)


def test_before_the_objection_deadline_the_window_is_open_and_the_objection_unanswered() -> None:
    region = replayed(amsterdam(2026, 10, 2, 23, 59, 59))["regions"]["amsterdam"]
    assert [w["state"] for w in region["windows"]] == ["open"]
    [objection] = region["objections"]
    assert objection["answer"] is None
    assert region["contracts"] == []
    [party] = region["parties"]
    assert (party["provider_id"], party["suitable"], party["outcome"], party["rank"]) == (
        "12345678",
        True,
        "selected",
        2,
    )


def test_at_the_objection_deadline_the_window_is_closed() -> None:
    region = replayed(amsterdam(2026, 10, 3, 0, 0))["regions"]["amsterdam"]
    assert [w["state"] for w in region["windows"]] == ["closed"]


def test_before_the_inscription_deadline_nothing_is_assessed_yet() -> None:
    shown = replayed(amsterdam(2026, 7, 31, 17, 0))
    region = shown["regions"]["amsterdam"]
    assert [row["status"] for row in region["inscriptions"]] == ["received"]
    assert region["parties"] == [] and region["places"] is None and region["selection"] is None
    assert shown["events"] == 1


def test_the_whole_log_shows_answers_contracts_and_the_rehearsal_they_came_from() -> None:
    shown = replayed(None)
    region = shown["regions"]["amsterdam"]
    assert shown["as_of"] == "2027-06-30T10:00:00+02:00"  # the last event's procedure time
    assert region["objections"][0]["answer"]["decision"] == "dismissed"
    [contract] = region["contracts"]
    # The provisional ceiling signed, the definitive one set, then raised at the review.
    assert contract["budget_ceiling"] == EXAMPLES["ContractSigned"]["provisional_budget_ceiling"]
    assert contract["ceilings"] == {"2027": "150000.00"}
    assert shown["rehearsal"] == region["rehearsal"] == [REHEARSAL["rehearsal_id"]]


def test_before_the_review_the_definitive_ceiling_stands() -> None:
    [contract] = replayed(amsterdam(2027, 6, 1))["regions"]["amsterdam"]["contracts"]
    assert contract["ceilings"] == {"2027": "130000.00"}


def test_another_rounds_events_change_nothing() -> None:
    state = ProcedureState("2022")
    for document in LOG:
        state.apply(document)
    assert state.as_json()["regions"] == {} and state.applied == 0
