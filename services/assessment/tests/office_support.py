"""A zorgkantoor's office and the upstream services, for assessment's integration tests.

The broker stamps receipt times now, not in August 2026, so the receipt-time port maps
each message id (an upstream event's id) to the instant the scenario needs; everything
else (broker, streams, consumers, store, relay) is real.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from nats.js import JetStreamContext
from oco_shared.runtime import ServiceRuntime
from plumbing_support import Isolation, ScriptedReceipt, stream_count, stream_documents


class Office:
    """Publishes as intake, the objection service, a zorgkantoor and a portal do."""

    def __init__(
        self,
        js: JetStreamContext,
        isolation: Isolation,
        receipt: ScriptedReceipt,
        runtime: ServiceRuntime,
    ) -> None:
        self.js, self.topology, self.receipt, self.runtime = (
            js,
            isolation.topology,
            receipt,
            runtime,
        )

    async def _publish(
        self, subject: str, stream: str, payload: dict[str, Any], msg_id: str, at: datetime
    ) -> None:
        self.receipt.times[msg_id] = at
        await self.js.publish(
            subject, json.dumps(payload).encode(), stream=stream, headers={"Nats-Msg-Id": msg_id}
        )

    async def event_of(self, service: str, event: dict[str, Any], at: datetime) -> None:
        await self._publish(
            self.topology.event_subject(service, event["type"]),
            self.topology.service_stream(service),
            event,
            event["event_id"],
            at,
        )

    async def act(self, uitvoerder: str, message: dict[str, Any], at: datetime) -> None:
        await self._publish(
            self.topology.office_subject(uitvoerder, "assessment"),
            self.topology.office_stream,
            message,
            message["message_id"],
            at,
        )

    async def portal(self, kind: str, message: dict[str, Any], at: datetime) -> None:
        await self._publish(
            self.topology.portal_subject(kind),
            self.topology.portal_stream,
            message,
            message["message_id"],
            at,
        )

    async def until(
        self, found: Callable[[list[dict[str, Any]]], bool], timeout: float = 90
    ) -> list[dict[str, Any]]:
        """The assessment stream's events, once `found` holds for them: what arrives on
        another subject is consumed by another consumer, in its own time."""
        stream = self.topology.service_stream("assessment")
        deadline = time.monotonic() + timeout
        while True:
            events = await stream_documents(
                self.js, stream, self.topology.service_subjects("assessment")
            )
            if found(events):
                return events
            assert time.monotonic() < deadline, "assessment did not publish what was awaited"
            await asyncio.sleep(0.1)

    async def events(self, expected: int, timeout: float = 90) -> list[dict[str, Any]]:
        """The events on the assessment stream, once it holds at least `expected`."""
        stream = self.topology.service_stream("assessment")
        deadline = time.monotonic() + timeout
        while (count := await stream_count(self.js, stream)) < expected:
            assert time.monotonic() < deadline, f"assessment published {count} of {expected}"
            await asyncio.sleep(0.05)
        return await stream_documents(self.js, stream, self.topology.service_subjects("assessment"))
