"""Intake's handlers: one per portal message type, deciding events from recorded facts only.

Each takes the typed message (decoded and validated once by the shared consumer), the
unit of work to read aggregates, and the `Received` facts: the time that counts is the
broker's receipt time (`received.at`); the sender's `sent_at` is kept as `claimed_at`
and never trusted.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from oco_shared.contract import Actor, ActorKind, Message
from oco_shared.contract.base import RegionCode
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
from oco_shared.eventstore import NewEvent
from oco_shared.handling import Malformed, Received, UnitOfWork
from oco_shared.rounds import DeadlineCode, UnknownRound, load_round
from pydantic import TypeAdapter, ValidationError

from oco_intake.domain.checks import deadline_refusal, inscription_refusals, window_refusals
from oco_intake.domain.model import (
    Inscription,
    QuestionLog,
    inscription_id,
    questions_id,
    unattributed_id,
)

CONTRACT_RULE = "docs/contract/schemas (the published message contract)"
# Authority comes from the subject a message arrives on, never from its body (README,
# "Subjects by authority"): the portal subjects carry providers' own submissions only.
PORTAL_RULE = "README: subjects by authority (oco.portal.> carries providers' own messages)"
OFFICE_RULE = "README: subjects by authority (oco.office.<uitvoerder>.> carries its acts)"


def _not_authorised(text: str, rule: str = PORTAL_RULE) -> Refusal:
    return Refusal(code=RefusalCode.NOT_AUTHORISED, text=text, rule=rule, field="actor")


def _provider_refusals(message: Message, provider_id: str, what: str) -> list[Refusal]:
    """A provider's message names that provider as its actor: nobody acts for another."""
    actor = message.actor
    if actor.kind is ActorKind.PROVIDER and actor.id == provider_id:
        return []
    return [
        _not_authorised(
            f"{what} concerns provider {provider_id}; it came from {actor.kind.value} "
            f"{actor.id!r}. Only the provider itself (for a consortium: its lead member) "
            "may send it."
        )
    ]


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


def _round_refusals(round_id: str) -> list[Refusal]:
    try:
        load_round(round_id)
    except UnknownRound as unknown:
        return [Refusal(code=RefusalCode.UNKNOWN_ROUND, text=str(unknown), rule="rounds data")]
    return []


