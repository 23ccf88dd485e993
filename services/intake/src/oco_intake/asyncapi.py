"""Intake's message contract: what it receives from portals and what it publishes.

`python -m oco_intake.asyncapi` (or `make schemas`) writes services/intake/asyncapi.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oco_shared.contract import events, messages
from oco_shared.contract.asyncapi import Channel, service_document, write
from oco_shared.messaging.topology import PRODUCTION, Topology

from oco_intake.bootstrap import SERVICE
from oco_intake.entrypoints.subjects import INSCRIPTION_SUBJECT, NOTA_SUBJECT, QUESTION_SUBJECT

DOCUMENT_PATH = Path(__file__).resolve().parents[2] / "asyncapi.json"

PUBLISHED = (
    events.InscriptionReceived,
    events.InscriptionRejected,
    events.InscriptionWithdrawn,
    events.QuestionReceived,
    events.QuestionRejected,
    events.NotaVanInlichtingenPublished,
)


def document(topology: Topology = PRODUCTION) -> dict[str, Any]:
    received = [
        Channel(
            "portalInscription",
            topology.portal_subject(INSCRIPTION_SUBJECT),
            "receive",
            "Inscriptions, amendments and withdrawals from the zorgkantoren's portals. "
            "Set the header Nats-Msg-Id to message_id. The broker's receipt time decides. "
            "The actor must be the provider concerned, else not_authorised.",
            (messages.SubmitInscription, messages.WithdrawInscription),
        ),
        Channel(
            "portalQuestion",
            topology.portal_subject(QUESTION_SUBJECT),
            "receive",
            "Providers' questions until the round's question deadline. The actor must be a "
            "provider; a Nota van Inlichtingen sent here is refused (not_authorised).",
            (messages.SubmitQuestion,),
        ),
        Channel(
            "officeNota",
            topology.office_subject("{uitvoerder}", NOTA_SUBJECT),
            "receive",
            "A zorgkantoor publishes the Nota van Inlichtingen on its own office subject, "
            "by the round's date for it; the uitvoerder is taken from the subject.",
            (messages.PublishNotaVanInlichtingen,),
        ),
    ]
    return service_document(
        SERVICE,
        "Receives inscriptions and questions from portals; records InscriptionReceived or "
        "InscriptionRejected (with stable reason codes and the rule behind each) for every one.",
        received,
        PUBLISHED,
        topology,
    )


if __name__ == "__main__":
    write(document(), DOCUMENT_PATH)
