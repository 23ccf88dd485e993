"""`oco audit verify` on a real intake log: clean it passes; every way of rewriting the
store or the stream is reported at the place it was done.

The auditor runs as an operator would: `oco audit verify` in its own process, as the
read-only PostgreSQL role and broker user. Each tampering is undone before the next.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import nats
import psycopg
import pytest
from audit_support import AuditedLog, auditor_env
from oco_assessment.bootstrap import bootstrap as assessment
from oco_audit.chain import content_digest, link
from oco_audit.log import LogDecoder
from oco_audit.verify import verify
from oco_contracting.bootstrap import bootstrap as contracting
from oco_devstack.simulation.player import play
from oco_devstack.simulation.scenario import sample_round
from oco_intake.bootstrap import bootstrap as intake
from oco_objection.bootstrap import bootstrap as objection
from oco_shared.contract import REGISTRY, Event
from oco_shared.contract.examples import EXAMPLES
from oco_shared.eventstore import (
    CHAIN_POSITION,
    CHAIN_PREV,
    CHAIN_SHA256,
    GENESIS,
    EventStore,
    NewEvent,
)
from plumbing_support import Isolation, Servers
from psycopg import sql

pytestmark = pytest.mark.integration


def findings(log: AuditedLog) -> list[dict[str, Any]]:
    done = log.audit("verify", "--json")
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    assert (done.returncode == 1) == bool(report["findings"])
    return [f for f in report["findings"] if f["service"] == "intake"]


def at(found: list[dict[str, Any]]) -> list[tuple[str, int | None, str]]:
    """Each finding as (copy, position, the gist of the problem)."""
    return [(f["copy"], f["position"], f["problem"]) for f in found]


@contextlib.contextmanager
def tampered(log: AuditedLog) -> Iterator[psycopg.Connection[Any]]:
    """A superuser's connection to the intake schema; the log is put back afterwards."""
    with psycopg.connect(log.servers.database_url, autocommit=True) as db:
        db.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(log.schema)))
        db.execute("CREATE TEMPORARY TABLE original AS SELECT * FROM stored_events")
        try:
            yield db
        finally:
            db.execute("DELETE FROM stored_events")
            db.execute("INSERT INTO stored_events SELECT * FROM original")


def notification_at(db: psycopg.Connection[Any], position: int) -> int:
    row = db.execute(
        "SELECT notification_id FROM event_chain WHERE position = %s", (position,)
    ).fetchone()
    assert row is not None
    return int(row[0])


def event_id_at(db: psycopg.Connection[Any], position: int) -> str:
    row = db.execute(
        "SELECT convert_from(state, 'UTF8')::jsonb -> 'event' ->> 'event_id' FROM stored_events"
        " JOIN event_chain USING (notification_id) WHERE position = %s",
        (position,),
    ).fetchone()
    assert row is not None
    return str(row[0])


async def test_a_clean_log_verifies(intake_log: AuditedLog) -> None:
    done = intake_log.audit("verify")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "intake: 7 events, chain head 7, 7 on the stream" in done.stdout
    assert "assessment: no log" in done.stdout
    assert done.stdout.rstrip().endswith("0 findings")


