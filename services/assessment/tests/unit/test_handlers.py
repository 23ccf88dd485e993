"""Assessment on its own: cases, places, verdicts, selection, lots, publication, reopening."""

from __future__ import annotations

from typing import Any

import pytest
from assessment_support import (
    ASSESSING,
    DOCUMENTS,
    OBJECTION,
    OFFICE,
    Procedure,
    act,
    at,
    inscription_received,
    inscription_withdrawn,
    objection_answered,
    supplied_document,
    verdict,
)
from oco_assessment.domain.model import RegionAssessment, region_id
from oco_assessment.domain.selection import Selection, select
from oco_shared.contract.base import MAX_EVENT_BYTES, Event
from oco_shared.contract.events import (
    AssessmentCaseClosed,
    AssessmentCaseOpened,
    AssessmentRefused,
    DocumentsRequested,
    DocumentsSupplied,
    LotDrawn,
    LotRequired,
    RegionPlacesSet,
    SelectionPublished,
    SelectionReopened,
    SuitabilityAssessed,
    VerdictsRecorded,
)
from oco_shared.rounds import load_round


def refusal_codes(events: list[Event]) -> list[str]:
    [refused] = events
    assert isinstance(refused, AssessmentRefused), refused
    return [refusal.code.value for refusal in refused.refusals]


def published(events: list[Event]) -> SelectionPublished:
    [publication] = [event for event in events if isinstance(event, SelectionPublished)]
    return publication


def selected(publication: SelectionPublished) -> list[str]:
    return [o.provider_id for o in publication.outcomes if o.outcome.value == "selected"]


def ranking(publication: SelectionPublished) -> list[str]:
    ranked = [o for o in publication.outcomes if o.rank is not None]
    return [o.provider_id for o in sorted(ranked, key=lambda o: (o.rank, o.provider_id))]


def in_round_order(round_id: str, by_code: dict[str, int]) -> tuple[int, ...]:
    return tuple(by_code[c.code] for c in load_round(round_id).selection_criteria)


# Cases


def test_a_provider_inscribed_in_two_regions_has_a_case_in_each() -> None:
    procedure = Procedure()
    opened = procedure.intake(
        inscription_received("10000001", (("amsterdam", False), ("utrecht", True)))
    )
    assert [(e.region_code, type(e)) for e in opened] == [
        ("utrecht", AssessmentCaseOpened),
        ("amsterdam", AssessmentCaseOpened),
    ]
    assert {e.new_to_region for e in opened if isinstance(e, AssessmentCaseOpened)} == {True, False}


def test_a_consortium_is_one_party_under_its_lead_member() -> None:
    procedure = Procedure()
    [opened] = procedure.intake(
        inscription_received("10000001", consortium=("20000001", "20000002"))
    )
    assert isinstance(opened, AssessmentCaseOpened)
    assert opened.provider_id == "10000001"
    assert [m.id for m in opened.consortium_members] == ["20000001", "20000002"]


def test_only_the_latest_revision_counts() -> None:
    procedure = Procedure()
    procedure.intake(inscription_received("10000001", (("amsterdam", False), ("utrecht", False))))
    amended = procedure.intake(inscription_received("10000001", (("utrecht", False),), revision=2))
    assert [(type(e), e.region_code) for e in amended] == [
        (AssessmentCaseOpened, "utrecht"),
        (AssessmentCaseClosed, "amsterdam"),
    ]
    assert (
        procedure.intake(inscription_received("10000001", (("utrecht", False),), revision=2)) == []
    )


def test_a_withdrawn_inscription_closes_its_cases() -> None:
    procedure = Procedure()
    procedure.intake(inscription_received("10000001", (("amsterdam", False), ("utrecht", False))))
    closed = procedure.intake(inscription_withdrawn("10000001"))
    assert sorted(e.region_code or "" for e in closed) == ["amsterdam", "utrecht"]
    assert all(isinstance(e, AssessmentCaseClosed) and e.reason == "withdrawn" for e in closed)
    assert refusal_codes(procedure.assess("10000001")) == ["not_inscribed"]


# Places per region


