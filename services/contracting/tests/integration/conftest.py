"""The `zorgkantoor` fixture of contracting's integration tests: contracting running, the
upstream publishers beside it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import nats
import pytest
from oco_contracting.bootstrap import bootstrap
from plumbing_support import Isolation, ScriptedReceipt, Servers
from zorgkantoor_support import Zorgkantoor


@pytest.fixture
async def zorgkantoor(servers: Servers, isolation: Isolation) -> AsyncIterator[Zorgkantoor]:
    receipt = ScriptedReceipt()
    service = bootstrap(isolation.settings(servers), receipt=receipt)
    await service.start()
    connection = await nats.connect(servers.nats_url)
    yield Zorgkantoor(connection.jetstream(), isolation, receipt)
    await connection.close()
    await service.stop()
