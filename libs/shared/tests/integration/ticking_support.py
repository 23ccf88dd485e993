"""A smallest service with deadlines, for the ticker's tests: every opened window closes
at its instant; and `ticker_settled`, for any service's tests that let time pass."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from oco_shared.contract import REGISTRY, Event
from oco_shared.contract.events import ObjectionWindowClosed, ObjectionWindowOpened
from oco_shared.contract.examples import EXAMPLES
from oco_shared.eventstore import EventStore
from oco_shared.messaging.ticker import Due
from oco_shared.rounds import AMSTERDAM
from oco_shared.runtime import ServiceRuntime

CLOSES = datetime(2026, 10, 3, 0, 0, tzinfo=AMSTERDAM)


def opened(closes_at: datetime = CLOSES) -> ObjectionWindowOpened:
    event = REGISTRY.parse({**EXAMPLES["ObjectionWindowOpened"], "event_id": str(uuid.uuid4())})
    assert isinstance(event, ObjectionWindowOpened)
    return event.model_copy(update={"closes_at": closes_at})


def closing(window: ObjectionWindowOpened) -> ObjectionWindowClosed:
    event = REGISTRY.parse(EXAMPLES["ObjectionWindowClosed"])
    assert isinstance(event, ObjectionWindowClosed)
    return event.model_copy(update={"closed_at": window.closes_at})


class WindowsClose:
    """Every opened window closes at its instant: the smallest service there is."""

    name = "windows"

    def watch(self, event: Event) -> Iterable[datetime]:
        return [event.closes_at] if isinstance(event, ObjectionWindowOpened) else []

    def due(self, aggregate_id: uuid.UUID, events: Sequence[Event], now: datetime) -> list[Due]:
        return [
            Due(f"closed:{event.event_id}", event.closes_at, closing(event))
            for event in events
            if isinstance(event, ObjectionWindowOpened) and event.closes_at <= now
        ]


async def ticker_settled(service: ServiceRuntime | None, timeout: float = 30) -> None:
    """Until the service's ticker has read the whole log and ticked on it a few times: what
    it has not recorded by then, it does not record at this time."""
    assert service is not None and service.ticker is not None
    ticker, store = service.ticker, service.store
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
