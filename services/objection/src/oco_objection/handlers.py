"""The objection handlers: one plain function per incoming message or upstream event type.

Each takes the typed message, the unit of work to read a region's stream, and the
`Received` facts: `received.at` (procedure time of the broker's receipt) is the time that
counts, `received.office` the uitvoerder whose office subject carried a zorgkantoor's
answer (its only authority). A provider's messages come through the portal subject; the
body's actor is recorded and must be the party the outcome concerns.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from oco_shared.contract import Actor, ActorKind, Event, Message
from oco_shared.contract.events import (
    KortGedingFiled,
    KortGedingRejected,
    ObjectionAnswered,
    ObjectionAnswerRejected,
    ObjectionFiled,
    ObjectionRejected,
    ObjectionWindowOpened,
    SelectionPublished,
)
from oco_shared.contract.messages import AnswerObjection, ReportKortGeding, SubmitObjection
from oco_shared.contract.parts import Refusal, RefusalCode
from oco_shared.eventstore import NewEvent
from oco_shared.handling import CONTRACT_RULE, Malformed, Received, UnitOfWork
from oco_shared.region_handling import acting, appended, known_round, unknown_round
from oco_shared.rounds import Round

from oco_objection.domain.model import (
    NAMESPACE,
    Objection,
    RegionObjections,
    objection_id_of,
    region_id,
)
from oco_objection.domain.rules import (
    KortGedingTerm,
    answer_deadline,
    answer_refusals,
    cited,
    filing_refusals,
    kort_geding_refusals,
    kort_geding_term,
    kort_geding_term_after_answer,
    kort_geding_term_of_party,
    objection_window,
    suspends_procedure,
)

SERVICE_ACTOR = Actor(kind=ActorKind.SYSTEM, id="objection")


# Assessment's publication: one window per party outcome.


def selection_published(
    event: SelectionPublished, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """Each party's window runs from the actual publication of its outcome (each edition
    opens its own), never closing before the round's published date (000_… 6)."""
    round_ = known_round(event.round_id)
    if round_ is None or event.region_code is None:
        return []
    region = _region(uow, event.round_id, event.region_code)
    if region.has_edition(event.event_id):
        return []
    window = objection_window(round_, event.occurred_at)
    opened = [
        ObjectionWindowOpened(
            round_id=event.round_id,
            region_code=event.region_code,
            provider_id=outcome.provider_id,
            occurred_at=received.at,
            correlation_id=event.correlation_id,
            causation_id=event.event_id,
            actor=SERVICE_ACTOR,
            selection_event_id=event.event_id,
            edition=event.edition,
            uitvoerder_code=event.uitvoerder_code,
            outcome=outcome.outcome,
            channel=event.objection_channel,
            opens_at=event.occurred_at,
            closes_at=window.closes_at,
            rule=cited(window),
        )
        for outcome in event.outcomes
    ]
    return appended(region, opened)


def region_of_event(event: Event) -> list[uuid.UUID]:
    if isinstance(event, SelectionPublished) and event.region_code is not None:
        return [region_id(event.round_id, event.region_code)]
    return []


# A party's objection, through its portal.


