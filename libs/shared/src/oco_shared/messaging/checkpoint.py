"""Checkpointing a service's hash chain: its head, recorded as an event in the log.

Each event the relay publishes carries its own link already; a checkpoint records the
head in the log itself. The checkpointer looks every `interval_seconds`: it records
`ChainCheckpointed` (the head's position and link) once `every` events were recorded
since the last checkpoint, or once the head has stayed where it is for `quiet_seconds`
(so a quiet log's last events are covered too). The relay publishes it like any event.
Two processes that both checkpoint cannot record the same checkpoint twice (its
aggregate version is taken).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import structlog

from oco_shared.contract import Actor, ActorKind
from oco_shared.contract.events import ChainCheckpointed
from oco_shared.eventstore import ChainHead, ConcurrencyConflict, EventStore, NewEvent
from oco_shared.messaging.consumer import wait_or_stop

log = structlog.get_logger(__name__)

# The one aggregate of a service's checkpoints: stable per schema, so versions follow.
_CHECKPOINTS = uuid.UUID("2f0c4b9e-5a1d-4c7e-9b3f-8d6a0e1c2b47")


class ChainCheckpointer:
    name = "checkpoints"

    def __init__(
        self,
        store: EventStore,
        service: str,
        *,
        interval_seconds: float = 30.0,
        every: int = 1000,
        quiet_seconds: float = 600.0,
    ) -> None:
        self.store = store
        self.service = service
        self.interval_seconds = interval_seconds
        self.every = every
        self.quiet_seconds = quiet_seconds
        self.aggregate_id = uuid.uuid5(_CHECKPOINTS, store.schema)
        self.state = "starting"
        self.position: int | None = None  # the head last checkpointed (read on first look)
        self._seen = (0, 0.0)  # the head's position when last seen to move, and when

    def status(self) -> dict[str, Any]:
        return {"state": self.state, "position": self.position or 0}

    async def run(self, stop: asyncio.Event) -> None:
        self.state = "running"
        while True:
            await wait_or_stop(stop, self.interval_seconds)
            if stop.is_set():
                return
            await asyncio.to_thread(self.look, time.monotonic())

    def look(self, now: float) -> ChainCheckpointed | None:
        """Checkpoint the head if it is due: `every` events on, or quiet long enough."""
        head = self.store.chain_head()
        if head is None or isinstance(head.event, ChainCheckpointed):
            return None
        if self.position is None:
            last = self.store.last_event(self.aggregate_id)
            self.position = (
                last[1].position if last and isinstance(last[1], ChainCheckpointed) else 0
            )
        if head.position != self._seen[0]:
            self._seen = (head.position, now)
        if head.position - self.position >= self.every or now - self._seen[1] >= self.quiet_seconds:
            return self.checkpoint(head)
        return None

    def checkpoint(self, head: ChainHead | None = None) -> ChainCheckpointed | None:
        """Record the head, unless the log holds nothing new since the last checkpoint."""
        head = head or self.store.chain_head()
        if head is None or isinstance(head.event, ChainCheckpointed):
            return None
        checkpoint = ChainCheckpointed(
            round_id=head.event.round_id,
            occurred_at=head.event.occurred_at,
            broker_time=head.event.broker_time,
            rehearsal=head.event.rehearsal,
            correlation_id=head.event.correlation_id,
            causation_id=head.event.event_id,
            actor=Actor(kind=ActorKind.SYSTEM, id=self.service),
            service=self.service,
            position=head.position,
            sha256=head.sha256.hex(),
            head_event_id=head.event.event_id,
        )
        last = self.store.last_event(self.aggregate_id)
        try:
            self.store.append(
                [NewEvent(self.aggregate_id, (last[0] if last else 0) + 1, checkpoint)]
            )
        except ConcurrencyConflict:
            return None  # another process checkpointed meanwhile
        self.position = head.position
        log.info("chain.checkpointed", service=self.service, position=head.position)
        return checkpoint
