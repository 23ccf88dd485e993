"""The committed AsyncAPI document of intake matches the code."""

from __future__ import annotations

from oco_intake.asyncapi import DOCUMENT_PATH, PUBLISHED, document
from oco_shared.contract.asyncapi import drifted


def test_the_committed_asyncapi_document_matches_the_code() -> None:
    assert not drifted(document(), DOCUMENT_PATH), "run `make schemas` and commit asyncapi.json"


def test_every_message_of_intake_is_described_with_an_example() -> None:
    described = document()["components"]["messages"]
    expected = {
        "SubmitInscription",
        "WithdrawInscription",
        "SubmitQuestion",
        "PublishNotaVanInlichtingen",
    }
    expected |= {event.TYPE for event in PUBLISHED}
    assert expected <= set(described)
    expected.add("DeadLetterRecord")
    assert all(described[name]["examples"] for name in expected)


def test_the_document_uses_the_production_subjects() -> None:
    addresses = {channel["address"] for channel in document()["channels"].values()}
    assert {
        "oco.portal.inscription",
        "oco.portal.question",
        "oco.intake.InscriptionRejected",
    } <= addresses
