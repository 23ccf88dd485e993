"""The objection service on its own: windows from each publication, filings, answers,
kort gedingen and the deadlines that pass (domain.md, "Deadlines that the log must
enforce"; 000_d8e1bdfab127271e.txt 6; 002_ecc96e9cc94e3a31.txt 3)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from objection_support import PORTAL, ZK, Procedure, at, kort_geding, objection
from oco_shared.contract.events import (
    KortGedingFiled,
    KortGedingRejected,
    KortGedingTermClosed,
    ObjectionAnswered,
    ObjectionAnswerOverdue,
    ObjectionAnswerRejected,
    ObjectionFiled,
    ObjectionRejected,
    ObjectionWindowClosed,
    ObjectionWindowOpened,
)
from oco_shared.contract.parts import RefusalCode

REJECTED, SELECTED = "10000001", "10000002"
PUBLISHED_2027 = at(2026, 9, 18, 12)
PUBLISHED_2018 = at(2017, 9, 15, 12)


def published_2027() -> Procedure:
    procedure = Procedure("2027-2028")
    procedure.publish({REJECTED: "rejected", SELECTED: "selected"}, PUBLISHED_2027)
    return procedure


def codes(event: object) -> list[str]:
    return [refusal.code.value for refusal in event.refusals]  # type: ignore[attr-defined]


def filed_objection(procedure: Procedure, received_at: datetime) -> ObjectionFiled:
    filed = procedure.file(objection(REJECTED, round_id=procedure.round_id), received_at)
    assert isinstance(filed, ObjectionFiled)
    return filed


# The window: 14 calendar days after the outcome was made known (2027-2028).


def test_each_party_outcome_opens_its_own_window_until_the_end_of_2_october() -> None:
    procedure = published_2027()
    windows = [
        e for e in procedure.uow.aggregates.popitem()[1] if isinstance(e, ObjectionWindowOpened)
    ]
    assert {w.provider_id: w.outcome.value for w in windows} == {
        REJECTED: "rejected",
        SELECTED: "selected",
    }
    assert {w.closes_at for w in windows} == {at(2026, 10, 3)}
    assert all(w.opens_at == PUBLISHED_2027 for w in windows)
    assert all("000_d8e1bdfab127271e.txt 6" in w.rule for w in windows)


def test_an_objection_at_23_59_59_on_2_october_is_filed_and_one_at_midnight_is_not() -> None:
    procedure = published_2027()
    filed = filed_objection(procedure, at(2026, 10, 2, 23, 59, 59))
    assert filed.window_closes_at == at(2026, 10, 3)
    assert filed.answer_due_at == at(2026, 10, 17)  # the answer comes by 16 October
    assert filed.uitvoerder_code == ZK

    late = procedure.file(objection(REJECTED), at(2026, 10, 3, 0, 0, 0))
    assert isinstance(late, ObjectionRejected)
    [refusal] = late.refusals
    assert refusal.code is RefusalCode.WINDOW_CLOSED
    assert refusal.deadline == at(2026, 10, 3)
    assert "2026-10-03 00:00:00 Europe/Amsterdam" in refusal.text


def test_a_late_publication_moves_the_window_with_it() -> None:
    procedure = Procedure("2027-2028")
    procedure.publish({REJECTED: "rejected"}, at(2026, 9, 25, 9))
    # After the published 2 October, yet within 14 days of this outcome.
    assert isinstance(filed_objection(procedure, at(2026, 10, 9, 23, 0)), ObjectionFiled)
    refused = procedure.file(objection(REJECTED), at(2026, 10, 10, 0, 0))
    assert refused.refusals[0].deadline == at(2026, 10, 10)  # type: ignore[attr-defined]


def test_an_early_publication_never_closes_the_window_before_the_published_date() -> None:
    procedure = Procedure("2027-2028")
    procedure.publish({REJECTED: "rejected"}, at(2026, 9, 10, 9))
    assert isinstance(filed_objection(procedure, at(2026, 10, 2, 20, 0)), ObjectionFiled)


def test_an_objection_through_another_channel_is_not_taken_into_consideration() -> None:
    procedure = published_2027()
    refused = procedure.file(
        objection(REJECTED, channel="info@zorgkantoor.example"), at(2026, 9, 25, 10)
    )
    assert codes(refused) == ["wrong_channel"]
    assert "andere kanalen" in refused.refusals[0].rule  # type: ignore[attr-defined]


def test_only_the_party_the_outcome_concerns_may_object() -> None:
    procedure = published_2027()
    stranger = procedure.file(objection("99999999"), at(2026, 9, 25, 10))
    assert codes(stranger) == ["not_a_party"]
    on_behalf = procedure.file(objection(REJECTED, sender=SELECTED), at(2026, 9, 25, 10))
    assert codes(on_behalf) == ["not_a_party"]


def test_every_reason_is_given_at_once() -> None:
    procedure = published_2027()
    refused = procedure.file(
        objection(REJECTED, channel="fax", sender=SELECTED), at(2026, 10, 5, 10)
    )
    assert codes(refused) == ["not_a_party", "wrong_channel", "window_closed"]


def test_before_any_publication_there_is_nothing_to_object_to() -> None:
    procedure = Procedure("2027-2028")
    refused = procedure.file(objection(REJECTED), at(2026, 9, 20, 10))
    assert codes(refused) == ["not_a_party"]
    assert "No outcome has been published" in refused.refusals[0].text  # type: ignore[attr-defined]


def test_a_superseding_publication_opens_new_windows_and_objections_follow_the_latest() -> None:
    procedure = published_2027()
    first = procedure.uow.aggregates[next(iter(procedure.uow.aggregates))][0]
    assert isinstance(first, ObjectionWindowOpened)
    procedure.publish(
        {REJECTED: "selected", SELECTED: "rejected"},
        at(2026, 10, 20, 14),
        edition=2,
        supersedes=str(first.selection_event_id),
    )
    filed = procedure.file(objection(SELECTED), at(2026, 11, 3, 23, 59, 59))
    assert isinstance(filed, ObjectionFiled)
    assert (filed.edition, filed.window_closes_at) == (2, at(2026, 11, 4))


def test_a_malformed_objection_is_refused_naming_its_field() -> None:
    procedure = published_2027()
    message = {**objection(REJECTED), "grounds": ""}
    [refused] = procedure.deliver(PORTAL, "oco.portal.objection", message, at(2026, 9, 25))
    assert isinstance(refused, ObjectionRejected)
    assert [(r.code.value, r.field) for r in refused.refusals] == [("malformed", "grounds")]


# The answer: by the round's fixed date; late is recorded, not void.


def test_an_answer_on_16_october_starts_the_kort_geding_term_across_summer_time() -> None:
    procedure = published_2027()
    filed = filed_objection(procedure, at(2026, 9, 30, 10))
    answered = procedure.answer(filed.objection_id, at(2026, 10, 16, 15))
    assert isinstance(answered, ObjectionAnswered)
    assert not answered.late
    assert answered.region_code == "amsterdam" and answered.provider_id == REJECTED
    assert answered.kort_geding_closes_at is not None
    assert answered.kort_geding_closes_at.isoformat() == "2026-10-31T00:00:00+01:00"


def test_an_answer_after_16_october_is_recorded_and_flagged_late() -> None:
    procedure = published_2027()
    filed = filed_objection(procedure, at(2026, 9, 30, 10))
    answered = procedure.answer(filed.objection_id, at(2026, 10, 17, 0, 0, 0), decision="upheld")
    assert isinstance(answered, ObjectionAnswered)
    assert answered.late and answered.answer_due_at == at(2026, 10, 17)


def test_an_answer_comes_once_from_the_regions_own_zorgkantoor() -> None:
    procedure = published_2027()
    filed = filed_objection(procedure, at(2026, 9, 30, 10))
    other_office = procedure.answer(filed.objection_id, at(2026, 10, 10), office="vgz")
    assert codes(other_office) == ["not_authorised"]
    unknown = procedure.answer(uuid.uuid4(), at(2026, 10, 10))
    assert isinstance(unknown, ObjectionAnswerRejected) and codes(unknown) == ["unknown_objection"]
    procedure.answer(filed.objection_id, at(2026, 10, 10))
    again = procedure.answer(filed.objection_id, at(2026, 10, 11))
    assert codes(again) == ["objection_already_answered"]


# The kort geding: a vervaltermijn, without suspensive effect.


def answered_2027() -> tuple[Procedure, str]:
    """An objection answered on 16 October, the last day."""
    procedure = published_2027()
    filed = filed_objection(procedure, at(2026, 9, 30, 10))
    procedure.answer(filed.objection_id, at(2026, 10, 16, 15))
    return procedure, str(filed.objection_id)


def test_a_kort_geding_registered_on_30_october_23_59_is_in_time_and_suspends_nothing() -> None:
    procedure, objection_id = answered_2027()
    registered = datetime(2026, 10, 30, 23, 59, tzinfo=UTC) - timedelta(hours=1)  # 23:59 +01:00
    filed = procedure.report(kort_geding(REJECTED, date(2026, 10, 29)), registered)
    assert isinstance(filed, KortGedingFiled)
    assert str(filed.objection_id) == objection_id
    assert filed.closes_at.isoformat() == "2026-10-31T00:00:00+01:00"
    assert filed.suspends_procedure is False  # "geen schorsende werking" (000_… 6)
    assert (filed.court, filed.summoned_on) == ("Rechtbank Den Haag", date(2026, 10, 29))


def test_a_kort_geding_registered_at_midnight_on_31_october_is_inadmissible() -> None:
    procedure, _ = answered_2027()
    late = procedure.report(kort_geding(REJECTED, date(2026, 10, 30)), at(2026, 10, 31, 0, 0))
    assert isinstance(late, KortGedingRejected)
    [refusal] = late.refusals
    assert refusal.code is RefusalCode.KORT_GEDING_OUT_OF_TIME
    assert refusal.deadline is not None
    assert refusal.deadline.isoformat() == "2026-10-31T00:00:00+01:00"
    assert "vervaltermijn" in refusal.text


def test_a_kort_geding_summoned_after_the_term_is_inadmissible_however_soon_reported() -> None:
    procedure, _ = answered_2027()
    late = procedure.report(kort_geding(REJECTED, date(2026, 10, 31)), at(2026, 10, 30, 12))
    assert codes(late) == ["kort_geding_out_of_time"]


def test_a_kort_geding_follows_the_answer_to_the_partys_own_objection() -> None:
    procedure = published_2027()
    early = procedure.report(kort_geding(REJECTED, date(2026, 9, 28)), at(2026, 9, 28, 12))
    assert codes(early) == ["objection_not_answered"]
    filed_objection(procedure, at(2026, 9, 30, 10))
    unanswered = procedure.report(kort_geding(REJECTED, date(2026, 10, 1)), at(2026, 10, 1))
    assert codes(unanswered) == ["objection_not_answered"]
    stranger = procedure.report(kort_geding("99999999", date(2026, 10, 1)), at(2026, 10, 1))
    assert codes(stranger) == ["not_a_party"]


# 2018-2020: "tot 29 september 2017 17.00 uur"; the kort geding from the original outcome.


def published_2018() -> Procedure:
    procedure = Procedure("2018-2020")
    procedure.publish({REJECTED: "rejected"}, PUBLISHED_2018)
    return procedure


def test_2018_an_objection_at_17_00_00_on_29_september_is_filed_and_at_17_00_01_not() -> None:
    procedure = published_2018()
    assert isinstance(filed_objection(procedure, at(2017, 9, 29, 17, 0, 0)), ObjectionFiled)
    late = procedure.file(objection(REJECTED, round_id="2018-2020"), at(2017, 9, 29, 17, 0, 1))
    assert codes(late) == ["window_closed"]
    assert late.refusals[0].deadline == at(2017, 9, 29, 17, 0, 1)  # type: ignore[attr-defined]


def test_2018_the_kort_geding_counts_20_days_from_the_outcome_not_from_the_answer() -> None:
    procedure = published_2018()
    filed = filed_objection(procedure, at(2017, 9, 20, 10))
    procedure.answer(filed.objection_id, at(2017, 10, 4, 10))  # the term does not restart here
    in_time = procedure.report(
        kort_geding(REJECTED, date(2017, 10, 5), round_id="2018-2020"), at(2017, 10, 5, 23, 59, 59)
    )
    assert isinstance(in_time, KortGedingFiled)
    assert in_time.closes_at == at(2017, 10, 6)
    late = procedure.report(
        kort_geding(REJECTED, date(2017, 10, 5), round_id="2018-2020"), at(2017, 10, 6)
    )
    assert codes(late) == ["kort_geding_out_of_time"]


def test_2018_a_party_may_start_a_kort_geding_without_an_objection() -> None:
    procedure = published_2018()
    filed = procedure.report(
        kort_geding(REJECTED, date(2017, 9, 25), round_id="2018-2020"), at(2017, 9, 25, 10)
    )
    assert isinstance(filed, KortGedingFiled) and filed.objection_id is None


# Deadlines that pass on their own, as the ticker records them.


def test_windows_close_per_party_and_then_per_region_at_their_instant_never_before() -> None:
    procedure = published_2027()
    filed_objection(procedure, at(2026, 9, 30, 10))
    assert procedure.tick(at(2026, 10, 2, 23, 59, 59)) == []
    closed = procedure.tick(at(2026, 10, 4, 8))
    windows = [e for e in closed if isinstance(e, ObjectionWindowClosed)]
    assert [(w.scope, w.provider_id, w.objections_filed) for w in windows] == [
        ("party", REJECTED, 1),
        ("party", SELECTED, 0),
        ("region", None, 1),
    ]
    assert {w.occurred_at for w in windows} == {at(2026, 10, 3)}
    assert procedure.tick(at(2026, 10, 5)) == []  # once


def test_an_objection_unanswered_at_the_deadline_is_overdue_even_if_answered_later() -> None:
    procedure = published_2027()
    filed = filed_objection(procedure, at(2026, 9, 30, 10))
    procedure.tick(at(2026, 10, 10))
    assert procedure.tick(at(2026, 10, 16, 23, 59, 59)) == []
    procedure.answer(filed.objection_id, at(2026, 10, 18))  # the ticker was away meanwhile
    [overdue] = [
        e for e in procedure.tick(at(2026, 10, 19)) if isinstance(e, ObjectionAnswerOverdue)
    ]
    assert overdue.occurred_at == overdue.answer_due_at == at(2026, 10, 17)


def test_an_answer_in_time_is_never_overdue_and_its_kort_geding_term_closes() -> None:
    procedure, objection_id = answered_2027()
    procedure.report(kort_geding(REJECTED, date(2026, 10, 20)), at(2026, 10, 20))
    passed = procedure.tick(at(2026, 11, 15))
    assert not [e for e in passed if isinstance(e, ObjectionAnswerOverdue)]
    [term] = [e for e in passed if isinstance(e, KortGedingTermClosed)]
    assert str(term.objection_id) == objection_id and term.kort_gedingen_filed == 1
    assert term.closed_at.isoformat() == "2026-10-31T00:00:00+01:00"


def test_a_region_closes_with_the_edition_in_force_not_a_superseded_one() -> None:
    procedure = published_2027()
    first = procedure.uow.aggregates[next(iter(procedure.uow.aggregates))][0]
    assert isinstance(first, ObjectionWindowOpened)
    procedure.publish(
        {REJECTED: "selected"}, at(2026, 9, 28), edition=2, supersedes=str(first.selection_event_id)
    )
    closed = procedure.tick(at(2026, 10, 20))
    regions = [e for e in closed if isinstance(e, ObjectionWindowClosed) and e.scope == "region"]
    assert [(r.edition, r.closed_at) for r in regions] == [(2, at(2026, 10, 13))]
