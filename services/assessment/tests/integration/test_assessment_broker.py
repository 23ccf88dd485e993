"""Assessment against a real nats-server and PostgreSQL: intake's events and the
zorgkantoren's acts in, a region's published selection out on the assessment stream."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import datetime
from typing import Any

import pytest
from assessment_support import (
    ASSESSING,
    act,
    all_verdicts,
    at,
    inscription_received,
    objection_answered,
    scores,
    verdict,
)
from oco_assessment.domain.model import RegionAssessment, region_id
from oco_assessment.domain.selection import Selection, select
from oco_shared.contract import REGISTRY, Event
from oco_shared.rounds import load_round
from office_support import Office
from plumbing_support import Isolation, Servers, oco, projected

pytestmark = pytest.mark.integration

ZK = "zilveren-kruis"


def of_type(events: list[dict[str, Any]], type_name: str, region: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == type_name and e["region_code"] == region]


def outcome_of(publication: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {o["provider_id"]: (o["outcome"], o["reason"]) for o in publication["outcomes"]}


async def assess_region(
    office: Office,
    region: str,
    parties: dict[str, tuple[int, int, int]],
    places: int,
    round_id: str = "2027-2028",
    new: set[str] = frozenset(),  # type: ignore[assignment]
    **overrides: dict[str, Any],
) -> None:
    """Inscriptions from intake, then the office's places, verdicts and scores."""
    assessing: datetime = ASSESSING[round_id]
    for provider in parties:
        await office.event_of(
            "intake",
            inscription_received(provider, ((region, provider in new),), round_id=round_id),
            at(2026, 7, 31, 18),
        )
    await office.until(
        lambda events: (
            {
                e["provider_id"]
                for e in of_type(events, "AssessmentCaseOpened", region)
                if e["round_id"] == round_id
            }
            >= set(parties)
        )
    )
    await office.act(
        ZK,
        act(
            "SetRegionPlaces",
            round_id,
            region_code=region,
            places=places,
            motivation="Op basis van regionale ontwikkelingen.",
        ),
        assessing,
    )
    for provider, values in parties.items():
        verdicts = all_verdicts(round_id, **overrides.get(provider, {}))
        await office.act(
            ZK,
            act(
                "AssessSuitability",
                round_id,
                provider_id=provider,
                region_code=region,
                verdicts=verdicts,
            ),
            assessing,
        )
        await office.act(
            ZK,
            act(
                "ScoreCriteria",
                round_id,
                provider_id=provider,
                region_code=region,
                scores=scores(round_id, *values),
            ),
            assessing,
        )


def publish(region: str, round_id: str = "2027-2028") -> dict[str, Any]:
    return act(
        "PublishSelection", round_id, region_code=region, provisional_budget_ceiling="125000.00"
    )