def submit_objection(
    message: SubmitObjection, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """Filed when it arrives inside the party's window, from the party, on the channel the
    outcome named; otherwise refused with every reason that applies."""
    region = _region(uow, message.round_id, message.region_code)
    round_ = known_round(message.round_id)
    if round_ is None:
        return _objection_refused(
            region, message, received, [unknown_round(message.round_id, field="round_id")]
        )
    refusals = filing_refusals(
        round_,
        region,
        message.provider_id,
        _actor_is(message, message.provider_id),
        message.channel,
        received.at,
    )
    window = region.window_of(message.provider_id)
    if refusals or window is None:
        return _objection_refused(region, message, received, refusals)
    answer_due = answer_deadline(round_)
    filed = ObjectionFiled(
        **acting(message, received, message.provider_id),
        objection_id=objection_id_of(message.message_id),
        message_id=message.message_id,
        uitvoerder_code=window.uitvoerder_code,
        selection_event_id=window.selection_event_id,
        edition=window.edition,
        grounds=message.grounds,
        evidence=message.evidence,
        channel=message.channel,
        window_closes_at=window.closes_at,
        answer_due_at=answer_due.closes_at if answer_due else None,
    )
    return appended(region, [filed])


# The zorgkantoor's answer, on its own office subject.


def answer_objection(
    message: AnswerObjection, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """The answer to an objection of the office's own region; after the round's answer
    deadline it is recorded and flagged late (a duty, not a vervaltermijn: 000_… 6)."""
    round_ = known_round(message.round_id)
    found = _find_objection(uow, round_, message.objection_id) if round_ else None
    if round_ is None:
        refusals = [unknown_round(message.round_id, field="round_id")]
    else:
        objection = found[2] if found else None
        refusals = answer_refusals(round_, objection, message.objection_id, received.office)
    if refusals or round_ is None or found is None:
        return _answer_refused(message, received, found, refusals)
    region_code, region, objection = found
    due = objection.filed.answer_due_at
    answered = ObjectionAnswered(
        **{**acting(message, received, objection.provider_id), "region_code": region_code},
        objection_id=message.objection_id,
        message_id=message.message_id,
        uitvoerder_code=str(received.office),
        decision=message.decision,
        answer=message.answer,
        answer_due_at=due,
        late=due is not None and received.at >= due,
        kort_geding_closes_at=_kort_geding_closes_at(round_, region, objection, received.at),
    )
    return appended(region, [answered])


def _answer_refused(
    message: AnswerObjection,
    received: Received,
    found: tuple[str, RegionObjections, Objection] | None,
    refusals: list[Refusal],
) -> list[NewEvent]:
    """In the objection's region when it was found, else in a stream of the message's own."""
    region_code, region, objection = found if found else (None, None, None)
    refused = ObjectionAnswerRejected(
        **{
            **acting(message, received, objection.provider_id if objection else None),
            "region_code": region_code,
        },
        message_id=message.message_id,
        objection_id=message.objection_id,
        uitvoerder_code=received.office,
        refusals=tuple(refusals),
    )
    if region is None:
        return [NewEvent(_unattributed(message.message_id), 1, refused)]
    return appended(region, [refused])


def _kort_geding_closes_at(
    round_: Round, region: RegionObjections, objection: Objection, answered_at: datetime
) -> datetime | None:
    term = kort_geding_term_after_answer(round_, answered_at)
    if term is None:
        original = region.first_window_of(objection.provider_id)
        term = kort_geding_term_of_party(round_, original) if original else None
    return term.closes_at if term else None


def _find_objection(
    uow: UnitOfWork, round_: Round, objection_id: uuid.UUID
) -> tuple[str, RegionObjections, Objection] | None:
    """The answer names only the objection: look for it in every region of the round."""
    for code in _region_codes(round_):
        region = _region(uow, round_.id, code)
        objection = region.objections.get(objection_id)
        if objection is not None:
            return code, region, objection
    return None


def regions_of_round(message: Any) -> list[uuid.UUID]:
    """The streams an answer may touch: loaded with the rest of its batch in one query."""
    return [
        region_id(message.round_id, code) for code in _region_codes(known_round(message.round_id))
    ]


# A party's kort geding, through its portal.


def report_kort_geding(
    message: ReportKortGeding, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """In time, `KortGedingFiled` with the round's suspensive effect; late (or before the
    answer it must follow), `KortGedingRejected` with the term that applied."""
    region = _region(uow, message.round_id, message.region_code)
    round_ = known_round(message.round_id)
    if round_ is None:
        return _kort_geding_refused(
            region, message, received, [unknown_round(message.round_id, field="round_id")]
        )
    if region.first_window_of(message.provider_id) is None or not _actor_is(
        message, message.provider_id
    ):
        return _kort_geding_refused(
            region,
            message,
            received,
            [
                Refusal(
                    code=RefusalCode.NOT_A_PARTY,
                    text=f"Only a party with an outcome in region {message.region_code} "
                    f"registers its kort geding; {message.provider_id} (sent by "
                    f"{message.actor.kind.value} {message.actor.id!r}) is not one.",
                    rule=PORTAL_AND_OUTCOME,
                    field="provider_id",
                )
            ],
        )
    term = kort_geding_term(round_, region, message.provider_id, message.objection_id)
    if isinstance(term, Refusal):
        return _kort_geding_refused(region, message, received, [term])
    refusals = kort_geding_refusals(term.deadline, received.at, message.summoned_on)
    if refusals:
        return _kort_geding_refused(region, message, received, refusals)
    return appended(region, [_kort_geding_filed(round_, message, received, term)])


PORTAL_AND_OUTCOME = "README: subjects by authority; the outcome names the party"


def _kort_geding_filed(
    round_: Round, message: ReportKortGeding, received: Received, term: KortGedingTerm
) -> KortGedingFiled:
    return KortGedingFiled(
        **acting(message, received, message.provider_id),
        message_id=message.message_id,
        objection_id=term.objection.filed.objection_id if term.objection else None,
        court=message.court,
        case_number=message.case_number,
        summoned_on=message.summoned_on,
        closes_at=term.deadline.closes_at,
        rule=cited(term.deadline),
        suspends_procedure=suspends_procedure(round_),
    )


def region_of_message(message: Any) -> list[uuid.UUID]:
    return [region_id(message.round_id, message.region_code)]


# Refusals decided before a handler: a reused message id, a message too large, malformed.


def refuse_message(message: Any, received: Received, refusal: Refusal) -> Event:
    provider_id = getattr(message, "provider_id", None)
    envelope = acting(message, received, provider_id)
    if isinstance(message, AnswerObjection):
        return ObjectionAnswerRejected(
            **envelope,
            message_id=message.message_id,
            objection_id=message.objection_id,
            uitvoerder_code=received.office,
            refusals=(refusal,),
        )
    rejection = KortGedingRejected if isinstance(message, ReportKortGeding) else ObjectionRejected
    return rejection(**envelope, message_id=message.message_id, refusals=(refusal,))


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_ROUND = re.compile(r"\d{4}(-\d{4})?")
_PROVIDER = re.compile(r"[0-9]{8}")
_REGION = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def malformed_message(
    malformed: Malformed, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent] | None:
    """The refusal naming every offending field, when the message names a valid message id
    and round (the rejection type follows its `type`); None: dead-letter it."""
    document = malformed.document or {}
    message_id, round_id = document.get("message_id"), document.get("round_id")
    if not (isinstance(message_id, str) and _UUID.fullmatch(message_id)):
        return None
    if not (isinstance(round_id, str) and _ROUND.fullmatch(round_id)):
        return None
    aggregate = _unattributed(uuid.UUID(message_id), received.payload_sha256)
    if uow.get(aggregate):
        return []  # the same malformed message again
    envelope = {
        "round_id": round_id,
        "region_code": _valid(document.get("region_code"), _REGION),
        "provider_id": _valid(document.get("provider_id"), _PROVIDER),
        "occurred_at": received.at,
        "correlation_id": uuid.UUID(message_id),
        "causation_id": uuid.UUID(message_id),
        "actor": Actor(kind=ActorKind.PORTAL, id=received.subject),
        "message_id": uuid.UUID(message_id),
        "refusals": tuple(
            Refusal(
                code=malformed.code,
                text=(f"{p.field}: {p.text}" if p.field else p.text)[:2000],
                rule=CONTRACT_RULE,
                field=p.field,
            )
            for p in malformed.problems
        ),
    }
    kind = document.get("type")
    rejected: Event
    if kind == AnswerObjection.TYPE:
        envelope["actor"] = Actor(kind=ActorKind.ZORGKANTOOR, id=str(received.office))
        rejected = ObjectionAnswerRejected(**envelope, uitvoerder_code=received.office)
    elif kind == ReportKortGeding.TYPE:
        rejected = KortGedingRejected(**envelope)
    else:
        rejected = ObjectionRejected(**envelope)
    return [NewEvent(aggregate, 1, rejected)]


def _valid(value: object, pattern: re.Pattern[str]) -> str | None:
    return value if isinstance(value, str) and pattern.fullmatch(value) else None


# Shared plumbing of the handlers.


def _actor_is(message: Message, provider_id: str) -> bool:
    """The portal names the provider it acts for; it must be the party itself."""
    return message.actor.kind is ActorKind.PROVIDER and message.actor.id == provider_id


def _objection_refused(
    region: RegionObjections, message: SubmitObjection, received: Received, refusals: list[Refusal]
) -> list[NewEvent]:
    refused = ObjectionRejected(
        **acting(message, received, message.provider_id),
        message_id=message.message_id,
        refusals=tuple(refusals),
    )
    return appended(region, [refused])


def _kort_geding_refused(
    region: RegionObjections,
    message: ReportKortGeding,
    received: Received,
    refusals: list[Refusal],
) -> list[NewEvent]:
    refused = KortGedingRejected(
        **acting(message, received, message.provider_id),
        message_id=message.message_id,
        refusals=tuple(refusals),
    )
    return appended(region, [refused])


def _unattributed(message_id: uuid.UUID, payload_sha256: str = "") -> uuid.UUID:
    """Where a refusal that names no known region goes: one stream per message."""
    return uuid.uuid5(NAMESPACE, f"unattributed:{message_id}:{payload_sha256}")


def _region(uow: UnitOfWork, round_id: str, region_code: str) -> RegionObjections:
    aggregate_id = region_id(round_id, region_code)
    return RegionObjections.replay(aggregate_id, uow.get(aggregate_id))


def _region_codes(round_: Round | None) -> list[str]:
    if round_ is None:
        return []
    return [region.code for uitvoerder in round_.uitvoerders for region in uitvoerder.regions]
