"""The objection service's table of subjects: which upstream subject feeds which handlers.

A party's objection and its kort geding arrive through the portal on
`oco.portal.objection`; a zorgkantoor's answer on its own office subject,
`oco.office.<uitvoerder>.objection`; assessment's log, read whole and in order, brings
each region's publication (and every later edition of it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oco_shared.contract import Contract
from oco_shared.contract.events import EVENTS, SelectionPublished
from oco_shared.contract.messages import AnswerObjection, ReportKortGeding, SubmitObjection
from oco_shared.handling import Handler, Route
from oco_shared.runtime import Subscription, events_of, office, portal

from oco_objection import handlers

PORTAL_SUBJECT = "objection"
OFFICE_SUBJECT = "objection"

PORTAL_MESSAGES: Mapping[type[Contract], Handler[Any]] = {
    SubmitObjection: handlers.submit_objection,
    ReportKortGeding: handlers.report_kort_geding,
}
OFFICE_ACTS: Mapping[type[Contract], Handler[Any]] = {
    AnswerObjection: handlers.answer_objection,
}

SUBSCRIPTIONS = (
    Subscription(
        events_of("assessment"),
        Route(
            "assessment",
            # The whole stream in order; the events not named change nothing here.
            {
                event: handlers.selection_published
                if event is SelectionPublished
                else handlers.not_for_objection
                for event in EVENTS
            },
            aggregates=handlers.region_of_event,
        ),
    ),
    Subscription(
        portal(PORTAL_SUBJECT),
        Route(
            "portal",
            PORTAL_MESSAGES,
            on_malformed=handlers.malformed_message,
            refuse=handlers.refuse_message,
            aggregates=handlers.region_of_message,
        ),
        # An objection after the publication it objects to; a kort geding after the answer.
        after=("assessment", "office"),
    ),
    Subscription(
        office(OFFICE_SUBJECT),
        Route(
            "office",
            OFFICE_ACTS,
            on_malformed=handlers.malformed_message,
            refuse=handlers.refuse_message,
            aggregates=handlers.regions_of_round,
        ),
        # An answer after the objection it answers.
        after=("assessment", "portal"),
    ),
)
