"""Contracting's table of subjects: which upstream subject feeds which handlers.

Every act of a zorgkantoor arrives on one subject, `oco.office.<uitvoerder>.contracting`,
every message of a provider's portal on `oco.portal.contracting`, and assessment's and
objection's events each on their service's subjects: one consumer per source keeps each
source in the order it was published (a selection's edition before the next, an
objection before its answer).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oco_shared.contract import Contract
from oco_shared.contract.events import (
    EVENTS,
    AssessmentCaseClosed,
    AssessmentCaseOpened,
    KortGedingFiled,
    ObjectionAnswered,
    ObjectionFiled,
    ObjectionWindowClosed,
    SelectionPublished,
    SelectionReopened,
)
from oco_shared.contract.messages import (
    ExtendContract,
    ReallocateBudget,
    RecordObligationEvidence,
    ReportClientSupporterStart,
    ReportProduction,
    SetBudgetCeilings,
    SignContract,
    SubmitObligationEvidence,
    SubmitSignalReport,
)
from oco_shared.handling import Handler, Route
from oco_shared.runtime import Subscription, events_of, office, portal

from oco_contracting import handlers

OFFICE_SUBJECT = "contracting"
PORTAL_SUBJECT = "contracting"

# The acts of a zorgkantoor, all on its one office subject.
OFFICE_ACTS: Mapping[type[Contract], Handler[Any]] = {
    SignContract: handlers.sign_contract,
    ExtendContract: handlers.extend_contract,
    SetBudgetCeilings: handlers.set_budget_ceilings,
    ReallocateBudget: handlers.reallocate_budget,
    RecordObligationEvidence: handlers.record_obligation_evidence,
}

# A contracted provider's reports and evidence, on its portal's subject.
PORTAL_MESSAGES: Mapping[type[Contract], Handler[Any]] = {
    ReportClientSupporterStart: handlers.report_client_supporter_start,
    SubmitObligationEvidence: handlers.submit_obligation_evidence,
    ReportProduction: handlers.report_production,
    SubmitSignalReport: handlers.submit_signal_report,
}

ASSESSMENT_EVENTS: Mapping[type[Contract], Handler[Any]] = {
    AssessmentCaseOpened: handlers.case_opened,
    AssessmentCaseClosed: handlers.case_closed,
    SelectionPublished: handlers.selection_published,
    SelectionReopened: handlers.selection_reopened,
}

OBJECTION_EVENTS: Mapping[type[Contract], Handler[Any]] = {
    ObjectionWindowClosed: handlers.window_closed,
    ObjectionFiled: handlers.objection_filed,
    ObjectionAnswered: handlers.objection_answered,
    KortGedingFiled: handlers.kort_geding_filed,
}


def _every_event(
    handled: Mapping[type[Contract], Handler[Any]],
) -> dict[type[Contract], Handler[Any]]:
    """A service's whole stream is read in order; the events not named change nothing here."""
    return {event: handled.get(event, handlers.not_for_contracting) for event in EVENTS}


SUBSCRIPTIONS = (
    Subscription(
        events_of("assessment"),
        Route(
            "assessment",
            _every_event(ASSESSMENT_EVENTS),
            aggregates=handlers.region_of_event,
        ),
    ),
    Subscription(
        events_of("objection"),
        Route(
            "objection",
            _every_event(OBJECTION_EVENTS),
            aggregates=handlers.region_of_event,
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
        portal(PORTAL_SUBJECT),
        Route(
            "portal",
            PORTAL_MESSAGES,
            refuse=handlers.refuse_message,
            aggregates=handlers.region_of_message,
        ),
    ),
)
