"""The outbox relay and the exactly-once consumer, killed with SIGKILL at random points."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nats
import psycopg
import pytest
from nats.js import JetStreamContext
from oco_shared.eventstore import EventStore, NewEvent
from plumbing_support import Isolation, Servers
from probe_service import PROBE, SOURCE, probe_event

pytestmark = pytest.mark.integration

WORKER = Path(__file__).with_name("probe_service.py")


def start_worker(
    isolation: Isolation, servers: Servers, *args: str, **env: str
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        env=isolation.env(servers, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def stream_count(js: JetStreamContext, stream: str) -> int:
    try:
        return (await js.stream_info(stream)).state.messages
    except nats.js.errors.NotFoundError:
        return 0


async def wait_for_count(
    js: JetStreamContext, stream: str, at_least: int, timeout: float = 120
) -> int:
    deadline = time.monotonic() + timeout
    while (count := await stream_count(js, stream)) < at_least:
        assert time.monotonic() < deadline, f"{stream} has {count}, waited for {at_least}"
        await asyncio.sleep(0.01)
    return count


async def stream_event_ids(js: JetStreamContext, stream: str, subject: str) -> list[str]:
    """Every event id in the stream, in stream order."""
    subscription = await js.pull_subscribe(subject, stream=stream)
    ids: list[str] = []
    while True:
        try:
            batch = await subscription.fetch(1000, timeout=1)
        except nats.errors.TimeoutError:
            break
        for message in batch:
            ids.append(json.loads(message.data)["event_id"])
            await message.ack()
    await subscription.unsubscribe()
    return ids


async def test_every_event_arrives_exactly_once_in_commit_order_despite_three_sigkills(
    servers: Servers, isolation: Isolation
) -> None:
    total = 10_000
    store = EventStore(servers.database_url, f"{isolation.schema_prefix}{PROBE}")
    store.migrate()
    for _ in range(0, total, 500):
        store.append([NewEvent(uuid.uuid4(), 1, probe_event()) for _ in range(500)])
    committed = [entry.document["event_id"] for entry in store.outbox(0, total)]
    assert len(committed) == total

    connection = await nats.connect(servers.nats_url)
    js = connection.jetstream()
    from oco_shared.messaging.topology import provision_streams

    topology = isolation.topology
    await provision_streams(
        js, topology.stream_configs((PROBE,), replicas=1, duplicate_window_seconds=3600)
    )
    stream = topology.service_stream(PROBE)

    kill_points = sorted(random.sample(range(500, total - 500), 3))
    for kill_at in kill_points:
        relay = start_worker(isolation, servers, "relay", "137")
        await wait_for_count(js, stream, kill_at)
        relay.kill()  # SIGKILL: no clean-up, maybe mid-batch
        relay.wait()
    relay = start_worker(isolation, servers, "relay", "137")
    try:
        await wait_for_count(js, stream, total)
        await asyncio.sleep(1.0)  # a duplicate would arrive now
        assert await stream_count(js, stream) == total
        published = await stream_event_ids(js, stream, topology.service_subjects(PROBE))
    finally:
        relay.kill()
        relay.wait()
        await connection.close()
        store.close()
    assert published == committed


async def test_a_consumer_killed_mid_stream_produces_each_downstream_event_once(
    servers: Servers, isolation: Isolation, free_port: int
) -> None:
    total = 1_000
    topology = isolation.topology
    connection = await nats.connect(servers.nats_url)
    js = connection.jetstream()
    from oco_shared.messaging.topology import provision_streams

    await provision_streams(
        js, topology.stream_configs((SOURCE, PROBE), replicas=1, duplicate_window_seconds=3600)
    )
    upstream_ids = []
    for _ in range(total):
        event = probe_event()
        upstream_ids.append(str(event.event_id))
        await js.publish(
            topology.event_subject(SOURCE, event.type),
            event.model_dump_json().encode(),
            stream=topology.service_stream(SOURCE),
        )

    downstream = topology.service_stream(PROBE)
    env = {"OCO_HTTP_PORT": str(free_port)}
    service = start_worker(isolation, servers, "service", **env)
    try:
        await wait_for_count(js, downstream, random.randint(100, total // 2))
        service.kill()
        service.wait()
        service = start_worker(isolation, servers, "service", **env)
        await wait_for_count(js, downstream, total)
        await asyncio.sleep(1.0)
        assert await stream_count(js, downstream) == total
        published = await stream_event_ids(js, downstream, topology.service_subjects(PROBE))
    finally:
        service.kill()
        service.wait()
        await connection.close()
    assert len(set(published)) == total
    with psycopg.connect(servers.database_url) as db:
        stored = db.execute(
            f'SELECT count(*), count(DISTINCT originator_id) FROM "{isolation.schema_prefix}{PROBE}".stored_events'
        ).fetchone()
    assert stored == (total, total)