def test_the_zorgkantoor_fixes_the_places_of_a_region_up_to_the_rounds_maximum() -> None:
    procedure = Procedure()
    [fixed] = procedure.places("amsterdam", 3)
    assert isinstance(fixed, RegionPlacesSet)
    assert (fixed.places, fixed.round_maximum, fixed.uitvoerder_code) == (3, 4, "zilveren-kruis")
    assert refusal_codes(procedure.places("amsterdam", 5)) == ["too_many_places"]


def test_places_are_refused_after_the_first_verdict_in_the_region() -> None:
    procedure = Procedure()
    procedure.inscribe("10000001")
    procedure.places("amsterdam", 4)
    procedure.act(
        "AssessSuitability",
        provider_id="10000001",
        region_code="amsterdam",
        verdicts=[verdict("G01")],
    )
    assert refusal_codes(procedure.places("amsterdam", 3)) == ["places_already_fixed"]
    assert isinstance(procedure.places("utrecht", 3)[0], RegionPlacesSet)


# Suitability


def test_every_requirement_with_a_verdict_makes_the_party_suitable() -> None:
    procedure = Procedure()
    procedure.inscribe("10000001")
    [partial] = procedure.act(
        "AssessSuitability",
        provider_id="10000001",
        region_code="amsterdam",
        verdicts=[verdict("G01")],
    )
    assert isinstance(partial, VerdictsRecorded)
    recorded, assessed = procedure.assess("10000001")
    assert isinstance(recorded, VerdictsRecorded) and isinstance(assessed, SuitabilityAssessed)
    assert assessed.suitable and [v.code for v in assessed.verdicts][:2] == ["G01", "G02"]
    assert len(assessed.verdicts) == 17


def test_a_failed_requirement_makes_the_party_unsuitable_with_that_requirement() -> None:
    procedure = Procedure()
    procedure.inscribe("10000001")
    _, assessed = procedure.assess("10000001", G16=verdict("G16", "not_met"))
    assert isinstance(assessed, SuitabilityAssessed)
    assert (assessed.suitable, assessed.failed_requirements) == (False, ("G16",))


def test_a_conditional_verdict_counts_as_met_and_keeps_its_condition() -> None:
    # 2027 eis 7: BCMB membership within 4 months for providers new to OCO (000_… 4.1).
    procedure = Procedure()
    procedure.inscribe("10000001")
    bcmb = verdict("G07", "met_on_condition", ("Lidmaatschap BCMB", "2027-04-30"))
    _, assessed = procedure.assess("10000001", G07=bcmb)
    assert isinstance(assessed, SuitabilityAssessed) and assessed.suitable
    [conditional] = [v for v in assessed.verdicts if v.condition]
    assert conditional.condition is not None and str(conditional.condition.due_on) == "2027-04-30"


@pytest.mark.parametrize(
    ("office", "verdicts", "received_at", "codes"),
    [
        ("vgz", [verdict("G01")], ASSESSING["2027-2028"], ["region_not_served"]),
        ("achmea", [verdict("G01")], ASSESSING["2027-2028"], ["not_authorised"]),
        ("zilveren-kruis", [verdict("E01")], ASSESSING["2027-2028"], ["unknown_requirement"]),
        ("zilveren-kruis", [verdict("G01")], at(2026, 8, 2, 23, 59), ["assessment_not_started"]),
    ],
)
def test_verdicts_are_refused_with_a_reason(
    office: str, verdicts: list[dict[str, Any]], received_at: Any, codes: list[str]
) -> None:
    procedure = Procedure()
    procedure.inscribe("10000001")
    refused = procedure.act(
        "AssessSuitability",
        received_at,
        office=office,
        provider_id="10000001",
        region_code="amsterdam",
        verdicts=verdicts,
    )
    assert refusal_codes(refused) == codes
    [event] = refused
    assert isinstance(event, AssessmentRefused) and event.uitvoerder_code == office


def test_the_first_day_of_assessment_is_in_time() -> None:
    procedure = Procedure()
    procedure.inscribe("10000001")
    [recorded] = procedure.act(
        "AssessSuitability",
        at(2026, 8, 3, 0, 0),
        provider_id="10000001",
        region_code="amsterdam",
        verdicts=[verdict("G01")],
    )
    assert isinstance(recorded, VerdictsRecorded)


# Selection


