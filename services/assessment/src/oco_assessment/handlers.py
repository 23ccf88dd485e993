"""Assessment's handlers: one per incoming message or upstream event type.

Each takes the typed message, the unit of work to read the region's stream, and the
`Received` facts: `received.at` is the time that counts, `received.office` the uitvoerder
whose office subject carried a zorgkantoor's act (its only authority; the body's actor is
recorded, never trusted). Every decision about a region is recorded in that region's
stream, refusals included, so the region's history reads in order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from oco_shared.contract import Actor, ActorKind, Event, Message
from oco_shared.contract.events import (
    AssessmentCaseClosed,
    AssessmentCaseOpened,
    AssessmentRefused,
    CriteriaScored,
    DocumentsRequested,
    DocumentsSupplied,
    InscriptionReceived,
    InscriptionWithdrawn,
    LotDrawn,
    LotRequired,
    ObjectionAnswered,
    RegionPlacesSet,
    SelectionPublished,
    SelectionReopened,
    SuitabilityAssessed,
    VerdictsRecorded,
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
from oco_shared.contract.parts import (
    ObjectionDecision,
    Outcome,
    PartyOutcome,
    Refusal,
    RefusalCode,
    RequirementVerdict,
    VerdictSummary,
)
from oco_shared.deadlines import deadline_for, local
from oco_shared.eventstore import NewEvent
from oco_shared.handling import Received, UnitOfWork
from oco_shared.region_handling import acting, appended, following, known_round, office_checks
from oco_shared.rounds import DeadlineCode, MilestoneCode, Round

from oco_assessment.domain.checks import (
    after_close_refusals,
    answer_refusals,
    assessment_period_refusals,
    case_refusals,
    criterion_refusals,
    open_region_refusals,
    places_refusals,
    requirement_refusals,
)
from oco_assessment.domain.model import Case, RegionAssessment, region_id
from oco_assessment.domain.selection import (
    AwaitingLot,
    MissingScores,
    Placement,
    existing_rule,
    select,
)

SERVICE_ACTOR = Actor(kind=ActorKind.SYSTEM, id="assessment")
UPHELD = (ObjectionDecision.UPHELD, ObjectionDecision.PARTIALLY_UPHELD)


# Intake's events: one case per provider per region, from the latest revision.


def inscription_received(
    event: InscriptionReceived, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """Opens a case in every region the latest revision names and closes the cases of
    regions it no longer names; a consortium is one party under its lead member."""
    round_ = known_round(event.round_id)
    uitvoerder = round_.uitvoerder(event.uitvoerder_code) if round_ else None
    if uitvoerder is None:
        return []  # intake refuses such inscriptions; nothing to assess
    inscribed = {application.region_code: application for application in event.regions}
    decided: list[NewEvent] = []
    for served in uitvoerder.regions:
        region = _region(uow, event.round_id, served.code)
        case = region.cases.get(event.provider.id)
        envelope = following(event, received, SERVICE_ACTOR, served.code)
        application = inscribed.get(served.code)
        if application is not None:
            if case is not None and case.open and case.opened.revision == event.revision:
                continue  # intake's stream is read in order: only a repeat has the same revision
            opened = AssessmentCaseOpened(
                **envelope,
                inscription_id=event.inscription_id,
                revision=event.revision,
                uitvoerder_code=event.uitvoerder_code,
                provider=event.provider,
                consortium_members=event.consortium_members,
                new_to_region=application.new_to_region,
            )
            decided.append(NewEvent(region.id, region.version + 1, opened))
        elif case is not None and case.open and case.opened.inscription_id == event.inscription_id:
            closed = AssessmentCaseClosed(
                **envelope, inscription_id=event.inscription_id, reason="region_dropped"
            )
            decided.append(NewEvent(region.id, region.version + 1, closed))
    return decided


def inscription_withdrawn(
    event: InscriptionWithdrawn, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    round_ = known_round(event.round_id)
    decided: list[NewEvent] = []
    for code in _region_codes(round_):
        region = _region(uow, event.round_id, code)
        if region.case_of_inscription(event.inscription_id) is None:
            continue
        closed = AssessmentCaseClosed(
            **following(event, received, SERVICE_ACTOR, code),
            inscription_id=event.inscription_id,
            reason="withdrawn",
        )
        decided.append(NewEvent(region.id, region.version + 1, closed))
    return decided


def regions_of_round(event: Event) -> list[uuid.UUID]:
    """The region streams an intake event may touch: loaded with the rest of its batch."""
    if not isinstance(event, InscriptionReceived | InscriptionWithdrawn):
        return []
    return [region_id(event.round_id, code) for code in _region_codes(known_round(event.round_id))]


# The objection service's answer: an upheld objection reopens the region.


def objection_answered(
    event: ObjectionAnswered, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """An objection upheld (wholly or partly) for a published region reopens it: verdicts
    and scores may be corrected and a new edition published (000_… 6, bezwaar)."""
    if event.decision not in UPHELD or event.region_code is None:
        return []
    region = _region(uow, event.round_id, event.region_code)
    if not region.closed_for_assessment:
        return []  # not published yet, or already reopened
    reopened = SelectionReopened(
        **following(event, received, SERVICE_ACTOR, event.region_code),
        objection_id=event.objection_id,
        decision=event.decision,
        reopened_edition=region.edition,
    )
    return appended(region, [reopened])


def region_of_objection(event: Event) -> list[uuid.UUID]:
    if isinstance(event, ObjectionAnswered) and event.region_code is not None:
        return [region_id(event.round_id, event.region_code)]
    return []


# The zorgkantoor's acts, each on oco.office.<uitvoerder>.assessment.


def set_region_places(
    message: SetRegionPlaces, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    region = _region(uow, message.round_id, message.region_code)
    round_, refusals = office_checks(message, received)
    if round_ is not None and not refusals:
        refusals = open_region_refusals(region, "Places") + places_refusals(
            round_, region, message.places
        )
    if round_ is None or refusals:
        return _refused(region, message, received, refusals)
    fixed = RegionPlacesSet(
        **acting(message, received, None),
        message_id=message.message_id,
        uitvoerder_code=str(received.office),
        places=message.places,
        round_maximum=round_.max_providers_per_region.value,
        motivation=message.motivation,
    )
    return appended(region, [fixed])


def _case_act_checks(
    message: AssessSuitability | ScoreCriteria,
    received: Received,
    region: RegionAssessment,
    case: Case | None,
    what: str,
) -> tuple[Round | None, list[Refusal]]:
    """What every act on one party's case must pass: the office's authority, the
    assessment period, a region still open, and an open case for that party."""
    round_, refusals = office_checks(message, received)
    if round_ is not None and not refusals:
        refusals = (
            assessment_period_refusals(round_, received.at, what)
            + open_region_refusals(region, what)
            + case_refusals(case, message.provider_id, message.region_code)
        )
    return round_, refusals


def assess_suitability(
    message: AssessSuitability, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """Verdicts per requirement; once every requirement of the round has one,
    `SuitabilityAssessed` says suitable or not, with the failed requirements."""
    region = _region(uow, message.round_id, message.region_code)
    case = region.open_case(message.provider_id)
    round_, refusals = _case_act_checks(message, received, region, case, "A verdict")
    if round_ is not None and not refusals:
        refusals = requirement_refusals(round_, message.verdicts)
    if round_ is None or case is None or refusals:
        return _refused(region, message, received, refusals)
    envelope = acting(message, received, message.provider_id)
    recorded = VerdictsRecorded(
        **envelope,
        message_id=message.message_id,
        inscription_id=case.opened.inscription_id,
        verdicts=message.verdicts,
    )
    decided: list[Event] = [recorded]
    verdicts = {**case.verdicts, **{verdict.code: verdict for verdict in message.verdicts}}
    if all(requirement.code in verdicts for requirement in round_.requirements):
        in_order = tuple(verdicts[requirement.code] for requirement in round_.requirements)
        failed = tuple(verdict.code for verdict in in_order if not verdict.met)
        decided.append(
            SuitabilityAssessed(
                **envelope,
                inscription_id=case.opened.inscription_id,
                revision=case.opened.revision,
                verdicts=in_order,
                suitable=not failed,
                failed_requirements=failed,
            )
        )
    return appended(region, decided)


def score_criteria(
    message: ScoreCriteria, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    region = _region(uow, message.round_id, message.region_code)
    case = region.open_case(message.provider_id)
    round_, refusals = _case_act_checks(message, received, region, case, "A score")
    if round_ is not None and not refusals:
        refusals = criterion_refusals(round_, message.scores)
    if round_ is None or case is None or refusals:
        return _refused(region, message, received, refusals)
    scored = CriteriaScored(
        **acting(message, received, message.provider_id),
        message_id=message.message_id,
        inscription_id=case.opened.inscription_id,
        scores=message.scores,
    )
    return appended(region, [scored])


def request_documents(
    message: RequestDocuments, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    region = _region(uow, message.round_id, message.region_code)
    case = region.open_case(message.provider_id)
    round_, refusals = office_checks(message, received)
    if round_ is not None and not refusals:
        refusals = (
            after_close_refusals(round_, received.at, "A document request")
            + open_region_refusals(region, "A document request")
            + case_refusals(case, message.provider_id, message.region_code)
        )
    if round_ is None or case is None or refusals:
        return _refused(region, message, received, refusals)
    requested = DocumentsRequested(
        **acting(message, received, message.provider_id),
        message_id=message.message_id,
        request_id=message.request_id,
        inscription_id=case.opened.inscription_id,
        documents=message.documents,
        reason=message.reason,
        answer_by=message.answer_by,
    )
    return appended(region, [requested])


def supply_documents(
    message: SupplyDocuments, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """A provider's answer, through its portal, against the request and its deadline."""
    region = _region(uow, message.round_id, message.region_code)
    refusals = []
    actor = message.actor
    if not (actor.kind is ActorKind.PROVIDER and actor.id == message.provider_id):
        refusals.append(
            Refusal(
                code=RefusalCode.NOT_AUTHORISED,
                text=f"Documents for provider {message.provider_id} came from "
                f"{actor.kind.value} {actor.id!r}; only the provider answers its request.",
                rule="README: subjects by authority (oco.portal.> carries providers' own messages)",
                field="actor",
            )
        )
    refusals += answer_refusals(
        region,
        message.request_id,
        message.provider_id,
        [document.kind for document in message.documents],
        received.at,
    )
    if refusals:
        return _refused(region, message, received, refusals)
    supplied = DocumentsSupplied(
        **acting(message, received, message.provider_id),
        message_id=message.message_id,
        request_id=message.request_id,
        documents=message.documents,
    )
    return appended(region, [supplied])