async def test_a_region_from_inscriptions_to_its_published_selection(office: Office) -> None:
    # Amsterdam: six parties for three places, one unsuitable, one suitable on condition,
    # and two tied on the last place; Utrecht: three suitable parties for four places.
    bcmb = verdict("G07", "met_on_condition", ("Lidmaatschap BCMB", "2027-04-30"))
    await assess_region(
        office,
        "amsterdam",
        {
            "10000001": (3, 3, 3),
            "10000002": (3, 2, 2),
            "10000003": (2, 2, 2),
            "10000004": (2, 2, 2),
            "10000005": (1, 1, 1),
            "10000006": (3, 3, 3),
        },
        places=3,
        **{"10000006": {"G16": verdict("G16", "not_met")}, "10000002": {"G07": bcmb}},
    )
    await assess_region(
        office,
        "utrecht",
        {"20000001": (1, 1, 1), "20000002": (2, 2, 2), "20000003": (3, 3, 3)},
        places=4,
    )
    # Refused: another uitvoerder's office, an unknown requirement, before the assessment.
    refused = [
        (
            "vgz",
            act(
                "AssessSuitability",
                provider_id="10000001",
                region_code="amsterdam",
                verdicts=[verdict("G01")],
            ),
            ASSESSING["2027-2028"],
        ),
        (
            ZK,
            act(
                "AssessSuitability",
                provider_id="10000001",
                region_code="amsterdam",
                verdicts=[verdict("M01")],
            ),
            ASSESSING["2027-2028"],
        ),
        (
            ZK,
            act(
                "AssessSuitability",
                provider_id="10000001",
                region_code="amsterdam",
                verdicts=[verdict("G01")],
            ),
            at(2026, 8, 2, 12),
        ),
    ]
    for uitvoerder, message, received_at in refused:
        await office.act(uitvoerder, message, received_at)
    await office.act(ZK, publish("amsterdam"), at(2026, 9, 17, 10))
    await office.act(ZK, publish("utrecht"), at(2026, 9, 17, 10))

    # 2 regions: 9 cases, 2 places, 9 x (verdicts, suitability, scores), 3 refusals,
    # the lot that amsterdam waits for, utrecht's publication.
    events = await office.events(9 + 2 + 27 + 3 + 1 + 1)
    [required] = of_type(events, "LotRequired", "amsterdam")
    assert (required["candidates"], required["places"]) == (["10000003", "10000004"], 1)
    assert of_type(events, "SelectionPublished", "amsterdam") == []
    refusals = {e["causation_id"]: e for e in events if e["type"] == "AssessmentRefused"}
    assert [refusals[m["message_id"]]["refusals"][0]["code"] for _, m, _ in refused] == [
        "region_not_served",
        "unknown_requirement",
        "assessment_not_started",
    ]
    assert refusals[refused[0][1]["message_id"]]["uitvoerder_code"] == "vgz"
    [utrecht] = of_type(events, "SelectionPublished", "utrecht")
    assert set(outcome_of(utrecht).values()) == {("selected", "all_suitable_fit")}

    report = hashlib.sha256(b"proces-verbaal").hexdigest()
    await office.act(
        ZK,
        act(
            "RecordLotDrawn",
            region_code="amsterdam",
            drawn_order=["10000004", "10000003"],
            notary="mr. A. de Notaris",
            report_sha256=report,
        ),
        at(2026, 9, 17, 15),
    )
    events = await office.events(43 + 2)
    [drawn] = of_type(events, "LotDrawn", "amsterdam")
    assert drawn["report_sha256"] == report and drawn["notary"] == "mr. A. de Notaris"
    [amsterdam] = of_type(events, "SelectionPublished", "amsterdam")
    assert outcome_of(amsterdam) == {
        "10000001": ("selected", "ranked_within_places"),
        "10000002": ("selected", "ranked_within_places"),
        "10000004": ("selected", "won_lot"),
        "10000003": ("rejected", "lost_lot"),
        "10000005": ("rejected", "ranked_outside_places"),
        "10000006": ("rejected", "unsuitable"),
    }
    parties = {o["provider_id"]: o for o in amsterdam["outcomes"]}
    assert parties["10000006"]["failed_requirements"] == ["G16"]
    [conditional] = [v for v in parties["10000002"]["verdicts"] if v["condition"]]
    assert (conditional["code"], conditional["condition"]["due_on"]) == ("G07", "2027-04-30")
    assert parties["10000001"]["provisional_budget_ceiling"] == "125000.00"
    assert (amsterdam["late"], amsterdam["objection_channel"]) == (
        False,
        "zorginkoopwz.OUK@zilverenkuis.nl",
    )

    # A replay of the published log rebuilds the region and gives the same selection.
    log: list[Event] = [REGISTRY.parse(e) for e in events if e["region_code"] == "amsterdam"]  # type: ignore[misc]
    region = RegionAssessment.replay(region_id("2027-2028", "amsterdam"), log)
    round_ = load_round("2027-2028")
    again = select(
        [c.party(round_) for c in region.open_cases()], 3, "compete", region.recorded_lots()
    )
    assert isinstance(again, Selection)
    assert set(again.selected) == {"10000001", "10000002", "10000004"}

    # An upheld objection of 10000005 reopens Amsterdam; a corrected score, a new edition.
    await office.event_of(
        "objection", objection_answered("10000005", "amsterdam"), at(2026, 10, 9, 10)
    )
    await office.until(lambda events: bool(of_type(events, "SelectionReopened", "amsterdam")))
    await office.act(
        ZK,
        act(
            "ScoreCriteria",
            provider_id="10000005",
            region_code="amsterdam",
            scores=scores("2027-2028", 3, 3, 3),
        ),
        at(2026, 10, 12, 9),
    )
    await office.act(ZK, publish("amsterdam"), at(2026, 10, 12, 10))
    events = await office.events(45 + 3)
    [reopened] = of_type(events, "SelectionReopened", "amsterdam")
    assert reopened["reopened_edition"] == 1
    first, second = of_type(events, "SelectionPublished", "amsterdam")
    assert (second["edition"], second["supersedes"]) == (2, first["event_id"])
    assert outcome_of(second)["10000005"] == ("selected", "ranked_within_places")
    assert outcome_of(second)["10000004"][0] == "rejected"
    assert second["objection_closes_at"] == "2026-10-27T00:00:00+01:00"


