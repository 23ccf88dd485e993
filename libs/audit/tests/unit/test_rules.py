"""Each rule-based decision decided again from the recorded times: the auditor's verdicts."""

from __future__ import annotations

import itertools
from typing import Any

from oco_audit.rules import RuleCheck
from oco_shared.contract.examples import EXAMPLES

POSITIONS = itertools.count(1)


def event(type_name: str, at: str, **fields: Any) -> dict[str, Any]:
    """The contract's example, decided at procedure time `at` (Amsterdam), received then."""
    return {**EXAMPLES[type_name], "occurred_at": at, "broker_time": at, **fields}


def problems(*documents: dict[str, Any]) -> list[tuple[int | None, str]]:
    check = RuleCheck()
    found = [f for d in documents for f in check.observe("svc", next(POSITIONS), d)]
    found += check.finish()
    return [(f.position, f.problem) for f in found]


def test_an_inscription_taken_after_the_close_is_found() -> None:
    assert problems(event("InscriptionReceived", "2026-07-31T17:00:00+02:00")) == []
    [(_, problem)] = problems(event("InscriptionReceived", "2026-07-31T17:00:01+02:00"))
    assert problem.startswith("InscriptionReceived: taken at 2026-07-31T17:00:01+02:00")
    assert "outside inscription" in problem


def test_an_inscription_refused_as_closed_while_open_is_found() -> None:
    assert problems(event("InscriptionRejected", "2026-08-01T09:00:00+02:00")) == []
    [(_, problem)] = problems(event("InscriptionRejected", "2026-07-15T10:30:00+02:00"))
    assert "refused as inscription_closed" in problem and "while inscription was open" in problem


def test_procedure_time_must_follow_from_the_receipt_on_the_rehearsal_clock() -> None:
    rehearsal = {
        "rehearsal_id": "0f1e2d3c-4b5a-4697-8877-665544332211",
        "round_id": "2027-2028",
        "epoch": "2026-12-01T10:00:00+00:00",
        "start": "2026-06-01T00:00:00+02:00",
        "rate": 1000.0,
    }
    # 10 broker seconds after the epoch at 1000 x: 10 000 s = 2 h 46 min 40 s later.
    honest = event(
        "InscriptionReceived",
        "2026-06-01T02:46:40+02:00",
        broker_time="2026-12-01T10:00:10+00:00",
        rehearsal=rehearsal,
    )
    assert problems(honest) == []
    [(_, problem)] = problems({**honest, "occurred_at": "2026-06-01T03:00:00+02:00"})
    assert "is not the procedure time of its receipt (2026-06-01T02:46:40+02:00" in problem


def test_an_objection_counts_against_the_window_its_publication_opened() -> None:
    window = event("ObjectionWindowOpened", "2026-09-18T12:00:00+02:00")
    in_time = event(
        "ObjectionFiled", "2026-10-02T23:59:59+02:00", window_closes_at=window["closes_at"]
    )
    assert problems(window, in_time) == []
    late = {**in_time, "occurred_at": "2026-10-03T00:00:00+02:00", "broker_time": None}
    [(_, problem)] = problems(window, late)
    assert "outside its window" in problem
    [(_, problem)] = problems(in_time)
    assert "no objection window recorded" in problem
    refused_early = event("ObjectionRejected", "2026-09-20T10:00:00+02:00")
    [(_, problem)] = problems(window, refused_early)
    assert "refused as window_closed" in problem
    assert (
        problems(
            window,
            {**refused_early, "occurred_at": "2026-10-03T00:00:00+02:00", "broker_time": None},
        )
        == []
    )


def test_a_kort_geding_counts_against_the_term_its_answer_recorded() -> None:
    answer = event("ObjectionAnswered", "2026-10-16T12:00:00+02:00")
    in_time = event("KortGedingFiled", "2026-10-30T23:59:59+01:00")
    assert problems(answer, in_time) == []
    [(_, problem)] = problems(
        answer, {**in_time, "occurred_at": "2026-10-31T00:00:00+01:00", "broker_time": None}
    )
    assert "after its term" in problem
    [(_, problem)] = problems(answer, {**in_time, "summoned_on": "2026-10-31"})
    assert "summoned on 2026-10-31, after its term's last day 2026-10-30" in problem
    # Refused in time (summoned too late, which the refusal does not record): by its term.
    refused = event("KortGedingRejected", "2026-10-20T10:00:00+02:00")
    assert problems(answer, refused) == []
    other_term = {**refused["refusals"][0], "deadline": "2026-11-07T00:00:00+01:00"}
    [(_, problem)] = problems(answer, {**refused, "refusals": [other_term]})
    assert "by a term out of time from 2026-11-07T00:00:00+01:00" in problem


def test_a_region_never_has_more_contracts_than_places() -> None:
    places = event("RegionPlacesSet", "2026-08-03T09:00:00+02:00")  # 3 places in amsterdam
    contracts = [
        {
            **event("ContractSigned", "2026-12-01T10:00:00+01:00"),
            "event_id": f"00000000-0000-4000-8000-00000000000{n}",
        }
        for n in range(4)
    ]
    found = problems(places, *contracts[:3])
    assert found == []
    found = problems(places, *contracts)
    assert len(found) == 1
    assert "contract 4 in region amsterdam of round 2027-2028, which has 3 places" in found[0][1]


def test_in_2018_2020_a_kort_geding_counts_from_the_original_outcome() -> None:
    """002_ecc96e9cc94e3a31.txt: 20 calendar days after the outcome e-mail, not the answer."""
    window = event(
        "ObjectionWindowOpened",
        "2017-09-15T12:00:00+02:00",
        round_id="2018-2020",
        opens_at="2017-09-15T12:00:00+02:00",
        closes_at="2017-09-30T00:00:00+02:00",
    )
    filed = event(
        "KortGedingFiled",
        "2017-10-05T23:59:59+02:00",
        round_id="2018-2020",
        objection_id=None,
        closes_at="2017-10-06T00:00:00+02:00",
        summoned_on="2017-10-05",
    )
    assert problems(window, filed) == []
    late = {**filed, "occurred_at": "2017-10-06T00:00:00+02:00", "broker_time": None}
    [(_, problem)] = problems(window, late)
    assert "after its term (out of time from 2017-10-06T00:00:00+02:00)" in problem


def test_a_region_never_has_ceilings_above_its_budget() -> None:
    assert problems(event("BudgetCeilingSet", "2026-12-15T10:00:00+01:00")) == []
    over = event("BudgetReallocated", "2027-06-30T10:00:00+02:00", region_total="500000.01")
    [(_, problem)] = problems(over)
    assert "total 500000.01, above its budget of 500000.00" in problem
