"""The upstream services, a zorgkantoor's office and a provider's portal around a real
contracting service, for contracting's integration tests.

The broker stamps receipt times now, not in October 2026, so the receipt-time port maps
each message id (an upstream event's id) to the instant the scenario needs; everything
else (broker, streams, consumers, store, relay, read model, ticker) is real; the ticker
reads a clock the test moves, and the service can be stopped and started again.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from nats.js import JetStreamContext
from oco_contracting.bootstrap import bootstrap
from oco_shared.clock import FixedClock
from oco_shared.eventstore import EventStore
from oco_shared.runtime import ServiceRuntime
from plumbing_support import Isolation, ScriptedReceipt, Servers, stream_documents


class Zorgkantoor:
    """Publishes as assessment, the objection service, a zorgkantoor and a portal do, and
    reads what contracting publishes."""

    def __init__(
        self, js: JetStreamContext, isolation: Isolation, receipt: ScriptedReceipt
    ) -> None:
        self.js, self.topology, self.receipt = js, isolation.topology, receipt

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
            self.topology.office_subject(uitvoerder, "contracting"),
            self.topology.office_stream,
            message,
            message["message_id"],
            at,
        )

    async def portal(self, message: dict[str, Any], at: datetime) -> None:
        await self._publish(
            self.topology.portal_subject("contracting"),
            self.topology.portal_stream,
            message,
            message["message_id"],
            at,
        )

    async def published(self) -> list[dict[str, Any]]:
        return await stream_documents(
            self.js,
            self.topology.service_stream("contracting"),
            self.topology.service_subjects("contracting"),
        )

    async def until(
        self, found: Callable[[list[dict[str, Any]]], bool], timeout: float = 90
    ) -> list[dict[str, Any]]:
        """Contracting's events, once `found` holds for them."""
        deadline = time.monotonic() + timeout
        while True:
            events = await self.published()
            if found(events):
                return events
            assert time.monotonic() < deadline, "contracting did not publish what was awaited"
            await asyncio.sleep(0.1)

    async def caused_by(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """The events a message caused (a message is decided in one transaction)."""
        events = await self.until(
            lambda events: any(e["causation_id"] == message["message_id"] for e in events)
        )
        return [e for e in events if e["causation_id"] == message["message_id"]]

    async def outcome_of(self, message: dict[str, Any]) -> dict[str, Any]:
        """The one event a message caused: its signature or its refusal."""
        [caused] = await self.caused_by(message)
        return caused

    async def noted(self, upstream: dict[str, Any]) -> None:
        """Wait until contracting noted an upstream event."""
        await self.until(
            lambda events: any(e.get("source_event_id") == upstream["event_id"] for e in events)
        )


class Running:
    """The contracting service in-process, on scripted receipt times and a ticker clock
    the test sets."""

    def __init__(
        self, servers: Servers, isolation: Isolation, receipt: ScriptedReceipt, clock: FixedClock
    ) -> None:
        self.servers, self.isolation, self.receipt, self.clock = servers, isolation, receipt, clock
        self.service: ServiceRuntime | None = None

    async def start(self) -> None:
        settings = self.isolation.settings(self.servers, tick_seconds=0.1)
        self.service = bootstrap(settings, receipt=self.receipt, tick_clock=self.clock)
        await self.service.start()

    async def stop(self) -> None:
        if self.service is not None:
            await self.service.stop()
            self.service = None

    async def settled(self, timeout: float = 30) -> None:
        """Until the ticker has read the whole log and ticked on it a few times."""
        assert self.service is not None and self.service.ticker is not None
        ticker, store = self.service.ticker, self.service.store
        deadline = time.monotonic() + timeout
        while True:
            ticks = ticker.ticks
            head = await asyncio.to_thread(EventStore.max_position, store)
            if ticker.state == "running" and ticker.position >= head:
                await asyncio.sleep(0.35)
                if ticker.ticks >= ticks + 2:
                    return
            assert time.monotonic() < deadline, "the ticker did not settle"
            await asyncio.sleep(0.05)
