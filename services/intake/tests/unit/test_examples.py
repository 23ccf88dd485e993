"""The contract's examples are messages a portal may copy: each one is accepted in its round.

Today's example of every intake message, in the AsyncAPI document a portal builds from,
and the same example made for each round (`oco portal send --example TYPE --round R`),
is judged by intake's own handlers at the time it says it was sent.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from oco_intake.asyncapi import DOCUMENT_PATH
from oco_intake.entrypoints.subjects import SUBSCRIPTIONS
from oco_shared.contract.base import Event, RehearsalMark
from oco_shared.contract.examples import ROUND_EXAMPLES, NoExample, message_example
from oco_shared.handling import Incoming, MemoryUnitOfWork, Route, decide_one
from oco_shared.procedure_time import ProcedureInstant
from oco_shared.rounds import available_rounds

INSCRIPTIONS, QUESTIONS, NOTA = (subscription.route for subscription in SUBSCRIPTIONS)
ROUTE_OF: dict[str, tuple[Route, str]] = {
    "SubmitInscription": (INSCRIPTIONS, "oco.portal.inscription"),
    "WithdrawInscription": (INSCRIPTIONS, "oco.portal.inscription"),
    "SubmitQuestion": (QUESTIONS, "oco.portal.question"),
    "PublishNotaVanInlichtingen": (NOTA, "oco.office.{office}.nota"),
}


def judged(uow: MemoryUnitOfWork, message: dict[str, Any]) -> list[Event]:
    """The message through intake's decision path, received when it says it was sent."""
    route, subject = ROUTE_OF[message["type"]]
    incoming = Incoming(
        "OCO_PORTAL",
        1,
        subject.format(office=message["actor"]["id"]),
        json.dumps(message).encode(),
        {},
        datetime.fromisoformat(message["sent_at"]),
    )
    decision = decide_one(route, incoming, uow, lambda i: ProcedureInstant(i.received_at))
    assert decision.dead_letter is None
    return [new.event for new in decision.events]


def accepted(events: list[Event]) -> bool:
    return bool(events) and not any(event.type.endswith("Rejected") for event in events)


def test_every_portal_example_in_the_asyncapi_document_is_accepted() -> None:
    document = json.loads(DOCUMENT_PATH.read_text())
    examples = {
        name: message["examples"][0]["payload"]
        for name, message in document["components"]["messages"].items()
        if name in ROUTE_OF
    }
    assert set(examples) == set(ROUTE_OF)
    uow = MemoryUnitOfWork()
    inscription = judged(uow, examples["SubmitInscription"])
    assert [event.type for event in inscription] == ["InscriptionReceived"]
    withdrawal = {**examples["WithdrawInscription"], "message_id": str(uuid.uuid4())}
    assert accepted(judged(uow, withdrawal))
    # The examples share one message_id: each is a first message of its own portal.
    assert accepted(judged(MemoryUnitOfWork(), examples["SubmitQuestion"]))
    assert accepted(judged(MemoryUnitOfWork(), examples["PublishNotaVanInlichtingen"]))


# 2018-2020 had no round of questions and no Nota van Inlichtingen (002_ecc96e9cc94e3a31.txt,
# timetable): there is no such example to send in that round.
WITHOUT_QUESTIONS = {("2018-2020", "SubmitQuestion"), ("2018-2020", "PublishNotaVanInlichtingen")}
EXAMPLES_BY_ROUND = [
    (round_id, type_name)
    for round_id in available_rounds()
    for type_name in sorted(ROUND_EXAMPLES)
    if (round_id, type_name) not in WITHOUT_QUESTIONS
]


@pytest.mark.parametrize(("round_id", "type_name"), sorted(WITHOUT_QUESTIONS))
def test_a_round_without_questions_has_no_question_example(round_id: str, type_name: str) -> None:
    with pytest.raises(NoExample, match=round_id):
        message_example(type_name, round_id)


@pytest.mark.parametrize(("round_id", "type_name"), EXAMPLES_BY_ROUND)
def test_each_rounds_example_is_accepted_inside_that_rounds_window(
    round_id: str, type_name: str
) -> None:
    message = message_example(type_name, round_id)
    uow = MemoryUnitOfWork()
    if type_name == "WithdrawInscription":
        assert accepted(judged(uow, message_example("SubmitInscription", round_id)))
    events = judged(uow, message)
    assert accepted(events), [getattr(event, "refusals", None) for event in events]
    assert {event.round_id for event in events} == {round_id}


def test_every_event_records_the_brokers_time_and_the_rehearsal_it_was_judged_on() -> None:
    example = message_example("SubmitInscription")
    broker_time = datetime.fromisoformat("2026-12-01T21:00:00+00:00")
    mark = RehearsalMark(
        rehearsal_id=uuid.uuid4(),
        round_id="2027-2028",
        epoch=broker_time - timedelta(minutes=1),
        start=datetime.fromisoformat(example["sent_at"]),
        rate=1.0,
    )
    procedure = datetime.fromisoformat(example["sent_at"]) + timedelta(minutes=1)
    incoming = Incoming(
        "OCO_PORTAL", 1, "oco.portal.inscription", json.dumps(example).encode(), {}, broker_time
    )
    decision = decide_one(
        INSCRIPTIONS, incoming, MemoryUnitOfWork(), lambda i: ProcedureInstant(procedure, mark)
    )
    [received] = [new.event for new in decision.events]
    assert received.type == "InscriptionReceived"
    assert received.occurred_at == procedure and received.broker_time == broker_time
    assert received.rehearsal == mark
