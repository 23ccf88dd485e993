"""Two plays of one seed compared: a failing fault test names what differs."""

from __future__ import annotations

from typing import Any

from oco_devstack.simulation.report import differences


def published(region: str, selected: list[str], rejected: dict[str, str]) -> dict[str, Any]:
    outcomes = [{"provider_id": kvk, "outcome": "selected", "reason": "ranked"} for kvk in selected]
    outcomes += [
        {"provider_id": kvk, "outcome": "rejected", "reason": why} for kvk, why in rejected.items()
    ]
    return {
        "type": "SelectionPublished",
        "region_code": region,
        "edition": 1,
        "places": 2,
        "outcomes": outcomes,
        "late": False,
    }


def rejected_inscription(code: str) -> dict[str, Any]:
    return {"type": "InscriptionRejected", "refusals": [{"code": code}]}


def test_two_plays_that_agree_have_no_differences() -> None:
    play = [published("amsterdam", ["10000001"], {}), rejected_inscription("document_missing")]
    assert differences(play, list(play)) == []


def test_each_region_type_and_refusal_that_differs_is_named() -> None:
    expected = [
        published("amsterdam", ["10000001", "10000002"], {}),
        published("utrecht", ["10000003"], {}),
        rejected_inscription("document_missing"),
    ]
    found = [
        published("amsterdam", ["10000001"], {"10000002": "unsuitable"}),
        published("utrecht", ["10000003"], {}),
        rejected_inscription("document_too_old"),
        rejected_inscription("document_too_old"),
    ]
    lines = differences(expected, found)
    assert [line.split(":")[0] for line in lines] == [
        "region amsterdam",
        "events of type InscriptionRejected",
        "refusals coded document_missing",
        "refusals coded document_too_old",
    ]
    assert "expected 1, found 2" in lines[1]
    assert "expected None, found 2" in lines[3]


def signed(region: str, kvk: str) -> dict[str, Any]:
    return {"type": "ContractSigned", "region_code": region, "provider": {"id": kvk}}


def test_a_contract_missing_from_one_play_names_its_region() -> None:
    selection = published("amsterdam", ["10000001", "10000002"], {})
    expected = [selection, signed("amsterdam", "10000002"), signed("amsterdam", "10000001")]
    lines = differences(expected, [selection, signed("amsterdam", "10000001")])
    assert lines[0].startswith("region amsterdam:")
    assert "'contracts': ['10000001', '10000002']" in lines[0]
    assert lines[1] == "events of type ContractSigned: expected 2, found 1"


def test_a_region_published_in_one_play_only_is_named() -> None:
    lines = differences([published("amsterdam", ["10000001"], {})], [])
    assert lines[0].startswith("region amsterdam: expected {") and lines[0].endswith("None")
    assert lines[1] == "events of type SelectionPublished: expected 1, found None"
