"""No single message may stop intake: each message that once did, then a valid one.

Every row publishes one hostile message on the portal subject and then a valid
submission; the hostile one must end as a rejection or a dead letter at its first
attempt, and the valid one must be judged, relayed and in the read model within seconds.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from intake_support import at, submission
from oco_intake.adapters.readmodel import list_inscriptions
from oco_shared.handling import MAX_MESSAGE_BYTES
from plumbing_support import Isolation, Servers
from portal_support import Portal

pytestmark = pytest.mark.integration

SECONDS = 10  # "within seconds": the valid message's outcome, after the hostile one


def padded(size: int, name: str) -> bytes:
    """A submission of about `size` bytes, grown by municipality names made of `name`."""
    payload = submission("60000001")
    municipalities = payload["regions"][0]["wmo_municipalities"]
    body = json.dumps(payload, ensure_ascii=False).encode()
    piece = len(json.dumps(name * 100, ensure_ascii=False).encode()) + 1
    municipalities += [name * 100] * ((size - len(body)) // piece)
    return json.dumps(payload, ensure_ascii=False).encode()


def replaced(change: Callable[[dict[str, Any]], None]) -> bytes:
    payload = submission("60000002")
    change(payload)
    return json.dumps(payload).encode()


def nested(depth: int) -> bytes:
    return b'{"message_id":' + b"[" * depth + b"]" * depth + b"}"


ROWS: list[tuple[str, bytes, dict[str, Any]]] = [
    (
        "200 KB of control characters (valid UTF-8, not JSON)",
        b"\x01\x02\x1b" * 70_000,
        {"dead_letter": "malformed"},
    ),
    (
        "about 800 KB of bytes that are not UTF-8",
        b"\xff\xfe\xc3" * 270_000,
        {"dead_letter": "too_large"},
    ),
    (
        "a valid submission of about 1 MB",
        padded(1_000_000, "Gemeente "),
        {"rejection": "too_large"},
    ),
    (
        "about 400 KB with non-ASCII names",
        padded(400_000, "Zuidwest-Friesland ë 市 "),
        {"rejection": "too_large"},
    ),
    (
        "a document name containing NUL",
        replaced(lambda p: p["documents"][0].update(filename="vog\u0000rp.pdf")),
        {"rejection": "malformed", "fields": ["documents.0.filename"]},
    ),
    ("JSON nested 10,000 deep", nested(10_000), {"dead_letter": "malformed"}),
    (
        "a message_id of 36 hex digits without dashes",
        replaced(lambda p: p.update(message_id="0123456789abcdef" * 2 + "0123")),
        {"dead_letter": "malformed"},
    ),
    (
        'a KvK number "12345678\\n"',
        replaced(lambda p: p["provider"].update(id="12345678\n")),
        {"rejection": "malformed", "fields": ["provider.id"]},
    ),
    (
        '"yes", 0 and "182344" where a boolean, a string and a number are expected',
        replaced(
            lambda p: (
                p.update(subcontractor_intent="yes"),
                p["provider"].update(name=0),
                p["documents"][0].update(size_bytes="182344"),
            )
        ),
        {
            "rejection": "malformed",
            "fields": ["provider.name", "subcontractor_intent", "documents.0.size_bytes"],
        },
    ),
]


@pytest.mark.parametrize(("case", "body", "expected"), ROWS, ids=[row[0] for row in ROWS])
async def test_a_hostile_message_is_set_aside_and_the_next_one_is_judged_within_seconds(
    portal: Portal,
    servers: Servers,
    isolation: Isolation,
    case: str,
    body: bytes,
    expected: dict[str, Any],
) -> None:
    hostile = await portal.publish("inscription", body, at(2026, 7, 1, 9))
    valid = submission("60000099")
    published = time.monotonic()
    await portal.publish("inscription", valid, at(2026, 7, 1, 9, 5))

    outcomes = await _eventually(lambda: _by_cause(portal, valid["message_id"]))
    assert time.monotonic() - published < SECONDS, case
    assert outcomes[valid["message_id"]]["type"] == "InscriptionReceived"

    if "rejection" in expected:
        rejection = outcomes[json.loads(body)["message_id"]]
        assert rejection["type"] == "InscriptionRejected"
        assert {refusal["code"] for refusal in rejection["refusals"]} == {expected["rejection"]}
        fields = [refusal["field"] for refusal in rejection["refusals"]]
        assert sorted(fields) == sorted(expected.get("fields", [None]))
    else:
        [dead] = [d for d in await portal.dead_letters(1) if d["headers"]["Nats-Msg-Id"] == hostile]
        assert dead["reason"] == expected["dead_letter"] and dead["attempts"] == 1
        assert dead["payload_bytes"] == len(body)
        shown = dead.get("payload") or dead["payload_base64"]
        assert len(shown) < 64 * 1024, "a dead letter carries a bounded prefix"

    rows = await _eventually(lambda: _listed(servers, isolation, valid["message_id"]))
    assert rows, "the read model went on past the hostile message"
    ready = await portal.runtime.readiness()
    assert ready["ready"], ready


def test_the_size_limit_lies_between_the_rows_that_test_it() -> None:
    sizes = {case: len(body) for case, body, _ in ROWS}
    assert sizes["a valid submission of about 1 MB"] > MAX_MESSAGE_BYTES
    assert sizes["about 400 KB with non-ASCII names"] > MAX_MESSAGE_BYTES
    assert sizes["200 KB of control characters (valid UTF-8, not JSON)"] < MAX_MESSAGE_BYTES


async def _by_cause(portal: Portal, message_id: str) -> dict[str, dict[str, Any]] | None:
    events = await portal.outcomes(0)
    found = {event["causation_id"]: event for event in events}
    return found if message_id in found else None


async def _listed(servers: Servers, isolation: Isolation, message_id: str) -> list[Any] | None:
    rows = await list_inscriptions(
        servers.database_url, f"{isolation.schema_prefix}intake", "2027-2028", None
    )
    return [row for row in rows if str(row["message_id"]) == message_id] or None


async def _eventually(check: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    return result


async def test_an_operator_reads_a_dead_letter_whole_from_postgresql(
    portal: Portal, servers: Servers, isolation: Isolation
) -> None:
    body = b"\xff not a message " + b"x" * 40_000
    message_id = await portal.publish("inscription", body)
    [dead] = [d for d in await portal.dead_letters(1) if d["headers"]["Nats-Msg-Id"] == message_id]
    position = str(dead["upstream_position"])
    listing, code = await asyncio.to_thread(
        _oco, servers, isolation, "deadletters", "list", "--service", "intake"
    )
    assert code == 0 and f"#{position}  malformed  intake-inscriptions" in listing
    assert f"{len(body)} bytes" in listing and "1 dead letters of intake" in listing
    args = ["--service", "intake", "--stream", isolation.topology.portal_stream]
    shown, code = await asyncio.to_thread(
        _oco, servers, isolation, "deadletters", "show", *args, "--position", position
    )
    record = json.loads(shown)
    assert code == 0 and record["reason"] == "malformed" and record["payload_bytes"] == len(body)
    assert bytes.fromhex(record["payload_hex"]) == body  # whole, where the stream has a prefix
    missing, code = await asyncio.to_thread(
        _oco, servers, isolation, "deadletters", "show", *args, "--position", "999999"
    )
    assert code == 1 and "no dead letter of intake" in missing


def _oco(servers: Servers, isolation: Isolation, *args: str) -> tuple[str, int]:
    """`oco …` as an operator runs it, against this test's schemas."""
    done = subprocess.run(
        [sys.executable, "-m", "oco_shared.cli", *args],
        env=isolation.env(servers),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout + done.stderr, done.returncode