async def test_every_rewrite_of_the_store_is_reported_where_it_was_made(
    intake_log: AuditedLog,
) -> None:
    # One byte of the third event changed (a provider's name: the JSON still reads).
    with tampered(intake_log) as db:
        changed = event_id_at(db, 3)
        db.execute(
            "UPDATE stored_events SET state = overlay(state PLACING 'X' FROM"
            " position('Aanbieder' IN convert_from(state, 'UTF8')) FOR 1)"
            " WHERE notification_id = %s",
            (notification_at(db, 3),),
        )
        found = findings(intake_log)
    assert {(f["copy"], f["position"], f["event_id"]) for f in found} == {
        ("store", 3, changed),
        ("stream", 3, changed),
    }
    assert "changed since it was recorded" in found[0]["problem"] + found[1]["problem"]
    assert "differs between the stream and the store" in found[0]["problem"] + found[1]["problem"]

    # The fourth event deleted.
    with tampered(intake_log) as db:
        deleted = event_id_at(db, 4)
        db.execute(
            "DELETE FROM stored_events WHERE notification_id = %s", (notification_at(db, 4),)
        )
        found = findings(intake_log)
    assert [(copy, position) for copy, position, _ in at(found)] == [
        ("store", 4),
        ("stream", 4),
    ]
    assert "position 4 missing from the log" in found[0]["problem"]
    assert found[1]["event_id"] == deleted and "not in the store" in found[1]["problem"]

    # The second and the fifth swapped.
    with tampered(intake_log) as db:
        second, fifth = notification_at(db, 2), notification_at(db, 5)
        db.execute(
            "UPDATE stored_events SET state = CASE notification_id WHEN %s THEN b.state"
            " ELSE a.state END FROM (SELECT state FROM stored_events WHERE notification_id = %s) a,"
            " (SELECT state FROM stored_events WHERE notification_id = %s) b"
            " WHERE notification_id IN (%s, %s)",
            (second, second, fifth, second, fifth),
        )
        found = findings(intake_log)
    store = [(position, problem) for copy, position, problem in at(found) if copy == "store"]
    assert [position for position, _ in store] == [2, 5]
    assert all("changed since it was recorded" in problem for _, problem in store)

    # A forged event inserted directly, after the last one.
    with tampered(intake_log) as db:
        forged = str(uuid.uuid4())
        db.execute(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state)"
            " SELECT gen_random_uuid(), 1, topic, convert_to(replace(convert_from(state, 'UTF8'),"
            " %s, %s), 'UTF8') FROM stored_events WHERE notification_id = %s",
            (event_id_at(db, 1), forged, notification_at(db, 1)),
        )
        found = findings(intake_log)
    assert at(found) == [
        (
            "store",
            None,
            found[0]["problem"],
        )
    ]
    assert found[0]["event_id"] == forged
    assert (
        "not on the chain" in found[0]["problem"]
        and "after chain position 7" in found[0]["problem"]
    )

    # A state emptied (set to NULL): nothing hashes to its link.
    with tampered(intake_log) as db:
        db.execute(
            "UPDATE stored_events SET state = NULL WHERE notification_id = %s",
            (notification_at(db, 6),),
        )
        found = findings(intake_log)
    store = [(position, problem) for copy, position, problem in at(found) if copy == "store"]
    assert store and {position for position, _ in store} == {6}
    assert any("changed since it was recorded" in problem for _, problem in store)

    # Put back, the log verifies again.
    assert findings(intake_log) == []


async def test_the_auditors_own_links_are_the_stores(intake_log: AuditedLog) -> None:
    """The chain as `oco_audit.chain` computes it, in Python, from the stored rows equals
    the one the store computed in SQL when it recorded them."""
    with psycopg.connect(intake_log.servers.database_url) as db:
        rows = db.execute(
            sql.SQL(
                "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic,"
                " e.state, c.prev, c.sha256 FROM {schema}.stored_events e"
                " JOIN {schema}.event_chain c USING (notification_id) ORDER BY c.position"
            ).format(schema=sql.Identifier(intake_log.schema))
        ).fetchall()
    assert len(rows) == 7
    prev = GENESIS
    for notification_id, originator_id, version, topic, state, stored_prev, stored in rows:
        assert stored_prev == prev
        computed = link(prev, notification_id, content_digest(originator_id, version, topic, state))
        assert computed == stored, notification_id
        prev = computed


async def test_events_on_the_stream_that_the_store_lacks_or_that_do_not_link(
    intake_log: AuditedLog,
) -> None:
    connection = await nats.connect(intake_log.servers.nats_url)  # as the provisioner
    js = connection.jetstream()
    topology = intake_log.isolation.topology
    stream = topology.service_stream("intake")
    head = (await js.get_msg(stream, 7)).headers or {}
    body = json.loads((await js.get_msg(stream, 1)).data)

    async def publish(position: int, prev: str) -> str:
        event_id = str(uuid.uuid4())
        await js.publish(
            topology.event_subject("intake", "InscriptionReceived"),
            json.dumps({**body, "event_id": event_id}).encode(),
            stream=stream,
            headers={
                "Nats-Msg-Id": event_id,
                CHAIN_POSITION: str(position),
                CHAIN_PREV: prev,
                CHAIN_SHA256: "ab" * 32,
            },
        )
        return event_id

    try:
        linked = await publish(8, head[CHAIN_SHA256])  # links, but the store never had it
        found = findings(intake_log)
        assert [(f["copy"], f["position"], f["event_id"]) for f in found] == [("stream", 8, linked)]
        assert "on the stream (sequence 8), not in the store" in found[0]["problem"]

        unlinked = await publish(9, GENESIS.hex())  # and does not link to the one before
        found = [f for f in findings(intake_log) if f["event_id"] == unlinked]
    finally:
        await connection.close()
    assert [(f["copy"], f["position"]) for f in found] == [("stream", 9), ("stream", 9)]
    problems = " | ".join(f["problem"] for f in found)
    assert "does not link" in problems and "not in the store" in problems


