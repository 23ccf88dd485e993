"""Whatever the order in which assessment's and objection's events and the zorgkantoor's
signatures arrive, no region ever has more contracts than its places, and no contract
exists for a party that was not selected in the edition it was signed against."""

from __future__ import annotations

from typing import Any

from contracting_support import (
    SIGNING,
    Contracting,
    act,
    at,
    case_opened,
    objection_answered,
    objection_filed,
    outcome,
    selection_published,
    window_closed,
)
from hypothesis import event, given, settings
from hypothesis import strategies as st
from oco_contracting.domain.model import RegionContracting, region_id
from oco_shared.contract.events import ContractSigned, SelectionNoted

PROVIDERS = [f"1000000{n}" for n in range(1, 7)]
MOSTLY = st.sampled_from([True, True, True, False])


@st.composite
def procedures(draw: st.DrawFn) -> tuple[int, list[tuple[str, dict[str, Any]]]]:
    """A region's upstream events and signatures, in an arbitrary order of arrival."""
    places = draw(st.integers(min_value=1, max_value=4))
    messages: list[tuple[str, dict[str, Any]]] = [
        ("assessment", case_opened(p, new_to_region=draw(st.booleans()))) for p in PROVIDERS
    ]
    editions = draw(st.integers(min_value=1, max_value=2))
    for edition in range(1, editions + 1):
        chosen = draw(st.sets(st.sampled_from(PROVIDERS), min_size=1, max_size=6))
        published = selection_published(
            [outcome(p, selected=p in chosen) for p in PROVIDERS], places=places, edition=edition
        )
        messages.append(("assessment", published))
        if draw(MOSTLY):
            messages.append(("objection", window_closed(published)))
        if not draw(MOSTLY):
            filed = objection_filed(published, draw(st.sampled_from(PROVIDERS)))
            messages.append(("objection", filed))
            if draw(MOSTLY):
                messages.append(("objection", objection_answered(filed)))
    for provider in draw(st.lists(st.sampled_from(PROVIDERS), min_size=3, max_size=12)):
        signature = act("SignContract", provider_id=provider, region_code="amsterdam")
        messages.append(("office", {**signature, "new_to_oco": False}))
    return places, draw(st.permutations(messages))


@settings(max_examples=150, deadline=None)
@given(procedures())
def test_no_region_has_more_contracts_than_places_nor_a_contract_for_an_unselected_party(
    procedure: tuple[int, list[tuple[str, dict[str, Any]]]],
) -> None:
    places, arrivals = procedure
    contracting = Contracting()
    aggregate = region_id("2027-2028", "amsterdam")
    for source, payload in arrivals:
        if source == "office":
            contracting.act("SignContract", SIGNING["2027-2028"], **_fields(payload))
        elif source == "assessment":
            contracting.assessment(payload, at(2026, 9, 18, 12))
        else:
            contracting.objection(payload, at(2026, 10, 3, 0, 0, 5))
        region = RegionContracting.replay(aggregate, contracting.uow.get(aggregate))
        assert len(region.contracts) <= places
    stream = contracting.uow.get(aggregate)
    event(f"contracts signed: {sum(isinstance(e, ContractSigned) for e in stream)}")
    editions = {e.source_event_id: e for e in stream if isinstance(e, SelectionNoted)}
    for signed in (e for e in stream if isinstance(e, ContractSigned)):
        against = editions[signed.selection_event_id]
        [party] = [o for o in against.outcomes if o.provider_id == signed.provider.id]
        assert party.outcome.value == "selected"


def _fields(signature: dict[str, Any]) -> dict[str, Any]:
    return {key: signature[key] for key in ("provider_id", "region_code", "new_to_oco")}