def test_three_suitable_parties_for_four_places_are_all_selected_unranked() -> None:
    procedure = Procedure()
    procedure.inscribe("10000001", "10000002", "10000003")
    procedure.places("amsterdam", 4)
    for provider in ("10000001", "10000002", "10000003"):
        procedure.assess(provider)
    publication = published(procedure.publish())
    assert selected(publication) == ["10000001", "10000002", "10000003"]
    assert {(o.reason.value, o.rank) for o in publication.outcomes} == {("all_suitable_fit", None)}
    assert all(o.provisional_budget_ceiling is not None for o in publication.outcomes)


SIX = {  # scores per criterion code; each round reads its own criteria in its own order
    "10000001": {"experience": 3, "fills_gap": 1, "register_share": 3, "sector_association": 1},
    "10000002": {"experience": 3, "fills_gap": 3, "register_share": 1, "sector_association": 1},
    "10000003": {"experience": 2, "fills_gap": 3, "register_share": 1, "sector_association": 2},
    "10000004": {"experience": 2, "fills_gap": 1, "register_share": 3, "sector_association": 3},
    "10000005": {"experience": 2, "fills_gap": 1, "register_share": 2, "sector_association": 1},
    "10000006": {"experience": 1, "fills_gap": 1, "register_share": 1, "sector_association": 3},
}


def six_ranked(round_id: str) -> SelectionPublished:
    procedure = Procedure(round_id)
    procedure.region_with(
        "amsterdam", {p: in_round_order(round_id, s) for p, s in SIX.items()}, places=4
    )
    return published(procedure.publish())


def test_six_suitable_parties_are_ranked_by_the_2027_criteria_in_their_order() -> None:
    # experience, fills a gap, sector association (000_… 6 Selectiecriteria)
    publication = six_ranked("2027-2028")
    assert ranking(publication) == [
        "10000002",
        "10000001",
        "10000003",
        "10000004",
        "10000005",
        "10000006",
    ]
    assert selected(publication) == ["10000001", "10000002", "10000003", "10000004"]
    rejected = {o.provider_id: o for o in publication.outcomes if o.outcome.value == "rejected"}
    assert rejected["10000005"].reason.value == "ranked_outside_places"
    assert rejected["10000005"].provisional_budget_ceiling is None
    assert [s.code for s in rejected["10000005"].scores] == [
        "experience",
        "fills_gap",
        "sector_association",
    ]


def test_the_same_six_under_the_2022_order_rank_differently() -> None:
    # experience, register share, fills a gap (003_… 3.4)
    publication = six_ranked("2022")
    assert ranking(publication) == [
        "10000001",
        "10000002",
        "10000004",
        "10000005",
        "10000003",
        "10000006",
    ]
    assert selected(publication) == ["10000001", "10000002", "10000004", "10000005"]


def test_2018_existing_organisations_keep_their_place_and_new_ones_compete_for_the_rest() -> None:
    # 002_… 2.1.3 and 2.1.5: four places, two existing, four new for the two left
    procedure = Procedure("2018-2020")
    procedure.inscribe("10000001", "10000002", new=False)
    procedure.inscribe("20000001", "20000002", "20000003", "20000004", new=True)
    procedure.places("amsterdam", 4, received_at=ASSESSING["2018-2020"])
    for provider in ("10000001", "10000002"):
        procedure.assess(provider)
    for provider, gap in (("20000001", 1), ("20000002", 3), ("20000003", 2), ("20000004", 1)):
        procedure.assess(provider)
        procedure.score(provider, gap, 1, 1)  # fills a gap weighs most
    publication = published(procedure.publish())
    outcome = {
        o.provider_id: (o.outcome.value, o.reason.value, o.rank) for o in publication.outcomes
    }
    assert outcome == {
        "10000001": ("selected", "existing_keeps_place", None),
        "10000002": ("selected", "existing_keeps_place", None),
        "20000002": ("selected", "ranked_within_places", 1),
        "20000003": ("selected", "ranked_within_places", 2),
        "20000001": ("rejected", "ranked_outside_places", 3),
        "20000004": ("rejected", "ranked_outside_places", 3),
    }


