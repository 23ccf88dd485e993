"""The intake handlers on their own: each reason code, amendments, withdrawals, questions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from intake_support import (
    REQUIRED_2027,
    at,
    document,
    malformed_payloads,
    nota,
    question,
    submission,
    withdrawal,
)
from oco_intake.entrypoints.subjects import SUBSCRIPTIONS
from oco_shared.contract.base import MAX_EVENT_BYTES, MAX_MESSAGE_BYTES, Event
from oco_shared.contract.events import (
    InscriptionReceived,
    InscriptionRejected,
    InscriptionWithdrawn,
    NotaVanInlichtingenPublished,
    QuestionRejected,
)
from oco_shared.contract.parts import RefusalCode
from oco_shared.handling import DeadLetter, Incoming, MemoryUnitOfWork, broker_receipt, decide_one

INSCRIPTIONS, QUESTIONS, NOTA = (subscription.route for subscription in SUBSCRIPTIONS)


def handle(
    uow: MemoryUnitOfWork,
    payload: dict[str, Any] | bytes,
    received_at: datetime,
    route: Any = INSCRIPTIONS,
    subject: str = "oco.portal.inscription",
) -> list[Event]:
    """A message through the same decision path as the consumer's, in memory."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    incoming = Incoming("OCO_PORTAL", 1, subject, body, {}, received_at)
    decision = decide_one(route, incoming, uow, broker_receipt)
    if decision.dead_letter is not None:
        raise DeadLetter(*decision.dead_letter)
    return [new.event for new in decision.events]


def refusal_codes(events: list[Event]) -> list[str]:
    [rejection] = events
    assert isinstance(rejection, InscriptionRejected)
    return [refusal.code.value for refusal in rejection.refusals]


def test_a_complete_inscription_in_time_is_received() -> None:
    [received] = handle(MemoryUnitOfWork(), submission(), at(2026, 7, 15, 10, 0))
    assert isinstance(received, InscriptionReceived)
    assert received.revision == 1 and received.rule_set_version.startswith("2027-2028")


def test_the_closing_second_is_in_time_and_the_next_one_is_not() -> None:
    store = MemoryUnitOfWork()
    [received] = handle(store, submission("11111111"), at(2026, 7, 31, 17, 0, 0))
    assert isinstance(received, InscriptionReceived)
    late = submission("22222222", sent_at=at(2026, 7, 31, 16, 59))
    [rejected] = handle(store, late, at(2026, 7, 31, 17, 0, 1))
    assert isinstance(rejected, InscriptionRejected)
    assert rejected.claimed_at == at(2026, 7, 31, 16, 59)
    assert [r.code for r in rejected.refusals] == [RefusalCode.INSCRIPTION_CLOSED]
    assert rejected.refusals[0].deadline == at(2026, 7, 31, 17, 0, 1)
    assert "000_d8e1bdfab127271e.txt" in rejected.refusals[0].rule


@pytest.mark.parametrize(
    ("payload", "received_at", "codes"),
    [
        (submission(), at(2026, 5, 31, 23, 0), ["inscription_not_open"]),
        (submission(uitvoerder="achmea"), at(2026, 7, 1, 9), ["unknown_uitvoerder"]),
        (
            submission(regions=(("amsterdam", False), ("haaglanden", False))),
            at(2026, 7, 1, 9),
            ["region_not_served", "regions_of_several_uitvoerders"],
        ),
        (
            submission(documents=[document(k) for k in REQUIRED_2027 if k != "kvk_extract"]),
            at(2026, 7, 1, 9),
            ["document_missing"],
        ),
        (
            submission(
                documents=[
                    document(k, "2025-12-31" if k == "vog_rp" else "2026-05-04")
                    for k in REQUIRED_2027
                ]
            ),
            at(2026, 7, 1, 9),
            ["document_too_old"],
        ),
        (
            submission(
                documents=[document(k, searchable=k != "motivation") for k in REQUIRED_2027]
            ),
            at(2026, 7, 1, 9),
            ["document_not_searchable"],
        ),
        (submission(consortium=True), at(2026, 7, 1, 9), ["joint_liability_missing"]),
        (
            submission(regions=(("amsterdam", True),)),
            at(2026, 7, 1, 9),
            ["implementation_plan_missing"],
        ),
        (submission(round_id="2031"), at(2026, 7, 1, 9), ["unknown_round"]),
        (
            submission(
                uitvoerder="zilveren-kruis",
                regions=(("haaglanden", True),),
                consortium=True,
                documents=[],
            ),
            at(2026, 8, 1, 9),
            [
                "inscription_closed",
                "region_not_served",
                "document_missing",
                "document_missing",
                "document_missing",
                "document_missing",
                "document_missing",
                "joint_liability_missing",
                "document_missing",
                "implementation_plan_missing",
            ],
        ),
    ],
)
def test_each_failure_is_listed_with_its_code(
    payload: dict[str, Any], received_at: datetime, codes: list[str]
) -> None:
    assert refusal_codes(handle(MemoryUnitOfWork(), payload, received_at)) == codes


