"""What verify makes of the rows PostgreSQL sends where the chain does not hold, and of
the chain heads that `ChainCheckpointed` events name."""

from __future__ import annotations

import uuid
from typing import Any

from oco_audit.chain import GENESIS, content_digest, link
from oco_audit.log import LogDecoder
from oco_audit.rules import RuleCheck
from oco_audit.verify import ChainCheck, Decisions
from oco_shared.contract.examples import EXAMPLES
from oco_shared.eventstore import compact_json

TOPIC = "RoundOpened.v1"


def stored(event_id: str) -> bytes:
    return b'{"headers":{},"event":%b}' % compact_json(
        {**EXAMPLES["RoundOpened"], "event_id": event_id}
    )


def row(
    notification_id: int,
    position: int | None,
    prev: bytes,
    *,
    after: tuple[int, bytes] | None,
    state: bytes = b"",
) -> tuple[Any, ...]:
    """A row as the chain query sends it; `after`: the row before it, (position, link),
    or None when that row is off the chain."""
    originator = uuid.uuid4()
    sha256 = link(prev, notification_id, content_digest(originator, 1, TOPIC, state))
    before_position, before_sha256 = after if after is not None else (None, None)
    return (
        notification_id,
        originator,
        1,
        TOPIC,
        state,
        position,
        prev if position is not None else None,
        sha256 if position is not None else None,
        after is not None,
        before_position,
        before_sha256,
        notification_id,
    )


def test_a_row_after_one_off_the_chain_is_judged_against_the_link_before_that() -> None:
    first = row(1, 1, GENESIS, after=(0, GENESIS))
    forged = row(
        2, None, b"", after=(1, first[7]), state=stored("6f1d2c3b-aaaa-4bbb-8ccc-000000000001")
    )
    following = row(3, 2, first[7], after=None)  # links to position 1: nothing wrong
    check, findings = ChainCheck("intake", LogDecoder()), []
    for sent in (forged, following):  # the first row holds and is not sent
        check.row(sent, findings)
    assert [(f.position, f.event_id) for f in findings] == [
        (None, "6f1d2c3b-aaaa-4bbb-8ccc-000000000001")
    ]
    assert "after chain position 1" in findings[0].problem
    assert (check.position, check.prev, check.events) == (2, following[7], 3)


def test_a_row_that_does_not_follow_the_link_before_it_is_found_at_its_position() -> None:
    first = row(1, 1, GENESIS, after=(0, GENESIS))
    stranger = row(2, 2, b"\x01" * 32, after=(1, first[7]))
    check, findings = ChainCheck("intake", LogDecoder()), []
    check.row(stranger, findings)
    [finding] = findings
    assert finding.position == 2 and finding.problem.startswith("does not link to position 1")


def checkpoint(position: int, claimed: int, sha256: bytes) -> bytes:
    document = {**EXAMPLES["ChainCheckpointed"], "position": claimed, "sha256": sha256.hex()}
    return b'{"headers":{},"event":%b}' % compact_json(document)


def test_a_checkpoint_must_name_the_link_the_chain_holds_before_it() -> None:
    decisions, findings = Decisions("intake", LogDecoder(), RuleCheck()), []
    held, other = b"\x0a" * 32, b"\x0b" * 32
    decisions.row(10, checkpoint(10, 9, held), findings)  # names the link held: fine
    decisions.row(20, checkpoint(20, 9, other), findings)  # names another link
    decisions.row(30, checkpoint(30, 30, held), findings)  # names itself or later
    assert findings == []
    found = list(decisions.checked({9: held, 30: held}))
    assert [f.position for f in found] == [20, 30]
    assert f"the chain at 9 is {held.hex()[:16]}" in found[0].problem
    assert "the chain holds no position 30 before it" in found[1].problem


def test_an_event_that_reads_but_lacks_what_its_rule_needs_is_a_finding_not_a_stop() -> None:
    decisions, findings = Decisions("intake", LogDecoder(), RuleCheck()), []
    undated = {**EXAMPLES["InscriptionReceived"], "occurred_at": "15 juli", "broker_time": None}
    decisions.row(4, b'{"headers":{},"event":%b}' % compact_json(undated), findings)
    naive = {**undated, "occurred_at": "2026-07-15T10:30:00"}  # no offset: no instant
    decisions.row(5, b'{"headers":{},"event":%b}' % compact_json(naive), findings)
    decisions.row(6, stored("6f1d2c3b-aaaa-4bbb-8ccc-000000000006"), findings)  # judged: fine
    assert [(f.position, f.event_id) for f in findings] == [
        (4, undated["event_id"]),
        (5, undated["event_id"]),
    ]
    assert findings[0].problem.startswith("cannot be judged: ValueError")
    assert "has no UTC offset" in findings[1].problem
