"""Contracting against a real nats-server and PostgreSQL: assessment's and the objection
service's events and the zorgkantoor's acts in, signatures and refusals out on the
contracting stream, the read model through `oco contracts list`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from typing import Any

import asyncpg
import pytest
from contracting_support import (
    ZK,
    act,
    at,
    case_opened,
    kort_geding_filed,
    objection_answered,
    objection_filed,
    outcome,
    report,
    selection_published,
    window_closed,
)
from oco_shared.messaging.region_history import region_histories
from plumbing_support import Isolation, Servers
from zorgkantoor_support import Running, Zorgkantoor

pytestmark = pytest.mark.integration


def codes(event: dict[str, Any]) -> list[str]:
    assert event["type"] in ("ContractRefused", "ContractingRefused"), event
    return [refusal["code"] for refusal in event["refusals"]]


def sign(provider: str, round_id: str = "2027-2028", new_to_oco: bool = False) -> dict[str, Any]:
    return act(
        "SignContract",
        round_id,
        provider_id=provider,
        region_code="amsterdam",
        new_to_oco=new_to_oco,
    )


async def selected(
    zorgkantoor: Zorgkantoor,
    parties: dict[str, bool],
    places: int,
    round_id: str = "2027-2028",
) -> dict[str, Any]:
    """Assessment's cases and the region's published selection, all parties selected."""
    for provider, new in parties.items():
        await zorgkantoor.event_of(
            "assessment",
            case_opened(provider, round_id=round_id, new_to_region=new),
            at(2026, 8, 3, 10),
        )
    published = selection_published(
        [outcome(provider) for provider in parties], places=places, round_id=round_id
    )
    await zorgkantoor.event_of("assessment", published, at(2026, 9, 18, 12))
    return published


async def test_a_signature_waits_for_the_windows_and_the_answers_and_the_places_hold(
    zorgkantoor: Zorgkantoor, servers: Servers, isolation: Isolation
) -> None:
    published = await selected(zorgkantoor, {"10000001": False}, places=1)
    await zorgkantoor.noted(published)

    before_close = sign("10000001")
    await zorgkantoor.act(ZK, before_close, at(2026, 9, 30, 10))
    assert codes(await zorgkantoor.outcome_of(before_close)) == [
        "objection_windows_open",
        "outside_contracting_period",
    ]

    filed = objection_filed(published, "10000003")
    await zorgkantoor.event_of("objection", filed, at(2026, 10, 2, 12))
    closed = window_closed(published)
    await zorgkantoor.event_of("objection", closed, at(2026, 10, 3, 0, 0, 5))
    await zorgkantoor.noted(closed)
    unanswered = sign("10000001")
    await zorgkantoor.act(ZK, unanswered, at(2026, 10, 5, 10))
    assert codes(await zorgkantoor.outcome_of(unanswered)) == ["objection_not_answered"]

    answered = objection_answered(filed)
    await zorgkantoor.event_of("objection", answered, at(2026, 10, 15, 12))
    # The dismissed objector goes to court; the round gives a kort geding no suspensive effect.
    kort_geding = kort_geding_filed(filed, suspends=False)
    await zorgkantoor.event_of("objection", kort_geding, at(2026, 10, 20, 12))
    await zorgkantoor.noted(kort_geding)
    during_kort_geding = sign("10000001", new_to_oco=False)
    await zorgkantoor.act(ZK, during_kort_geding, at(2026, 10, 21, 10))
    contract = await zorgkantoor.outcome_of(during_kort_geding)
    assert contract["type"] == "ContractSigned", contract
    assert (contract["starts_on"], contract["ends_on"], contract["hourly_tariff"]) == (
        "2027-01-01",
        "2028-12-31",
        "92.90",
    )

    # The court has 10000002 selected for the one place: edition 2, whose windows close
    # in turn; the place is taken by the contract already signed.
    second = selection_published(
        [outcome("10000001", selected=False), outcome("10000002")], places=1, edition=2
    )
    await zorgkantoor.event_of("assessment", second, at(2026, 11, 2, 10))
    second_closed = window_closed(second)
    await zorgkantoor.event_of("objection", second_closed, at(2026, 11, 17))
    await zorgkantoor.noted(second_closed)
    await zorgkantoor.noted(second)
    beyond = sign("10000002")
    await zorgkantoor.act(ZK, beyond, at(2026, 11, 20, 10))
    assert codes(await zorgkantoor.outcome_of(beyond)) == ["region_full"]

    listed = await listed_contracts(servers, isolation)
    [shown] = listed["regions"]["amsterdam"]
    assert shown["provider_id"] == "10000001"
    assert shown["years"][0]["ceiling"] == "125000.00"
    status, out, _ = oco(servers, isolation, "contracts", "list", "--round", "2027-2028")
    assert status == 0
    assert "amsterdam 10000001 Aanbieder 10000001: 2027-01-01 to 2028-12-31" in out
    assert "2027: ceiling 125000.00 (provisional), paid 0.00, left 125000.00" in out
    status, out, _ = oco(
        servers, isolation, "contracts", "list", "--round", "2027-2028", "--region", "utrecht"
    )
    assert (status, out.strip()) == (0, "no contracts in 2027-2028 utrecht")
    status, _, err = oco(servers, isolation, "contracts", "list", "--round", "1999")
    assert status == 2 and "1999" in err


async def test_2018_2020_no_contract_before_the_standstill_ends_on_12_october_17_00(
    zorgkantoor: Zorgkantoor,
) -> None:
    published = await selected(zorgkantoor, {"10000001": False}, places=4, round_id="2018-2020")
    closed = window_closed(published)
    await zorgkantoor.event_of("objection", closed, at(2017, 9, 29, 17, 0, 5))
    await zorgkantoor.noted(closed)
    early = sign("10000001", "2018-2020")
    await zorgkantoor.act(ZK, early, at(2017, 10, 12, 16, 59))
    refused = await zorgkantoor.outcome_of(early)
    assert codes(refused) == ["standstill"]
    assert refused["refusals"][0]["deadline"] == "2017-10-12T17:00:01+02:00"
    in_time = sign("10000001", "2018-2020")
    await zorgkantoor.act(ZK, in_time, at(2017, 10, 12, 17, 1))
    contract = await zorgkantoor.outcome_of(in_time)
    assert (contract["type"], contract["ends_on"]) == ("ContractSigned", "2020-12-31")


async def test_production_that_threatens_the_ceiling_and_a_reallocation_beyond_the_budget(
    zorgkantoor: Zorgkantoor,
) -> None:
    published = await selected(zorgkantoor, {"10000001": False, "10000002": False}, places=2)
    closed = window_closed(published)
    await zorgkantoor.event_of("objection", closed, at(2026, 10, 3, 0, 0, 5))
    await zorgkantoor.noted(closed)
    for provider in ("10000001", "10000002"):
        signature = sign(provider)
        await zorgkantoor.act(ZK, signature, at(2026, 10, 19, 10))
        assert (await zorgkantoor.outcome_of(signature))["type"] == "ContractSigned"
    ceilings = act(
        "SetBudgetCeilings",
        region_code="amsterdam",
        year=2027,
        region_budget="300000.00",
        ceilings=[
            {"provider_id": "10000001", "amount": "150000.00"},
            {"provider_id": "10000002", "amount": "140000.00"},
        ],
    )
    await zorgkantoor.act(ZK, ceilings, at(2027, 2, 1, 10))
    assert [e["type"] for e in await zorgkantoor.caused_by(ceilings)] == ["BudgetCeilingSet"] * 2

    heavy = report(
        "ReportProduction",
        "10000001",
        region_code="amsterdam",
        year=2027,
        month=1,
        hours=[{"service": 1, "hours": "900.00"}, {"service": 2, "hours": "600.00"}],
    )
    await zorgkantoor.portal(heavy, at(2027, 2, 3, 9))
    events = await zorgkantoor.until(
        lambda events: any(e["type"] == "BudgetOverrunThreatened" for e in events)
    )
    [threat] = [e for e in events if e["type"] == "BudgetOverrunThreatened"]
    assert (threat["provider_id"], threat["ceiling"]) == ("10000001", "150000.00")
    assert threat["projected_year_amount"] == "1672200.00"  # 1,500 h x 92.90 x 12

    too_much = act(
        "ReallocateBudget",
        region_code="amsterdam",
        year=2027,
        ceilings=[{"provider_id": "10000001", "amount": "170000.00"}],
        reason="Dreigende overschrijding bij 10000001.",
        review_month=6,
    )
    await zorgkantoor.act(ZK, too_much, at(2027, 6, 15, 10))
    assert codes(await zorgkantoor.outcome_of(too_much)) == ["region_budget_exceeded"]


def oco(servers: Servers, isolation: Isolation, *args: str) -> tuple[int, str, str]:
    """`oco` as an operator runs it, against this test's schema."""
    done = subprocess.run(
        [sys.executable, "-m", "oco_shared.cli", *args],
        env=isolation.env(servers),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout, done.stderr


async def listed_contracts(servers: Servers, isolation: Isolation) -> dict[str, Any]:
    """`oco contracts list --json`, once the read model holds a contract."""
    schema = f"{isolation.schema_prefix}contracting"
    deadline = time.monotonic() + 60
    while True:
        try:
            histories = await region_histories(servers.database_url, schema, "2027-2028", None)
        except asyncpg.UndefinedTableError:
            histories = {}
        if any(e["type"] == "ContractSigned" for events in histories.values() for e in events):
            break
        assert time.monotonic() < deadline, "the read model has no contract"
        await asyncio.sleep(0.1)
    status, out, err = oco(
        servers, isolation, "contracts", "list", "--round", "2027-2028", "--json"
    )
    assert status == 0, err
    listed: dict[str, Any] = json.loads(out)
    return listed


async def test_an_overdue_bcmb_obligation_is_raised_once_across_a_restart_only_for_one_new_to_oco(
    zorgkantoor: Zorgkantoor, running: Running
) -> None:
    # 10000001 is new to OCO (and to the region); 10000002 was contracted here before.
    published = await selected(zorgkantoor, {"10000001": True, "10000002": False}, places=2)
    closed = window_closed(published)
    await zorgkantoor.event_of("objection", closed, at(2026, 10, 3, 0, 0, 5))
    await zorgkantoor.noted(closed)
    contracts = {}
    for provider, new_to_oco in (("10000001", True), ("10000002", False)):
        signature = sign(provider, new_to_oco=new_to_oco)
        await zorgkantoor.act(ZK, signature, at(2026, 10, 19, 10))
        contracts[provider] = await zorgkantoor.outcome_of(signature)
    bcmb = [o for o in contracts["10000001"]["obligations"] if o["kind"] == "bcmb_membership"]
    assert [o["due_at"] for o in bcmb] == ["2027-05-02T00:00:00+02:00"]
    assert not any(o["kind"] == "bcmb_membership" for o in contracts["10000002"]["obligations"])

    running.clock.set(at(2027, 5, 1, 23, 59, 59))  # the last second in time
    await running.settled()
    assert overdue_bcmb(await zorgkantoor.published()) == []
    await running.stop()

    running.clock.set(at(2027, 5, 3, 9))  # the due date passed while the service was down
    await running.start()
    events = await zorgkantoor.until(lambda events: len(overdue_bcmb(events)) == 1)
    [overdue] = overdue_bcmb(events)
    assert (overdue["provider_id"], overdue["occurred_at"]) == (
        "10000001",
        "2027-05-02T00:00:00+02:00",
    )
    await running.stop()
    await running.start()  # and again: nothing new
    await running.settled()
    await asyncio.sleep(1.0)  # a second one would be relayed by now
    assert overdue_bcmb(await zorgkantoor.published()) == [overdue]


def overdue_bcmb(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        e for e in events if e["type"] == "ObligationOverdue" and e["kind"] == "bcmb_membership"
    ]
