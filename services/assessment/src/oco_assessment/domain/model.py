"""The aggregate of assessment: one region of one round, with every party's case in it.

Selection is decided per region (domain.md, "Assessment": "Het zorgkantoor beoordeelt de
inschrijving per zorgkantoorregio", 002_ecc96e9cc94e3a31.txt 2.1.5), so one stream holds
the region's cases, places, verdicts, scores, document requests, lot and publications,
and every decision sees all of them. Pure: rebuilt from events, no clock, no database.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from oco_shared.contract.base import Event
from oco_shared.contract.events import (
    AssessmentCaseClosed,
    AssessmentCaseOpened,
    CriteriaScored,
    DocumentsRequested,
    LotDrawn,
    LotRequired,
    RegionPlacesSet,
    SelectionPublished,
    SelectionReopened,
    SuitabilityAssessed,
    VerdictsRecorded,
)
from oco_shared.contract.parts import CriterionScore, RequirementVerdict
from oco_shared.rounds import Round

from oco_assessment.domain.selection import Lot, Party

NAMESPACE = uuid.UUID("6b1e0d2c-4a3f-4e5d-9c8b-7a6f5e4d3c2b")


def region_id(round_id: str, region_code: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"region:{round_id}:{region_code}")


@dataclass
class Case:
    """One party in the region: a provider, or a consortium under its lead member."""

    opened: AssessmentCaseOpened
    open: bool = True
    verdicts: dict[str, RequirementVerdict] = field(default_factory=dict)
    assessed: SuitabilityAssessed | None = None
    scores: dict[str, CriterionScore] = field(default_factory=dict)

    @property
    def provider_id(self) -> str:
        return self.opened.provider.id

    @property
    def existing(self) -> bool:
        """Already contracted for the region: the inscription's `new_to_region` read with
        the definition of a new organisation (002_ecc96e9cc94e3a31.txt 1.6)."""
        return not self.opened.new_to_region

    def party(self, round_: Round) -> Party:
        criteria = [criterion.code for criterion in round_.selection_criteria]
        scored = all(code in self.scores for code in criteria)
        return Party(
            provider_id=self.provider_id,
            suitable=self.assessed is not None and self.assessed.suitable,
            existing=self.existing,
            scores=tuple(self.scores[code].score for code in criteria) if scored else None,
        )


@dataclass
class RegionAssessment:
    id: uuid.UUID
    version: int = 0
    cases: dict[str, Case] = field(default_factory=dict)
    places: RegionPlacesSet | None = None
    first_verdict_recorded: bool = False
    requests: dict[uuid.UUID, DocumentsRequested] = field(default_factory=dict)
    awaiting_lot: LotRequired | None = None
    lots: list[LotDrawn] = field(default_factory=list)
    published: SelectionPublished | None = None
    reopened: bool = False

    @classmethod
    def replay(cls, aggregate_id: uuid.UUID, events: Sequence[Event]) -> RegionAssessment:
        region = cls(aggregate_id)
        for event in events:
            region.apply(event)
        return region

    def apply(self, event: Event) -> None:
        self.version += 1
        if isinstance(event, AssessmentCaseOpened):
            self.cases[event.provider.id] = Case(event)
        elif isinstance(event, AssessmentCaseClosed):
            self.cases[_provider(event)].open = False
        elif isinstance(event, RegionPlacesSet):
            self.places = event
        elif isinstance(event, VerdictsRecorded):
            self.first_verdict_recorded = True
            self.cases[_provider(event)].verdicts.update({v.code: v for v in event.verdicts})
        elif isinstance(event, SuitabilityAssessed):
            self.cases[_provider(event)].assessed = event
        elif isinstance(event, CriteriaScored):
            self.cases[_provider(event)].scores.update({s.code: s for s in event.scores})
        elif isinstance(event, DocumentsRequested):
            self.requests[event.request_id] = event
        elif isinstance(event, LotRequired):
            self.awaiting_lot = event
        elif isinstance(event, LotDrawn):
            self.awaiting_lot = None
            self.lots.append(event)
        elif isinstance(event, SelectionPublished):
            self.published, self.reopened, self.awaiting_lot = event, False, None
        elif isinstance(event, SelectionReopened):
            self.reopened = True
        # DocumentsSupplied and AssessmentRefused change nothing that is decided here.

    def open_case(self, provider_id: str) -> Case | None:
        case = self.cases.get(provider_id)
        return case if case is not None and case.open else None

    def open_cases(self) -> list[Case]:
        return [case for _, case in sorted(self.cases.items()) if case.open]

    def case_of_inscription(self, inscription_id: uuid.UUID) -> Case | None:
        return next(
            (c for c in self.open_cases() if c.opened.inscription_id == inscription_id), None
        )

    @property
    def closed_for_assessment(self) -> bool:
        """Published, and no upheld objection has reopened it."""
        return self.published is not None and not self.reopened

    @property
    def edition(self) -> int:
        return self.published.edition if self.published else 0

    def recorded_lots(self) -> tuple[Lot, ...]:
        """Every lot a notary drew in this region: reused, never redrawn."""
        return tuple(Lot(frozenset(d.candidates), d.drawn_order) for d in self.lots)


def _provider(event: Event) -> str:
    assert event.provider_id is not None, f"{event.type} names its provider"
    return event.provider_id