def submit_inscription(
    message: SubmitInscription, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """An inscription, or an amendment of the accepted one, while the round is open."""
    provider_id = message.provider.id
    inscription = _inscription(uow, message.round_id, message.uitvoerder_code, provider_id)
    envelope = _envelope(message, received.at, provider_id)
    refusals = _provider_refusals(message, provider_id, "An inscription")
    refusals += _round_refusals(message.round_id)
    if not refusals:
        round_ = load_round(message.round_id)
        refusals = inscription_refusals(round_, message, received.at)
    if refusals:
        return [_rejected(inscription, envelope, message, received, refusals)]
    accepted = InscriptionReceived(
        **envelope,
        inscription_id=inscription.id,
        revision=inscription.next_revision(),
        message_id=message.message_id,
        uitvoerder_code=message.uitvoerder_code,
        provider=message.provider,
        regions=message.regions,
        consortium_members=message.consortium_members,
        subcontractor_intent=message.subcontractor_intent,
        documents=message.documents,
        rule_set_version=load_round(message.round_id).rule_set_version,
    )
    return [NewEvent(inscription.id, inscription.version + 1, accepted)]


def withdraw_inscription(
    message: WithdrawInscription, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """A withdrawal of the accepted inscription, while the round is open."""
    provider_id = message.provider_id
    inscription = _inscription(uow, message.round_id, message.uitvoerder_code, provider_id)
    envelope = _envelope(message, received.at, provider_id)
    refusals = _provider_refusals(message, provider_id, "A withdrawal")
    refusals += _round_refusals(message.round_id)
    if not refusals:
        round_ = load_round(message.round_id)
        refusals = window_refusals(round_, received.at, "Withdrawal")
        refusals += inscription.withdrawal_refusals()
    if refusals:
        return [_rejected(inscription, envelope, message, received, refusals)]
    withdrawn = InscriptionWithdrawn(
        **envelope, inscription_id=inscription.id, message_id=message.message_id
    )
    return [NewEvent(inscription.id, inscription.version + 1, withdrawn)]


def inscription_of(message: SubmitInscription | WithdrawInscription) -> list[uuid.UUID]:
    """The aggregate an inscription message reads: loaded with the rest of its batch."""
    provider_id = (
        message.provider.id if isinstance(message, SubmitInscription) else message.provider_id
    )
    return [inscription_id(message.round_id, message.uitvoerder_code, provider_id)]


def question_log_of(message: SubmitQuestion | PublishNotaVanInlichtingen) -> list[uuid.UUID]:
    return [questions_id(message.round_id)]


def _inscription(
    uow: UnitOfWork, round_id: str, uitvoerder_code: str, provider_id: str
) -> Inscription:
    aggregate_id = inscription_id(round_id, uitvoerder_code, provider_id)
    return Inscription.replay(aggregate_id, uow.get(aggregate_id))


def _rejected(
    inscription: Inscription,
    envelope: dict[str, Any],
    message: SubmitInscription | WithdrawInscription,
    received: Received,
    refusals: list[Refusal],
) -> NewEvent:
    if isinstance(message, SubmitInscription):
        regions = _regions_of(message)
    else:  # a withdrawal concerns the regions of the inscription it withdraws
        regions = inscription.regions()
    rejection = InscriptionRejected(
        **envelope,
        message_id=message.message_id,
        inscription_id=inscription.id if inscription.is_active else None,
        payload_sha256=received.payload_sha256,
        refusals=tuple(refusals),
        regions=regions,
    )
    return NewEvent(inscription.id, inscription.version + 1, rejection)


def _regions_of(message: SubmitInscription) -> tuple[str, ...]:
    return tuple(dict.fromkeys(region.region_code for region in message.regions))


def refuse_inscription_message(
    message: SubmitInscription | WithdrawInscription, received: Received, refusal: Refusal
) -> InscriptionRejected:
    """The rejection of a message the shared consumer refused before judging it."""
    if isinstance(message, SubmitInscription):
        provider_id, regions = message.provider.id, _regions_of(message)
    else:
        provider_id, regions = message.provider_id, ()
    return InscriptionRejected(
        **_envelope(message, received.at, provider_id),
        message_id=message.message_id,
        payload_sha256=received.payload_sha256,
        refusals=(refusal,),
        regions=regions,
    )


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ROUND = re.compile(r"^\d{4}(-\d{4})?$")
_PROVIDER = re.compile(r"^[0-9]{8}$")


def _attributable(document: dict[str, Any] | None) -> tuple[str, str, str | None] | None:
    """(message id, round, provider) of a malformed message, when it names them validly."""
    if document is None:
        return None
    message_id, round_id = document.get("message_id"), document.get("round_id")
    if not (isinstance(message_id, str) and _UUID.fullmatch(message_id)):
        return None
    if not (isinstance(round_id, str) and _ROUND.fullmatch(round_id)):
        return None
    provider = document.get("provider")
    provider_id = provider.get("id") if isinstance(provider, dict) else document.get("provider_id")
    valid_provider = (
        provider_id if isinstance(provider_id, str) and _PROVIDER.fullmatch(provider_id) else None
    )
    return message_id, round_id, valid_provider


def malformed_inscription(
    malformed: Malformed, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent] | None:
    """`InscriptionRejected` naming every offending field, when the message names a valid
    message id and round; None: dead-letter it."""
    attributed = _attributable(malformed.document)
    if attributed is None:
        return None
    message_id, round_id, provider_id = attributed
    aggregate = unattributed_id(message_id)
    if uow.get(aggregate):
        return []  # the same malformed message again
    rejection = InscriptionRejected(
        round_id=round_id,
        provider_id=provider_id,
        occurred_at=received.at,
        claimed_at=_claimed_at(malformed.document),
        correlation_id=uuid.UUID(message_id),
        causation_id=uuid.UUID(message_id),
        actor=Actor(kind=ActorKind.PORTAL, id=received.subject),
        message_id=uuid.UUID(message_id),
        payload_sha256=received.payload_sha256,
        refusals=tuple(
            Refusal(
                code=malformed.code,
                text=(f"{problem.field}: {problem.text}" if problem.field else problem.text)[:2000],
                rule=CONTRACT_RULE,
                field=problem.field,
            )
            for problem in malformed.problems
        ),
        regions=_named_regions(malformed.document),
    )
    return [NewEvent(aggregate, 1, rejection)]


MAX_REGIONS = 31  # as SubmitInscription.regions
_REGION_CODE: TypeAdapter[str] = TypeAdapter(RegionCode)


def _named_regions(document: dict[str, Any] | None) -> tuple[str, ...]:
    """The valid region codes among the first MAX_REGIONS entries of a malformed message's
    `regions`: bounded, so a huge list costs no more than a valid one."""
    regions = (document or {}).get("regions")
    if not isinstance(regions, list):
        return ()
    codes: dict[str, None] = {}
    for region in regions[:MAX_REGIONS]:
        code = region.get("region_code") if isinstance(region, dict) else None
        try:
            codes[_REGION_CODE.validate_python(code, strict=True)] = None
        except ValidationError:
            continue
    return tuple(codes)


def _claimed_at(document: dict[str, Any] | None) -> datetime | None:
    """The sender's `sent_at` when it is a valid time with an offset; kept, never trusted."""
    sent_at = (document or {}).get("sent_at")
    if not isinstance(sent_at, str):
        return None
    try:
        claimed = datetime.fromisoformat(sent_at)
    except ValueError:
        return None
    return claimed if claimed.tzinfo is not None else None


def submit_question(
    message: SubmitQuestion, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """Questions until the round's question deadline (000_… 6: vragen)."""
    log = _question_log(uow, message.round_id)
    envelope = _envelope(message, received.at, None)
    refusal = (
        None
        if message.actor.kind is ActorKind.PROVIDER
        else _not_authorised(
            f"Questions are asked by providers, not by {message.actor.kind.value}s."
        )
    ) or _question_refusal(message.round_id, received.at)
    if refusal is not None:
        rejected = QuestionRejected(**envelope, message_id=message.message_id, refusals=(refusal,))
        return [NewEvent(log.id, log.version + 1, rejected)]
    question = QuestionReceived(
        **envelope,
        question_id=message.question_id,
        message_id=message.message_id,
        text=message.text,
    )
    return [NewEvent(log.id, log.version + 1, question)]


def _question_refusal(round_id: str, received_at: datetime) -> Refusal | None:
    try:
        round_ = load_round(round_id)
    except UnknownRound as unknown:
        return Refusal(code=RefusalCode.UNKNOWN_ROUND, text=str(unknown), rule="rounds data")
    return deadline_refusal(
        round_, DeadlineCode.QUESTIONS, RefusalCode.QUESTIONS_CLOSED, "Question", received_at
    )


def publish_nota(
    message: PublishNotaVanInlichtingen, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """The Nota van Inlichtingen answers the round's questions in one event; a
    zorgkantoor publishes it on its office subject by the round's date for it."""
    log = _question_log(uow, message.round_id)
    envelope = _envelope(message, received.at, None)
    refusal = _nota_refusal(message.round_id, received.office, received.at)
    if refusal is not None:
        rejected = QuestionRejected(**envelope, message_id=message.message_id, refusals=(refusal,))
        return [NewEvent(log.id, log.version + 1, rejected)]
    nota = NotaVanInlichtingenPublished(
        **envelope,
        message_id=message.message_id,
        uitvoerder_code=received.office,
        answers=message.answers,
    )
    return [NewEvent(log.id, log.version + 1, nota)]


def nota_from_a_portal(
    message: PublishNotaVanInlichtingen, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """A Nota on a portal subject claims a zorgkantoor's authority it does not have."""
    log = _question_log(uow, message.round_id)
    refusal = _not_authorised(
        "A Nota van Inlichtingen is a zorgkantoor's act: it is published on "
        "oco.office.<uitvoerder>.nota, never through a portal, whatever its actor says."
    )
    rejected = QuestionRejected(
        **_envelope(message, received.at, None), message_id=message.message_id, refusals=(refusal,)
    )
    return [NewEvent(log.id, log.version + 1, rejected)]


def _nota_refusal(round_id: str, uitvoerder: str | None, received_at: datetime) -> Refusal | None:
    try:
        round_ = load_round(round_id)
    except UnknownRound as unknown:
        return Refusal(code=RefusalCode.UNKNOWN_ROUND, text=str(unknown), rule="rounds data")
    if uitvoerder not in {u.code for u in round_.uitvoerders}:
        return _not_authorised(
            f"{uitvoerder!r} is no Wlz-uitvoerder of round {round_.id}.", OFFICE_RULE
        )
    return deadline_refusal(
        round_,
        DeadlineCode.NOTA_VAN_INLICHTINGEN,
        RefusalCode.NOTA_LATE,
        "Nota van Inlichtingen",
        received_at,
    )


def refuse_question_message(
    message: SubmitQuestion | PublishNotaVanInlichtingen, received: Received, refusal: Refusal
) -> QuestionRejected:
    return QuestionRejected(
        **_envelope(message, received.at, None),
        message_id=message.message_id,
        refusals=(refusal,),
    )


def _question_log(uow: UnitOfWork, round_id: str) -> QuestionLog:
    aggregate_id = questions_id(round_id)
    return QuestionLog.replay(aggregate_id, uow.get(aggregate_id))
