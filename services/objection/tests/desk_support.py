"""The parties around the objection service, for its integration tests: assessment
publishing a region's selection, the portal sending a party's messages, a zorgkantoor's
office its answers; and the objection stream they are judged by.

The broker stamps receipt times now, not in October 2026, so the receipt-time port maps
each message id (an upstream event's id) to the instant the scenario needs, and the
ticker reads a clock the test moves; everything else (broker, streams, consumers, store,
relay, ticker) is real.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nats.js import JetStreamContext
from oco_objection.bootstrap import bootstrap
from oco_shared.clock import FixedClock
from oco_shared.messaging.topology import Topology
from oco_shared.runtime import ServiceRuntime
from plumbing_support import Isolation, ScriptedReceipt, Servers, stream_documents

Documents = list[dict[str, Any]]


class Desk:
    """Publishes as assessment, the portal and the offices do; reads the objection stream."""

    def __init__(
        self, js: JetStreamContext, topology: Topology, receipt: ScriptedReceipt | None
    ) -> None:
        self.js, self.topology, self.receipt = js, topology, receipt

    async def _publish(
        self, subject: str, stream: str, payload: dict[str, Any], msg_id: str, at: datetime | None
    ) -> None:
        if at is not None:
            assert self.receipt is not None, "this desk runs on the procedure clock"
            self.receipt.times[msg_id] = at
        await self.js.publish(
            subject, json.dumps(payload).encode(), stream=stream, headers={"Nats-Msg-Id": msg_id}
        )

    async def published(
        self, event: dict[str, Any], at: datetime | None = None, opened: bool = True
    ) -> None:
        """An event of assessment's; a region's selection once the objection service
        opened its windows (`opened`)."""
        await self._publish(
            self.topology.event_subject("assessment", event["type"]),
            self.topology.service_stream("assessment"),
            event,
            event["event_id"],
            at,
        )
        if not opened:
            return
        await self.until(
            lambda events: any(e.get("selection_event_id") == event["event_id"] for e in events)
        )

    async def portal(self, message: dict[str, Any], at: datetime | None = None) -> None:
        await self._publish(
            self.topology.portal_subject("objection"),
            self.topology.portal_stream,
            message,
            message["message_id"],
            at,
        )

    async def office(self, uitvoerder: str, message: dict[str, Any], at: datetime) -> None:
        await self._publish(
            self.topology.office_subject(uitvoerder, "objection"),
            self.topology.office_stream,
            message,
            message["message_id"],
            at,
        )

    async def events(self) -> Documents:
        return await stream_documents(
            self.js,
            self.topology.service_stream("objection"),
            self.topology.service_subjects("objection"),
        )

    async def until(self, found: Callable[[Documents], bool], timeout: float = 90) -> Documents:
        """The objection stream's events, once `found` holds for them."""
        deadline = time.monotonic() + timeout
        while True:
            events = await self.events()
            if found(events):
                return events
            assert time.monotonic() < deadline, "the objection service did not publish it"
            await asyncio.sleep(0.1)

    async def decided(self, message: dict[str, Any], timeout: float = 90) -> dict[str, Any]:
        """The one event a message caused."""
        events = await self.until(
            lambda events: any(e.get("message_id") == message["message_id"] for e in events),
            timeout,
        )
        [decided] = [e for e in events if e.get("message_id") == message["message_id"]]
        return decided


def of_type(events: Documents, type_name: str, **fields: Any) -> Documents:
    return [
        e
        for e in events
        if e["type"] == type_name and all(e.get(k) == v for k, v in fields.items())
    ]


@dataclass
class Running:
    """The objection service of one test, which the test may stop and start again."""

    servers: Servers
    isolation: Isolation
    receipt: ScriptedReceipt
    clock: FixedClock
    service: ServiceRuntime | None = None

    async def start(self, **settings_overrides: object) -> ServiceRuntime:
        settings = self.isolation.settings(
            self.servers, **{"tick_seconds": 0.1, **settings_overrides}
        )
        self.service = bootstrap(settings, receipt=self.receipt, tick_clock=self.clock)
        await self.service.start()
        return self.service

    async def stop(self) -> None:
        """Stop the service, which must have run without one of its tasks failing."""
        if self.service is None:
            return
        tasks = self.service.supervisor.report()
        await self.service.stop()
        self.service = None
        failed = {name: task["last_error"] for name, task in tasks.items() if task["restarts"]}
        assert not failed, f"tasks failed while the service ran: {failed}"
