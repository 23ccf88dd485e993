"""The shared AsyncAPI builder: every service's document has the same send side."""

from __future__ import annotations

from oco_shared.contract import events, messages
from oco_shared.contract.asyncapi import Channel, service_document, without_valid_example
from oco_shared.messaging.topology import PRODUCTION


def _document() -> dict:
    received = [
        Channel(
            "portalQuestion",
            PRODUCTION.portal_subject("question"),
            "receive",
            "Questions.",
            (messages.SubmitQuestion,),
        )
    ]
    return service_document(
        "intake", "Answers questions.", received, (events.QuestionReceived,), PRODUCTION
    )


def test_each_event_type_gets_its_own_send_channel_and_the_dead_letter_follows() -> None:
    channels = _document()["channels"]
    assert list(channels) == ["portalQuestion", "intakeQuestionReceived", "intakeDeadLetter"]
    assert channels["intakeQuestionReceived"]["address"] == "oco.intake.QuestionReceived"
    assert channels["intakeDeadLetter"]["description"].startswith(
        "Messages intake could never handle"
    )


def test_a_message_the_document_leaves_out_is_named() -> None:
    document = _document()
    assert without_valid_example(document, (messages.SubmitQuestion,)) == []
    assert without_valid_example(document, (messages.SubmitInscription,)) == ["SubmitInscription"]
