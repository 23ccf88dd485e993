"""The checks a zorgkantoor's act or a provider's answer must pass: pure functions of the
round's rules, the region's state and the time of receipt.

Each failure is a `Refusal` with a stable code, a readable text and the rule behind it;
every check that fails is listed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from oco_shared.contract.parts import CriterionScore, Refusal, RefusalCode, RequirementVerdict
from oco_shared.deadlines import deadline_for, local
from oco_shared.rounds import DeadlineCode, MilestoneCode, Round

from oco_assessment.domain.model import Case, RegionAssessment

PLACES_RULE = "000_d8e1bdfab127271e.txt 6 Inschrijvingen en procedure, tabel punt 2"
DOUBT_RULE = (
    "domain.md, Deadlines: after closing the zorgkantoor may, bij gerede twijfel, ask for "
    "(more) documents; a document that had to be in the inscription cannot be added"
)


def assessment_period_refusals(round_: Round, received_at: datetime, what: str) -> list[Refusal]:
    """Verdicts and scores from the round's first day of assessment ("Beoordeling door
    zorgkantoren", in each round's timetable)."""
    milestone = round_.milestones.get(MilestoneCode.ASSESSMENT_STARTS)
    starts = (
        milestone.starts_at()
        if milestone
        else deadline_for(round_, DeadlineCode.INSCRIPTION).closes_at
    )
    if received_at >= starts:
        return []
    source = milestone.source if milestone else round_.deadlines[DeadlineCode.INSCRIPTION].source
    return [
        Refusal(
            code=RefusalCode.ASSESSMENT_NOT_STARTED,
            text=f"{what} received {local(received_at).isoformat()}; assessment starts "
            f"{local(starts).isoformat()}.",
            rule=source.cite(),
        )
    ]


def after_close_refusals(round_: Round, received_at: datetime, what: str) -> list[Refusal]:
    """Document requests follow the close of inscription."""
    closes = deadline_for(round_, DeadlineCode.INSCRIPTION)
    if received_at >= closes.closes_at:
        return []
    return [
        Refusal(
            code=RefusalCode.ASSESSMENT_NOT_STARTED,
            text=f"{what} received {local(received_at).isoformat()}, before inscription "
            f"closed ({closes.last_second.isoformat()}).",
            rule=DOUBT_RULE,
        )
    ]


def open_region_refusals(region: RegionAssessment, what: str) -> list[Refusal]:
    if not region.closed_for_assessment:
        return []
    return [
        Refusal(
            code=RefusalCode.SELECTION_PUBLISHED,
            text=f"{what}: the selection of this region was published (edition "
            f"{region.edition}); only an upheld objection reopens it.",
            rule="000_d8e1bdfab127271e.txt 6 Inschrijvingen en procedure, bezwaar",
        )
    ]


def case_refusals(case: Case | None, provider_id: str, region_code: str) -> list[Refusal]:
    if case is not None:
        return []
    return [
        Refusal(
            code=RefusalCode.NOT_INSCRIBED,
            text=f"Provider {provider_id} has no open inscription for region {region_code}.",
            rule="000_d8e1bdfab127271e.txt 6 Inschrijvingen en procedure",
            field="provider_id",
        )
    ]


def places_refusals(round_: Round, region: RegionAssessment, places: int) -> list[Refusal]:
    """At most the round's maximum, fixed before the region's first verdict: "maximaal
    vier", the number per region set "op basis van regionale ontwikkelingen"."""
    refusals = []
    maximum = round_.max_providers_per_region
    if places > maximum.value:
        refusals.append(
            Refusal(
                code=RefusalCode.TOO_MANY_PLACES,
                text=f"{places} places; round {round_.id} allows at most {maximum.value}.",
                rule=maximum.source.cite(),
                field="places",
            )
        )
    if region.first_verdict_recorded:
        refusals.append(
            Refusal(
                code=RefusalCode.PLACES_ALREADY_FIXED,
                text="The places are fixed before selection: assessors have recorded verdicts "
                "in this region.",
                rule=PLACES_RULE,
            )
        )
    return refusals


def requirement_refusals(round_: Round, verdicts: Iterable[RequirementVerdict]) -> list[Refusal]:
    known = {requirement.code for requirement in round_.requirements}
    return [
        Refusal(
            code=RefusalCode.UNKNOWN_REQUIREMENT,
            text=f"Round {round_.id} has no requirement {verdict.code}; its requirements "
            f"are {', '.join(sorted(known))}.",
            rule=round_.requirements[0].source.file + " (the round's requirements)",
            field=f"verdicts.{index}.code",
        )
        for index, verdict in enumerate(verdicts)
        if verdict.code not in known
    ]


def criterion_refusals(round_: Round, scores: Iterable[CriterionScore]) -> list[Refusal]:
    known = {criterion.code for criterion in round_.selection_criteria}
    return [
        Refusal(
            code=RefusalCode.UNKNOWN_CRITERION,
            text=f"Round {round_.id} has no selection criterion {score.code}; its criteria "
            f"are {', '.join(sorted(known))}.",
            rule=round_.selection_criteria[0].source.cite(),
            field=f"scores.{index}.code",
        )
        for index, score in enumerate(scores)
        if score.code not in known
    ]


def answer_refusals(
    region: RegionAssessment,
    request_id: uuid.UUID,
    provider_id: str,
    kinds: Iterable[str],
    received_at: datetime,
) -> list[Refusal]:
    """An answer goes against a request to that provider, with the kinds it asked for,
    by its own deadline (`answer_by`, that second included)."""
    request = region.requests.get(request_id)
    if request is None or request.provider_id != provider_id:
        return [
            Refusal(
                code=RefusalCode.DOCUMENT_NOT_REQUESTED,
                text=f"No document request {request_id} to provider {provider_id} in this "
                "region: documents of the inscription cannot be added after the close.",
                rule=DOUBT_RULE,
                field="request_id",
            )
        ]
    asked = {document.kind for document in request.documents}
    refusals = [
        Refusal(
            code=RefusalCode.DOCUMENT_NOT_REQUESTED,
            text=f"No document of kind {kind} was requested; asked: {', '.join(sorted(asked))}.",
            rule=DOUBT_RULE,
            field=f"documents.{index}.kind",
        )
        for index, kind in enumerate(kinds)
        if kind not in asked
    ]
    if received_at > request.answer_by:
        refusals.append(
            Refusal(
                code=RefusalCode.DOCUMENTS_LATE,
                text=f"Answer received {local(received_at).isoformat()}; the request asked for "
                f"it by {local(request.answer_by).isoformat()}.",
                rule=DOUBT_RULE,
                deadline=request.answer_by + timedelta(seconds=1),
            )
        )
    return refusals
