"""The `portal` fixture of intake's integration tests: intake running, a portal beside it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import nats
import pytest
from oco_intake.bootstrap import bootstrap
from plumbing_support import STREAM_MAX_BYTES, Isolation, ScriptedReceipt, Servers
from portal_support import Portal


@pytest.fixture
def stream_max_bytes() -> int:
    """Each stream's limit; a test that sends much overrides this fixture."""
    return STREAM_MAX_BYTES


@pytest.fixture
async def portal(
    servers: Servers, isolation: Isolation, stream_max_bytes: int
) -> AsyncIterator[Portal]:
    receipt = ScriptedReceipt()
    settings = isolation.settings(servers, stream_max_bytes=stream_max_bytes)
    service = bootstrap(settings, receipt=receipt)
    await service.start()
    try:
        connection = await nats.connect(servers.nats_url)
        try:
            yield Portal(connection.jetstream(), isolation, receipt, service)
        finally:
            await connection.close()
    finally:
        await service.stop()