def publish_selection(
    message: PublishSelection, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """The selection of a region, once every case is assessed; or, when parties tie on
    the last places, `LotRequired`: the publication completes when the lot is drawn."""
    region = _region(uow, message.round_id, message.region_code)
    round_, refusals = office_checks(message, received)
    if round_ is not None and not refusals:
        refusals = open_region_refusals(region, "A publication") + _lot_pending(round_, region)
    if round_ is None or refusals:
        return _refused(region, message, received, refusals)
    envelope = acting(message, received, None)
    decided, refusals = _selection(
        round_, region, envelope, received.at, message.provisional_budget_ceiling
    )
    if refusals:
        return _refused(region, message, received, refusals)
    return appended(region, decided)


def record_lot_drawn(
    message: RecordLotDrawn, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """The notary's lot for the parties that tie, and with it the waiting publication."""
    region = _region(uow, message.round_id, message.region_code)
    round_, refusals = office_checks(message, received)
    awaited = region.awaiting_lot
    if round_ is not None and not refusals:
        if awaited is None:
            refusals = [
                Refusal(
                    code=RefusalCode.NO_LOT_AWAITED,
                    text=f"Region {message.region_code} waits for no lot.",
                    rule=round_.tie_break.source.cite(),
                )
            ]
        elif sorted(awaited.candidates) != sorted(message.drawn_order):
            refusals = [
                Refusal(
                    code=RefusalCode.LOT_CANDIDATES_DIFFER,
                    text=f"The lot is between {', '.join(awaited.candidates)}; the drawn "
                    f"order names {', '.join(message.drawn_order)}.",
                    rule=round_.tie_break.source.cite(),
                    field="drawn_order",
                )
            ]
    if round_ is None or awaited is None or refusals:
        return _refused(region, message, received, refusals)
    envelope = acting(message, received, None)
    drawn = LotDrawn(
        **envelope,
        message_id=message.message_id,
        candidates=awaited.candidates,
        drawn_order=message.drawn_order,
        places=awaited.places,
        notary=message.notary,
        report_sha256=message.report_sha256,
    )
    with_lot = RegionAssessment.replay(region.id, [*uow.get(region.id), drawn])
    published, refusals = _selection(
        round_, with_lot, envelope, received.at, awaited.provisional_budget_ceiling
    )
    assert not refusals, "nothing but the lot blocked this publication"
    return appended(region, [drawn, *published])


def region_of_message(message: Any) -> list[uuid.UUID]:
    return [region_id(message.round_id, message.region_code)]


def refuse_message(message: Any, received: Received, refusal: Refusal) -> AssessmentRefused:
    """The refusal of a message the shared consumer refused before judging it."""
    return AssessmentRefused(
        **acting(message, received, getattr(message, "provider_id", None)),
        message_id=message.message_id,
        message_type=message.type,
        uitvoerder_code=received.office,
        refusals=(refusal,),
    )


# The selection and its publication.


def _selection(
    round_: Round,
    region: RegionAssessment,
    envelope: dict[str, Any],
    published_at: datetime,
    ceiling: Decimal,
) -> tuple[list[Event], list[Refusal]]:
    cases = region.open_cases()
    blockers = _blockers(round_, region, cases)
    if blockers:
        return [], blockers
    assert region.places is not None
    selection = select(
        [case.party(round_) for case in cases],
        region.places.places,
        existing_rule(round_),
        region.recorded_lots(),
    )
    if isinstance(selection, MissingScores):
        return [], [
            Refusal(
                code=RefusalCode.SCORES_MISSING,
                text="More suitable parties than places: ranking needs a score on every "
                f"criterion ({', '.join(c.code for c in round_.selection_criteria)}) for "
                f"{', '.join(selection.provider_ids)}.",
                rule=round_.selection_criteria[0].source.cite(),
            )
        ]
    if isinstance(selection, AwaitingLot):
        required = LotRequired(
            **envelope,
            candidates=selection.candidates,
            places=selection.places,
            provisional_budget_ceiling=ceiling,
        )
        return [required], []
    by_provider = {placement.provider_id: placement for placement in selection.placements}
    uitvoerder = round_.uitvoerder_of(str(envelope["region_code"]))
    assert uitvoerder is not None
    planned = round_.milestones[MilestoneCode.OUTCOME_PUBLISHED].date
    objection = deadline_for(round_, DeadlineCode.OBJECTION, published_at)
    published = SelectionPublished(
        **envelope,
        edition=region.edition + 1,
        supersedes=region.published.event_id if region.published else None,
        uitvoerder_code=uitvoerder.code,
        places=region.places.places,
        outcomes=tuple(
            _outcome(round_, case, by_provider[case.provider_id], ceiling) for case in cases
        ),
        # The outcome message names the channel for objections (000_… 6, bezwaar).
        objection_channel=uitvoerder.email or uitvoerder.name,
        # The window runs from the actual publication, never closing before the
        # round's published date (deadlines.py; domain.md, "Objection").
        objection_closes_at=objection.closes_at,
        planned_on=planned,
        late=local(published_at).date() > planned,
    )
    return [published], []


def _blockers(round_: Round, region: RegionAssessment, cases: list[Case]) -> list[Refusal]:
    timetable = round_.milestones[MilestoneCode.OUTCOME_PUBLISHED].source.cite()
    if not cases:
        return [
            Refusal(
                code=RefusalCode.NO_CASES,
                text="No provider has an open inscription in this region.",
                rule=timetable,
            )
        ]
    blockers = []
    if region.places is None:
        blockers.append(
            Refusal(
                code=RefusalCode.PLACES_NOT_FIXED,
                text="The zorgkantoor fixes the places of the region before selection.",
                rule=round_.max_providers_per_region.source.cite(),
            )
        )
    unassessed = [case.provider_id for case in cases if case.assessed is None]
    if unassessed:
        blockers.append(
            Refusal(
                code=RefusalCode.VERDICTS_MISSING,
                text="Selection follows the suitability of every party; not every requirement "
                f"has a verdict for {', '.join(unassessed)}.",
                rule=round_.requirements[0].source.file + " (the round's requirements)",
            )
        )
    return blockers


def _lot_pending(round_: Round, region: RegionAssessment) -> list[Refusal]:
    if region.awaiting_lot is None:
        return []
    return [
        Refusal(
            code=RefusalCode.LOT_PENDING,
            text=f"The publication waits for the lot between "
            f"{', '.join(region.awaiting_lot.candidates)}.",
            rule=round_.tie_break.source.cite(),
        )
    ]


def _outcome(round_: Round, case: Case, placement: Placement, ceiling: Decimal) -> PartyOutcome:
    assessed = case.assessed
    verdicts: tuple[RequirementVerdict, ...] = assessed.verdicts if assessed else ()
    criteria = [criterion.code for criterion in round_.selection_criteria]
    return PartyOutcome(
        provider_id=case.provider_id,
        inscription_id=case.opened.inscription_id,
        outcome=Outcome.SELECTED if placement.selected else Outcome.REJECTED,
        reason=placement.reason,
        rank=placement.rank,
        failed_requirements=assessed.failed_requirements if assessed else (),
        suitability_assessed=assessed.event_id if assessed else None,
        verdicts=tuple(VerdictSummary.of(verdict) for verdict in verdicts),
        scores=tuple(case.scores[code] for code in criteria if code in case.scores),
        provisional_budget_ceiling=ceiling if placement.selected else None,
    )


# Shared plumbing of the handlers.


def _refused(
    region: RegionAssessment, message: Message, received: Received, refusals: list[Refusal]
) -> list[NewEvent]:
    refused = AssessmentRefused(
        **acting(message, received, getattr(message, "provider_id", None)),
        message_id=message.message_id,
        message_type=message.type,
        uitvoerder_code=received.office,
        refusals=tuple(refusals),
    )
    return appended(region, [refused])


def _region(uow: UnitOfWork, round_id: str, region_code: str) -> RegionAssessment:
    aggregate_id = region_id(round_id, region_code)
    return RegionAssessment.replay(aggregate_id, uow.get(aggregate_id))


def _region_codes(round_: Round | None) -> list[str]:
    if round_ is None:
        return []
    return [region.code for uitvoerder in round_.uitvoerders for region in uitvoerder.regions]