async def test_2018_existing_organisations_keep_their_place_through_the_broker(
    office: Office,
) -> None:
    # 002_… 2.1.3 and 2.1.5: two existing organisations keep their place; four new ones
    # compete, on fills a gap first, for the two places left.
    await assess_region(
        office,
        "amsterdam",
        {
            "10000001": (0, 0, 0),
            "10000002": (0, 0, 0),
            "20000001": (1, 1, 1),
            "20000002": (3, 1, 1),
            "20000003": (2, 1, 1),
            "20000004": (1, 3, 3),
        },
        places=4,
        round_id="2018-2020",
        new={"20000001", "20000002", "20000003", "20000004"},
    )
    await office.act(ZK, publish("amsterdam", "2018-2020"), at(2017, 9, 15, 10))
    events = await office.events(6 + 1 + 18 + 1)
    [publication] = of_type(events, "SelectionPublished", "amsterdam")
    assert outcome_of(publication) == {
        "10000001": ("selected", "existing_keeps_place"),
        "10000002": ("selected", "existing_keeps_place"),
        "20000002": ("selected", "ranked_within_places"),
        "20000003": ("selected", "ranked_within_places"),
        "20000001": ("rejected", "ranked_outside_places"),
        "20000004": ("rejected", "ranked_outside_places"),
    }
    # 15 days counting the day of publication as day 1, until 17:00 (002_… 3).
    assert publication["objection_closes_at"] == "2017-09-29T17:00:01+02:00"


SIX = {  # scores per criterion code; each round reads its own criteria in its own order
    "10000001": {"experience": 3, "fills_gap": 1, "register_share": 3, "sector_association": 1},
    "10000002": {"experience": 3, "fills_gap": 3, "register_share": 1, "sector_association": 1},
    "10000003": {"experience": 2, "fills_gap": 3, "register_share": 1, "sector_association": 2},
    "10000004": {"experience": 2, "fills_gap": 1, "register_share": 3, "sector_association": 3},
    "10000005": {"experience": 2, "fills_gap": 1, "register_share": 2, "sector_association": 1},
    "10000006": {"experience": 1, "fills_gap": 1, "register_share": 1, "sector_association": 3},
}