def test_2023_admits_new_organisations_only() -> None:
    # 001_… 7: "Een nieuwe organisatie kan zich ... inschrijven"
    procedure = Procedure("2023")
    procedure.inscribe("10000001", new=False)
    procedure.inscribe("20000001", new=True)
    procedure.places("amsterdam", 4)
    procedure.assess("10000001")
    procedure.assess("20000001")
    outcome = {o.provider_id: o.reason.value for o in published(procedure.publish()).outcomes}
    assert outcome == {"10000001": "not_admitted", "20000001": "all_suitable_fit"}


def test_a_region_with_three_places_selects_three() -> None:
    procedure = Procedure()
    procedure.region_with(
        "amsterdam",
        {
            "10000001": (3, 1, 1),
            "10000002": (2, 1, 1),
            "10000003": (1, 3, 3),
            "10000004": (1, 2, 1),
        },
        places=3,
    )
    publication = published(procedure.publish())
    assert publication.places == 3
    assert selected(publication) == ["10000001", "10000002", "10000003"]


def test_an_unsuitable_party_is_rejected_with_its_failed_requirements() -> None:
    procedure = Procedure()
    procedure.inscribe("10000001", "10000002")
    procedure.places("amsterdam", 4)
    procedure.assess("10000001", G13=verdict("G13", "not_met"), G16=verdict("G16", "not_met"))
    bcmb = verdict("G07", "met_on_condition", ("Lidmaatschap BCMB", "2027-04-30"))
    procedure.assess("10000002", G07=bcmb)
    outcomes = {o.provider_id: o for o in published(procedure.publish()).outcomes}
    unsuitable, conditional = outcomes["10000001"], outcomes["10000002"]
    assert (unsuitable.outcome.value, unsuitable.reason.value) == ("rejected", "unsuitable")
    assert unsuitable.failed_requirements == ("G13", "G16")
    assert conditional.outcome.value == "selected"
    [condition] = conditional.conditions
    assert condition.code == "G07" and condition.condition is not None


@pytest.mark.parametrize(
    ("prepare", "codes"),
    [
        (lambda p: p.inscribe("10000001"), ["places_not_fixed", "verdicts_missing"]),
        (lambda p: p.places("amsterdam", 4), ["no_cases"]),
    ],
)
def test_a_publication_waits_for_places_and_every_verdict(prepare: Any, codes: list[str]) -> None:
    procedure = Procedure()
    prepare(procedure)
    assert refusal_codes(procedure.publish()) == codes


def test_ranking_needs_every_score() -> None:
    procedure = Procedure()
    procedure.inscribe("10000001", "10000002")
    procedure.places("amsterdam", 1)
    procedure.assess("10000001")
    procedure.assess("10000002")
    procedure.score("10000001", 1, 1, 1)
    assert refusal_codes(procedure.publish()) == ["scores_missing"]


# Lots


def tied_region() -> Procedure:
    procedure = Procedure()
    procedure.region_with(
        "amsterdam",
        {
            "10000001": (3, 3, 3),
            "10000002": (2, 2, 2),
            "10000003": (2, 2, 2),
            "10000004": (1, 1, 1),
        },
        places=2,
    )
    return procedure


def test_a_tie_on_the_last_place_waits_for_the_notarys_lot() -> None:
    procedure = tied_region()
    [required] = procedure.publish()
    assert isinstance(required, LotRequired)
    assert (required.candidates, required.places) == (("10000002", "10000003"), 1)
    assert refusal_codes(procedure.publish()) == ["lot_pending"]
    assert refusal_codes(procedure.draw("10000002", "10000004")) == ["lot_candidates_differ"]
    drawn, publication = procedure.draw("10000003", "10000002")
    assert isinstance(drawn, LotDrawn) and isinstance(publication, SelectionPublished)
    assert len(drawn.report_sha256) == 64
    outcome = {o.provider_id: o.reason.value for o in publication.outcomes}
    assert outcome == {
        "10000001": "ranked_within_places",
        "10000002": "lost_lot",
        "10000003": "won_lot",
        "10000004": "ranked_outside_places",
    }


def test_no_lot_is_taken_where_none_is_awaited() -> None:
    assert refusal_codes(Procedure().draw("10000001", "10000002")) == ["no_lot_awaited"]


