"""The objection service as its own process on a rehearsal clock, SIGKILLed during a
burst of filings, with the deadline passing while it is down: no filing lost or
duplicated, and every window closed exactly once, counting every filing."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime

import nats
import pytest
from desk_support import Desk, of_type
from objection_support import at, objection, selection_published
from oco_shared.messaging.procedure_clock import read_timeline, set_procedure_clock
from oco_shared.messaging.topology import SERVICES, provision_streams
from oco_shared.procedure_time import advanced, rehearsal_definition
from plumbing_support import STREAM_MAX_BYTES, Isolation, Servers, stored_event_count

pytestmark = pytest.mark.integration

PARTIES = ("10000001", "10000002", "10000003", "10000004")
PER_PARTY = 60


def start_service(isolation: Isolation, servers: Servers, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "oco_objection"],
        env=isolation.env(
            servers,
            OCO_REHEARSAL="true",
            OCO_TICK_SECONDS="0.2",
            OCO_HTTP_PORT=str(port),
            OCO_CONSUMER_BATCH_SIZE="16",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_sigkill_during_a_burst_of_filings_loses_and_repeats_nothing(
    servers: Servers, isolation: Isolation, free_port: int
) -> None:
    seed = int(os.environ.get("OCO_KILL_SEED") or random.randrange(1_000_000))
    print(f"kill points from OCO_KILL_SEED={seed}")
    topology = isolation.topology
    connection = await nats.connect(servers.nats_url)
    js = connection.jetstream()
    desk = Desk(js, topology, receipt=None)
    await provision_streams(
        js,
        topology.stream_configs(
            SERVICES, replicas=1, duplicate_window_seconds=3600, max_bytes=STREAM_MAX_BYTES
        ),
    )
    # Procedure time runs as real time from 1 October 12:00, inside the window.
    await set_procedure_clock(
        js, topology, rehearsal_definition("2027-2028", at(2026, 10, 1, 12), 1.0)
    )
    service = start_service(isolation, servers, free_port)
    try:
        await desk.published(
            selection_published(dict.fromkeys(PARTIES, "rejected"), at(2026, 9, 18, 12))
        )
        burst = [objection(party) for _ in range(PER_PARTY) for party in PARTIES]
        for message in burst:
            await desk.portal(message)
        total = len(burst) + len(PARTIES)  # the windows, then one decision per filing
        for kill_at in sorted(random.Random(seed).sample(range(20, len(burst) - 20), 2)):
            await count_or_exit(desk, len(PARTIES) + kill_at, service)
            service.kill()  # SIGKILL, in the middle of a batch or of its relay
            service.wait()
            service = start_service(isolation, servers, free_port)
        await desk.until(lambda events: len(events) >= total, timeout=120)
        service.kill()
        service.wait()

        # The deadline passes while the service is down.
        current = (await read_timeline(js, topology, True)).current
        assert current is not None
        jump = advanced(current, at(2026, 10, 3, 0, 0, 5), datetime.now(UTC))
        await set_procedure_clock(js, topology, jump)
        service = start_service(isolation, servers, free_port)
        events = await desk.until(
            lambda events: len(of_type(events, "ObjectionWindowClosed")) == len(PARTIES) + 1,
            timeout=120,
        )
        await asyncio.sleep(1.5)  # a repeat would be relayed now
        events = await desk.events()
    finally:
        service.kill()
        service.wait()
        await connection.close()

    decisions = Counter(e["message_id"] for e in events if "message_id" in e)
    assert decisions == Counter({message["message_id"]: 1 for message in burst})
    assert {e["type"] for e in events if "message_id" in e} == {"ObjectionFiled"}
    assert len({e["event_id"] for e in events}) == len(events)
    closed = of_type(events, "ObjectionWindowClosed")
    assert sorted((e["scope"], e["objections_filed"]) for e in closed) == [
        *[("party", PER_PARTY)] * len(PARTIES),
        ("region", len(burst)),
    ]
    assert {e["rehearsal"]["rehearsal_id"] for e in closed} == {
        str(current.definition.rehearsal_id)
    }
    schema = f"{isolation.schema_prefix}objection"
    assert stored_event_count(servers, schema) == len(events)


async def count_or_exit(desk: Desk, at_least: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while len(await desk.events()) < at_least:
        assert process.poll() is None, "the objection service died by itself"
        assert time.monotonic() < deadline, "the objection service stopped deciding"
        await asyncio.sleep(0.02)
