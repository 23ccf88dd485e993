"""A portal builder's first hour, as they would work: every step a command in a terminal.

Start a rehearsal of the 2027-2028 round, run intake on it, send the contract's example
inscription and see it received; jump the rehearsal past the close, send another and see
it refused with `inscription_closed`. Real nats-server (with its users) and PostgreSQL;
intake runs as its own process, the commands as the `oco` an operator types.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from oco_shared.messaging.topology import provision_streams
from oco_shared.rounds import AMSTERDAM
from plumbing_support import STREAM_MAX_BYTES, Isolation, Servers, stream_documents

pytestmark = pytest.mark.integration

OCO = [sys.executable, "-m", "oco_shared.cli"]
INTAKE = [sys.executable, "-m", "oco_intake"]


def oco(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*OCO, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def wait_until_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "intake exited while starting"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("intake did not become ready")


def procedure_time(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["occurred_at"]).astimezone(AMSTERDAM)


async def test_a_portal_builder_rehearses_the_2027_round(
    servers: Servers, isolation: Isolation, free_port: int
) -> None:
    env = isolation.env(servers, OCO_HTTP_PORT=str(free_port))
    started = oco(env, "rehearse", "start", "--round", "2027-2028", "--rate", "1000")
    assert started.returncode == 0, started.stderr
    assert "rehearsal" in started.stdout and "2026-06-01T00:00:00+02:00" in started.stdout

    # A service that may not rehearse refuses the clock at start, in one line.
    refused = subprocess.run(INTAKE, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0
    assert "rehearsal" in refused.stderr and "OCO_REHEARSAL=true" in refused.stderr
    assert "Traceback" not in refused.stderr

    intake = subprocess.Popen(INTAKE, env={**env, "OCO_REHEARSAL": "true"})
    try:
        wait_until_ready(free_port, intake)
        sent = oco(env, "portal", "send", "--example", "SubmitInscription", "--json")
        assert sent.returncode == 0, sent.stdout + sent.stderr
        received = json.loads(sent.stdout)
        assert received["type"] == "InscriptionReceived"
        # Both times: procedure time (June 2026, inscription open) and the broker's now.
        assert procedure_time(received).date().isoformat().startswith("2026-06")
        assert datetime.fromisoformat(received["broker_time"]).year >= 2026
        assert received["broker_time"] != received["occurred_at"]
        assert received["rehearsal"]["round_id"] == "2027-2028"
        assert received["rehearsal"]["rate"] == 1000

        listing = oco(env, "intake", "list", "--round", "2027-2028", "--json")
        assert listing.returncode == 0, listing.stderr
        assert [row["status"] for row in json.loads(listing.stdout)] == ["received"]

        advanced = oco(env, "rehearse", "advance", "--to", "2026-08-01T09:00")
        assert advanced.returncode == 0, advanced.stderr
        backwards = oco(env, "rehearse", "advance", "--to", "2026-07-01T09:00")
        assert backwards.returncode == 2 and "only moves forward" in backwards.stderr

        late = oco(env, "portal", "send", "--example", "SubmitInscription", "--json")
        assert late.returncode == 1, late.stdout + late.stderr
        rejected = json.loads(late.stdout)
        assert rejected["type"] == "InscriptionRejected"
        assert [r["code"] for r in rejected["refusals"]] == ["inscription_closed"]
        assert rejected["rehearsal"]["rehearsal_id"] == received["rehearsal"]["rehearsal_id"]
        assert procedure_time(rejected) >= datetime(2026, 8, 1, 9, 0, tzinfo=AMSTERDAM)

        listing = oco(env, "intake", "list", "--round", "2027-2028")
        assert listing.returncode == 0, listing.stderr
        assert "inscription_closed" in listing.stdout and "received" in listing.stdout

        status = oco(env, "rounds", "--clock", "--json")
        assert status.returncode == 0, status.stderr
        by_round = {item["round"]: item["inscription"] for item in json.loads(status.stdout)}
        assert by_round["2027-2028"] == "closed"
    finally:
        intake.terminate()
        intake.wait(timeout=30)

    # The stream carries what the store recorded: every event marked as the rehearsal's.
    connection = await nats.connect(servers.nats_url)
    try:
        events = await stream_documents(
            connection.jetstream(),
            isolation.topology.service_stream("intake"),
            isolation.topology.service_subjects("intake"),
        )
    finally:
        await connection.close()
    assert [event["type"] for event in events] == ["InscriptionReceived", "InscriptionRejected"]
    assert all(event["rehearsal"] and event["broker_time"] for event in events)


async def test_the_clock_commands_say_what_is_wrong(servers: Servers, isolation: Isolation) -> None:
    env = isolation.env(servers)
    unknown = oco(env, "rehearse", "start", "--round", "2031")
    assert (
        unknown.returncode == 2 and "2031" in unknown.stderr and "Traceback" not in unknown.stderr
    )
    nothing = oco(env, "rehearse", "advance", "--to", "2026-08-01")
    assert nothing.returncode == 2 and "oco rehearse start" in nothing.stderr
    bad_rate = oco(env, "rehearse", "start", "--round", "2027-2028", "--rate", "0")
    assert bad_rate.returncode == 2 and "rate" in bad_rate.stderr
    stopped = oco(env, "rehearse", "stop")
    assert stopped.returncode == 0 and "no rehearsal runs" in stopped.stdout
    unreachable = oco({**env, "OCO_NATS_URL": "nats://127.0.0.1:1"}, "rehearse", "status")
    assert unreachable.returncode == 2 and "OCO_NATS_URL" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr


async def test_a_service_that_may_not_rehearse_sets_aside_what_arrives_during_a_rehearsal(
    servers: Servers, isolation: Isolation, free_port: int
) -> None:
    env = isolation.env(servers, OCO_HTTP_PORT=str(free_port))
    intake = subprocess.Popen(INTAKE, env=env)  # OCO_REHEARSAL unset: the real procedure only
    try:
        wait_until_ready(free_port, intake)
        started = oco(env, "rehearse", "start", "--round", "2027-2028")
        assert started.returncode == 0, started.stderr
        during = oco(env, "portal", "send", "--example", "SubmitInscription")
        assert during.returncode == 1, during.stdout + during.stderr
        assert "dead letter (rehearsal_not_enabled)" in during.stdout
        stopped = oco(env, "rehearse", "stop")
        assert stopped.returncode == 0 and "stopped" in stopped.stdout
        # Judged on real time again: the 2027-2028 inscription closed on 31 July 2026 (and
        # the example's extracts of May 2026 have grown too old since).
        after = oco(env, "portal", "send", "--example", "SubmitInscription", "--json")
        assert after.returncode == 1, after.stdout + after.stderr
        rejected = json.loads(after.stdout)
        assert rejected["refusals"][0]["code"] == "inscription_closed"
        assert rejected["rehearsal"] is None
        assert rejected["occurred_at"] == rejected["broker_time"]
        assert intake.poll() is None  # the service never stopped
    finally:
        intake.terminate()
        intake.wait(timeout=30)


async def test_portal_send_says_why_nothing_was_sent_or_heard(
    servers: Servers, isolation: Isolation, tmp_path: Path
) -> None:
    env = isolation.env(servers)
    missing = oco(env, "portal", "send", str(tmp_path / "missing.json"))
    assert missing.returncode == 2 and "missing.json" in missing.stderr
    unknown = oco(env, "portal", "send", "--example", "SubmitPoem")
    assert unknown.returncode == 2 and "no message type 'SubmitPoem'" in unknown.stderr
    assert "SubmitInscription" in unknown.stderr  # it names the ones there are
    stranger = tmp_path / "stranger.json"
    stranger.write_text(json.dumps({"message_id": "m-1", "type": "SubmitPoem"}))
    nobody = oco(env, "portal", "send", str(stranger))
    assert nobody.returncode == 2 and "no installed service receives" in nobody.stderr
    no_question_round = oco(
        env, "portal", "send", "--example", "SubmitQuestion", "--round", "2018-2020"
    )
    assert no_question_round.returncode == 2 and "takes no questions" in no_question_round.stderr
    away = oco(
        {**env, "OCO_NATS_URL": "nats://127.0.0.1:1"},
        "portal",
        "send",
        "--example",
        "SubmitQuestion",
    )
    assert away.returncode == 2 and "OCO_NATS_URL=nats://127.0.0.1:1" in away.stderr
    unstored = oco(env, "portal", "send", "--example", "SubmitQuestion")
    assert unstored.returncode == 2 and "is the stream provisioned" in unstored.stderr
    # Sent, but no intake runs to decide it: said after --timeout, exit 3.
    connection = await nats.connect(servers.nats_url)
    try:
        await provision_streams(
            connection.jetstream(),
            isolation.topology.stream_configs(
                ("intake",), replicas=1, duplicate_window_seconds=60, max_bytes=STREAM_MAX_BYTES
            ),
        )
    finally:
        await connection.close()
    unheard = oco(env, "portal", "send", "--example", "SubmitQuestion", "--timeout", "1")
    assert unheard.returncode == 3, unheard.stdout + unheard.stderr
    assert "sent SubmitQuestion" in unheard.stdout and "no outcome within 1 s" in unheard.stderr
    for done in (missing, unknown, nobody, no_question_round, away, unstored, unheard):
        assert "Traceback" not in done.stderr