def test_a_replay_of_the_log_gives_the_same_selection_and_never_redraws() -> None:
    procedure = tied_region()
    procedure.publish()
    _, publication = procedure.draw("10000003", "10000002")
    key = region_id("2027-2028", "amsterdam")
    region = RegionAssessment.replay(key, procedure.uow.get(key))
    round_ = load_round("2027-2028")
    again = select(
        [case.party(round_) for case in region.open_cases()], 2, "compete", region.recorded_lots()
    )
    assert isinstance(again, Selection)
    assert list(again.selected) == selected(publication)


def test_a_new_edition_with_the_same_tie_reuses_the_recorded_lot() -> None:
    procedure = tied_region()
    procedure.publish()
    _, first = procedure.draw("10000003", "10000002")
    procedure.deliver(
        OBJECTION,
        "oco.objection.ObjectionAnswered",
        objection_answered("10000002", "amsterdam"),
        at(2026, 10, 9, 10),
    )
    [second] = procedure.publish(received_at=at(2026, 10, 12, 10))
    assert isinstance(second, SelectionPublished) and second.edition == 2
    assert selected(second) == selected(first) == ["10000001", "10000003"]


# Publication


def test_a_late_publication_is_flagged_and_its_objection_window_runs_from_it() -> None:
    procedure = Procedure()
    procedure.inscribe("10000001")
    procedure.places("amsterdam", 4)
    procedure.assess("10000001")
    on_time = published(procedure.publish(received_at=at(2026, 9, 18, 16)))
    assert (on_time.late, str(on_time.planned_on)) == (False, "2026-09-18")
    assert on_time.objection_closes_at == at(2026, 10, 3)  # the published 2 October holds
    assert on_time.objection_channel == "zorginkoopwz.OUK@zilverenkuis.nl"

    late = Procedure()
    late.inscribe("10000001")
    late.places("amsterdam", 4)
    late.assess("10000001")
    publication = published(late.publish(received_at=at(2026, 9, 25, 16)))
    assert publication.late and publication.objection_closes_at == at(2026, 10, 10)


def test_after_publication_verdicts_are_refused() -> None:
    procedure = Procedure()
    procedure.inscribe("10000001")
    procedure.places("amsterdam", 4)
    procedure.assess("10000001")
    procedure.publish()
    assert refusal_codes(procedure.assess("10000001")) == ["selection_published"]
    assert refusal_codes(procedure.publish()) == ["selection_published"]


# Reopening after an upheld objection


def test_an_upheld_objection_reopens_the_region_for_a_new_edition() -> None:
    procedure = Procedure()
    procedure.region_with(
        "amsterdam",
        {"10000001": (3, 1, 1), "10000002": (2, 1, 1), "10000003": (1, 1, 1)},
        places=2,
    )
    first = published(procedure.publish())
    assert selected(first) == ["10000001", "10000002"]
    dismissed = objection_answered("10000003", "amsterdam", decision="dismissed")
    assert (
        procedure.deliver(
            OBJECTION, "oco.objection.ObjectionAnswered", dismissed, at(2026, 10, 9, 10)
        )
        == []
    )
    [reopened] = procedure.deliver(
        OBJECTION,
        "oco.objection.ObjectionAnswered",
        objection_answered("10000003", "amsterdam"),
        at(2026, 10, 9, 10),
    )
    assert isinstance(reopened, SelectionReopened) and reopened.reopened_edition == 1
    procedure.score("10000003", 3, 2, 1)  # the experience was weighed wrongly
    second = published(procedure.publish(received_at=at(2026, 10, 12, 10)))
    assert (second.edition, second.supersedes) == (2, first.event_id)
    assert selected(second) == ["10000001", "10000003"]
    assert second.objection_closes_at == at(2026, 10, 27)  # 14 days from the new publication


# Document requests


def request(procedure: Procedure, request_id: str) -> list[Event]:
    return procedure.act(
        "RequestDocuments",
        at(2026, 8, 5, 9),
        request_id=request_id,
        provider_id="10000001",
        region_code="amsterdam",
        documents=[{"kind": "annual_accounts", "description": "De jaarrekening 2025."}],
        reason="Gerede twijfel over de financiële continuïteit.",
        answer_by=at(2026, 8, 21, 17).isoformat(),
    )


