"""The outbox relay and the batched exactly-once consumer, killed with SIGKILL at random points.

The kill points come from a seeded generator; the seed is printed, so a failing run can
be repeated with `OCO_KILL_SEED=<seed>`.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext
from oco_shared.eventstore import EventStore, NewEvent
from oco_shared.messaging.topology import Topology, provision_streams
from plumbing_support import (
    Isolation,
    Servers,
    stored_event_count,
    stream_count,
    stream_documents,
    wait_for_count,
)
from probe_service import PROBE, SOURCE, probe_event

pytestmark = pytest.mark.integration

WORKER = Path(__file__).with_name("probe_service.py")


def seeded_random() -> random.Random:
    seed = int(os.environ.get("OCO_KILL_SEED") or random.randrange(1_000_000))
    print(f"kill points from OCO_KILL_SEED={seed}")
    return random.Random(seed)


def start_worker(
    isolation: Isolation, servers: Servers, *args: str, **env: str
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        env=isolation.env(servers, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_every_event_arrives_exactly_once_in_commit_order_despite_five_sigkills(
    servers: Servers, isolation: Isolation
) -> None:
    total = 10_000
    store = EventStore(servers.database_url, f"{isolation.schema_prefix}{PROBE}")
    store.migrate()
    for _ in range(0, total, 500):
        store.append([NewEvent(uuid.uuid4(), 1, probe_event()) for _ in range(500)])
    committed = [str(recorded.event.event_id) for recorded in store.notifications(0, total)]
    store.close()
    assert len(committed) == total

    connection = await nats.connect(servers.nats_url)
    js = connection.jetstream()
    topology = isolation.topology
    await provision_streams(
        js, topology.stream_configs((PROBE,), replicas=1, duplicate_window_seconds=3600)
    )
    stream = topology.service_stream(PROBE)
    kill_points = sorted(seeded_random().sample(range(500, total - 500), 5))
    try:
        for kill_at in kill_points:
            relay = start_worker(isolation, servers, "relay", "256")
            await wait_for_count(js, stream, kill_at)
            relay.kill()  # SIGKILL: no clean-up, maybe with a window in flight
            relay.wait()
        relay = start_worker(isolation, servers, "relay", "256")
        await wait_for_count(js, stream, total)
        await asyncio.sleep(1.0)  # a duplicate would arrive now
        published = await stream_documents(js, stream, topology.service_subjects(PROBE))
    finally:
        relay.kill()
        relay.wait()
        await connection.close()
    assert [document["event_id"] for document in published] == committed


@dataclass
class CrashRun:
    upstream: list[str]
    downstream_causes: list[str]
    stored_events: int


async def run_consumer_through_sigkills(
    servers: Servers, isolation: Isolation, port: int, kills: int, **env: str
) -> CrashRun:
    """2,000 upstream events; the probe service SIGKILLed `kills` times while it works."""
    total = 2_000
    topology = isolation.topology
    connection = await nats.connect(servers.nats_url)
    js = connection.jetstream()
    await provision_streams(
        js, topology.stream_configs((SOURCE, PROBE), replicas=1, duplicate_window_seconds=3600)
    )
    upstream = []
    for _ in range(total):
        event = probe_event()
        upstream.append(str(event.event_id))
        await js.publish(
            topology.event_subject(SOURCE, event.type),
            event.model_dump_json().encode(),
            stream=topology.service_stream(SOURCE),
        )
    downstream = topology.service_stream(PROBE)
    kill_points = sorted(seeded_random().sample(range(1, total - 1), kills))
    env = {"OCO_HTTP_PORT": str(port), "OCO_CONSUMER_BATCH_SIZE": "64", **env}
    try:
        for kill_at in kill_points:
            service = start_worker(isolation, servers, "service", **env)
            await _count_or_exit(js, downstream, kill_at, service)
            service.kill()
            service.wait()
        service = start_worker(isolation, servers, "service", **env)
        documents = await _every_cause_then_quiet(js, topology, set(upstream))
    finally:
        service.kill()
        service.wait()
        await connection.close()
    stored = stored_event_count(servers, f"{isolation.schema_prefix}{PROBE}")
    return CrashRun(upstream, [d["causation_id"] for d in documents], stored)


async def _count_or_exit(
    js: JetStreamContext, stream: str, at_least: int, process: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + 60
    while await stream_count(js, stream) < at_least and time.monotonic() < deadline:
        assert process.poll() is None, "the probe service died by itself"
        await asyncio.sleep(0.005)


async def _every_cause_then_quiet(
    js: JetStreamContext, topology: Topology, causes: set[str]
) -> list[dict[str, Any]]:
    """The downstream events, once every upstream event caused one and the stream then grew
    no more for a second. Counting alone would not do: a build without deduplication
    reaches the count with repeats before the last restart has handled everything."""
    stream, subjects = topology.service_stream(PROBE), topology.service_subjects(PROBE)
    await wait_for_count(js, stream, len(causes))
    deadline = time.monotonic() + 120
    while True:
        documents = await stream_documents(js, stream, subjects)
        if causes <= {document["causation_id"] for document in documents}:
            break
        assert time.monotonic() < deadline, "upstream events were never handled"
        await asyncio.sleep(0.5)
    before = -1
    while (count := await stream_count(js, stream)) != before:
        before = count
        await asyncio.sleep(1.0)
    return await stream_documents(js, stream, subjects)


async def test_a_consumer_killed_ten_times_produces_each_downstream_event_once_in_order(
    servers: Servers, isolation: Isolation, free_port: int
) -> None:
    run = await run_consumer_through_sigkills(servers, isolation, free_port, kills=10)
    assert run.downstream_causes == run.upstream
    assert run.stored_events == len(run.upstream)


async def test_the_crash_test_catches_a_build_without_deduplication(
    servers: Servers, isolation: Isolation, free_port: int
) -> None:
    """The mutant keeps at-least-once delivery only: the same check must see duplicates."""
    run = await run_consumer_through_sigkills(
        servers, isolation, free_port, kills=10, OCO_PROBE_MUTANT="no-dedup"
    )
    assert set(run.downstream_causes) == set(run.upstream)  # nothing lost either way
    assert run.stored_events > len(run.upstream)
    assert run.downstream_causes != run.upstream
