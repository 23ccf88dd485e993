"""10,000 generated portal messages through the real broker: every one has exactly one outcome.

Valid submissions mixed with every kind of hostile input (bytes that are not JSON,
mutated and truncated messages, names from every Unicode plane, control characters,
deep nesting, type confusion, sizes up to the broker's limit, reused message ids). The
generator is hypothesis, derandomized (seeded) so a failure repeats; the run is bounded
in time. Checked: each message ends as an event or a dead letter, exactly once; every
valid submission is received; no part of the service stalls for more than a few seconds;
memory stays flat; and the intake stream ends equal to the store.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from intake_support import at, json_values, malformed_payloads, submission
from oco_intake.adapters.readmodel import list_inscriptions
from oco_shared.contract.base import MAX_MESSAGE_BYTES
from oco_shared.contract.events import ChainCheckpointed
from oco_shared.handling import _identity_hint
from plumbing_support import Isolation, Servers, outcome_count, stream_count
from portal_support import Portal

pytestmark = pytest.mark.integration

TOTAL = 10_000
STALL_SECONDS = 5.0
RECEIVED_AT = at(2026, 7, 1, 9)
BROKER_LIMIT = 1_000_000  # under nats-server's max_payload of 1 MiB, with headers


# One kind per message, in a fixed cycle of 40, so every run mixes them the same way:
# half valid submissions, the rest each hostile kind (large ones are heavy: 1 in 40).
CYCLE = (
    ["valid"] * 20
    + ["malformed"] * 6
    + ["unicode"] * 4
    + ["confused"] * 4
    + ["deep"] * 2
    + ["reused"] * 3
    + ["large"]
)


@pytest.fixture
def stream_max_bytes() -> int:
    """The 250 large messages alone are about 150 MB."""
    return 512 * 2**20


CONFUSABLE = [
    ("subcontractor_intent",),
    ("provider", "name"),
    ("provider", "id"),
    ("regions", 0, "new_to_region"),
    ("documents", 0, "size_bytes"),
    ("documents", 0, "searchable"),
    ("documents", 0, "issued_on"),
    ("schema_version",),
    ("sent_at",),
]


def build(
    index: int, kind: str, drawn: Any, valid_ids: list[str]
) -> tuple[bytes, str, bool, datetime]:
    """(body, Nats-Msg-Id, whether it is a valid submission that must be received, the
    receipt time the scenario gives it: inside the inscription window)."""
    received_at = RECEIVED_AT + timedelta(minutes=drawn if kind in ("valid", "reused") else 0)
    body, header_id, must = _body(index, kind, drawn, valid_ids)
    return body, header_id, must, received_at


def _body(index: int, kind: str, drawn: Any, valid_ids: list[str]) -> tuple[bytes, str, bool]:
    message_id = str(uuid.UUID(int=index + 1, version=4))
    payload = submission(f"{10_000_000 + index}")
    payload["message_id"] = message_id
    if kind == "valid":
        valid_ids.append(message_id)
        return json.dumps(payload).encode(), message_id, True
    if kind == "malformed":
        try:
            document = json.loads(drawn)
        except ValueError:
            return drawn, message_id, False
        if isinstance(document, dict) and "message_id" in document:
            document["message_id"] = message_id  # a fresh id: one outcome per message
        return json.dumps(document).encode(), message_id, False
    if kind == "unicode":
        payload["provider"]["name"] = drawn
        return json.dumps(payload, ensure_ascii=index % 2 == 0).encode(), message_id, False
    if kind == "deep":
        return b'{"message_id":' + b"[" * drawn + b"]" * drawn + b"}", message_id, False
    if kind == "confused":
        path, value = drawn
        target: Any = payload
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        return json.dumps(payload).encode(), message_id, False
    if kind == "large":
        payload["provider"]["name"] = "x" * drawn
        return json.dumps(payload).encode()[:BROKER_LIMIT], message_id, False
    assert kind == "reused"
    if valid_ids:  # an id used before, for another body; the header differs, as after the window
        payload["message_id"] = valid_ids[-1]
        return json.dumps(payload).encode(), f"{message_id}-reuse", False
    return json.dumps(payload).encode(), message_id, True


def contents_of(kind: str) -> st.SearchStrategy[Any]:
    """What a hostile kind needs drawn; valid and reused messages are built from scratch."""
    return {
        "malformed": malformed_payloads(),
        "unicode": st.text(st.characters(codec="utf-8"), min_size=1, max_size=600),
        "deep": st.integers(50, 20_000),
        "confused": st.tuples(st.sampled_from(CONFUSABLE), json_values),
        "large": st.integers(MAX_MESSAGE_BYTES + 1, BROKER_LIMIT),
    }.get(kind, st.integers(0, 20 * 24 * 60))  # valid, reused: minutes into the window


def generated() -> list[tuple[str, Any]]:
    """The kind of message `index` is `CYCLE[index % 40]`; hypothesis draws the contents,
    one run per kind."""
    kinds = [CYCLE[index % len(CYCLE)] for index in range(TOTAL)]
    contents = {kind: iter(_draw(kind, kinds.count(kind))) for kind in set(kinds)}
    return [(kind, next(contents[kind])) for kind in kinds]


def _draw(kind: str, count: int) -> list[Any]:
    drawn: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(content=contents_of(kind))
    def collect(content: Any) -> None:
        drawn.append(content)

    collect()
    assert len(drawn) >= count, f"hypothesis drew {len(drawn)} {kind} messages of {count}"
    return drawn


async def test_ten_thousand_generated_messages_each_end_exactly_once(
    portal: Portal, servers: Servers, isolation: Isolation
) -> None:
    drawn = await asyncio.to_thread(generated)  # the service keeps running meanwhile
    assert len(drawn) == TOTAL
    valid_ids: list[str] = []
    messages = [build(index, kind, what, valid_ids) for index, (kind, what) in enumerate(drawn)]
    kinds = Counter(kind for kind, _ in drawn)
    print(f"generated: {dict(kinds)}")

    process = psutil.Process()
    positions: dict[int, str | None] = {}  # upstream position: the message id it names
    started = time.monotonic()
    for body, header_id, _, received_at in messages:
        portal.receipt.times[header_id] = received_at
        ack = await portal.js.publish(
            portal.topology.portal_subject("inscription"),
            body,
            stream=portal.topology.portal_stream,
            headers={"Nats-Msg-Id": header_id},
        )
        assert not ack.duplicate
        positions[ack.seq] = _named_id(body)
        if len(positions) == TOTAL // 5:
            baseline = process.memory_info().rss

    longest_stall = await _wait_for_outcomes(portal, TOTAL)
    elapsed = time.monotonic() - started
    grown = (process.memory_info().rss - baseline) / 2**20
    print(
        f"{TOTAL} messages: all outcomes after {elapsed:.1f} s; longest stall "
        f"{longest_stall:.1f} s; memory grew {grown:.0f} MiB after the first fifth"
    )

    events = await portal.outcomes(0)
    dead = await portal.dead_letters()
    dead_positions = [d["upstream_position"] for d in dead]
    assert len(dead_positions) == len(set(dead_positions))
    assert set(dead_positions) <= set(positions)
    # Exactly one outcome each: per message id, as many events as messages naming it that
    # were not dead-lettered; and nothing else.
    expected_events: Counter[str] = Counter()
    for position, named in positions.items():
        if position not in dead_positions:
            assert named is not None, f"position {position} names no id, yet has an event"
            expected_events[named] += 1
    assert Counter(event["causation_id"] for event in events) == expected_events
    assert len(events) + len(dead) == TOTAL

    received = {e["causation_id"] for e in events if e["type"] == "InscriptionReceived"}
    valid = {_named_id(body) for body, _, must, _ in messages if must}
    assert valid <= received, "every valid submission is received"
    assert longest_stall <= STALL_SECONDS
    tasks = portal.runtime.supervisor.report()
    assert all(task["restarts"] == 0 for task in tasks.values()), tasks
    assert grown < 200, "memory stays flat"

    stored = await asyncio.to_thread(portal.runtime.store.notifications, 0, TOTAL * 2)
    outcomes = [r for r in stored if not isinstance(r.event, ChainCheckpointed)]
    assert [e["event_id"] for e in events] == [str(r.event.event_id) for r in outcomes]
    rows = await list_inscriptions(
        servers.database_url, f"{isolation.schema_prefix}intake", "2027-2028", None
    )
    assert len(rows) == len([e for e in events if e["round_id"] == "2027-2028"])


def _named_id(body: bytes) -> str | None:
    """The message id an outcome event would name: read as intake reads it, by the JSON
    when it parses, else (a message too large to read) by its start."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        found = _identity_hint(body)
        return found.get("message_id") if body[:1] == b"{" else None
    named = document.get("message_id") if isinstance(document, dict) else None
    return named if isinstance(named, str) else None


async def _wait_for_outcomes(portal: Portal, total: int, timeout: float = 300) -> float:
    """Until every message has an outcome (events and dead letters, with the read model
    caught up); returns the longest time nothing moved."""
    stream = portal.topology.service_stream("intake")
    deadline = time.monotonic() + timeout
    last_progress, longest, before = time.monotonic(), 0.0, -1
    while True:
        done = await outcome_count(
            portal.js, stream, portal.topology.service_subjects("intake")
        ) + await stream_count(portal.js, portal.topology.deadletter_stream)
        projected = portal.runtime.supervisor.report()["projector:inscriptions_view"]["position"]
        now = time.monotonic()
        if done + projected != before:
            longest = max(longest, now - last_progress)
            last_progress, before = now, done + projected
        if done >= total and projected >= await asyncio.to_thread(
            portal.runtime.store.max_position
        ):
            return max(longest, now - last_progress)
        assert now < deadline, f"{done} of {total} outcomes after {timeout} s"
        await asyncio.sleep(0.1)