def test_a_document_exactly_six_months_old_is_still_valid() -> None:
    documents = [
        document(k, "2026-01-01" if k == "kvk_extract" else "2026-05-04") for k in REQUIRED_2027
    ]
    [received] = handle(MemoryUnitOfWork(), submission(documents=documents), at(2026, 7, 1, 9))
    assert isinstance(received, InscriptionReceived)
    [rejected] = handle(MemoryUnitOfWork(), submission(documents=documents), at(2026, 7, 2, 9))
    assert isinstance(rejected, InscriptionRejected)


def test_amendment_withdrawal_and_the_close() -> None:
    store = MemoryUnitOfWork()
    first = handle(store, submission("33333333"), at(2026, 7, 1, 9))
    amended = handle(
        store,
        submission("33333333", regions=(("amsterdam", False), ("utrecht", False))),
        at(2026, 7, 2, 9),
    )
    assert isinstance(amended[0], InscriptionReceived) and amended[0].revision == 2
    assert amended[0].inscription_id == first[0].inscription_id  # type: ignore[attr-defined]
    [withdrawn] = handle(store, withdrawal("33333333"), at(2026, 7, 3, 9))
    assert isinstance(withdrawn, InscriptionWithdrawn)
    assert refusal_codes(handle(store, withdrawal("33333333"), at(2026, 7, 4, 9))) == [
        "not_inscribed"
    ]
    again = handle(store, submission("33333333"), at(2026, 7, 5, 9))
    assert isinstance(again[0], InscriptionReceived) and again[0].revision == 1
    assert refusal_codes(handle(store, withdrawal("33333333"), at(2026, 8, 1, 9))) == [
        "inscription_closed"
    ]
    assert refusal_codes(handle(store, submission("33333333"), at(2026, 8, 1, 9))) == [
        "inscription_closed"
    ]


def test_the_same_message_twice_is_one_event() -> None:
    store = MemoryUnitOfWork()
    payload = submission("44444444")
    assert len(handle(store, payload, at(2026, 7, 1, 9))) == 1
    assert handle(store, payload, at(2026, 7, 9, 9)) == []


def test_a_message_id_used_again_for_another_message_is_refused_once() -> None:
    store = MemoryUnitOfWork()
    first = submission("44444445")
    [received] = handle(store, first, at(2026, 7, 1, 9))
    assert isinstance(received, InscriptionReceived)
    other = {
        **submission("44444445", regions=(("utrecht", False),)),
        "message_id": first["message_id"],
    }
    [refused] = handle(store, other, at(2026, 7, 2, 9))
    assert isinstance(refused, InscriptionRejected)
    assert [(r.code, r.field) for r in refused.refusals] == [
        (RefusalCode.MESSAGE_ID_REUSED, "message_id")
    ]
    assert handle(store, other, at(2026, 7, 3, 9)) == []  # refused before: no second refusal
    assert handle(store, first, at(2026, 7, 3, 9)) == []  # the original: still no second effect


