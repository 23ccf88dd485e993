"""Intake's handlers: one per portal message, deciding events from recorded facts only.

The time that counts is the broker's receipt time (`Delivery.received_at`, through the
`ReceiptTime` port); the sender's `sent_at` is kept as `claimed_at` and never trusted.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from oco_shared.contract import REGISTRY, Actor, ActorKind, UnknownType, UnsupportedVersion
from oco_shared.contract.base import Message
from oco_shared.contract.events import (
    InscriptionReceived,
    InscriptionRejected,
    InscriptionWithdrawn,
    NotaVanInlichtingenPublished,
    QuestionReceived,
    QuestionRejected,
)
from oco_shared.contract.messages import (
    PublishNotaVanInlichtingen,
    SubmitInscription,
    SubmitQuestion,
    WithdrawInscription,
)
from oco_shared.contract.parts import Refusal, RefusalCode
from oco_shared.deadlines import deadline_for, local
from oco_shared.eventstore import EventStore, NewEvent
from oco_shared.messaging.consumer import DeadLetter, Delivery
from oco_shared.rounds import DeadlineCode, UnknownRound, load_round
from pydantic import ValidationError

from oco_intake.domain.checks import inscription_refusals, window_refusals
from oco_intake.domain.model import (
    Inscription,
    QuestionLog,
    inscription_id,
    questions_id,
    unattributed_id,
)

ReceiptTime = Callable[[Delivery], datetime]


def broker_receipt(delivery: Delivery) -> datetime:
    """Production: the JetStream timestamp of the message."""
    return delivery.received_at


def _envelope(message: Message, received_at: datetime, provider_id: str | None) -> dict[str, Any]:
    return {
        "round_id": message.round_id,
        "provider_id": provider_id,
        "occurred_at": received_at,
        "claimed_at": message.sent_at,
        "correlation_id": message.correlation_id or message.message_id,
        "causation_id": message.message_id,
        "actor": message.actor,
    }


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _validation_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or '(message)'}: {issue['msg']}"
            for issue in error.errors()[:20]
        )
    return str(error)


def parse_portal_message(delivery: Delivery, expected: tuple[type[Message], ...]) -> Message:
    """The message, or `MalformedMessage` with the validation errors."""
    try:
        document = json.loads(delivery.body)
    except ValueError as error:
        raise MalformedMessage(None, f"not JSON: {error}") from None
    if not isinstance(document, dict):
        raise MalformedMessage(None, "not a JSON object")
    try:
        message = REGISTRY.parse(document)
    except (ValidationError, UnknownType, UnsupportedVersion) as error:
        raise MalformedMessage(document, _validation_text(error)) from None
    if not isinstance(message, expected):
        names = ", ".join(model.TYPE for model in expected)
        raise MalformedMessage(
            document, f"type {message.TYPE!r} is not sent here; expected {names}"
        )
    return message


class MalformedMessage(Exception):
    def __init__(self, document: dict[str, Any] | None, detail: str) -> None:
        super().__init__(detail)
        self.document = document
        self.detail = detail


_UUID = re.compile(r"^[0-9a-fA-F-]{36}$")
_ROUND = re.compile(r"^\d{4}(-\d{4})?$")
_PROVIDER = re.compile(r"^[0-9]{8}$")


def _attributable(document: dict[str, Any] | None) -> tuple[str, str, str | None] | None:
    """(message id, round, provider) of a malformed message, when it names them validly."""
    if document is None:
        return None
    message_id, round_id = document.get("message_id"), document.get("round_id")
    if not (isinstance(message_id, str) and _UUID.match(message_id)):
        return None
    if not (isinstance(round_id, str) and _ROUND.match(round_id)):
        return None
    provider = document.get("provider")
    provider_id = provider.get("id") if isinstance(provider, dict) else document.get("provider_id")
    valid_provider = (
        provider_id if isinstance(provider_id, str) and _PROVIDER.match(provider_id) else None
    )
    return message_id, round_id, valid_provider


def malformed_rejection(
    store: EventStore, delivery: Delivery, error: MalformedMessage, received_at: datetime
) -> list[NewEvent]:
    """Recorded as `InscriptionRejected` (malformed) when attributable, else dead-lettered."""
    attributed = _attributable(error.document)
    if attributed is None:
        raise DeadLetter(RefusalCode.MALFORMED.value, error.detail)
    message_id, round_id, provider_id = attributed
    aggregate = unattributed_id(message_id)
    if store.aggregate_events(aggregate):
        return []  # the same malformed message again
    rejection = InscriptionRejected(
        round_id=round_id,
        provider_id=provider_id,
        occurred_at=received_at,
        correlation_id=uuid.UUID(message_id),
        causation_id=uuid.UUID(message_id),
        actor=Actor(kind=ActorKind.PORTAL, id=delivery.subject),
        message_id=uuid.UUID(message_id),
        payload_sha256=_digest(delivery.body),
        refusals=(
            Refusal(
                code=RefusalCode.MALFORMED,
                text=error.detail[:2000],
                rule="docs/contract/schemas (the published message contract)",
            ),
        ),
    )
    return [NewEvent(aggregate, 1, rejection)]


def handle_inscription_message(
    delivery: Delivery, store: EventStore, receipt: ReceiptTime = broker_receipt
) -> Sequence[NewEvent]:
    received_at = receipt(delivery)
    try:
        message = parse_portal_message(delivery, (SubmitInscription, WithdrawInscription))
    except MalformedMessage as error:
        return malformed_rejection(store, delivery, error, received_at)
    if isinstance(message, SubmitInscription):
        provider_id, uitvoerder_code = message.provider.id, message.uitvoerder_code
    else:
        assert isinstance(message, WithdrawInscription)
        provider_id, uitvoerder_code = message.provider_id, message.uitvoerder_code
    aggregate_id = inscription_id(message.round_id, uitvoerder_code, provider_id)
    inscription = Inscription.replay(aggregate_id, store.aggregate_events(aggregate_id))
    if inscription.has_handled(message.message_id):
        return []
    envelope = _envelope(message, received_at, provider_id)
    try:
        round_ = load_round(message.round_id)
    except UnknownRound as unknown:
        refusals = [Refusal(code=RefusalCode.UNKNOWN_ROUND, text=str(unknown), rule="rounds data")]
        return [_rejected(inscription, envelope, message, delivery, refusals)]
    if isinstance(message, WithdrawInscription):
        refusals = (
            window_refusals(round_, received_at, "Withdrawal") + inscription.withdrawal_refusals()
        )
        if refusals:
            return [_rejected(inscription, envelope, message, delivery, refusals)]
        withdrawn = InscriptionWithdrawn(
            **envelope, inscription_id=aggregate_id, message_id=message.message_id
        )
        return [NewEvent(aggregate_id, inscription.version + 1, withdrawn)]
    refusals = inscription_refusals(round_, message, received_at)
    if refusals:
        return [_rejected(inscription, envelope, message, delivery, refusals)]
    received = InscriptionReceived(
        **envelope,
        inscription_id=aggregate_id,
        revision=inscription.next_revision(),
        message_id=message.message_id,
        uitvoerder_code=message.uitvoerder_code,
        provider=message.provider,
        regions=message.regions,
        consortium_members=message.consortium_members,
        subcontractor_intent=message.subcontractor_intent,
        documents=message.documents,
        rule_set_version=round_.rule_set_version,
    )
    return [NewEvent(aggregate_id, inscription.version + 1, received)]


def _rejected(
    inscription: Inscription,
    envelope: dict[str, Any],
    message: Message,
    delivery: Delivery,
    refusals: list[Refusal],
) -> NewEvent:
    rejection = InscriptionRejected(
        **envelope,
        message_id=message.message_id,
        inscription_id=inscription.id if inscription.is_active else None,
        payload_sha256=_digest(delivery.body),
        refusals=tuple(refusals),
    )
    return NewEvent(inscription.id, inscription.version + 1, rejection)


def handle_question_message(
    delivery: Delivery, store: EventStore, receipt: ReceiptTime = broker_receipt
) -> Sequence[NewEvent]:
    """Questions until the round's question deadline; the Nota answers them in one event."""
    received_at = receipt(delivery)
    try:
        message = parse_portal_message(delivery, (SubmitQuestion, PublishNotaVanInlichtingen))
    except MalformedMessage as error:
        raise DeadLetter(RefusalCode.MALFORMED.value, error.detail) from None
    aggregate_id = questions_id(message.round_id)
    log = QuestionLog.replay(aggregate_id, store.aggregate_events(aggregate_id))
    if message.message_id in log.handled_messages:
        return []
    envelope = _envelope(message, received_at, None)
    version = log.version + 1
    if isinstance(message, PublishNotaVanInlichtingen):
        nota = NotaVanInlichtingenPublished(
            **envelope, message_id=message.message_id, answers=message.answers
        )
        return [NewEvent(aggregate_id, version, nota)]
    assert isinstance(message, SubmitQuestion)
    try:
        round_ = load_round(message.round_id)
    except UnknownRound as unknown:
        refusal = Refusal(code=RefusalCode.UNKNOWN_ROUND, text=str(unknown), rule="rounds data")
        return [NewEvent(aggregate_id, version, _question_rejected(envelope, message, refusal))]
    if DeadlineCode.QUESTIONS not in round_.deadlines:
        refusal = Refusal(
            code=RefusalCode.QUESTIONS_CLOSED,
            text=f"Round {round_.id} has no question round.",
            rule=round_.source.cite(),
        )
        return [NewEvent(aggregate_id, version, _question_rejected(envelope, message, refusal))]
    window = deadline_for(round_, DeadlineCode.QUESTIONS)
    if not window.contains(received_at):
        refusal = Refusal(
            code=RefusalCode.QUESTIONS_CLOSED,
            text=f"Question received {local(received_at).isoformat()}; questions were taken "
            f"until {window.last_second.isoformat()}.",
            rule=window.source.cite(),
            deadline=window.closes_at,
        )
        return [NewEvent(aggregate_id, version, _question_rejected(envelope, message, refusal))]
    question = QuestionReceived(
        **envelope,
        question_id=message.question_id,
        message_id=message.message_id,
        text=message.text,
    )
    return [NewEvent(aggregate_id, version, question)]


def _question_rejected(
    envelope: dict[str, Any], message: SubmitQuestion, refusal: Refusal
) -> QuestionRejected:
    return QuestionRejected(**envelope, message_id=message.message_id, refusals=(refusal,))