async def test_the_sample_round_verifies_clean(
    servers: Servers, isolation: Isolation, auditor_roles: str
) -> None:
    """Every decision of a whole round, played on a rehearsal clock that jumps from
    phase to phase, agrees with its rule; both copies of each log agree."""
    settings = isolation.settings(servers, rehearsal=True)
    services = [
        intake(settings),
        assessment(settings),
        objection(settings),
        contracting(settings),
    ]
    for service in services:
        await service.start()
    try:
        played = await play(sample_round(2027, "2027-2028"), settings)
    finally:
        for service in services:
            await service.stop()
    assert played.dead_letters == []
    log = AuditedLog(servers, isolation, auditor_env(servers, isolation, auditor_roles), [])
    done = log.audit("verify", "--round", "2027-2028")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "0 findings" in done.stdout
    # Every event of each log on its chain and on its stream (a long run may add checkpoints).
    decided = sum(1 for e in played.events if e["type"].startswith(("Inscription", "Question")))
    for service in ("intake", "assessment", "objection", "contracting"):
        found = re.search(
            rf"^{service}: (\d+) events, chain head (\d+), (\d+) on the stream$", done.stdout, re.M
        )
        assert found is not None, done.stdout
        assert len(set(found.groups())) == 1, found.group(0)
        if service == "intake":
            assert int(found.group(1)) >= decided > 100
    refused_late = [e for e in played.events if e["type"] == "InscriptionRejected"]
    assert any(
        r["code"] == "inscription_closed" for e in refused_late for r in e["refusals"]
    )  # the round holds decisions at the deadline, which verify re-evaluated


async def test_a_log_encrypted_at_rest_is_verified_through_its_key(
    servers: Servers, isolation: Isolation
) -> None:
    key = base64.b64encode(bytes(range(32))).decode()
    schema = f"{isolation.schema_prefix}intake"
    store = EventStore(servers.database_url, schema, cipher_key=key)
    store.migrate()
    opened = REGISTRY.parse(EXAMPLES["RoundOpened"])
    assert isinstance(opened, Event)
    store.append(
        [
            NewEvent(uuid.uuid4(), 1, opened.model_copy(update={"event_id": uuid.uuid4()}))
            for _ in range(3)
        ]
    )
    store.close()

    async def found() -> list[tuple[int | None, str | None, str]]:
        report = await verify(
            servers.database_url,
            None,
            isolation.topology,
            isolation.schema_prefix,
            ["intake"],
            LogDecoder(cipher_key=key),
        )
        assert report.services[0].events == 3
        return [(f.position, f.event_id, f.problem) for f in report.findings]

    assert await found() == []
    with psycopg.connect(servers.database_url, autocommit=True) as db:
        db.execute(
            sql.SQL(
                "UPDATE {}.stored_events SET state = set_byte(state, 20, get_byte(state, 20) # 1)"
                " WHERE notification_id = 2"
            ).format(sql.Identifier(schema))
        )
    [(position, event_id, _)] = [f for f in await found() if f[2].startswith("changed")]
    assert position == 2 and event_id is None  # the changed ciphertext no longer decrypts


async def test_a_round_with_an_objection_a_kort_geding_and_its_contracts_verifies_clean(
    round_log: AuditedLog,
) -> None:
    done = round_log.audit("verify", "--round", "2027-2028")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "objection: 11 events, chain head 11, 11 on the stream" in done.stdout
    assert "contracting: 12 events, chain head 12, 12 on the stream" in done.stdout
