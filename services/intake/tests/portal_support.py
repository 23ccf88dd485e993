"""A portal for intake's integration tests: it publishes as portals do and reads outcomes.

The broker stamps receipt times now, not in July 2026, so the receipt-time port maps each
message id to the instant the scenario needs; everything else (broker, stream, consumer,
store, relay, read model) is real.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import datetime
from typing import Any

from nats.js import JetStreamContext
from oco_shared.runtime import ServiceRuntime
from plumbing_support import (
    Isolation,
    ScriptedReceipt,
    stream_count,
    stream_documents,
    wait_for_count,
)


class Portal:
    def __init__(
        self,
        js: JetStreamContext,
        isolation: Isolation,
        receipt: ScriptedReceipt,
        runtime: ServiceRuntime,
    ) -> None:
        self.js, self.topology, self.receipt = js, isolation.topology, receipt
        self.runtime = runtime

    async def publish(
        self,
        kind: str,
        payload: dict[str, Any] | bytes,
        received_at: datetime | None = None,
        office: str | None = None,
    ) -> str:
        """On the portal subject `kind`, or as uitvoerder `office` on its office subject."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        message_id = (
            payload["message_id"]
            if isinstance(payload, dict) and "message_id" in payload
            else str(uuid.uuid4())
        )
        if received_at is not None:
            self.receipt.times[message_id] = received_at
        await self.js.publish(
            self.topology.office_subject(office, kind)
            if office
            else self.topology.portal_subject(kind),
            body,
            stream=self.topology.office_stream if office else self.topology.portal_stream,
            headers={"Nats-Msg-Id": message_id},
        )
        return message_id

    async def outcomes(self, expected: int, timeout: float = 60) -> list[dict[str, Any]]:
        """The events on the intake stream, once it holds at least `expected`."""
        stream = self.topology.service_stream("intake")
        deadline = time.monotonic() + timeout
        while await stream_count(self.js, stream) < expected:
            assert time.monotonic() < deadline, "intake did not produce the expected events"
            await asyncio.sleep(0.05)
        return await stream_documents(self.js, stream, self.topology.service_subjects("intake"))

    async def dead_letters(self, expected: int = 0) -> list[dict[str, Any]]:
        """The dead letters, once at least `expected` are published: intake sets a message
        aside in its own time, after what came behind it may already have its outcome."""
        await wait_for_count(self.js, self.topology.deadletter_stream, expected, timeout=60)
        return await stream_documents(
            self.js, self.topology.deadletter_stream, self.topology.deadletter_subject("intake")
        )
