"""Intake's table of subjects: which portal subject feeds which handlers."""

from __future__ import annotations

from oco_shared.contract.messages import (
    PublishNotaVanInlichtingen,
    SubmitInscription,
    SubmitQuestion,
    WithdrawInscription,
)
from oco_shared.handling import Route
from oco_shared.runtime import Subscription, office, portal

from oco_intake import handlers

INSCRIPTION_SUBJECT = "inscription"
QUESTION_SUBJECT = "question"
NOTA_SUBJECT = "nota"

SUBSCRIPTIONS = (
    Subscription(
        portal(INSCRIPTION_SUBJECT),
        Route(
            "inscriptions",
            {
                SubmitInscription: handlers.submit_inscription,
                WithdrawInscription: handlers.withdraw_inscription,
            },
            on_malformed=handlers.malformed_inscription,
            refuse=handlers.refuse_inscription_message,
            aggregates=handlers.inscription_of,
        ),
    ),
    Subscription(
        portal(QUESTION_SUBJECT),
        Route(
            "questions",
            {
                SubmitQuestion: handlers.submit_question,
                PublishNotaVanInlichtingen: handlers.nota_from_a_portal,
            },
            refuse=handlers.refuse_question_message,
            aggregates=handlers.question_log_of,
        ),
    ),
    Subscription(
        office(NOTA_SUBJECT),
        Route(
            "nota",
            {PublishNotaVanInlichtingen: handlers.publish_nota},
            refuse=handlers.refuse_question_message,
            aggregates=handlers.question_log_of,
        ),
    ),
)
