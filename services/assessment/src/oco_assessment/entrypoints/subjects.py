"""Assessment's table of subjects: which upstream subject feeds which handlers.

Every act of a zorgkantoor arrives on one subject, `oco.office.<uitvoerder>.assessment`,
and intake's and objection's events each on their service's subjects: one consumer per
source keeps them in the order they were published (places before the first verdict, a
withdrawal after its inscription).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oco_shared.contract import Contract
from oco_shared.contract.events import (
    InscriptionReceived,
    InscriptionWithdrawn,
    ObjectionAnswered,
)
from oco_shared.contract.messages import (
    AssessSuitability,
    PublishSelection,
    RecordLotDrawn,
    RequestDocuments,
    ScoreCriteria,
    SetRegionPlaces,
    SupplyDocuments,
)
from oco_shared.handling import Handler, Route, every_event
from oco_shared.runtime import Subscription, events_of, office, portal

from oco_assessment import handlers

OFFICE_SUBJECT = "assessment"
DOCUMENTS_SUBJECT = "documents"

# The acts of a zorgkantoor, all on its one office subject.
OFFICE_ACTS: Mapping[type[Contract], Handler[Any]] = {
    SetRegionPlaces: handlers.set_region_places,
    AssessSuitability: handlers.assess_suitability,
    ScoreCriteria: handlers.score_criteria,
    RequestDocuments: handlers.request_documents,
    PublishSelection: handlers.publish_selection,
    RecordLotDrawn: handlers.record_lot_drawn,
}


SUBSCRIPTIONS = (
    Subscription(
        events_of("intake"),
        Route(
            "intake",
            every_event(
                {
                    InscriptionReceived: handlers.inscription_received,
                    InscriptionWithdrawn: handlers.inscription_withdrawn,
                }
            ),
            aggregates=handlers.regions_of_round,
        ),
    ),
    Subscription(
        office(OFFICE_SUBJECT),
        Route(
            "office",
            OFFICE_ACTS,
            refuse=handlers.refuse_message,
            aggregates=handlers.region_of_message,
        ),
    ),
    Subscription(
        portal(DOCUMENTS_SUBJECT),
        Route(
            "documents",
            {SupplyDocuments: handlers.supply_documents},
            refuse=handlers.refuse_message,
            aggregates=handlers.region_of_message,
        ),
    ),
    # The objection service publishes ObjectionAnswered; an upheld one reopens a region.
    Subscription(
        events_of("objection"),
        Route(
            "objection",
            every_event({ObjectionAnswered: handlers.objection_answered}),
            aggregates=handlers.region_of_objection,
        ),
    ),
)
