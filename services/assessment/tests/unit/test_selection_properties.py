"""For any parties, scores and places: the selection never exceeds the places, never selects
an unsuitable party, and a replay of the log gives the same selection."""

from __future__ import annotations

from typing import Any

from assessment_support import Procedure, verdict
from hypothesis import given, settings
from hypothesis import strategies as st
from oco_assessment.domain.model import RegionAssessment, region_id
from oco_assessment.domain.selection import (
    AwaitingLot,
    Lot,
    MissingScores,
    Party,
    Selection,
    select,
)
from oco_shared.contract.events import LotRequired, SelectionPublished
from oco_shared.rounds import load_round

# Few score values, so that ties on the last place are common.
scores = st.tuples(*[st.integers(0, 2)] * 3)
parties = st.lists(
    st.builds(
        Party,
        provider_id=st.from_regex(r"[1-9][0-9]{7}", fullmatch=True),
        suitable=st.booleans(),
        existing=st.booleans(),
        scores=scores,
    ),
    max_size=10,
    unique_by=lambda party: party.provider_id,
)
rules = st.sampled_from(["compete", "keep_place", "not_admitted"])


def decided(
    found: Any, data: st.DataObject, parties_: list[Party], places: int, rule: Any
) -> Selection:
    """The selection, with a lot drawn (in any order) where the parties tie."""
    assert not isinstance(found, MissingScores)
    if isinstance(found, AwaitingLot):
        assert 1 <= found.places < len(found.candidates)
        order = tuple(data.draw(st.permutations(found.candidates)))
        found = select(parties_, places, rule, [Lot(frozenset(order), order)])
    assert isinstance(found, Selection)
    return found


@given(parties=parties, places=st.integers(1, 4), rule=rules, data=st.data())
def test_the_selection_keeps_to_the_places_and_to_suitable_parties(
    parties: list[Party], places: int, rule: Any, data: st.DataObject
) -> None:
    selection = decided(select(parties, places, rule), data, parties, places, rule)
    by_id = {party.provider_id: party for party in parties}
    chosen = [by_id[provider] for provider in selection.selected]
    assert len(chosen) <= places
    assert all(party.suitable for party in chosen)
    if rule == "not_admitted":
        assert not any(party.existing for party in chosen)
    admitted = [p for p in parties if p.suitable and not (rule == "not_admitted" and p.existing)]
    assert len(chosen) == min(places, len(admitted))  # no place is left empty
    assert {p.provider_id for p in selection.placements} == set(by_id)  # everyone is told


@given(parties=parties, places=st.integers(1, 4), rule=rules, data=st.data())
def test_the_selection_does_not_depend_on_the_order_parties_arrive_in(
    parties: list[Party], places: int, rule: Any, data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(parties))
    first = select(parties, places, rule)
    assert select(shuffled, places, rule) == first


@settings(max_examples=25, deadline=None)
@given(
    parties=st.lists(
        st.tuples(st.booleans(), st.tuples(*[st.integers(0, 1)] * 3)), min_size=1, max_size=6
    ),
    places=st.integers(1, 4),
    data=st.data(),
)
def test_through_the_handlers_a_replay_gives_the_published_selection(
    parties: list[tuple[bool, tuple[int, int, int]]], places: int, data: st.DataObject
) -> None:
    procedure = Procedure()
    providers = {f"1000{index:04d}": party for index, party in enumerate(parties)}
    procedure.inscribe(*providers)
    procedure.places("amsterdam", places)
    for provider, (suitable, values) in providers.items():
        procedure.assess(provider, G05=verdict("G05", "met" if suitable else "not_met"))
        procedure.score(provider, *values)
    [outcome] = procedure.publish()
    if isinstance(outcome, LotRequired):
        [_, outcome] = procedure.draw(*data.draw(st.permutations(outcome.candidates)))
    assert isinstance(outcome, SelectionPublished)
    chosen = [o.provider_id for o in outcome.outcomes if o.outcome.value == "selected"]
    assert len(chosen) <= places and all(providers[p][0] for p in chosen)

    key = region_id("2027-2028", "amsterdam")
    replayed = RegionAssessment.replay(key, procedure.uow.get(key))
    assert replayed.published == outcome
    round_ = load_round("2027-2028")
    again = select(
        [case.party(round_) for case in replayed.open_cases()],
        places,
        "compete",
        replayed.recorded_lots(),
    )
    assert isinstance(again, Selection) and list(again.selected) == chosen


def test_new_organisations_need_no_scores_when_existing_ones_fill_every_place() -> None:
    """2018-2020 (002_ecc96e9cc94e3a31.txt 2.1.3): three suitable existing organisations
    for two places are ranked among themselves; the new ones, unscored, get no place."""
    existing = [Party(f"1000000{n}", True, True, (n, 0, 0)) for n in (1, 2, 3)]
    new = [Party(f"2000000{n}", True, False, None) for n in (1, 2)]
    found = select([*existing, *new], 2, "keep_place")
    assert isinstance(found, Selection)
    assert set(found.selected) == {"10000003", "10000002"}
    outside = {p.provider_id: p.reason.value for p in found.placements if not p.selected}
    assert outside == {
        "10000001": "ranked_outside_places",
        "20000001": "ranked_outside_places",
        "20000002": "ranked_outside_places",
    }
