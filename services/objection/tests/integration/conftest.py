"""The `desk` fixture of the objection service's integration tests: the service running
in-process on scripted receipt times and a ticker clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator

import nats
import pytest
from desk_support import Desk, Running
from objection_support import at
from oco_shared.clock import FixedClock
from plumbing_support import Isolation, ScriptedReceipt, Servers


@pytest.fixture
async def running(servers: Servers, isolation: Isolation) -> AsyncIterator[Running]:
    run = Running(servers, isolation, ScriptedReceipt(), FixedClock(at(2026, 9, 1)))
    await run.start()
    yield run
    await run.stop()


@pytest.fixture
async def desk(running: Running) -> AsyncIterator[Desk]:
    connection = await nats.connect(running.servers.nats_url)
    yield Desk(connection.jetstream(), running.isolation.topology, running.receipt)
    await connection.close()
