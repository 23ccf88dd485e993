"""Intake against a real nats-server and PostgreSQL, fed as a portal would feed it.

Portals publish JSON on `<prefix>.portal.inscription` and `<prefix>.portal.question`;
the outcomes are read from the intake stream. The broker stamps receipt times now, not
in July 2026, so the receipt-time port maps each message id to the instant the scenario
needs; everything else (broker, stream, consumer, store, relay) is real.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
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
from oco_intake.adapters.readmodel import list_inscriptions
from plumbing_support import Isolation, Servers
from portal_support import Portal

pytestmark = pytest.mark.integration


def by_cause(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {event["causation_id"]: event for event in events}


def codes(event: dict[str, Any]) -> list[str]:
    return [refusal["code"] for refusal in event["refusals"]]


async def test_portal_submissions_end_as_received_or_rejected_with_every_reason(
    portal: Portal, servers: Servers, isolation: Isolation
) -> None:
    cases: list[tuple[dict[str, Any], datetime, str, list[str]]] = [
        (submission("10000001"), at(2026, 7, 15, 10, 0), "InscriptionReceived", []),
        (submission("10000002"), at(2026, 7, 31, 17, 0, 0), "InscriptionReceived", []),
        (
            submission("10000003", sent_at=at(2026, 7, 31, 16, 58)),
            at(2026, 7, 31, 17, 0, 1),
            "InscriptionRejected",
            ["inscription_closed"],
        ),
        (
            submission("10000004"),
            at(2026, 5, 31, 12, 0),
            "InscriptionRejected",
            ["inscription_not_open"],
        ),
        (
            submission("10000005", uitvoerder="achmea"),
            at(2026, 7, 1, 9),
            "InscriptionRejected",
            ["unknown_uitvoerder"],
        ),
        (
            submission("10000006", regions=(("amsterdam", False), ("zeeland", False))),
            at(2026, 7, 1, 9),
            "InscriptionRejected",
            ["region_not_served", "regions_of_several_uitvoerders"],
        ),
        (
            submission(
                "10000007", documents=[document(k) for k in REQUIRED_2027 if k != "ubo_extract"]
            ),
            at(2026, 7, 1, 9),
            "InscriptionRejected",
            ["document_missing"],
        ),
        (
            submission(
                "10000008",
                documents=[
                    document(k, "2025-11-30" if k == "vog_rp" else "2026-05-04")
                    for k in REQUIRED_2027
                ],
            ),
            at(2026, 7, 1, 9),
            "InscriptionRejected",
            ["document_too_old"],
        ),
        (
            submission(
                "10000009",
                documents=[
                    document(k, searchable=k != "bestuursverklaring") for k in REQUIRED_2027
                ],
            ),
            at(2026, 7, 1, 9),
            "InscriptionRejected",
            ["document_not_searchable"],
        ),
        (
            submission("10000010", consortium=True),
            at(2026, 7, 1, 9),
            "InscriptionRejected",
            ["joint_liability_missing"],
        ),
        (
            submission("10000011", regions=(("amsterdam", True),)),
            at(2026, 7, 1, 9),
            "InscriptionRejected",
            ["implementation_plan_missing"],
        ),
        (
            {**submission("10000012"), "documents": "see attachment"},
            at(2026, 7, 1, 9),
            "InscriptionRejected",
            ["malformed"],
        ),
    ]
    for payload, received_at, _, _ in cases:
        await portal.publish("inscription", payload, received_at)
    await portal.publish(
        "inscription", cases[0][0], at(2026, 7, 15, 10, 0)
    )  # the same message again
    await portal.publish("inscription", b"\xff not a message at all")

    outcomes = by_cause(await portal.outcomes(len(cases)))
    for payload, received_at, event_type, expected_codes in cases:
        event = outcomes[payload["message_id"]]
        assert event["type"] == event_type, (payload["provider"]["id"], event)
        assert datetime.fromisoformat(event["occurred_at"]) == received_at
        if expected_codes:
            assert codes(event) == expected_codes
            assert all(refusal["rule"] and refusal["text"] for refusal in event["refusals"])
    late = outcomes[cases[2][0]["message_id"]]
    assert datetime.fromisoformat(late["claimed_at"]) == at(2026, 7, 31, 16, 58)
    assert late["refusals"][0]["deadline"] == "2026-07-31T17:00:01+02:00"

    [dead] = [d for d in await _eventually(portal.dead_letters) if d["reason"] == "malformed"]
    assert dead["payload_base64"] and dead["upstream_stream"] == isolation.topology.portal_stream
    await asyncio.sleep(0.5)
    assert len(await portal.outcomes(len(cases))) == len(
        cases
    )  # the repeated message added nothing

    rows = await _eventually(lambda: _rows(servers, isolation, len(cases)))
    assert [row["status"] for row in rows].count("received") == 2
    listing = await asyncio.to_thread(_cli_listing, servers, isolation)
    assert "received  10000001 Aanbieder 10000001  zilveren-kruis r1 [amsterdam]" in listing
    assert "inscription_closed: Inscription received 2026-07-31T17:00:01+02:00" in listing
    assert "document_too_old: vog_rp.pdf (vog_rp) was issued on 2025-11-30" in listing
    amsterdam = await list_inscriptions(
        servers.database_url, f"{isolation.schema_prefix}intake", "2027-2028", "amsterdam"
    )
    received = {row["provider_id"] for row in amsterdam if row["status"] == "received"}
    assert received == {"10000001", "10000002"}
    # Every case names amsterdam, so each rejection is listed under it too.
    assert {row["provider_id"] for row in amsterdam} == {
        payload["provider"]["id"] for payload, *_ in cases
    }
    zeeland = await list_inscriptions(
        servers.database_url, f"{isolation.schema_prefix}intake", "2027-2028", "zeeland"
    )
    assert [(row["provider_id"], row["status"]) for row in zeeland] == [("10000006", "rejected")]


def _cli_listing(servers: Servers, isolation: Isolation) -> str:
    """`oco intake list` as an operator runs it, with this test's schema."""
    import contextlib
    import io
    import os
    from unittest import mock

    from oco_shared.cli import main

    output = io.StringIO()
    environment = isolation.env(servers)
    with mock.patch.dict(os.environ, environment), contextlib.redirect_stdout(output):
        assert main(["intake", "list", "--round", "2027-2028"]) == 0
    return output.getvalue()


