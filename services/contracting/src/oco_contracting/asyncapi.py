"""Contracting's message contract: the acts and reports it receives, the events it publishes.

`python -m oco_contracting.asyncapi` (or `make schemas`) writes services/contracting/asyncapi.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oco_shared.contract import events
from oco_shared.contract.asyncapi import Channel, asyncapi_document, render
from oco_shared.messaging.relay import DeadLetterRecord
from oco_shared.messaging.topology import PRODUCTION, Topology

from oco_contracting.bootstrap import SERVICE
from oco_contracting.entrypoints.subjects import (
    ASSESSMENT_EVENTS,
    OBJECTION_EVENTS,
    OFFICE_ACTS,
    OFFICE_SUBJECT,
    PORTAL_MESSAGES,
    PORTAL_SUBJECT,
)

DOCUMENT_PATH = Path(__file__).resolve().parents[2] / "asyncapi.json"

PUBLISHED = (
    events.PartyNoted,
    events.SelectionNoted,
    events.ProcedureNoted,
    events.ContractSigned,
    events.ContractExtended,
    events.ContractRefused,
    events.ContractingRefused,
    events.BudgetCeilingSet,
    events.BudgetReallocated,
    events.ClientSupporterStarted,
    events.ObligationFulfilled,
    events.ObligationOverdue,
    events.ProductionReported,
    events.BudgetOverrunThreatened,
    events.SignalReportRecorded,
    events.SignalReportOverdue,
)


def document(topology: Topology = PRODUCTION) -> dict[str, Any]:
    channels = [
        Channel(
            "officeContracting",
            topology.office_subject("{uitvoerder}", OFFICE_SUBJECT),
            "receive",
            "A zorgkantoor's contracting acts, on its own office subject: signing a contract "
            "with a selected party, definitive budget ceilings, reallocations at a review "
            "moment. The uitvoerder is taken from the subject; an act on a region it does "
            "not serve is refused (region_not_served). A refused signature names every "
            "condition that did not hold.",
            tuple(OFFICE_ACTS),
        ),
        Channel(
            "portalContracting",
            topology.portal_subject(PORTAL_SUBJECT),
            "receive",
            "A contracted provider's messages: a new client supporter's start, evidence for "
            "an obligation, monthly production (hours per service), quarterly signal "
            "reports. The actor must be the provider concerned, else not_authorised.",
            tuple(PORTAL_MESSAGES),
        ),
        Channel(
            "assessmentEvents",
            topology.event_subject("assessment", ">"),
            "receive",
            "Assessment's log: the parties of each region (new to the region, consortium "
            "members) and the latest edition of its selection (places, outcomes, provisional "
            "ceilings, conditions); a reopened selection holds up signing. Other events "
            "change nothing.",
            tuple(ASSESSMENT_EVENTS),
        ),
        Channel(
            "objectionEvents",
            topology.event_subject("objection", ">"),
            "receive",
            "The objection service's log: a region's windows closed (scope region), "
            "objections filed and answered, kort gedingen with their derived suspensive "
            "effect. Other events change nothing.",
            tuple(OBJECTION_EVENTS),
        ),
        *(
            Channel(
                f"contracting{event.TYPE}",
                topology.event_subject(SERVICE, event.TYPE),
                "send",
                f"{event.TYPE} events of the contracting log, Nats-Msg-Id = event_id.",
                (event,),
            )
            for event in PUBLISHED
        ),
        Channel(
            "contractingDeadLetter",
            topology.deadletter_subject(SERVICE),
            "send",
            "Messages contracting could never handle, with the reason and the original payload.",
            (DeadLetterRecord,),
        ),
    ]
    return asyncapi_document(
        SERVICE,
        "Signs contracts only when the procedure allows them (selection, objection windows "
        "and answers, standstill, kort geding, contracting period, places), with the round's "
        "terms; follows each contract's budget ceilings and reallocations, its obligations "
        "after the start, its monthly production against the ceiling and its quarterly "
        "signal reports.",
        channels,
    )


if __name__ == "__main__":
    DOCUMENT_PATH.write_text(render(document()), encoding="utf-8")
    print(DOCUMENT_PATH)
