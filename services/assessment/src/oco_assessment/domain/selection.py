"""Who gets the places of a region: a pure function of the parties, the places and a lot.

Rules (domain.md, "Assessment"):
- a party that fails a requirement gets no place (000_d8e1bdfab127271e.txt 4.1);
- if the suitable parties do not exceed the places, all are selected; otherwise they are
  ranked by the round's criteria in the round's order of importance, from the assessors'
  scores (000_… 6 Selectiecriteria; 003_c29535f569065006.txt 3.4; 002_ecc96e9cc94e3a31.txt
  2.1.5 "Weging van selectiecriteria");
- 2018-2020: suitable existing organisations keep their place and new ones compete for
  the rest (002_… 2.1.3 and 2.1.5); 2023: only new organisations are admitted
  (001_008001d9db213668.txt 7);
- parties that tie on the places that remain are not separated by the software: the
  selection waits for the lot a notary draws (002_… 2.1.5, "door middel van loting").
  2022 and 2027 name no rule for such a tie (rounds data: `tie_break: not_stated`); the
  selection waits all the same, for the decision the zorgkantoor records, rather than let
  software choose. A recorded lot is reused while the same parties tie: never redrawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Literal

from oco_shared.contract.parts import SelectionReason
from oco_shared.rounds import Round

ExistingRule = Literal["compete", "keep_place", "not_admitted"]


def existing_rule(round_: Round) -> ExistingRule:
    """How the round treats organisations already contracted for a region (rounds data)."""
    return round_.existing_organisations.rule if round_.existing_organisations else "compete"


@dataclass(frozen=True)
class Party:
    provider_id: str
    suitable: bool
    existing: bool
    scores: tuple[int, ...] | None  # in the round's order of criteria; None: not all scored


@dataclass(frozen=True)
class Lot:
    candidates: frozenset[str]
    drawn_order: tuple[str, ...]


@dataclass(frozen=True)
class Placement:
    provider_id: str
    selected: bool
    reason: SelectionReason
    rank: int | None = None


@dataclass(frozen=True)
class Selection:
    placements: tuple[Placement, ...]

    @property
    def selected(self) -> tuple[str, ...]:
        return tuple(p.provider_id for p in self.placements if p.selected)


@dataclass(frozen=True)
class MissingScores:
    """Ranking is needed, and these parties lack a score on some criterion."""

    provider_ids: tuple[str, ...]


@dataclass(frozen=True)
class AwaitingLot:
    """These parties tie on the last `places`: a notary's lot decides."""

    candidates: tuple[str, ...]
    places: int


def select(
    parties: Sequence[Party], places: int, existing: ExistingRule, lots: Sequence[Lot] = ()
) -> Selection | MissingScores | AwaitingLot:
    placements: dict[str, Placement] = {}
    admitted: list[Party] = []
    for party in sorted(parties, key=lambda p: p.provider_id):
        if not party.suitable:
            placements[party.provider_id] = _rejected(party, SelectionReason.UNSUITABLE)
        elif existing == "not_admitted" and party.existing:
            placements[party.provider_id] = _rejected(party, SelectionReason.NOT_ADMITTED)
        else:
            admitted.append(party)
    if existing == "keep_place":
        tiers = [
            ([p for p in admitted if p.existing], SelectionReason.EXISTING_KEEPS_PLACE),
            ([p for p in admitted if not p.existing], SelectionReason.ALL_SUITABLE_FIT),
        ]
    else:
        tiers = [(admitted, SelectionReason.ALL_SUITABLE_FIT)]
    remaining = places
    for tier, fits in tiers:
        if remaining == 0 and tier:
            # Nothing left to compete for (2018-2020: existing organisations filled every
            # place): no ranking, so no scores are needed.
            placements.update(
                {p.provider_id: _rejected(p, SelectionReason.RANKED_OUTSIDE_PLACES) for p in tier}
            )
            continue
        if len(tier) <= remaining:
            placements.update({p.provider_id: Placement(p.provider_id, True, fits) for p in tier})
            remaining -= len(tier)
            continue
        ranked = _ranked(tier, remaining, lots)
        if not isinstance(ranked, list):
            return ranked
        placements.update({p.provider_id: p for p in ranked})
        remaining = 0
    return Selection(tuple(placements[key] for key in sorted(placements)))


def _ranked(
    tier: list[Party], places: int, lots: Sequence[Lot]
) -> list[Placement] | MissingScores | AwaitingLot:
    unscored = tuple(p.provider_id for p in tier if p.scores is None)
    if unscored:
        return MissingScores(unscored)
    # Higher scores first, criterion by criterion in the round's order of importance.
    ordered = sorted(tier, key=lambda p: (_descending(p.scores), p.provider_id))
    placements: list[Placement] = []
    rank, remaining = 1, places
    for _, grouped in groupby(ordered, key=lambda p: p.scores):
        group = list(grouped)
        ids = tuple(p.provider_id for p in group)
        if len(group) <= remaining:
            placements += [
                Placement(i, True, SelectionReason.RANKED_WITHIN_PLACES, rank) for i in ids
            ]
            remaining -= len(group)
        elif remaining == 0:
            placements += [
                Placement(i, False, SelectionReason.RANKED_OUTSIDE_PLACES, rank) for i in ids
            ]
        elif (lot := _lot_for(lots, ids)) is not None:
            winners = set(lot.drawn_order[:remaining])
            placements += [
                Placement(i, True, SelectionReason.WON_LOT, rank)
                if i in winners
                else Placement(i, False, SelectionReason.LOST_LOT, rank)
                for i in ids
            ]
            remaining = 0
        else:
            return AwaitingLot(ids, remaining)
        rank += len(group)
    return placements


def _lot_for(lots: Sequence[Lot], candidates: tuple[str, ...]) -> Lot | None:
    return next((lot for lot in lots if lot.candidates == frozenset(candidates)), None)


def _descending(scores: tuple[int, ...] | None) -> tuple[int, ...]:
    assert scores is not None
    return tuple(-score for score in scores)


def _rejected(party: Party, reason: SelectionReason) -> Placement:
    return Placement(party.provider_id, False, reason)