async def _rows(
    servers: Servers, isolation: Isolation, expected: int
) -> list[dict[str, Any]] | None:
    try:
        rows = await list_inscriptions(
            servers.database_url, f"{isolation.schema_prefix}intake", "2027-2028", None
        )
    except Exception:
        return None
    return rows if len(rows) >= expected else None


async def _eventually(check: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    return result


async def test_amendment_withdrawal_and_questions_through_the_broker(portal: Portal) -> None:
    first, amended = (
        submission("20000001"),
        submission("20000001", regions=(("amsterdam", False), ("utrecht", False))),
    )
    ask, late_question = question(), question("Te laat?")
    competitor = {**withdrawal("20000001"), "actor": {"kind": "provider", "id": "20000002"}}
    posing = {**nota(ask["question_id"]), "actor": {"kind": "zorgkantoor", "id": "vgz"}}
    steps = [
        ("inscription", first, at(2026, 7, 1, 9)),
        ("inscription", competitor, at(2026, 7, 1, 10)),
        ("question", posing, at(2026, 6, 29, 10)),
        ("inscription", amended, at(2026, 7, 2, 9)),
        ("inscription", withdrawal("20000001"), at(2026, 7, 3, 9)),
        ("inscription", withdrawal("20000001"), at(2026, 8, 3, 9)),
        ("question", ask, at(2026, 6, 12, 11, 59)),
        ("question", late_question, at(2026, 6, 12, 12, 0, 1)),
        ("nota", nota(ask["question_id"]), at(2026, 6, 30, 10)),
    ]
    for kind, payload, received_at in steps:
        office = "zilveren-kruis" if kind == "nota" else None
        await portal.publish(kind, payload, received_at, office)
    events = by_cause(await portal.outcomes(len(steps)))
    kinds = [events[payload["message_id"]]["type"] for _, payload, _ in steps]
    assert kinds == [
        "InscriptionReceived",
        "InscriptionRejected",
        "QuestionRejected",
        "InscriptionReceived",
        "InscriptionWithdrawn",
        "InscriptionRejected",
        "QuestionReceived",
        "QuestionRejected",
        "NotaVanInlichtingenPublished",
    ]
    assert events[amended["message_id"]]["revision"] == 2
    assert codes(events[competitor["message_id"]]) == ["not_authorised"]
    assert codes(events[posing["message_id"]]) == ["not_authorised"]
    assert codes(events[steps[5][1]["message_id"]]) == ["inscription_closed", "not_inscribed"]
    assert (
        events[late_question["message_id"]]["refusals"][0]["deadline"]
        == "2026-06-12T12:00:01+02:00"
    )


async def test_a_thousand_malformed_payloads_never_stop_the_service(portal: Portal) -> None:
    payloads: list[bytes] = []

    @settings(
        max_examples=1000, database=None, suppress_health_check=list(HealthCheck), derandomize=True
    )
    @given(payload=malformed_payloads())
    def collect(payload: bytes) -> None:
        payloads.append(payload)

    collect()
    assert len(payloads) == 1000
    for payload in payloads:
        await portal.publish("inscription", payload, at(2026, 7, 1, 9))
    valid = submission("30000001")
    await portal.publish("inscription", valid, at(2026, 7, 1, 9))

    async def all_handled() -> int | None:
        events = (
            await portal.js.stream_info(portal.topology.service_stream("intake"))
        ).state.messages
        dead = (await portal.js.stream_info(portal.topology.deadletter_stream)).state.messages
        return events + dead if events + dead >= 1001 else None

    assert await _eventually(all_handled, timeout=240) == 1001
    dead = await portal.dead_letters()
    assert dead and all(d["reason"] == "malformed" and d["error"] for d in dead)
    events = await portal.outcomes(1001 - len(dead))
    assert (
        events[-1]["causation_id"] == valid["message_id"]
        and events[-1]["type"] == "InscriptionReceived"
    )


def _oco(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """`oco …` as an operator runs it: a process of its own; exit code and output."""
    done = subprocess.run(
        [sys.executable, "-m", "oco_shared.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout, done.stderr


async def test_oco_intake_list_as_an_operator_runs_it(
    portal: Portal, servers: Servers, isolation: Isolation
) -> None:
    late = submission("70000002")
    await portal.publish("inscription", submission("70000001"), at(2026, 7, 15, 10, 0))
    await portal.publish("inscription", late, at(2026, 8, 1, 9, 0))
    await _eventually(lambda: _rows(servers, isolation, 2))
    env = isolation.env(servers)
    code, out, err = await asyncio.to_thread(_oco, env, "intake", "list", "--round", "2027-2028")
    lines = out.splitlines()
    assert code == 0 and err == ""
    assert lines[0].split() == ["received", "at", "status", "provider"]
    assert lines[1].startswith("2026-07-15T10:00:00+02:00  received  70000001")
    assert lines[2].startswith("2026-08-01T09:00:00+02:00  rejected  70000002")
    code, out, _ = await asyncio.to_thread(
        _oco, env, "intake", "list", "--round", "2027-2028", "--utc", "--json"
    )
    rows = json.loads(out)
    assert code == 0 and rows[0]["received_at"] == "2026-07-15T08:00:00+00:00"
    assert rows[1]["reasons"][0]["code"] == "inscription_closed"  # JSON, not a string

    no_schema = {**env, "OCO_SCHEMA_PREFIX": "nothing_here_"}
    code, out, err = await asyncio.to_thread(
        _oco, no_schema, "intake", "list", "--round", "2027-2028"
    )
    assert (code, out) == (2, "")
    assert err.strip() == "oco: no intake read model in schema nothing_here_intake: has intake run?"
    down = {**env, "OCO_DATABASE_URL": "postgresql://postgres:s3cret@127.0.0.1:1/postgres"}
    code, out, err = await asyncio.to_thread(_oco, down, "intake", "list", "--round", "2027-2028")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "postgres:***@127.0.0.1:1" in err and "s3cret" not in err and "Traceback" not in err


async def test_oco_intake_list_shows_rejections_under_the_regions_they_named(
    portal: Portal, servers: Servers, isolation: Isolation
) -> None:
    late = submission("71000002", regions=(("utrecht", False),))
    malformed = {**submission("71000003"), "subcontractor_intent": "yes"}  # names amsterdam
    await portal.publish("inscription", submission("71000001"), at(2026, 7, 15, 10, 0))
    await portal.publish("inscription", late, at(2026, 8, 1, 9, 0))
    await portal.publish("inscription", malformed, at(2026, 7, 16, 10, 0))
    await _eventually(lambda: _rows(servers, isolation, 3))
    env = isolation.env(servers)

    def listed(region: str) -> list[tuple[str, str]]:
        code, out, err = _oco(env, "intake", "list", "--round", "2027-2028", "--region", region)
        assert (code, err) == (0, "")
        rows = [line.split() for line in out.splitlines()[1:] if line.startswith("2026-")]
        return [(row[1], row[2]) for row in rows]

    assert await asyncio.to_thread(listed, "utrecht") == [("rejected", "71000002")]
    assert await asyncio.to_thread(listed, "amsterdam") == [
        ("received", "71000001"),
        ("rejected", "71000003"),
    ]
