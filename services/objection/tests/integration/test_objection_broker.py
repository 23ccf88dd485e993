"""The objection service against a real nats-server and PostgreSQL: assessment's
publication, the portal's objections and kort gedingen and the offices' answers in; the
decisions, and the deadlines passing, out on the objection stream."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from datetime import date, datetime
from typing import Any

import pytest
from desk_support import Desk, Documents, Running, of_type
from objection_support import ZK, answer, at, kort_geding, objection, selection_published
from oco_objection.domain.model import objection_id_of
from oco_shared.contract.examples import EXAMPLES
from plumbing_support import stored_event_count
from ticking_support import ticker_settled

pytestmark = pytest.mark.integration

REJECTED, SELECTED = "10000001", "10000002"


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def codes(event: dict[str, Any]) -> list[str]:
    return [refusal["code"] for refusal in event["refusals"]]


def closings(events: Documents) -> list[tuple[str, str | None, datetime]]:
    return sorted(
        (e["scope"], e["provider_id"], instant(e["occurred_at"]))
        for e in of_type(events, "ObjectionWindowClosed")
    )


async def test_2027_objection_window_answer_and_kort_geding_at_their_boundary_seconds(
    desk: Desk, running: Running
) -> None:
    await desk.published(
        selection_published({REJECTED: "rejected", SELECTED: "selected"}, at(2026, 9, 18, 12)),
        at(2026, 9, 18, 12),
    )
    in_time, late = objection(REJECTED), objection(REJECTED)
    wrong_channel = objection(REJECTED, channel="secretariaat@zorgkantoor.example")
    stranger, on_behalf = objection("99999999"), objection(REJECTED, sender=SELECTED)
    await desk.portal(in_time, at(2026, 10, 2, 23, 59, 59))
    await desk.portal(late, at(2026, 10, 3, 0, 0, 0))
    for refused in (wrong_channel, stranger, on_behalf):
        await desk.portal(refused, at(2026, 9, 25, 10))

    filed = await desk.decided(in_time)
    assert filed["type"] == "ObjectionFiled"
    assert instant(filed["window_closes_at"]) == at(2026, 10, 3)
    rejected = await desk.decided(late)
    assert rejected["type"] == "ObjectionRejected" and codes(rejected) == ["window_closed"]
    assert instant(rejected["refusals"][0]["deadline"]) == at(2026, 10, 3)
    assert codes(await desk.decided(wrong_channel)) == ["wrong_channel"]
    assert codes(await desk.decided(stranger)) == ["not_a_party"]
    assert codes(await desk.decided(on_behalf)) == ["not_a_party"]

    given = answer(filed["objection_id"])
    await desk.office(ZK, given, at(2026, 10, 16, 15))
    answered = await desk.decided(given)
    assert answered["type"] == "ObjectionAnswered" and answered["late"] is False
    assert answered["kort_geding_closes_at"] == "2026-10-31T00:00:00+01:00"

    registered = kort_geding(REJECTED, date(2026, 10, 30))
    too_late = kort_geding(REJECTED, date(2026, 10, 30))
    await desk.portal(registered, instant("2026-10-30T23:59:00+01:00"))
    await desk.portal(too_late, at(2026, 10, 31, 0, 0))
    in_term = await desk.decided(registered)
    assert in_term["type"] == "KortGedingFiled" and in_term["suspends_procedure"] is False
    out_of_term = await desk.decided(too_late)
    assert codes(out_of_term) == ["kort_geding_out_of_time"]
    assert out_of_term["refusals"][0]["deadline"] == "2026-10-31T00:00:00+01:00"

    # The ticker: nothing before the windows close, then each deadline once at its instant.
    running.clock.set(at(2026, 10, 2, 23, 59, 59))
    assert running.service is not None
    ready = await running.service.readiness()
    assert ready["tasks"]["ticker:objection"]["state"] == "running"
    running.clock.set(at(2026, 11, 2))
    events = await desk.until(lambda e: len(of_type(e, "KortGedingTermClosed")) == 1)
    assert closings(events) == [
        ("party", REJECTED, at(2026, 10, 3)),
        ("party", SELECTED, at(2026, 10, 3)),
        ("region", None, at(2026, 10, 3)),
    ]
    [term] = of_type(events, "KortGedingTermClosed")
    assert (term["objection_id"], term["kort_gedingen_filed"]) == (filed["objection_id"], 1)
    assert of_type(events, "ObjectionAnswerOverdue") == []  # answered on the last day

    # The operator's listing: the objection's state and every deadline, rule and section.
    [listed] = await listing(running, "--region", "amsterdam", until_kort_gedingen=1)
    assert (listed["objection_id"], listed["state"]) == (filed["objection_id"], "dismissed")
    terms = {term["code"]: term for term in listed["deadlines"]}
    assert list(terms) == ["objection", "objection_answer", "kort_geding"]
    assert terms["objection"]["closes_at"] == "2026-10-03T00:00:00+02:00"
    assert terms["objection_answer"]["closes_at"] == "2026-10-17T00:00:00+02:00"
    assert terms["kort_geding"]["last_second_in_time"] == "2026-10-30T23:59:59+01:00"
    assert all(t["source"].startswith("000_d8e1bdfab127271e.txt 6") for t in terms.values())
    assert "14 calendar days after objection_answered (2026-10-16)" in terms["kort_geding"]["rule"]


async def test_a_late_publication_moves_the_window_and_an_unanswered_objection_falls_overdue(
    desk: Desk, running: Running
) -> None:
    await desk.published(
        selection_published({REJECTED: "rejected"}, at(2026, 9, 25, 9), region="zwolle"),
        at(2026, 9, 25, 9),
    )
    after_the_published_date = objection(REJECTED, region="zwolle")
    await desk.portal(after_the_published_date, at(2026, 10, 9, 23, 59, 59))
    filed = await desk.decided(after_the_published_date)
    assert instant(filed["window_closes_at"]) == at(2026, 10, 10)
    running.clock.set(at(2026, 10, 9, 23, 59, 59))
    await ticker_settled(running.service)
    assert of_type(await desk.events(), "ObjectionWindowClosed") == []  # not on 2 October
    running.clock.set(at(2026, 10, 17, 0, 0, 1))
    events = await desk.until(lambda e: len(of_type(e, "ObjectionAnswerOverdue")) == 1)
    [overdue] = of_type(events, "ObjectionAnswerOverdue")
    assert overdue["objection_id"] == filed["objection_id"]
    assert instant(overdue["occurred_at"]) == at(2026, 10, 17)
    assert closings(events) == [
        ("party", REJECTED, at(2026, 10, 10)),
        ("region", None, at(2026, 10, 10)),
    ]


async def test_2018_objection_until_17_00_00_and_a_kort_geding_20_days_from_the_outcome(
    desk: Desk,
) -> None:
    await desk.published(
        selection_published({REJECTED: "rejected"}, at(2017, 9, 15, 12), round_id="2018-2020"),
        at(2017, 9, 15, 12),
    )
    on_the_second = objection(REJECTED, round_id="2018-2020")
    a_second_late = objection(REJECTED, round_id="2018-2020")
    await desk.portal(on_the_second, at(2017, 9, 29, 17, 0, 0))
    await desk.portal(a_second_late, at(2017, 9, 29, 17, 0, 1))
    assert (await desk.decided(on_the_second))["type"] == "ObjectionFiled"
    refused = await desk.decided(a_second_late)
    assert codes(refused) == ["window_closed"]
    assert instant(refused["refusals"][0]["deadline"]) == at(2017, 9, 29, 17, 0, 1)

    in_term = kort_geding(REJECTED, date(2017, 10, 5), round_id="2018-2020")
    out_of_term = kort_geding(REJECTED, date(2017, 10, 5), round_id="2018-2020")
    await desk.portal(in_term, at(2017, 10, 5, 23, 59, 59))
    await desk.portal(out_of_term, at(2017, 10, 6, 0, 0))
    filed = await desk.decided(in_term)
    assert filed["type"] == "KortGedingFiled" and instant(filed["closes_at"]) == at(2017, 10, 6)
    assert codes(await desk.decided(out_of_term)) == ["kort_geding_out_of_time"]


async def test_a_restart_across_the_deadline_closes_each_window_exactly_once(
    desk: Desk, running: Running
) -> None:
    await desk.published(
        selection_published({REJECTED: "rejected", SELECTED: "selected"}, at(2026, 9, 18, 12)),
        at(2026, 9, 18, 12),
    )
    before = objection(REJECTED)
    await desk.portal(before, at(2026, 10, 1, 12))
    await desk.decided(before)
    running.clock.set(at(2026, 10, 2, 23, 59, 59))
    await ticker_settled(running.service)
    assert of_type(await desk.events(), "ObjectionWindowClosed") == []
    await running.stop()

    running.clock.set(at(2026, 10, 3, 9))  # the deadline passed while the service was down
    await running.start()
    events = await desk.until(lambda e: len(of_type(e, "ObjectionWindowClosed")) == 3)
    assert {c[2] for c in closings(events)} == {at(2026, 10, 3)}
    await running.stop()
    await running.start()  # and again: nothing new
    await ticker_settled(running.service)
    await asyncio.sleep(1.0)  # a second closing would be relayed now
    assert closings(await desk.events()) == closings(events)
    schema = f"{running.isolation.schema_prefix}objection"
    assert stored_event_count(running.servers, schema) == len(await desk.events())


async def test_what_arrives_on_three_subjects_is_judged_in_the_order_it_was_received(
    desk: Desk, running: Running
) -> None:
    """A backlog after an outage: assessment's events (many, then the publication), the
    objection, its answer and the kort geding, each received after the one it follows
    but on another subject, so on another consumer of its own pace."""
    await running.stop()
    for _ in range(120):
        await desk.published(
            {**EXAMPLES["AssessmentRefused"], "event_id": str(uuid.uuid4())}, opened=False
        )
    publication = selection_published({REJECTED: "rejected"}, at(2026, 9, 18, 12))
    await desk.published(publication, at(2026, 9, 18, 12), opened=False)
    filed = objection(REJECTED)
    await desk.portal(filed, at(2026, 9, 30, 10))
    given = answer(str(objection_id_of(uuid.UUID(filed["message_id"]))))
    await desk.office(ZK, given, at(2026, 10, 16, 15))
    started = kort_geding(REJECTED, date(2026, 10, 20))
    await desk.portal(started, at(2026, 10, 20, 9))

    await running.start(consumer_batch_size=4)  # assessment's backlog takes a while
    assert (await desk.decided(filed, timeout=120))["type"] == "ObjectionFiled"
    assert (await desk.decided(given))["type"] == "ObjectionAnswered"
    assert (await desk.decided(started))["type"] == "KortGedingFiled"


async def listing(
    running: Running, *arguments: str, until_kort_gedingen: int, timeout: float = 60
) -> list[dict[str, Any]]:
    """`oco objection list --json` as an operator runs it, once the read model shows the
    kort gedingen awaited (it follows the log in its own time)."""
    deadline = time.monotonic() + timeout
    command = [sys.executable, "-m", "oco_shared.cli", "objection", "list"]
    while True:
        done = await asyncio.to_thread(
            subprocess.run,
            [*command, "--round", "2027-2028", *arguments, "--json"],
            env=running.isolation.env(running.servers),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        listed: list[dict[str, Any]] = json.loads(done.stdout)
        if sum(len(o["kort_gedingen"]) for o in listed) >= until_kort_gedingen:
            return listed
        assert time.monotonic() < deadline, "the read model did not follow the log"
        await asyncio.sleep(0.2)
