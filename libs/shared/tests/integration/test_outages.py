"""Server outages in the middle of a stream: every task recovers by itself, nothing is lost.

Each test runs a private embedded stack (its own nats-server and PostgreSQL, under
tmp_path) so it can stop them: PostgreSQL as `pg_ctl stop -m immediate` does (SIGQUIT to
the postmaster), nats-server with SIGKILL. A publisher offers upstream events steadily
before, during and after the outage; `/readyz` must say 503 while a server is away and
200 once everything runs again, and the downstream log must hold each event once, in order.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import nats
import pytest
from nats.errors import Error as NatsError
from oco_devstack.servers import stack_down, stack_up
from oco_shared.runtime import ServiceRuntime
from plumbing_support import (
    Isolation,
    Servers,
    stored_event_count,
    stream_count,
    stream_documents,
)
from probe_service import PROBE, SOURCE, probe_event, probe_runtime

pytestmark = pytest.mark.integration

TOTAL = 1_200
RATE = 300  # upstream events per second


@pytest.fixture
def private_stack() -> Iterator[Path]:
    # A folder of its own under /tmp that others may enter: PostgreSQL runs as another
    # user when the tests run as root, and a checkout or pytest's tmp_path may be private.
    data_dir = Path(tempfile.mkdtemp(prefix="oco-outage-"))
    data_dir.chmod(0o711)
    try:
        stack_up(data_dir)
        yield data_dir
    finally:  # also when start-up failed half-way: no server is left behind
        stack_down(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


def server_pid(data_dir: Path, kind: str) -> int:
    state = json.loads((data_dir / "stack" / "stack.json").read_text())
    return int(state[kind]["pid"])


async def publish_steadily(servers: Servers, isolation: Isolation, upstream: list[str]) -> None:
    """TOTAL events at RATE per second; a publish that fails is sent again (same id)."""
    topology = isolation.topology
    connection = await nats.connect(servers.nats_url, max_reconnect_attempts=-1)
    js = connection.jetstream()
    started = time.monotonic()
    for index in range(TOTAL):
        event = probe_event()
        upstream.append(str(event.event_id))
        await asyncio.sleep(max(0.0, started + index / RATE - time.monotonic()))
        while True:
            try:
                await js.publish(
                    topology.event_subject(SOURCE, event.type),
                    event.model_dump_json().encode(),
                    stream=topology.service_stream(SOURCE),
                    headers={"Nats-Msg-Id": str(event.event_id)},
                    timeout=2,
                )
                break
            except (TimeoutError, NatsError):
                await asyncio.sleep(0.2)
    await connection.close()


async def readiness(client: httpx.AsyncClient) -> int:
    return (await client.get("/readyz")).status_code


async def until(check: Callable[[], object], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():  # type: ignore[misc]
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


async def run_through_outage(
    data_dir: Path, isolation: Isolation, stop_server: Callable[[], None]
) -> tuple[list[str], list[str], int, ServiceRuntime, list[int]]:
    addresses = stack_up(data_dir)
    servers = Servers(addresses.nats_url, addresses.database_url)
    runtime = probe_runtime(isolation.settings(servers, connect_timeout_seconds=2.0))
    await runtime.start()
    seen: list[int] = []
    upstream: list[str] = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=runtime.asgi), base_url="http://probe"
    ) as client:
        await until(lambda: _is(client, 200, seen))
        publisher = asyncio.create_task(publish_steadily(servers, isolation, upstream))
        await asyncio.sleep(1.0)
        stop_server()
        await until(lambda: _is(client, 503, seen), timeout=30)
        await asyncio.sleep(3.0)
        again = stack_up(data_dir)
        assert again == addresses, "the server came back on its old port"
        await publisher
        await until(lambda: _is(client, 200, seen))
        downstream = isolation.topology.service_stream(PROBE)
        connection = await nats.connect(servers.nats_url)
        js = connection.jetstream()
        await until(lambda: _reached(js, downstream, TOTAL))
        await asyncio.sleep(1.0)  # a duplicate would arrive now
        documents = await stream_documents(
            js, downstream, isolation.topology.service_subjects(PROBE)
        )
        await connection.close()
    await runtime.stop()
    stored = stored_event_count(servers, f"{isolation.schema_prefix}{PROBE}")
    return upstream, [d["causation_id"] for d in documents], stored, runtime, seen


async def _is(client: httpx.AsyncClient, status: int, seen: list[int]) -> bool:
    try:
        observed = await readiness(client)
    except httpx.HTTPError:
        return False
    seen.append(observed)
    return observed == status


async def _reached(js, stream: str, count: int) -> bool:  # type: ignore[no-untyped-def]
    try:
        return await stream_count(js, stream) >= count
    except (TimeoutError, NatsError):
        return False


async def test_postgres_stopped_immediately_mid_stream_loses_and_repeats_nothing(
    private_stack: Path, isolation: Isolation
) -> None:
    def stop_postgres() -> None:
        os.kill(server_pid(private_stack, "postgres"), signal.SIGQUIT)  # -m immediate

    upstream, causes, stored, runtime, seen = await run_through_outage(
        private_stack, isolation, stop_postgres
    )
    assert 503 in seen and seen[-1] == 200
    assert causes == upstream
    assert stored == TOTAL
    report = runtime.supervisor.report()
    assert report["relay"]["restarts"] >= 1, "the relay lost its connection and came back"


async def test_nats_killed_mid_stream_loses_and_repeats_nothing(
    private_stack: Path, isolation: Isolation
) -> None:
    def kill_nats() -> None:
        os.kill(server_pid(private_stack, "nats"), signal.SIGKILL)

    upstream, causes, stored, _, seen = await run_through_outage(
        private_stack, isolation, kill_nats
    )
    assert 503 in seen and seen[-1] == 200
    assert causes == upstream
    assert stored == TOTAL
