"""The committed AsyncAPI document of the objection service matches the code."""

from __future__ import annotations

from oco_objection.asyncapi import DOCUMENT_PATH, PUBLISHED, document
from oco_objection.entrypoints.subjects import OFFICE_ACTS, PORTAL_MESSAGES
from oco_shared.contract.asyncapi import drifted, without_valid_example


def test_the_committed_asyncapi_document_matches_the_code() -> None:
    assert not drifted(document(), DOCUMENT_PATH), "run `make schemas` and commit asyncapi.json"


def test_every_message_of_the_objection_service_is_described_with_a_valid_example() -> None:
    assert without_valid_example(document(), (*PORTAL_MESSAGES, *OFFICE_ACTS, *PUBLISHED)) == []


def test_the_document_uses_the_production_subjects() -> None:
    addresses = {channel["address"] for channel in document()["channels"].values()}
    assert {
        "oco.portal.objection",
        "oco.office.{uitvoerder}.objection",
        "oco.assessment.>",
        "oco.objection.ObjectionWindowClosed",
    } <= addresses
