"""The objection service and contracting together on a real broker and database: a
region's contract waits for the objection service's own events (the region's windows
closed by its ticker, the answer to a filed objection), not for events a test wrote."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import nats
import pytest
from contracting_support import ZK, act, at, case_opened, outcome, selection_published
from nats.js import JetStreamContext
from oco_contracting.bootstrap import bootstrap as contracting
from oco_objection.bootstrap import bootstrap as objection
from oco_shared.clock import FixedClock
from plumbing_support import Isolation, ScriptedReceipt, Servers, stream_documents
from zorgkantoor_support import Zorgkantoor

pytestmark = pytest.mark.integration

CHANNEL = "zorginkoopwz.OUK@zilverenkuis.nl"


async def objection_events(js: JetStreamContext, isolation: Isolation) -> list[dict[str, Any]]:
    topology = isolation.topology
    return await stream_documents(
        js, topology.service_stream("objection"), topology.service_subjects("objection")
    )


async def until_objection(
    js: JetStreamContext, isolation: Isolation, type_name: str, timeout: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = [e for e in await objection_events(js, isolation) if e["type"] == type_name]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"the objection service published no {type_name}"
        await asyncio.sleep(0.1)


def portal_message(type_name: str, provider: str, **fields: Any) -> dict[str, Any]:
    message = act(type_name, **fields)
    return {**message, "actor": {"kind": "provider", "id": provider}}


async def test_a_contract_follows_the_objection_services_own_closing_and_answer(
    servers: Servers, isolation: Isolation
) -> None:
    receipt, clock = ScriptedReceipt(), FixedClock(at(2026, 9, 18, 12))
    settings = isolation.settings(servers, tick_seconds=0.1)
    services = [
        objection(settings, receipt=receipt, tick_clock=clock),
        contracting(settings, receipt=receipt, tick_clock=clock),
    ]
    for service in services:
        await service.start()
    connection = await nats.connect(servers.nats_url)
    js = connection.jetstream()
    zorgkantoor = Zorgkantoor(js, isolation, receipt)
    try:
        await zorgkantoor.event_of("assessment", case_opened("10000001"), at(2026, 8, 3, 10))
        published = selection_published(
            [outcome("10000001"), outcome("10000002", selected=False)], places=1
        )
        await zorgkantoor.event_of("assessment", published, at(2026, 9, 18, 12))
        await until_objection(js, isolation, "ObjectionWindowOpened")

        objecting = portal_message(
            "SubmitObjection",
            "10000002",
            provider_id="10000002",
            region_code="amsterdam",
            channel=CHANNEL,
            grounds="De ervaring in de regio is onjuist gewogen.",
        )
        receipt.times[objecting["message_id"]] = at(2026, 10, 1, 12)
        await js.publish(
            isolation.topology.portal_subject("objection"),
            json.dumps(objecting).encode(),
            stream=isolation.topology.portal_stream,
            headers={"Nats-Msg-Id": objecting["message_id"]},
        )
        filed = await until_objection(js, isolation, "ObjectionFiled")

        clock.set(at(2026, 10, 3, 9))  # the objection service's ticker closes the windows
        await zorgkantoor.until(
            lambda events: any(
                e["type"] == "ProcedureNoted" and e["source_type"] == "ObjectionWindowClosed"
                for e in events
            )
        )
        unanswered = act(
            "SignContract", provider_id="10000001", region_code="amsterdam", new_to_oco=False
        )
        await zorgkantoor.act(ZK, unanswered, at(2026, 10, 5, 10))
        refused = await zorgkantoor.outcome_of(unanswered)
        assert [r["code"] for r in refused["refusals"]] == ["objection_not_answered"]

        answer = act(
            "AnswerObjection",
            objection_id=filed["objection_id"],
            decision="dismissed",
            answer="Het bezwaar is ongegrond.",
        )
        receipt.times[answer["message_id"]] = at(2026, 10, 15, 12)
        await js.publish(
            isolation.topology.office_subject(ZK, "objection"),
            json.dumps(answer).encode(),
            stream=isolation.topology.office_stream,
            headers={"Nats-Msg-Id": answer["message_id"]},
        )
        await zorgkantoor.until(
            lambda events: any(
                e["type"] == "ProcedureNoted" and e["source_type"] == "ObjectionAnswered"
                for e in events
            )
        )
        answered = act(
            "SignContract", provider_id="10000001", region_code="amsterdam", new_to_oco=False
        )
        await zorgkantoor.act(ZK, answered, at(2026, 10, 19, 10))
        contract = await zorgkantoor.outcome_of(answered)
        assert contract["type"] == "ContractSigned", contract
        assert contract["selection_event_id"] == published["event_id"]
    finally:
        await connection.close()
        for service in services:
            await service.stop()
