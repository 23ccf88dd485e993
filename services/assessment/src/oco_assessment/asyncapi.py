"""Assessment's message contract: the acts it receives and the events it publishes.

`python -m oco_assessment.asyncapi` (or `make schemas`) writes services/assessment/asyncapi.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oco_shared.contract import events, messages
from oco_shared.contract.asyncapi import Channel, service_document, write
from oco_shared.messaging.topology import PRODUCTION, Topology

from oco_assessment.bootstrap import SERVICE
from oco_assessment.entrypoints.subjects import DOCUMENTS_SUBJECT, OFFICE_ACTS, OFFICE_SUBJECT

DOCUMENT_PATH = Path(__file__).resolve().parents[2] / "asyncapi.json"

PUBLISHED = (
    events.AssessmentCaseOpened,
    events.AssessmentCaseClosed,
    events.RegionPlacesSet,
    events.VerdictsRecorded,
    events.SuitabilityAssessed,
    events.CriteriaScored,
    events.DocumentsRequested,
    events.DocumentsSupplied,
    events.LotRequired,
    events.LotDrawn,
    events.SelectionPublished,
    events.SelectionReopened,
    events.AssessmentRefused,
)


def document(topology: Topology = PRODUCTION) -> dict[str, Any]:
    received = [
        Channel(
            "officeAssessment",
            topology.office_subject("{uitvoerder}", OFFICE_SUBJECT),
            "receive",
            "A zorgkantoor's assessment acts, on its own office subject: places per region, "
            "verdicts per requirement, scores per criterion, document requests, the notary's "
            "lot and the publication of a region's selection. The uitvoerder is taken from "
            "the subject; an act on a region it does not serve is refused (region_not_served).",
            tuple(OFFICE_ACTS),
        ),
        Channel(
            "portalDocuments",
            topology.portal_subject(DOCUMENTS_SUBJECT),
            "receive",
            "A provider's answer to a document request, by the request's own deadline. The "
            "actor must be the provider concerned, else not_authorised.",
            (messages.SupplyDocuments,),
        ),
        Channel(
            "intakeEvents",
            topology.event_subject("intake", ">"),
            "receive",
            "Intake's log: InscriptionReceived opens a case per provider per region (the "
            "latest revision), InscriptionWithdrawn closes them; other events change nothing.",
            (events.InscriptionReceived, events.InscriptionWithdrawn),
        ),
        Channel(
            "objectionEvents",
            topology.event_subject("objection", ">"),
            "receive",
            "The objection service's log: an ObjectionAnswered upheld (or partially upheld) "
            "for a published region reopens it for a new edition of its selection.",
            (events.ObjectionAnswered,),
        ),
    ]
    return service_document(
        SERVICE,
        "Follows intake's inscriptions and the zorgkantoren's assessment acts; records "
        "verdicts, suitability, scores and lots per region, and publishes the selection of "
        "each region (SelectionPublished), or refuses an act with stable reason codes.",
        received,
        PUBLISHED,
        topology,
    )


if __name__ == "__main__":
    write(document(), DOCUMENT_PATH)