async def test_the_same_six_parties_rank_differently_under_2027_and_2022(office: Office) -> None:
    # 2027: experience, fills a gap, sector association (000_… 6 Selectiecriteria);
    # 2022: experience, register share, fills a gap (003_… 3.4).
    for round_id in ("2027-2028", "2022"):
        criteria = [c.code for c in load_round(round_id).selection_criteria]
        parties = {p: tuple(s[code] for code in criteria) for p, s in SIX.items()}
        await assess_region(office, "amsterdam", parties, places=4, round_id=round_id)  # type: ignore[arg-type]
        await office.act(ZK, publish("amsterdam", round_id), ASSESSING[round_id])
    events = await office.until(
        lambda found: len([e for e in found if e["type"] == "SelectionPublished"]) == 2
    )
    by_round = {e["round_id"]: e for e in events if e["type"] == "SelectionPublished"}

    def ranking(publication: dict[str, Any]) -> list[str]:
        ranked = sorted(publication["outcomes"], key=lambda o: (o["rank"], o["provider_id"]))
        return [o["provider_id"] for o in ranked]

    assert ranking(by_round["2027-2028"]) == [
        "10000002",
        "10000001",
        "10000003",
        "10000004",
        "10000005",
        "10000006",
    ]
    assert ranking(by_round["2022"]) == [
        "10000001",
        "10000002",
        "10000004",
        "10000005",
        "10000003",
        "10000006",
    ]
    assert outcome_of(by_round["2022"])["10000003"] == ("rejected", "ranked_outside_places")
    assert outcome_of(by_round["2027-2028"])["10000003"] == ("selected", "ranked_within_places")


async def test_oco_assessment_show_and_pending_tell_what_blocks_a_region(
    office: Office, servers: Servers, isolation: Isolation
) -> None:
    bcmb = verdict("G07", "met_on_condition", ("Lidmaatschap BCMB", "2027-04-30"))
    await assess_region(
        office,
        "amsterdam",
        {"10000001": (3, 3, 3), "10000002": (2, 2, 2), "10000003": (2, 2, 2)},
        places=2,
        **{"10000001": {"G07": bcmb}},
    )
    await office.event_of(
        "intake", inscription_received("20000001", (("utrecht", False),)), at(2026, 7, 31, 18)
    )
    await office.act(ZK, publish("amsterdam"), at(2026, 9, 17, 10))
    await office.events(3 + 1 + 9 + 1 + 1)
    await projected(servers, isolation, "assessment", "LotRequired")

    code, out, err = await asyncio.to_thread(
        oco, servers, isolation, "assessment", "pending", "--round", "2027-2028"
    )
    assert code == 0, err
    assert "amsterdam: a lot to draw between 10000002, 10000003" in out
    assert "utrecht: places not fixed; 20000001: no verdict on G01, G02" in out

    code, out, err = await asyncio.to_thread(
        oco,
        servers,
        isolation,
        "assessment",
        "show",
        "--round",
        "2027-2028",
        "--region",
        "amsterdam",
        "--json",
    )
    assert code == 0, err
    shown = json.loads(out)
    assert shown["places"] == 2 and shown["blocked_by"] == [
        "a lot to draw between 10000002, 10000003"
    ]
    [lead] = [p for p in shown["parties"] if p["provider_id"] == "10000001"]
    assert lead["suitable"] is True and lead["scores"] == {
        "experience": 3,
        "fills_gap": 3,
        "sector_association": 3,
    }
    assert lead["conditions"] == [
        {"code": "G07", "what": "Lidmaatschap BCMB", "due_on": "2027-04-30"}
    ]

    await office.act(
        ZK,
        act(
            "RecordLotDrawn",
            region_code="amsterdam",
            drawn_order=["10000003", "10000002"],
            notary="mr. A. de Notaris",
            report_sha256=hashlib.sha256(b"pv").hexdigest(),
        ),
        at(2026, 9, 17, 15),
    )
    await projected(servers, isolation, "assessment", "SelectionPublished")
    code, out, err = await asyncio.to_thread(
        oco,
        servers,
        isolation,
        "assessment",
        "show",
        "--round",
        "2027-2028",
        "--region",
        "amsterdam",
    )
    assert code == 0, err
    assert "published edition 1" in out
    assert "10000003  yes         2  selected won_lot" in out
    assert (
        "10000001  yes         1  selected ranked_within_places [G07: Lidmaatschap BCMB by 2027-04-30]"
        in out
    )

    code, _, err = await asyncio.to_thread(
        oco, servers, isolation, "assessment", "show", "--round", "2027-2028", "--region", "zeeland"
    )
    assert code == 2 and "nothing recorded for region zeeland" in err