def test_an_attributable_malformed_message_is_rejected_and_an_anonymous_one_dead_lettered() -> None:
    store = MemoryUnitOfWork()
    broken = {**submission("55555555"), "regions": "amsterdam"}
    [rejected] = handle(store, broken, at(2026, 7, 1, 9))
    assert isinstance(rejected, InscriptionRejected)
    assert rejected.refusals[0].code is RefusalCode.MALFORMED
    assert "regions" in rejected.refusals[0].text and rejected.provider_id == "55555555"
    assert handle(store, broken, at(2026, 7, 1, 9)) == []
    with pytest.raises(DeadLetter) as dead:
        handle(store, b'{"hello": "world"}', at(2026, 7, 1, 9))
    assert dead.value.code == "malformed"


def rejection(events: list[Event]) -> InscriptionRejected:
    [rejected] = events
    assert isinstance(rejected, InscriptionRejected)
    return rejected


def test_a_rejection_names_the_regions_of_the_refused_message() -> None:
    store = MemoryUnitOfWork()
    two_regions = (("amsterdam", False), ("utrecht", False))
    late = submission("66666666", regions=two_regions)
    assert rejection(handle(store, late, at(2026, 8, 1, 9))).regions == ("amsterdam", "utrecht")

    handle(store, submission("66666667", regions=two_regions), at(2026, 7, 1, 9))
    refused_withdrawal = handle(store, withdrawal("66666667"), at(2026, 8, 1, 9))
    assert rejection(refused_withdrawal).regions == ("amsterdam", "utrecht"), (
        "a withdrawal names the regions of the inscription it concerns"
    )
    assert rejection(handle(store, withdrawal("66666668"), at(2026, 7, 1, 9))).regions == ()


def test_a_malformed_rejection_names_the_valid_region_codes_it_found_and_no_more() -> None:
    broken = {
        **submission("77777777"),
        "subcontractor_intent": "yes",
        "regions": [
            {"region_code": "amsterdam", "new_to_region": False},
            {"region_code": "Not A Code"},
            {"region_code": 7},
            "utrecht",
            {"region_code": "amsterdam"},
            *({"region_code": f"region-{index}"} for index in range(40)),
        ],
    }
    rejected = rejection(handle(MemoryUnitOfWork(), broken, at(2026, 7, 1, 9)))
    assert rejected.refusals[0].code is RefusalCode.MALFORMED
    # The first 31 entries are read: 26 of the generated regions follow the 5 above.
    assert rejected.regions == ("amsterdam", *(f"region-{index}" for index in range(26)))


def test_questions_until_the_deadline_and_the_nota() -> None:
    store = MemoryUnitOfWork()

    def ask(payload: dict[str, Any], received_at: datetime) -> list[Event]:
        return handle(store, payload, received_at, QUESTIONS)

    on_time = question()
    [received] = ask(on_time, at(2026, 6, 12, 12, 0, 0))
    assert received.type == "QuestionReceived"
    [late] = ask(question(), at(2026, 6, 12, 12, 0, 1))
    assert late.type == "QuestionRejected"
    assert late.refusals[0].code is RefusalCode.QUESTIONS_CLOSED  # type: ignore[attr-defined]
    assert "2026-06-12T12:00:00+02:00" in late.refusals[0].text  # type: ignore[attr-defined]
    office = "oco.office.zilveren-kruis.nota"
    [published] = handle(
        store, nota(on_time["question_id"]), at(2026, 6, 30, 23, 59, 59), NOTA, office
    )
    assert isinstance(published, NotaVanInlichtingenPublished)
    assert published.uitvoerder_code == "zilveren-kruis"
    [late] = handle(store, nota(on_time["question_id"]), at(2026, 7, 1, 0, 0), NOTA, office)
    assert isinstance(late, QuestionRejected)
    assert [(r.code, r.deadline) for r in late.refusals] == [
        (RefusalCode.NOTA_LATE, at(2026, 7, 1, 0, 0))
    ]


