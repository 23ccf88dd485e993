"""The committed AsyncAPI document of contracting matches the code."""

from __future__ import annotations

from oco_contracting.asyncapi import DOCUMENT_PATH, PUBLISHED, document
from oco_contracting.entrypoints.subjects import OFFICE_ACTS, PORTAL_MESSAGES
from oco_shared.contract.asyncapi import drifted


def test_the_committed_asyncapi_document_matches_the_code() -> None:
    assert not drifted(document(), DOCUMENT_PATH), "run `make schemas` and commit asyncapi.json"


def test_every_message_of_contracting_is_described_with_a_valid_example() -> None:
    described = document()["components"]["messages"]
    expected = {model.TYPE for model in (*OFFICE_ACTS, *PORTAL_MESSAGES, *PUBLISHED)}
    assert expected <= set(described)
    for name in expected:
        [example] = described[name]["examples"]
        assert example["payload"]["type"] == name


def test_the_document_uses_the_production_subjects() -> None:
    addresses = {channel["address"] for channel in document()["channels"].values()}
    assert {
        "oco.office.{uitvoerder}.contracting",
        "oco.portal.contracting",
        "oco.assessment.>",
        "oco.objection.>",
        "oco.contracting.ContractSigned",
    } <= addresses
