"""The round as OCDS 1.1: a release per milestone the log reached, awards per region and
party, the objection window as standstill, complaints through the documented extension;
the package validates against the vendored schema, and the validation can fail."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from export_support import REJECTED, SELECTED, at, event, procedure
from oco_audit.ocds import release_package, validation_errors
from oco_shared.contract.events import SelectionPublished
from oco_shared.contract.parts import Outcome
from oco_shared.rounds import load_round

ROUND = load_round("2027-2028")


def package(events: Any = None) -> dict[str, Any]:
    return release_package(ROUND, procedure() if events is None else events)


def test_the_package_validates_against_ocds_1_1_with_the_extension() -> None:
    assert validation_errors(package()) == []


def test_the_validation_finds_what_breaks_the_schema() -> None:
    broken = copy.deepcopy(package())
    broken["releases"][0]["tag"] = ["published"]
    broken["releases"][-1]["tender"]["standstillPeriod"]["endDate"] = "2 oktober"
    broken["releases"][-1]["complaints"][0]["status"] = "lost"
    del broken["publisher"]
    errors = validation_errors(broken)
    assert any(e.startswith("releases/0/tag/0:") for e in errors)
    assert any(e.startswith("releases/6/tender/standstillPeriod/endDate:") for e in errors)
    assert any(e.startswith("releases/6/complaints/0/status:") for e in errors)
    assert any("'publisher' is a required property" in e for e in errors)


def test_one_release_per_milestone_the_log_reached() -> None:
    releases = package()["releases"]
    assert [r["id"].removeprefix("ocds-oco000-2027-2028-") for r in releases] == [
        "publication",
        "nota_van_inlichtingen",
        "inscription_closes",
        "outcome_published",
        "objection_deadline",
        "objection_answer_deadline",
        "contracts_signed",
    ]
    assert [r["tag"] for r in releases] == [
        ["tender"], ["tenderUpdate"], ["tenderUpdate"], ["award"],
        ["awardUpdate"], ["awardUpdate"], ["contract"],
    ]  # fmt: skip
    # A log that stops after inscription has no award release.
    inscriptions_only = [e for e in procedure() if e.occurred_at < at(2026, 8, 1)]
    assert [r["tag"] for r in package(inscriptions_only)["releases"]][-1] == ["tenderUpdate"]


def test_the_tender_carries_the_periods_of_the_timetable() -> None:
    tender = package()["releases"][0]["tender"]
    # "tot en met 31 juli 2026 17.00 uur": 17:00:00 is the last second in time.
    assert tender["tenderPeriod"] == {
        "startDate": "2026-06-01T00:00:00+02:00",
        "endDate": "2026-07-31T17:00:00+02:00",
    }
    assert tender["enquiryPeriod"]["endDate"] == "2026-06-12T12:00:00+02:00"
    # The objection window of the timetable: from the planned outcome to 2 October.
    assert tender["standstillPeriod"] == {
        "startDate": "2026-09-18T00:00:00+02:00",
        "endDate": "2026-10-02T23:59:59+02:00",
    }
    assert tender["contractPeriod"]["endDate"] == "2028-12-31T23:59:59+01:00"


def test_awards_per_region_and_party_with_their_own_objection_window() -> None:
    awards = {a["id"]: a for a in package()["releases"][3]["awards"]}
    assert set(awards) == {f"amsterdam-{SELECTED}", f"amsterdam-{REJECTED}", "utrecht-22334455"}
    selected, rejected = awards[f"amsterdam-{SELECTED}"], awards[f"amsterdam-{REJECTED}"]
    assert (selected["status"], rejected["status"]) == ("active", "unsuccessful")
    assert selected["value"] == {"amount": 125000.0, "currency": "EUR"}
    assert "value" not in rejected
    # Amsterdam published late: its window runs from the actual publication.
    assert rejected["objectionPeriod"] == {
        "startDate": "2026-09-20T10:00:00+02:00",
        "endDate": "2026-10-04T23:59:59+02:00",
    }
    assert "published late" in rejected["description"]


def test_complaints_follow_the_objection_from_filing_to_answer_and_kort_geding() -> None:
    releases = package()["releases"]
    filed = releases[4]["complaints"]
    assert [(c["type"], c["status"]) for c in filed] == [("objection", "pending")]
    assert filed[0]["awardID"] == f"amsterdam-{REJECTED}"
    assert filed[0]["answerDueDate"] == "2026-10-16T23:59:59+02:00"
    answered = {c["type"]: c for c in releases[5]["complaints"]}
    assert answered["objection"]["answer"]["late"] is True
    assert answered["objection"]["status"] == "answered"
    kort_geding = answered["kortGeding"]
    assert kort_geding["relatedComplaintID"] == answered["objection"]["id"]
    assert kort_geding["suspendsProcedure"] is False
    court = kort_geding["reviewBody"]["id"]
    assert {"id": court, "name": "Rechtbank Den Haag", "roles": ["reviewBody"]} in releases[5][
        "parties"
    ]


def test_a_refused_objection_is_a_refused_complaint_with_its_reasons() -> None:
    refused = event("ObjectionRejected", at(2026, 10, 3, 9, 0), provider_id=REJECTED)
    complaints = package([*procedure(), refused])["releases"][4]["complaints"]
    assert complaints[-1]["status"] == "refused"
    assert complaints[-1]["refusals"][0]["code"] == "window_closed"
    assert validation_errors(package([*procedure(), refused])) == []


def test_contracts_refer_to_their_award_and_suppliers_are_parties() -> None:
    last = package()["releases"][-1]
    (contract,) = last["contracts"]
    assert contract["awardID"] == f"amsterdam-{SELECTED}"
    assert contract["period"]["startDate"] == "2027-01-01T00:00:00+01:00"
    roles = {p["id"]: p["roles"] for p in last["parties"]}
    assert roles[f"NL-KVK-{SELECTED}"] == ["tenderer", "supplier"]
    assert roles[f"NL-KVK-{REJECTED}"] == ["tenderer"]
    assert last["tender"]["numberOfTenderers"] == 3


def test_a_later_edition_of_a_region_supersedes_the_earlier_one() -> None:
    events = procedure()
    first = next(e for e in events if e.type == "SelectionPublished" and e.region_code == "utrecht")
    assert isinstance(first, SelectionPublished)
    second = first.model_copy(
        update={
            "event_id": uuid.uuid4(),
            "edition": 2,
            "outcomes": (first.outcomes[0].model_copy(update={"outcome": Outcome.REJECTED}),),
        }
    )
    # Whatever order the two arrive in, the award shows the second edition.
    for log in ([*events, second], [second, *events]):
        awards = {a["id"]: a for a in package(log)["releases"][-1]["awards"]}
        assert awards["utrecht-22334455"]["status"] == "unsuccessful"
        assert "edition 2" in awards["utrecht-22334455"]["description"]
