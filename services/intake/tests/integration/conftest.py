"""The `portal` fixture of intake's integration tests: intake running, a portal beside it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import nats
import pytest
from oco_intake.bootstrap import bootstrap
from plumbing_support import Isolation, Servers
from portal_support import Portal, ScriptedReceipt


@pytest.fixture
async def portal(servers: Servers, isolation: Isolation) -> AsyncIterator[Portal]:
    receipt = ScriptedReceipt()
    service = bootstrap(isolation.settings(servers), receipt=receipt)
    await service.start()
    connection = await nats.connect(servers.nats_url)
    yield Portal(connection.jetstream(), isolation, receipt, service)
    await connection.close()
    await service.stop()
