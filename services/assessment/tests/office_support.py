"""A zorgkantoor's office and the upstream services, for assessment's integration tests.

The broker stamps receipt times now, not in August 2026, so the receipt-time port maps
each message id (an upstream event's id) to the instant the scenario needs; everything
else (broker, streams, consumers, store, relay) is real.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from nats.js import JetStreamContext
from oco_shared.runtime import ServiceRuntime
from plumbing_support import Isolation, Parties, ScriptedReceipt, stream_count, stream_documents


class Office(Parties):
    """Publishes as intake, the objection service, a zorgkantoor and a portal do."""

    def __init__(
        self,
        js: JetStreamContext,
        isolation: Isolation,
        receipt: ScriptedReceipt,
        runtime: ServiceRuntime,
    ) -> None:
        super().__init__(js, isolation.topology, receipt, "assessment")
        self.runtime = runtime

    async def events(self, expected: int, timeout: float = 90) -> list[dict[str, Any]]:
        """The events on the assessment stream, once it holds at least `expected`."""
        stream = self.topology.service_stream("assessment")
        deadline = time.monotonic() + timeout
        while (count := await stream_count(self.js, stream)) < expected:
            assert time.monotonic() < deadline, f"assessment published {count} of {expected}"
            await asyncio.sleep(0.05)
        return await stream_documents(self.js, stream, self.topology.service_subjects("assessment"))