def test_authority_comes_from_the_subject_not_from_what_the_body_claims() -> None:
    store = MemoryUnitOfWork()
    [via_portal] = handle(store, nota("Q-1"), at(2026, 6, 30, 9), QUESTIONS, "oco.portal.question")
    assert isinstance(via_portal, QuestionRejected)
    assert [r.code for r in via_portal.refusals] == [RefusalCode.NOT_AUTHORISED]
    unknown_office = "oco.office.achmea.nota"
    [stranger] = handle(store, nota("Q-1"), at(2026, 6, 30, 9), NOTA, unknown_office)
    assert [r.code for r in stranger.refusals] == [RefusalCode.NOT_AUTHORISED]  # type: ignore[attr-defined]
    zorgkantoor = {**question(), "actor": {"kind": "zorgkantoor", "id": "zilveren-kruis"}}
    [asked] = handle(store, zorgkantoor, at(2026, 6, 10, 9), QUESTIONS, "oco.portal.question")
    assert [r.code for r in asked.refusals] == [RefusalCode.NOT_AUTHORISED]  # type: ignore[attr-defined]


def test_a_provider_acts_only_for_itself() -> None:
    store = MemoryUnitOfWork()
    [received] = handle(store, submission("33333334"), at(2026, 7, 1, 9))
    assert isinstance(received, InscriptionReceived)
    competitor = {**withdrawal("33333334"), "actor": {"kind": "provider", "id": "99999999"}}
    assert refusal_codes(handle(store, competitor, at(2026, 7, 2, 9))) == ["not_authorised"]
    posing = {**submission("33333335"), "actor": {"kind": "zorgkantoor", "id": "zilveren-kruis"}}
    assert refusal_codes(handle(store, posing, at(2026, 7, 2, 9))) == ["not_authorised"]
    [withdrawn] = handle(store, withdrawal("33333334"), at(2026, 7, 3, 9))
    assert isinstance(withdrawn, InscriptionWithdrawn)


@settings(max_examples=1000, deadline=None)
@given(payload=malformed_payloads())
def test_malformed_payloads_end_as_a_rejection_or_a_dead_letter(payload: bytes) -> None:
    store = MemoryUnitOfWork()
    try:
        events = handle(store, payload, datetime(2026, 7, 1, 9, tzinfo=UTC))
    except DeadLetter as dead:
        assert dead.code == "malformed" and dead.detail
        return
    # A mutation may leave a valid message (e.g. another string name): then it is judged.
    assert len(events) == 1
    if isinstance(events[0], InscriptionRejected):
        assert events[0].refusals and all(r.text for r in events[0].refusals)


def largest_submission(issued_on: str) -> bytes:
    """As many documents with names as long as the contract allows as fit in one message."""
    payload = submission("77777777")
    kinds = [*REQUIRED_2027, *(f"annex_{n}" for n in range(194))]
    payload["documents"] = [
        {
            **document(kind if kind in REQUIRED_2027 else "motivation", issued_on),
            "filename": "ë" * 500,
        }
        for kind in kinds
    ]
    body = json.dumps(payload, ensure_ascii=False).encode()
    while len(body) > MAX_MESSAGE_BYTES:
        payload["documents"].pop()
        body = json.dumps(payload, ensure_ascii=False).encode()
    return body


@pytest.mark.parametrize(
    ("issued_on", "outcome"),
    [("2026-05-04", InscriptionReceived), ("2025-01-01", InscriptionRejected)],
)
def test_the_largest_event_a_valid_message_can_produce_fits_the_broker_with_margin(
    issued_on: str, outcome: type[Event]
) -> None:
    body = largest_submission(issued_on)
    [event] = handle(MemoryUnitOfWork(), body, at(2026, 7, 1, 9))
    assert isinstance(event, outcome)
    size = len(event.model_dump_json().encode())
    assert size <= MAX_EVENT_BYTES < 1024 * 1024 - 64 * 1024, (size, len(body))


def test_a_decision_whose_event_would_not_fit_becomes_a_too_large_refusal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from oco_shared import handling

    monkeypatch.setattr(handling, "MAX_EVENT_BYTES", 2_000)
    [refused] = handle(MemoryUnitOfWork(), submission("77777778"), at(2026, 7, 1, 9))
    assert isinstance(refused, InscriptionRejected)
    assert [r.code for r in refused.refusals] == [RefusalCode.TOO_LARGE]
