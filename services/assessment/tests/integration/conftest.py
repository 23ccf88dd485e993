"""The `office` fixture of assessment's integration tests: assessment running, the
upstream publishers beside it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import nats
import pytest
from oco_assessment.bootstrap import bootstrap
from office_support import Office
from plumbing_support import Isolation, ScriptedReceipt, Servers


@pytest.fixture
async def office(servers: Servers, isolation: Isolation) -> AsyncIterator[Office]:
    receipt = ScriptedReceipt()
    service = bootstrap(isolation.settings(servers), receipt=receipt)
    await service.start()
    connection = await nats.connect(servers.nats_url)
    yield Office(connection.jetstream(), isolation, receipt, service)
    await connection.close()
    await service.stop()
