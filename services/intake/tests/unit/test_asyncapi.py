"""The committed AsyncAPI document of intake matches the code."""

from __future__ import annotations

from oco_intake.asyncapi import DOCUMENT_PATH, PUBLISHED, document
from oco_shared.contract import messages
from oco_shared.contract.asyncapi import drifted, without_valid_example
from oco_shared.messaging.relay import DeadLetterRecord


def test_the_committed_asyncapi_document_matches_the_code() -> None:
    assert not drifted(document(), DOCUMENT_PATH), "run `make schemas` and commit asyncapi.json"


def test_every_message_of_intake_is_described_with_an_example() -> None:
    received = (
        messages.SubmitInscription,
        messages.WithdrawInscription,
        messages.SubmitQuestion,
        messages.PublishNotaVanInlichtingen,
    )
    assert without_valid_example(document(), (*received, *PUBLISHED, DeadLetterRecord)) == []


def test_the_document_uses_the_production_subjects() -> None:
    addresses = {channel["address"] for channel in document()["channels"].values()}
    assert {
        "oco.portal.inscription",
        "oco.portal.question",
        "oco.intake.InscriptionRejected",
    } <= addresses
