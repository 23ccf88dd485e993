"""The procedure as a picture: what happened when, and what came too late.

Pure: a `Timeline` is built from the round's timetable and the typed events of its log,
and nothing else (no clock, no database), so the same log always draws the same picture.
`oco_audit.timeline_render` turns it into SVG and a self-contained HTML page.

The overview has one lane per region (and one for the round as a whole); the view of one
region has one lane per party in it, beside a lane for the region's own acts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from oco_shared.contract.base import Event
from oco_shared.contract.events import (
    ContractSigned,
    DocumentsRequested,
    DocumentsSupplied,
    InscriptionReceived,
    InscriptionRejected,
    InscriptionWithdrawn,
    KortGedingFiled,
    KortGedingTermClosed,
    LotDrawn,
    NotaVanInlichtingenPublished,
    ObjectionAnswered,
    ObjectionAnswerOverdue,
    ObjectionFiled,
    ObjectionWindowClosed,
    ObjectionWindowOpened,
    QuestionReceived,
    RoundOpened,
    SelectionPublished,
    SelectionReopened,
)
from oco_shared.contract.parts import Refusal
from oco_shared.deadlines import milestone_closing
from oco_shared.rounds import AMSTERDAM, Milestone, MilestoneCode, Round

ROUND_LANE = "round"
REGION_LANE = "region"

# Milestones that end something are drawn where they end (the first instant out of
# time: "tot en met 17.00 uur" keeps 17:00:00 in time); the others where they begin.
_ENDING = frozenset(
    {
        MilestoneCode.QUESTIONS_DEADLINE,
        MilestoneCode.INSCRIPTION_CLOSES,
        MilestoneCode.OUTCOME_PUBLISHED,
        MilestoneCode.OBJECTION_DEADLINE,
        MilestoneCode.OBJECTION_ANSWER_DEADLINE,
        MilestoneCode.CONTRACT_ENDS,
    }
)
# The picture spans the procedure up to the contract's start; a two-year contract drawn
# to its end would squeeze the months that matter into a corner.
_LAST_MILESTONE = MilestoneCode.CONTRACT_STARTS
_MARGIN = timedelta(days=3)


@dataclass(frozen=True)
class Lane:
    key: str
    title: str


@dataclass(frozen=True)
class MilestoneLine:
    code: str
    title: str
    at: datetime
    when: str  # as the timetable states it: "2026-07-31 17:00", "2026-10-02", "2026-10"


@dataclass(frozen=True)
class Mark:
    """One event at its procedure time. `late` names why, when it came too late."""

    lane: str
    at: datetime
    kind: str
    label: str
    event_id: str
    late: str | None = None


@dataclass(frozen=True)
class Span:
    """A window or term from `opens` to `closes` (the first instant out of time)."""

    lane: str
    opens: datetime
    closes: datetime
    kind: str
    label: str
    event_id: str


@dataclass(frozen=True)
class Timeline:
    round_id: str
    title: str
    region: str | None
    lanes: tuple[Lane, ...]
    milestones: tuple[MilestoneLine, ...]
    marks: tuple[Mark, ...]
    spans: tuple[Span, ...]
    starts: datetime
    ends: datetime
    rehearsals: tuple[str, ...]


def late_reason(event: Event) -> str | None:
    """Why an event came too late, from what the services recorded; None if in time.

    A refusal that names a deadline was decided by one (the contract's `Refusal.deadline`);
    a late publication or answer carries its own flag; an overdue answer is late by itself.
    """
    if isinstance(event, SelectionPublished) and event.late:
        return f"published after the planned date {event.planned_on.isoformat()}"
    if isinstance(event, ObjectionAnswered) and event.late:
        due = _shown(event.answer_due_at) if event.answer_due_at else "its deadline"
        return f"answered after {due}"
    if isinstance(event, ObjectionAnswerOverdue):
        return f"no answer by {_shown(event.answer_due_at)} ({event.rule})"
    refusals: tuple[Refusal, ...] = getattr(event, "refusals", ())
    for refusal in refusals:
        if refusal.deadline is not None:
            return f"{refusal.code.value}: {refusal.text}"
    return None


def timeline_of(round_: Round, events: Iterable[Event], region: str | None = None) -> Timeline:
    """The round's timeline from its log: every region (one lane each), or one region
    (one lane per party) when `region` is given."""
    if region is not None and round_.uitvoerder_of(region) is None:
        raise ValueError(f"region {region!r} is not a region of round {round_.id}")
    of_round = [event for event in events if event.round_id == round_.id]
    marks: list[Mark] = []
    spans: dict[tuple[str, str, datetime], Span] = {}
    names: dict[str, str] = {}
    for event in of_round:
        provider = getattr(event, "provider", None)
        if event.provider_id and provider is not None:
            names.setdefault(event.provider_id, provider.name)
        for lane in _lanes_of(event, region):
            marks.extend(_marks(event, lane))
            for span in _spans(event, lane, region):
                spans.setdefault((span.lane, span.kind, span.closes), span)
    used = {mark.lane for mark in marks} | {span.lane for span in spans.values()}
    parties = (
        {lane: names.get(lane, "") for lane in used - {ROUND_LANE, REGION_LANE}}
        if region is not None
        else {}
    )
    milestones = tuple(
        MilestoneLine(code.value, milestone.title, _milestone_at(code, round_), _when(milestone))
        for code, milestone in round_.milestones.items()
        if code is not MilestoneCode.CONTRACT_ENDS
    )
    instants = [m.at for m in milestones] + [m.at for m in marks]
    instants += [s.closes for s in spans.values()]
    last = round_.milestones[_LAST_MILESTONE].starts_at()
    return Timeline(
        round_id=round_.id,
        title=round_.title,
        region=region,
        lanes=_lane_order(round_, region, parties),
        milestones=tuple(sorted(milestones, key=lambda m: _utc(m.at))),
        marks=tuple(sorted(marks, key=lambda m: _utc(m.at))),
        spans=tuple(sorted(spans.values(), key=lambda s: _utc(s.opens))),
        starts=min(instants, key=_utc) - _MARGIN,
        ends=max([*instants, last], key=_utc) + _MARGIN,
        rehearsals=tuple(
            sorted({str(e.rehearsal.rehearsal_id) for e in of_round if e.rehearsal is not None})
        ),
    )


def _milestone_at(code: MilestoneCode, round_: Round) -> datetime:
    milestone = round_.milestones[code]
    return milestone_closing(milestone)[1] if code in _ENDING else milestone.starts_at()


def _when(milestone: Milestone) -> str:
    if milestone.precision == "month":
        return f"{milestone.date:%Y-%m}"
    return f"{milestone.date} {milestone.time:%H:%M}" if milestone.time else str(milestone.date)


def _lane_order(round_: Round, region: str | None, parties: dict[str, str]) -> tuple[Lane, ...]:
    if region is None:
        regions = (Lane(r.code, r.name) for u in round_.uitvoerders for r in u.regions)
        return (Lane(ROUND_LANE, "round"), *regions)
    uitvoerder = round_.uitvoerder_of(region)
    assert uitvoerder is not None
    name = next(r.name for r in uitvoerder.regions if r.code == region)
    return (
        Lane(ROUND_LANE, "round"),
        Lane(REGION_LANE, f"{name} ({uitvoerder.name})"),
        *(Lane(kvk, f"{kvk} {name}".strip()) for kvk, name in sorted(parties.items())),
    )


def _regions_named(event: Event) -> tuple[str, ...]:
    """The regions an event is about: its own, or the ones an inscription names."""
    if isinstance(event, InscriptionReceived):
        return tuple(application.region_code for application in event.regions)
    if isinstance(event, InscriptionRejected) and event.regions:
        return event.regions
    return (event.region_code,) if event.region_code else ()


def _lanes_of(event: Event, region: str | None) -> Iterator[str]:
    regions = _regions_named(event)
    if not regions:
        # The view of one region shows the round's own acts, not other parties' ones.
        if region is None or event.provider_id is None:
            yield ROUND_LANE
    elif region is None:
        yield from regions
    elif region in regions:
        yield event.provider_id or _selection_lane(event) or REGION_LANE


def _selection_lane(event: Event) -> str | None:
    # A region's publication is the region's act, drawn in its lane, with each party's
    # window in the party's own lane (see `_spans`).
    return REGION_LANE if isinstance(event, SelectionPublished) else None


def _mark(event: Event, lane: str, kind: str, label: str) -> Mark:
    return Mark(lane, event.occurred_at, kind, label, str(event.event_id), late_reason(event))


def _marks(event: Event, lane: str) -> Iterator[Mark]:
    """What each kind of event looks like; the assessment's inner steps (cases, verdicts,
    scores) are not drawn: their outcome is the publication."""
    match event:
        case RoundOpened():
            yield _mark(event, lane, "publication", f"round opened: {event.title}")
        case InscriptionReceived():
            what = "inscription" if event.revision == 1 else f"amendment r{event.revision}"
            yield _mark(event, lane, "filing", f"{what} by {event.provider.name}")
        case InscriptionWithdrawn():
            yield _mark(event, lane, "withdrawal", "inscription withdrawn")
        case QuestionReceived():
            yield _mark(event, lane, "filing", f"question {event.question_id}")
        case NotaVanInlichtingenPublished():
            yield _mark(event, lane, "publication", "Nota van Inlichtingen published")
        case DocumentsRequested():
            yield _mark(event, lane, "request", f"documents requested: {event.reason}")
        case DocumentsSupplied():
            yield _mark(event, lane, "filing", "documents supplied")
        case LotDrawn():
            yield _mark(event, lane, "decision", f"lot drawn before {event.notary}")
        case SelectionPublished():
            yield _mark(event, lane, "publication", f"selection published, edition {event.edition}")
        case SelectionReopened():
            yield _mark(event, lane, "decision", f"selection reopened ({event.decision.value})")
        case ObjectionFiled():
            yield _mark(event, lane, "filing", "objection filed")
        case ObjectionAnswered():
            yield _mark(event, lane, "answer", f"objection answered: {event.decision.value}")
        case ObjectionAnswerOverdue():
            yield _mark(event, lane, "overdue", "objection answer overdue")
        case KortGedingFiled():
            yield _mark(event, lane, "kort_geding", f"kort geding at {event.court}")
        case ContractSigned():
            yield _mark(
                event,
                lane,
                "contract",
                f"contract signed, ceiling € {event.provisional_budget_ceiling}",
            )
        case ObjectionWindowClosed() | KortGedingTermClosed():
            return  # drawn as the end of its span
        case _ if getattr(event, "refusals", ()):
            refusal = event.refusals[0]  # type: ignore[attr-defined]
            yield _mark(event, lane, "refusal", f"{event.type}: {refusal.code.value}")


def _spans(event: Event, lane: str, region: str | None) -> Iterator[Span]:
    event_id = str(event.event_id)
    match event:
        case SelectionPublished():
            # Every party's window runs from this publication (the actual one, not the
            # planned date) to the deadline the publication states.
            lanes = [lane] if region is None else [o.provider_id for o in event.outcomes]
            for party_lane in lanes:
                yield Span(
                    party_lane,
                    event.occurred_at,
                    event.objection_closes_at,
                    "objection_window",
                    f"objection window, edition {event.edition}",
                    event_id,
                )
        case ObjectionWindowOpened():
            yield Span(
                lane,
                event.opens_at,
                event.closes_at,
                "objection_window",
                f"objection window, edition {event.edition}",
                event_id,
            )
        case ObjectionFiled() if event.answer_due_at is not None:
            yield Span(
                lane, event.occurred_at, event.answer_due_at, "answer_due", "answer due", event_id
            )
        case ObjectionAnswered() if event.kort_geding_closes_at is not None:
            yield Span(
                lane,
                event.occurred_at,
                event.kort_geding_closes_at,
                "kort_geding_term",
                "kort geding term",
                event_id,
            )
        case DocumentsRequested():
            yield Span(
                lane, event.occurred_at, event.answer_by, "documents_due", "documents due", event_id
            )


def _utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)


def _shown(instant: datetime) -> str:
    return instant.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M:%S")
