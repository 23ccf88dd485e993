"""The parties around the objection service, for its integration tests: assessment
publishing a region's selection, the portal sending a party's messages, a zorgkantoor's
office its answers; and the objection stream they are judged by.

The broker stamps receipt times now, not in October 2026, so the receipt-time port maps
each message id (an upstream event's id) to the instant the scenario needs, and the
ticker reads a clock the test moves; everything else (broker, streams, consumers, store,
relay, ticker) is real.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nats.js import JetStreamContext
from oco_objection.bootstrap import bootstrap
from oco_shared.clock import FixedClock
from oco_shared.messaging.topology import Topology
from oco_shared.runtime import ServiceRuntime
from plumbing_support import Documents, Isolation, Parties, ScriptedReceipt, Servers


class Desk(Parties):
    """Publishes as assessment, the portal and the offices do; reads the objection stream."""

    def __init__(
        self, js: JetStreamContext, topology: Topology, receipt: ScriptedReceipt | None
    ) -> None:
        super().__init__(js, topology, receipt, "objection")

    async def published(
        self, event: dict[str, Any], at: datetime | None = None, opened: bool = True
    ) -> None:
        """An event of assessment's; a region's selection once the objection service
        opened its windows (`opened`)."""
        await self.event_of("assessment", event, at)
        if not opened:
            return
        await self.until(
            lambda events: any(e.get("selection_event_id") == event["event_id"] for e in events)
        )

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
