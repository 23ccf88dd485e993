"""The fixtures of contracting's integration tests: the service running in-process on
scripted receipt times and a ticker clock the test moves, the upstream publishers beside it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import nats
import pytest
from contracting_support import at
from oco_shared.clock import FixedClock
from plumbing_support import Isolation, ScriptedReceipt, Servers
from zorgkantoor_support import Running, Zorgkantoor


@pytest.fixture
async def running(servers: Servers, isolation: Isolation) -> AsyncIterator[Running]:
    run = Running(servers, isolation, ScriptedReceipt(), FixedClock(at(2026, 10, 1)))
    await run.start()
    yield run
    await run.stop()


@pytest.fixture
async def zorgkantoor(running: Running) -> AsyncIterator[Zorgkantoor]:
    connection = await nats.connect(running.servers.nats_url)
    yield Zorgkantoor(connection.jetstream(), running.isolation, running.receipt)
    await connection.close()
