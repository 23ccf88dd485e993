"""The committed AsyncAPI document of assessment matches the code."""

from __future__ import annotations

from oco_assessment.asyncapi import DOCUMENT_PATH, PUBLISHED, document
from oco_assessment.entrypoints.subjects import OFFICE_ACTS
from oco_shared.contract.asyncapi import drifted, without_valid_example
from oco_shared.contract.messages import SupplyDocuments


def test_the_committed_asyncapi_document_matches_the_code() -> None:
    assert not drifted(document(), DOCUMENT_PATH), "run `make schemas` and commit asyncapi.json"


def test_every_message_of_assessment_is_described_with_a_valid_example() -> None:
    assert without_valid_example(document(), (*OFFICE_ACTS, SupplyDocuments, *PUBLISHED)) == []


def test_the_document_uses_the_production_subjects() -> None:
    addresses = {channel["address"] for channel in document()["channels"].values()}
    assert {
        "oco.office.{uitvoerder}.assessment",
        "oco.portal.documents",
        "oco.intake.>",
        "oco.assessment.SelectionPublished",
    } <= addresses
