"""Contracting on its own: signatures and their conditions, terms, ceilings, obligations,
production and signal reports."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from contracting_support import (
    PORTAL,
    SIGNING,
    Contracting,
    at,
    case_opened,
    document,
    kort_geding_filed,
    objection_answered,
    objection_filed,
    outcome,
    report,
    selection_published,
    selection_reopened,
    window_closed,
)
from oco_contracting.domain.model import RegionContracting, region_id
from oco_contracting.domain.signing import signing_refusals
from oco_shared.contract.base import Event
from oco_shared.contract.events import (
    BudgetCeilingSet,
    BudgetOverrunThreatened,
    BudgetReallocated,
    ClientSupporterStarted,
    ContractExtended,
    ContractingRefused,
    ContractRefused,
    ContractSigned,
    ObligationFulfilled,
    ObligationOverdue,
    ProductionReported,
    SignalReportOverdue,
    SignalReportRecorded,
)
from oco_shared.rounds import load_round


def refusal_codes(events: list[Event]) -> list[str]:
    [refused] = events
    assert isinstance(refused, ContractRefused | ContractingRefused), refused
    return [refusal.code.value for refusal in refused.refusals]


def signed(events: list[Event]) -> ContractSigned:
    [contract] = events
    assert isinstance(contract, ContractSigned), contract
    return contract


def overdue_obligations(events: list[Event]) -> list[ObligationOverdue]:
    return [event for event in events if isinstance(event, ObligationOverdue)]


def obligations(contract: ContractSigned) -> dict[str, str]:
    return {o.kind.value: o.due_at.isoformat() for o in contract.obligations}


# Signing: every condition, each refusal named


def test_a_selected_party_is_signed_on_the_rounds_terms_once_the_windows_closed() -> None:
    contracting = Contracting()
    contracting.selected_region({"10000001": False})
    contract = signed(contracting.sign("10000001"))
    assert (contract.starts_on, contract.ends_on) == (date(2027, 1, 1), date(2028, 12, 31))
    assert contract.hourly_tariff == Decimal("92.90")  # as printed, never derived
    assert contract.provisional_budget_ceiling == Decimal("125000.00")
    assert (contract.uitvoerder_code, contract.region_code) == ("zilveren-kruis", "amsterdam")
    assert contract.extendable_until is None
    assert not contract.jointly_and_severally_liable


def test_refused_while_an_objection_in_the_region_is_unanswered_then_signed_after_the_answer() -> (
    None
):
    contracting = Contracting()
    published = contracting.selected_region({"10000001": False, "10000002": False}, places=2)
    filed = objection_filed(published, "10000003")
    contracting.objection(filed, at(2026, 10, 1, 12))
    assert refusal_codes(contracting.sign("10000001")) == ["objection_not_answered"]
    contracting.objection(objection_answered(filed), at(2026, 10, 16, 12))
    signed(contracting.sign("10000001"))


def test_refused_before_the_regions_windows_close_naming_every_unmet_condition() -> None:
    contracting = Contracting()
    contracting.selected_region({"10000001": False}, closed=False)
    too_early = at(2026, 9, 30, 10)
    assert refusal_codes(contracting.sign("10000009", too_early)) == [
        "not_selected",
        "objection_windows_open",
        "outside_contracting_period",
    ]


def test_only_the_closing_of_the_whole_region_opens_signing() -> None:
    contracting = Contracting()
    published = contracting.selected_region({"10000001": False}, closed=False)
    contracting.objection(window_closed(published, scope="party", provider="10000001"))
    assert refusal_codes(contracting.sign("10000001")) == ["objection_windows_open"]


def test_a_contract_beyond_the_regions_places_is_refused() -> None:
    # Edition 1 selected 10000001, who signed; a court then had 10000002 selected in
    # edition 2 for the same single place.
    contracting = Contracting()
    contracting.selected_region({"10000001": False, "10000002": True}, places=1)
    signed(contracting.sign("10000001"))
    second = selection_published(
        [outcome("10000001", selected=False), outcome("10000002")], places=1, edition=2
    )
    contracting.assessment(second, at(2026, 11, 2, 10))
    contracting.objection(window_closed(second), at(2026, 11, 17))
    assert refusal_codes(contracting.sign("10000002", at(2026, 11, 20, 10))) == ["region_full"]


def test_a_party_signs_once_per_region_and_round() -> None:
    contracting = Contracting()
    contracting.selected_region({"10000001": False})
    signed(contracting.sign("10000001"))
    assert refusal_codes(contracting.sign("10000001")) == ["already_contracted"]


def test_a_party_not_selected_in_the_latest_edition_is_refused() -> None:
    contracting = Contracting()
    contracting.selected_region({"10000001": False, "10000002": False})
    later = selection_published(
        [outcome("10000001"), outcome("10000002", selected=False)], edition=2
    )
    contracting.assessment(later)
    contracting.objection(window_closed(later))
    assert refusal_codes(contracting.sign("10000002")) == ["not_selected"]


def test_a_reopened_selection_holds_up_every_signature_until_its_next_edition() -> None:
    contracting = Contracting()
    published = contracting.selected_region({"10000001": False})
    contracting.assessment(selection_reopened(published), at(2026, 10, 16, 12))
    assert refusal_codes(contracting.sign("10000001")) == ["selection_reopened"]


def test_only_the_regions_own_zorgkantoor_signs() -> None:
    contracting = Contracting()
    contracting.selected_region({"10000001": False})
    assert refusal_codes(contracting.sign("10000001", office="vgz")) == ["region_not_served"]


def test_2018_2020_signing_waits_for_the_end_of_the_standstill_at_12_october_17_00() -> None:
    contracting = Contracting("2018-2020")
    contracting.selected_region({"10000001": False})
    [refused] = contracting.sign("10000001", at(2017, 10, 12, 16, 59))
    assert isinstance(refused, ContractRefused)
    [standstill] = refused.refusals
    assert standstill.code.value == "standstill"
    assert standstill.deadline == at(2017, 10, 12, 17, 0, 1)
    signed(contracting.sign("10000001", at(2017, 10, 12, 17, 1)))


def test_2018_2020_existing_organisations_sign_for_three_years_new_ones_for_one_with_extension() -> (
    None
):
    contracting = Contracting("2018-2020")
    contracting.selected_region({"10000001": False, "10000002": True})
    existing = signed(contracting.sign("10000001"))
    new = signed(contracting.sign("10000002"))
    assert (existing.ends_on, existing.extendable_until) == (date(2020, 12, 31), None)
    assert (new.ends_on, new.extendable_until) == (date(2018, 12, 31), date(2020, 12, 31))
    assert existing.hourly_tariff == Decimal("69.00")


def test_a_kort_geding_does_not_hold_up_a_signature_where_the_round_denies_it_suspensive_effect() -> (
    None
):
    contracting = Contracting()
    published = contracting.selected_region({"10000001": False})
    filed = objection_filed(published, "10000002")
    contracting.objection(filed, at(2026, 10, 1, 12))
    contracting.objection(objection_answered(filed), at(2026, 10, 16, 12))
    contracting.objection(kort_geding_filed(filed, suspends=False), at(2026, 10, 20, 12))
    signed(contracting.sign("10000001", at(2026, 10, 21, 10)))


def test_a_pending_kort_geding_blocks_only_in_a_round_that_gives_it_suspensive_effect() -> None:
    contracting = Contracting()
    published = contracting.selected_region({"10000001": False})
    filed = objection_filed(published, "10000002")
    contracting.objection(filed, at(2026, 10, 1, 12))
    contracting.objection(objection_answered(filed), at(2026, 10, 16, 12))
    contracting.objection(kort_geding_filed(filed, suspends=True), at(2026, 10, 20, 12))
    aggregate = region_id("2027-2028", "amsterdam")
    region = RegionContracting.replay(aggregate, contracting.uow.get(aggregate))
    round_ = load_round("2027-2028")
    suspensive = round_.model_copy(update={"no_suspensive_effect": False})
    when = at(2026, 10, 21, 10)
    assert signing_refusals(round_, region, "10000001", False, when) == []
    assert [
        r.code.value for r in signing_refusals(suspensive, region, "10000001", False, when)
    ] == ["kort_geding_pending"]


def test_a_consortium_signs_with_its_members_jointly_and_severally_liable() -> None:
    contracting = Contracting()
    contracting.assessment(case_opened("10000001", consortium=("20000001", "20000002")))
    published = selection_published([outcome("10000001")])
    contracting.assessment(published)
    contracting.objection(window_closed(published))
    contract = signed(contracting.sign("10000001"))
    assert contract.jointly_and_severally_liable
    assert [member.id for member in contract.consortium_members] == ["20000001", "20000002"]


def test_a_provider_already_contracted_for_the_region_is_not_new_to_oco() -> None:
    contracting = Contracting()
    contracting.selected_region({"10000001": False})
    assert refusal_codes(contracting.sign("10000001", new_to_oco=True)) == [
        "new_to_oco_contradicted"
    ]


# Obligations after the start, each with its own scope


def test_obligations_follow_who_the_provider_is_and_its_conditional_verdicts() -> None:
    contracting = Contracting()
    bcmb = ("G07", "Lidmaatschap BCMB", "2027-04-30")
    contracting.selected_region(
        {"10000001": True, "10000002": True, "10000003": False},
        conditions={"10000003": [bcmb]},
    )
    new_to_oco = signed(contracting.sign("10000001", new_to_oco=True))
    new_to_region = signed(contracting.sign("10000002", new_to_oco=False))
    conditional = signed(contracting.sign("10000003"))
    # 4 months and 6 months after 1 January 2027, each until the end of that day.
    assert obligations(new_to_oco) == {
        "bcmb_membership": "2027-05-02T00:00:00+02:00",
        "regional_knowledge": "2027-07-02T00:00:00+02:00",
    }
    assert obligations(new_to_region) == {"regional_knowledge": "2027-07-02T00:00:00+02:00"}
    assert obligations(conditional) == {"verdict_condition": "2027-05-01T00:00:00+02:00"}
    assert [c.code for c in conditional.conditions] == ["G07"]


def test_an_overdue_obligation_is_raised_once_by_the_tick_and_never_for_a_fulfilled_one() -> None:
    contracting = Contracting()
    contracting.selected_region({"10000001": True, "10000002": True})
    late = signed(contracting.sign("10000001", new_to_oco=True))
    on_time = signed(contracting.sign("10000002", new_to_oco=True))
    for obligation in on_time.obligations:
        contracting.portal(
            "SubmitObligationEvidence",
            "10000002",
            at(2027, 3, 1, 10),
            obligation_id=str(obligation.obligation_id),
            evidence=[document(obligation.kind.value)],
        )
    # (The quarter's signal reports fall due on 1 May as well; they are not this test's.)
    assert overdue_obligations(contracting.tick(at(2027, 5, 1, 23, 59, 59))) == []
    [overdue] = overdue_obligations(contracting.tick(at(2027, 5, 2, 0, 0)))
    assert (overdue.provider_id, overdue.kind.value) == ("10000001", "bcmb_membership")
    assert overdue.contract_id == late.contract_id
    assert overdue_obligations(contracting.tick(at(2027, 5, 3))) == []  # exactly once


def test_evidence_after_the_due_date_still_fulfils_but_is_recorded_late() -> None:
    contracting = Contracting()
    contracting.selected_region({"10000001": True})
    contract = signed(contracting.sign("10000001", new_to_oco=True))
    bcmb = next(o for o in contract.obligations if o.kind.value == "bcmb_membership")
    [fulfilled] = contracting.portal(
        "SubmitObligationEvidence",
        "10000001",
        at(2027, 5, 10, 10),
        obligation_id=str(bcmb.obligation_id),
        evidence=[document("bcmb_membership")],
    )
    assert isinstance(fulfilled, ObligationFulfilled) and fulfilled.late
    again = contracting.portal(
        "SubmitObligationEvidence",
        "10000001",
        at(2027, 5, 11, 10),
        obligation_id=str(bcmb.obligation_id),
        evidence=[document("bcmb_membership")],
    )
    assert refusal_codes(again) == ["obligation_already_fulfilled"]


def test_register_enrolment_runs_four_months_from_each_new_client_supporters_own_start() -> None:
    contracting = Contracting()
    contracting.selected_region({"10000001": False})
    signed(contracting.sign("10000001"))
    [started] = contracting.portal(
        "ReportClientSupporterStart",
        "10000001",
        at(2027, 3, 2, 9),
        client_supporter="CO-0042",
        started_on="2027-03-01",
    )
    assert isinstance(started, ClientSupporterStarted)
    assert started.obligation.due_at == at(2027, 7, 2)  # 1 July 2027 is the last day
    [overdue] = overdue_obligations(contracting.tick(at(2027, 7, 2)))
    assert overdue.kind.value == "register_enrolment"
    again = contracting.portal(
        "ReportClientSupporterStart",
        "10000001",
        at(2027, 7, 3, 9),
        client_supporter="CO-0042",
        started_on="2027-07-01",
    )
    assert refusal_codes(again) == ["client_supporter_already_reported"]


def test_only_the_provider_itself_reports_through_its_portal() -> None:
    contracting = Contracting()
    contracting.selected_region({"10000001": False, "10000002": False})
    signed(contracting.sign("10000001"))
    forged = report(
        "ReportClientSupporterStart",
        "10000001",
        region_code="amsterdam",
        client_supporter="CO-0042",
        started_on="2027-03-01",
    )
    forged["actor"] = {"kind": "provider", "id": "10000002"}
    refused = contracting.deliver(PORTAL, "oco.portal.contracting", forged, at(2027, 3, 2, 9))
    assert refusal_codes(refused) == ["not_authorised"]


# Budget ceilings and reallocations


def test_definitive_ceilings_never_exceed_the_regions_budget() -> None:
    contracting = Contracting()
    contracting.selected_region({"10000001": False, "10000002": False})
    signed(contracting.sign("10000001"))
    signed(contracting.sign("10000002"))
    ceilings = [
        {"provider_id": "10000001", "amount": "260000.00"},
        {"provider_id": "10000002", "amount": "250000.00"},
    ]
    over = contracting.act(
        "SetBudgetCeilings",
        at(2027, 2, 1),
        region_code="amsterdam",
        year=2027,
        region_budget="500000.00",
        ceilings=ceilings,
    )
    assert refusal_codes(over) == ["region_budget_exceeded"]
    ceilings[0]["amount"] = "250000.00"
    set_ = contracting.act(
        "SetBudgetCeilings",
        at(2027, 2, 1),
        region_code="amsterdam",
        year=2027,
        region_budget="500000.00",
        ceilings=ceilings,
    )
    assert [
        (e.provider_id, e.ceiling, e.region_total) for e in set_ if isinstance(e, BudgetCeilingSet)
    ] == [
        ("10000001", Decimal("250000.00"), Decimal("500000.00")),
        ("10000002", Decimal("250000.00"), Decimal("500000.00")),
    ]


def test_a_reallocation_that_would_exceed_the_regions_budget_is_refused() -> None:
    contracting = Contracting()
    contracting.selected_region({"10000001": False, "10000002": False})
    signed(contracting.sign("10000001"))
    signed(contracting.sign("10000002"))
    contracting.act(
        "SetBudgetCeilings",
        at(2027, 2, 1),
        region_code="amsterdam",
        year=2027,
        region_budget="500000.00",
        ceilings=[
            {"provider_id": "10000001", "amount": "250000.00"},
            {"provider_id": "10000002", "amount": "200000.00"},
        ],
    )
    reason = "Dreigende overschrijding bij 10000001."
    over = contracting.act(
        "ReallocateBudget",
        at(2027, 6, 15),
        region_code="amsterdam",
        year=2027,
        ceilings=[{"provider_id": "10000001", "amount": "310000.00"}],
        reason=reason,
        review_month=6,
    )
    assert refusal_codes(over) == ["region_budget_exceeded"]
    [moved] = contracting.act(
        "ReallocateBudget",
        at(2027, 6, 15),
        region_code="amsterdam",
        year=2027,
        ceilings=[
            {"provider_id": "10000001", "amount": "290000.00"},
            {"provider_id": "10000002", "amount": "190000.00"},
        ],
        reason=reason,
        review_month=6,
    )
    assert isinstance(moved, BudgetReallocated)
    assert [(c.provider_id, c.before, c.after) for c in moved.changes] == [
        ("10000001", Decimal("250000.00"), Decimal("290000.00")),
        ("10000002", Decimal("200000.00"), Decimal("190000.00")),
    ]
    assert moved.region_total == Decimal("480000.00")


def test_reallocations_happen_at_the_rounds_review_moments_2018_june_and_november() -> None:
    contracting = Contracting("2018-2020")
    contracting.selected_region({"10000001": False})
    signed(contracting.sign("10000001"))
    contracting.act(
        "SetBudgetCeilings",
        at(2018, 2, 1),
        region_code="amsterdam",
        year=2018,
        region_budget="300000.00",
        ceilings=[{"provider_id": "10000001", "amount": "200000.00"}],
    )
    fields = {
        "region_code": "amsterdam",
        "year": 2018,
        "reason": "Herschikking.",
        "ceilings": [{"provider_id": "10000001", "amount": "250000.00"}],
    }
    october = contracting.act("ReallocateBudget", at(2018, 10, 15), review_month=10, **fields)
    assert refusal_codes(october) == ["not_a_review_moment"]
    [november] = contracting.act("ReallocateBudget", at(2018, 11, 15), review_month=11, **fields)
    assert isinstance(november, BudgetReallocated)


# Production against the ceiling


def test_hours_are_paid_at_the_tariff_up_to_the_ceiling_and_an_overrun_threat_is_raised_once() -> (
    None
):
    contracting = Contracting()
    contracting.selected_region({"10000001": False})
    signed(contracting.sign("10000001"))  # provisional ceiling 125,000.00 at 92.90 an hour
    january = contracting.portal(
        "ReportProduction",
        "10000001",
        at(2027, 2, 3, 9),
        year=2027,
        month=1,
        hours=[{"service": 1, "hours": "60.00"}, {"service": 2, "hours": "40.00"}],
    )
    [reported] = january
    assert isinstance(reported, ProductionReported)
    assert (reported.amount, reported.paid) == (Decimal("9290.00"), Decimal("9290.00"))
    assert reported.projected_year_amount == Decimal("111480.00")  # under the ceiling
    february = contracting.portal(
        "ReportProduction",
        "10000001",
        at(2027, 3, 3, 9),
        year=2027,
        month=2,
        hours=[{"service": 2, "hours": "150.00"}],
    )
    production, threat = february
    assert isinstance(production, ProductionReported)
    assert isinstance(threat, BudgetOverrunThreatened)
    assert threat.projected_year_amount == Decimal("139350.00") > threat.ceiling
    march = contracting.portal(
        "ReportProduction",
        "10000001",
        at(2027, 4, 3, 9),
        year=2027,
        month=3,
        hours=[{"service": 3, "hours": "200.00"}],
    )
    assert [type(e) for e in march] == [ProductionReported]  # raised once per ceiling


def test_hours_beyond_the_ceiling_are_not_paid() -> None:
    contracting = Contracting()
    contracting.selected_region({"10000001": False})
    signed(contracting.sign("10000001"))
    [first, _] = contracting.portal(
        "ReportProduction",
        "10000001",
        at(2027, 2, 3, 9),
        year=2027,
        month=1,
        hours=[{"service": 1, "hours": "1300.00"}],
    )
    assert isinstance(first, ProductionReported)
    assert (first.amount, first.paid) == (Decimal("120770.00"), Decimal("120770.00"))
    [second] = contracting.portal(
        "ReportProduction",
        "10000001",
        at(2027, 3, 3, 9),
        year=2027,
        month=2,
        hours=[{"service": 1, "hours": "100.00"}],
    )
    assert isinstance(second, ProductionReported)
    assert (second.amount, second.paid) == (Decimal("9290.00"), Decimal("4230.00"))
    assert second.paid_this_year == second.ceiling


def test_production_names_the_rounds_services_and_a_month_of_the_contract() -> None:
    contracting = Contracting()
    contracting.selected_region({"10000001": False})
    signed(contracting.sign("10000001"))
    refused = contracting.portal(
        "ReportProduction",
        "10000001",
        at(2027, 2, 3, 9),
        year=2026,
        month=12,
        hours=[{"service": 7, "hours": "1.00"}],
    )
    assert refusal_codes(refused) == ["unknown_service", "outside_contract_period"]


# Quarterly signal reports


def test_a_missing_quarterly_signal_report_is_raised_once_after_its_due_date() -> None:
    contracting = Contracting()
    contracting.selected_region({"10000001": False})
    signed(contracting.sign("10000001"))
    [recorded] = contracting.portal(
        "SubmitSignalReport",
        "10000001",
        at(2027, 4, 20, 9),
        year=2027,
        quarter=1,
        report=document("signal_report"),
    )
    assert isinstance(recorded, SignalReportRecorded) and not recorded.late
    assert contracting.tick(at(2027, 7, 31, 23)) == []
    [missing] = contracting.tick(at(2027, 8, 1))  # Q2: by the end of July
    assert isinstance(missing, SignalReportOverdue) and (missing.year, missing.quarter) == (2027, 2)
    assert contracting.tick(at(2027, 8, 2)) == []


def test_2018_2020_asks_for_no_signal_reports() -> None:
    contracting = Contracting("2018-2020")
    contracting.selected_region({"10000001": False})
    signed(contracting.sign("10000001", SIGNING["2018-2020"]))
    refused = contracting.portal(
        "SubmitSignalReport",
        "10000001",
        at(2018, 4, 20, 9),
        year=2018,
        quarter=1,
        report=document("signal_report"),
    )
    assert refusal_codes(refused) == ["not_asked_in_round"]
    assert contracting.tick(at(2019, 1, 1)) == []


def test_a_month_reported_again_corrects_the_earlier_figures() -> None:
    contracting = Contracting()
    contracting.selected_region({"10000001": False})
    signed(contracting.sign("10000001"))
    hours = {"year": 2027, "month": 1}
    contracting.portal(
        "ReportProduction",
        "10000001",
        at(2027, 2, 3, 9),
        **hours,
        hours=[{"service": 1, "hours": "100.00"}],
    )
    [corrected] = contracting.portal(
        "ReportProduction",
        "10000001",
        at(2027, 2, 10, 9),
        **hours,
        hours=[{"service": 1, "hours": "50.00"}],
    )
    assert isinstance(corrected, ProductionReported)
    assert (corrected.paid, corrected.paid_this_year) == (Decimal("4645.00"), Decimal("4645.00"))


def test_an_upheld_answer_holds_up_signing_even_before_assessment_reopens_the_region() -> None:
    # The answer arrives on the objection stream; assessment's reopening and its next
    # edition on the assessment stream, which contracting may read later.
    contracting = Contracting()
    published = contracting.selected_region({"10000001": False}, places=1)
    filed = objection_filed(published, "10000002")
    contracting.objection(filed, at(2026, 10, 1, 12))
    contracting.objection(objection_answered(filed, "upheld"), at(2026, 10, 16, 12))
    assert refusal_codes(contracting.sign("10000001")) == ["selection_reopened"]
    second = selection_published(
        [outcome("10000001", selected=False), outcome("10000002")], places=1, edition=2
    )
    contracting.assessment(selection_reopened(published), at(2026, 10, 16, 13))
    contracting.assessment(second, at(2026, 10, 20, 10))
    contracting.objection(window_closed(second), at(2026, 11, 4))
    signed(contracting.sign("10000002", at(2026, 11, 5, 10)))


def test_a_selection_without_the_partys_provisional_ceiling_is_not_signed() -> None:
    contracting = Contracting()
    published = selection_published(
        [{**outcome("10000001"), "provisional_budget_ceiling": None}], places=1
    )
    contracting.assessment(published)
    contracting.objection(window_closed(published))
    assert refusal_codes(contracting.sign("10000001")) == ["ceiling_missing"]


def test_the_zorgkantoor_records_evidence_it_received_otherwise_for_its_own_regions_only() -> None:
    contracting = Contracting()
    contracting.selected_region({"10000001": True})
    contract = signed(contracting.sign("10000001", new_to_oco=True))
    bcmb = next(o for o in contract.obligations if o.kind.value == "bcmb_membership")
    fields = {
        "provider_id": "10000001",
        "region_code": "amsterdam",
        "obligation_id": str(bcmb.obligation_id),
        "evidence": [document("bcmb_confirmation")],
    }
    elsewhere = contracting.act("RecordObligationEvidence", at(2027, 3, 1), "vgz", **fields)
    assert refusal_codes(elsewhere) == ["region_not_served"]
    [fulfilled] = contracting.act("RecordObligationEvidence", at(2027, 3, 1), **fields)
    assert isinstance(fulfilled, ObligationFulfilled) and not fulfilled.late
    overdue = overdue_obligations(contracting.tick(at(2027, 8, 1)))
    assert [o.kind.value for o in overdue] == ["regional_knowledge"]  # BCMB was shown


def test_2018_2020_a_new_organisations_contract_is_extended_up_to_2020_before_it_ends() -> None:
    contracting = Contracting("2018-2020")
    contracting.selected_region({"10000001": False, "10000002": True})
    signed(contracting.sign("10000001"))
    signed(contracting.sign("10000002"))

    def extend(provider: str, until: str, when: datetime) -> list[Event]:
        return contracting.act(
            "ExtendContract", when, provider_id=provider, region_code="amsterdam", until=until
        )

    assert refusal_codes(extend("10000001", "2021-12-31", at(2018, 10, 1))) == ["not_extendable"]
    assert refusal_codes(extend("10000002", "2021-12-31", at(2018, 10, 1))) == ["not_extendable"]
    [extended] = extend("10000002", "2019-12-31", at(2018, 10, 1))
    assert isinstance(extended, ContractExtended)
    assert (extended.ended_on, extended.ends_on) == (date(2018, 12, 31), date(2019, 12, 31))
    late = extend("10000002", "2020-12-31", at(2020, 1, 2))
    assert refusal_codes(late) == ["not_extendable"]
    # Ceilings follow the extended contract into 2019.
    [ceiling] = contracting.act(
        "SetBudgetCeilings",
        at(2019, 2, 1),
        region_code="amsterdam",
        year=2019,
        region_budget="300000.00",
        ceilings=[{"provider_id": "10000002", "amount": "90000.00"}],
    )
    assert isinstance(ceiling, BudgetCeilingSet)