def answer(procedure: Procedure, request_id: str, kind: str, received_at: Any) -> list[Event]:
    payload = act(
        "SupplyDocuments",
        request_id=request_id,
        provider_id="10000001",
        region_code="amsterdam",
        documents=[supplied_document(kind)],
    )
    payload["actor"] = {"kind": "provider", "id": "10000001"}
    return procedure.deliver(DOCUMENTS, "oco.portal.documents", payload, received_at)


def test_a_requested_document_is_answered_by_its_own_deadline() -> None:
    request_id = "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8"
    procedure = Procedure()
    procedure.inscribe("10000001")
    [requested] = request(procedure, request_id)
    assert isinstance(requested, DocumentsRequested)
    [supplied] = answer(procedure, request_id, "annual_accounts", at(2026, 8, 21, 17, 0, 0))
    assert isinstance(supplied, DocumentsSupplied)
    late = answer(procedure, request_id, "annual_accounts", at(2026, 8, 21, 17, 0, 1))
    assert refusal_codes(late) == ["documents_late"]


def test_a_document_of_the_inscription_cannot_be_added_after_the_close() -> None:
    request_id = "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8"
    procedure = Procedure()
    procedure.inscribe("10000001")
    unasked = answer(procedure, request_id, "vog_rp", at(2026, 8, 10))
    assert refusal_codes(unasked) == ["document_not_requested"]
    request(procedure, request_id)
    other_kind = answer(procedure, request_id, "vog_rp", at(2026, 8, 10))
    assert refusal_codes(other_kind) == ["document_not_requested"]


def test_a_document_request_follows_the_close_of_inscription() -> None:
    procedure = Procedure()
    procedure.inscribe("10000001")
    early = procedure.act(
        "RequestDocuments",
        at(2026, 7, 31, 16),
        request_id="4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8",
        provider_id="10000001",
        region_code="amsterdam",
        documents=[{"kind": "annual_accounts", "description": "De jaarrekening 2025."}],
        reason="Gerede twijfel.",
        answer_by=at(2026, 8, 21, 17).isoformat(),
    )
    assert refusal_codes(early) == ["assessment_not_started"]


def test_a_crowded_region_with_the_longest_texts_publishes_within_the_event_limit() -> None:
    # Thirty parties for four places, every verdict conditional with the longest texts:
    # the outcomes name each verdict and condition, the motivations stay in
    # SuitabilityAssessed, so the publication stays under the event limit.
    procedure = Procedure()
    providers = [f"3{index:07d}" for index in range(30)]
    procedure.inscribe(*providers)
    procedure.places("amsterdam", 4)
    longest = "x" * 500
    for index, provider in enumerate(providers):
        conditional = {
            requirement.code: {
                **verdict(requirement.code, "met_on_condition", (longest, "2027-04-30")),
                "motivation": longest,
                "evidence": [longest] * 20,
            }
            for requirement in load_round("2027-2028").requirements
        }
        procedure.assess(provider, **conditional)
        procedure.act(
            "ScoreCriteria",
            provider_id=provider,
            region_code="amsterdam",
            scores=[
                {"code": code, "score": index, "motivation": longest}
                for code in ("experience", "fills_gap", "sector_association")
            ],
        )
    publication = published(procedure.publish())
    assert len(publication.model_dump_json().encode()) < MAX_EVENT_BYTES
    assert len(selected(publication)) == 4
    assert all(len(o.conditions) == 17 and o.suitability_assessed for o in publication.outcomes)


def test_an_act_repeated_has_no_second_effect_and_a_reused_message_id_is_refused() -> None:
    procedure = Procedure()
    places = act("SetRegionPlaces", region_code="amsterdam", places=3, motivation="Drie.")
    subject = "oco.office.zilveren-kruis.assessment"
    [fixed] = procedure.deliver(OFFICE, subject, places, ASSESSING["2027-2028"])
    assert isinstance(fixed, RegionPlacesSet)
    assert procedure.deliver(OFFICE, subject, places, ASSESSING["2027-2028"]) == []
    reused = procedure.deliver(OFFICE, subject, {**places, "places": 4}, ASSESSING["2027-2028"])
    assert refusal_codes(reused) == ["message_id_reused"]
