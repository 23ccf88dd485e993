"""The objection service's message contract: what it receives and the events it publishes.

`python -m oco_objection.asyncapi` (or `make schemas`) writes services/objection/asyncapi.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oco_shared.contract import events
from oco_shared.contract.asyncapi import Channel, service_document, write
from oco_shared.messaging.topology import PRODUCTION, Topology

from oco_objection.bootstrap import SERVICE
from oco_objection.entrypoints.subjects import (
    OFFICE_ACTS,
    OFFICE_SUBJECT,
    PORTAL_MESSAGES,
    PORTAL_SUBJECT,
)

DOCUMENT_PATH = Path(__file__).resolve().parents[2] / "asyncapi.json"

PUBLISHED = (
    events.ObjectionWindowOpened,
    events.ObjectionFiled,
    events.ObjectionRejected,
    events.ObjectionAnswered,
    events.ObjectionAnswerRejected,
    events.ObjectionAnswerOverdue,
    events.ObjectionWindowClosed,
    events.KortGedingFiled,
    events.KortGedingRejected,
    events.KortGedingTermClosed,
)


def document(topology: Topology = PRODUCTION) -> dict[str, Any]:
    received = [
        Channel(
            "portalObjection",
            topology.portal_subject(PORTAL_SUBJECT),
            "receive",
            "A party's objection to its outcome in a region (inside its window, on the "
            "channel the outcome named, by the party itself: else window_closed, "
            "wrong_channel, not_a_party) and the registration of its kort geding (within "
            "the round's vervaltermijn: else kort_geding_out_of_time, or "
            "objection_not_answered where the term follows the answer). The broker's "
            "receipt time decides, on procedure time.",
            tuple(PORTAL_MESSAGES),
        ),
        Channel(
            "officeObjection",
            topology.office_subject("{uitvoerder}", OFFICE_SUBJECT),
            "receive",
            "A zorgkantoor's answer to an objection, on its own office subject: the "
            "uitvoerder is taken from the subject (another's objection: not_authorised). "
            "After the round's answer deadline the answer is recorded with late=true.",
            tuple(OFFICE_ACTS),
        ),
        Channel(
            "assessmentEvents",
            topology.event_subject("assessment", ">"),
            "receive",
            "Assessment's log: each SelectionPublished (every edition) opens one objection "
            "window per party outcome; other events change nothing here.",
            (events.SelectionPublished,),
        ),
    ]
    return service_document(
        SERVICE,
        "Opens an objection window per party outcome from each published selection; "
        "records objections, the zorgkantoren's answers (late ones flagged) and kort "
        "gedingen under their terms; raises the windows and terms closing, and answers "
        "overdue, as events at their own instant.",
        received,
        PUBLISHED,
        topology,
        known_as="the objection service",
    )


if __name__ == "__main__":
    write(document(), DOCUMENT_PATH)
