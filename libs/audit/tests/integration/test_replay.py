"""`oco audit replay` on real logs: with no instant it shows what the services' own read
models show; an instant before or after the inscription deadline shows the round then."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from typing import Any

import pytest
from audit_support import OCO, AuditedLog

pytestmark = pytest.mark.integration


def as_json(log: AuditedLog, *args: str, env: dict[str, str] | None = None) -> Any:
    done = subprocess.run(
        [*OCO, *args, "--json"],
        env=env or log.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def replayed(log: AuditedLog, *args: str) -> Any:
    return as_json(log, "audit", "replay", "--round", "2027-2028", *args)


def intake_rows(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What the intake read model and the replay both say of each inscription event."""
    return [
        (
            row["status"],
            row["provider_id"],
            row["provider_name"],
            str(row["inscription_id"]) if row["inscription_id"] else None,
            row["revision"],
            row["regions"],
            [reason["code"] if isinstance(reason, dict) else reason for reason in row["reasons"]],
            datetime.fromisoformat(row.get("received_at") or row["at"]),
        )
        for row in rows
    ]


def contract_rows(contracts: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What the contracting read model and the replay both say of each contract: its
    terms, when it was signed, and each year's ceiling."""
    return sorted(
        (
            contract["provider_id"],
            contract["contract_id"],
            contract["starts_on"],
            contract["ends_on"],
            contract["extendable_until"],
            contract["hourly_tariff"],
            datetime.fromisoformat(contract.get("signed_at") or contract["at"]),
            yearly_ceilings(contract),
        )
        for contract in contracts
    )


def yearly_ceilings(contract: dict[str, Any]) -> dict[int, tuple[str, str]]:
    """Each year of the term: its ceiling, definitive once set, else still provisional."""
    if "years" in contract:  # the read model lists the years
        return {year["year"]: (year["ceiling"], year["ceiling_kind"]) for year in contract["years"]}
    # The replay holds the selection's provisional ceiling and the definitive ones set.
    definitive = contract["ceilings"]
    return {
        year: (definitive[str(year)], "definitive")
        if str(year) in definitive
        else (contract["budget_ceiling"], "provisional")
        for year in range(int(contract["starts_on"][:4]), int(contract["ends_on"][:4]) + 1)
    }


def service_env(log: AuditedLog) -> dict[str, str]:
    """The services' read models are read as their operator does, not as the auditor."""
    return log.isolation.env(log.servers)


async def test_the_replay_of_the_whole_log_equals_the_read_models(round_log: AuditedLog) -> None:
    state = replayed(round_log)
    region = state["regions"]["amsterdam"]
    assert state["rehearsal"] and region["rehearsal"] == state["rehearsal"]

    listing = as_json(
        round_log, "intake", "list", "--round", "2027-2028", env=service_env(round_log)
    )
    assert len(listing) == 3
    assert intake_rows(region["inscriptions"]) == intake_rows(listing)

    shown = as_json(
        round_log,
        "assessment",
        "show",
        "--round",
        "2027-2028",
        "--region",
        "amsterdam",
        env=service_env(round_log),
    )
    assert region["places"] == shown["places"] == 2
    assert region["selection"]["edition"] == shown["edition"] == 1
    fields = [
        "provider_id",
        "name",
        "existing",
        "verdicts",
        "suitable",
        "failed_requirements",
        "scores",
        "rank",
        "outcome",
        "reason",
    ]
    assert [{f: p[f] for f in fields} for p in region["parties"]] == [
        {f: p[f] for f in fields} for p in shown["parties"]
    ]
    assert [p["outcome"] for p in region["parties"]] == ["selected", "selected", "rejected"]

    listed = as_json(
        round_log, "objection", "list", "--round", "2027-2028", env=service_env(round_log)
    )
    assert [
        (o["objection_id"], o["provider_id"], o["edition"], datetime.fromisoformat(o["filed_at"]))
        for o in listed
    ] == [
        (o["objection_id"], o["provider_id"], o["edition"], datetime.fromisoformat(o["filed_at"]))
        for o in region["objections"]
    ]
    assert [o["answer"]["decision"] for o in region["objections"]] == ["dismissed"]
    assert [(k["court"], k["case_number"]) for o in listed for k in o["kort_gedingen"]] == [
        (k["court"], k["case_number"]) for k in region["kort_gedingen"]
    ]
    assert sorted(w["provider_id"] for w in region["windows"]) == [
        "10000001",
        "10000002",
        "10000003",
    ]
    # The log ends in the contracting month: every window closed at the end of 2 October,
    # as the objection service's own deadline for the objection says.
    [deadline] = [d for d in listed[0]["deadlines"] if d["code"] == "objection"]
    assert {(w["state"], datetime.fromisoformat(w["closes_at"])) for w in region["windows"]} == {
        ("closed", datetime.fromisoformat(deadline["closes_at"]))
    }

    contracted = as_json(
        round_log,
        "contracts",
        "list",
        "--round",
        "2027-2028",
        "--region",
        "amsterdam",
        env=service_env(round_log),
    )["regions"]["amsterdam"]
    assert contract_rows(region["contracts"]) == contract_rows(contracted)
    # A contract for each selected party, for both years of the round; 2027's ceilings are
    # set, 2028's are still the selection's provisional one.
    assert {c["provider_id"]: yearly_ceilings(c) for c in contracted} == {
        "10000001": {2027: ("130000.00", "definitive"), 2028: ("125000.00", "provisional")},
        "10000002": {2027: ("110000.00", "definitive"), 2028: ("125000.00", "provisional")},
    }
    assert {(c["starts_on"], c["ends_on"]) for c in contracted} == {("2027-01-01", "2028-12-31")}


async def test_an_instant_before_and_after_the_inscription_deadline(
    intake_log: AuditedLog,
) -> None:
    # Inscription closes 31 July 2026 at 17:00; the sixth came on 1 August.
    before = replayed(intake_log, "--as-of", "2026-07-31T17:00")
    rows = before["regions"]["amsterdam"]["inscriptions"]
    assert [row["status"] for row in rows] == ["received"] * 5
    assert before["as_of"].startswith("2026-07-31T17:00:00")

    after = replayed(intake_log, "--as-of", "2026-08-02T00:00")
    rows = after["regions"]["amsterdam"]["inscriptions"]
    assert [row["status"] for row in rows] == ["received"] * 5 + ["rejected"]
    assert rows[-1]["reasons"] == ["inscription_closed"]

    text = subprocess.run(
        [*OCO, "audit", "replay", "--round", "2027-2028", "--as-of", "2026-07-31T17:00"],
        env=intake_log.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "round 2027-2028 as of 2026-07-31T17:00:00+02:00: 5 events (rehearsal" in text
    assert "amsterdam: places not fixed" in text
