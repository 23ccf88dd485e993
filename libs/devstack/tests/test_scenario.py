"""The sample round's scenario, without services: its phases keep the round's timetable,
and the phases after the selection answer what the services decided, the same way twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from oco_devstack.simulation.scenario import Phase, Scenario, sample_round
from oco_shared.rounds.model import AMSTERDAM


def phase(scenario: Scenario, name: str) -> Phase:
    (found,) = [p for p in scenario.phases if p.milestone == name]
    return found


def local(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=AMSTERDAM)


@pytest.mark.parametrize("round_id", ["2027-2028", "2018-2020"])
def test_the_phases_follow_each_other_in_procedure_time(round_id: str) -> None:
    scenario = sample_round(2027, round_id)
    times = [p.at for p in scenario.phases]
    assert times == sorted(times)
    names = [p.milestone for p in scenario.phases]
    assert names.index("objections answered") < names.index("reopened region assessed")
    assert names.index("reopened region published") < names.index("contracts signed")
    assert names[-1] != "contracts signed", "the contracts' first months follow"


def test_the_2027_round_is_timed_by_its_own_deadlines() -> None:
    """000_d8e1bdfab127271e.txt 6: objections until 2 October 2026, answers by 16 October,
    a kort geding within 14 days of the answer; 4.1 eis 7: BCMB within four months of
    1 January 2027."""
    scenario = sample_round(2027, "2027-2028")
    assert phase(scenario, "objections filed").at < local(2026, 10, 3)
    assert phase(scenario, "objections out of time").at >= local(2026, 10, 3)
    answered = phase(scenario, "objections answered").at
    assert answered < local(2026, 10, 17)
    assert answered < phase(scenario, "kort gedingen").at < local(2026, 10, 31)
    assert phase(scenario, "kort geding out of time").at > local(2026, 10, 30)
    assert local(2026, 10, 1) <= phase(scenario, "contracts signed").at < local(2027, 1, 1)
    assert phase(scenario, "BCMB membership term passed").at > local(2027, 5, 1)


def test_the_2018_round_is_timed_by_its_own_deadlines() -> None:
    """002_ecc96e9cc94e3a31.txt 3: objections until 29 September 2017 17:00; a kort geding
    within 20 days of the outcome, before any answer; no contract before the standstill
    ends on 12 October 2017 17:00."""
    scenario = sample_round(2027, "2018-2020")
    assert phase(scenario, "objections filed").at < local(2017, 9, 29, 17)
    assert phase(scenario, "objections out of time").at > local(2017, 9, 29, 17)
    assert phase(scenario, "kort gedingen").at < phase(scenario, "objections answered").at
    assert phase(scenario, "objections answered").at < local(2017, 10, 12, 17)
    assert phase(scenario, "contracts signed").at > local(2017, 10, 12, 17)
    assert "BCMB membership term passed" not in [p.milestone for p in scenario.phases]


def publication(region: str, places: int, **outcomes: tuple[str, str]) -> dict[str, Any]:
    """A SelectionPublished as the player hears it: provider -> (outcome, reason)."""
    return {
        "type": "SelectionPublished",
        "event_id": f"event-{region}",
        "causation_id": f"message-{region}",
        "region_code": region,
        "provider_id": None,
        "edition": 1,
        "places": places,
        "uitvoerder_code": "zilveren-kruis",
        "objection_channel": "bezwaar@zorgkantoor.example",
        "outcomes": [
            {"provider_id": kvk.lstrip("p"), "outcome": outcome, "reason": reason}
            for kvk, (outcome, reason) in outcomes.items()
        ],
    }


HEARD = [
    publication(
        "amsterdam",
        4,
        p10000001=("selected", "ranked_within_places"),
        p10000002=("rejected", "ranked_outside_places"),
        p10000003=("rejected", "ranked_outside_places"),
    ),
    publication(
        "zaanstreek-waterland",
        4,
        p20000001=("selected", "all_suitable_fit"),
        p20000002=("rejected", "unsuitable"),
    ),
]


def test_objections_answer_the_outcomes_heard_the_same_way_twice() -> None:
    filed = phase(sample_round(2027), "objections filed")
    acts = filed.acts_after(HEARD)
    assert acts == filed.acts_after(list(reversed(HEARD)))
    assert acts == phase(sample_round(2027), "objections filed").acts_after(HEARD)
    sent = [
        (a.message["provider_id"], a.message["region_code"], a.message["channel"]) for a in acts
    ]
    # The party that fits a place left if found suitable after all always objects.
    assert ("20000002", "zaanstreek-waterland", "bezwaar@zorgkantoor.example") in sent
    # One provider objects where it is no party.
    assert any(
        (provider.startswith("1") and region != "amsterdam")
        or (provider.startswith("2") and region != "zaanstreek-waterland")
        for provider, region, _ in sent
    )
    assert all(
        a.party == "portal" and a.message["actor"]["id"] == a.message["provider_id"] for a in acts
    )


def test_only_the_party_that_fits_a_place_left_has_its_objection_upheld() -> None:
    filed = [
        {
            "type": "ObjectionFiled",
            "causation_id": f"objection-message-{kvk}",
            "objection_id": f"objection-{kvk}",
            "region_code": region,
            "provider_id": kvk,
            "uitvoerder_code": "zilveren-kruis",
        }
        for region, kvk in (("amsterdam", "10000002"), ("zaanstreek-waterland", "20000002"))
    ]
    answers = phase(sample_round(2027), "objections answered").acts_after([*HEARD, *filed])
    decisions = {a.message["objection_id"]: a.message["decision"] for a in answers}
    assert decisions == {"objection-10000002": "dismissed", "objection-20000002": "upheld"}
    assert all(a.party == "zilveren-kruis" for a in answers)
