"""Checkpointing a service's hash chain: its head, recorded as an event in the log.

Every `interval_seconds`, when events were recorded since the last checkpoint, the
service records `ChainCheckpointed` with the head's position and link. The relay
publishes it like any event, so the broker holds the chain's head as of then: an
auditor sees a later rewrite of the stored log before it. Two processes that both
checkpoint cannot record the same checkpoint twice (its aggregate version is taken).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import structlog

from oco_shared.contract import Actor, ActorKind
from oco_shared.contract.events import ChainCheckpointed
from oco_shared.eventstore import ConcurrencyConflict, EventStore, NewEvent
from oco_shared.messaging.consumer import wait_or_stop

log = structlog.get_logger(__name__)

# The one aggregate of a service's checkpoints: stable per schema, so versions follow.
_CHECKPOINTS = uuid.UUID("2f0c4b9e-5a1d-4c7e-9b3f-8d6a0e1c2b47")


class ChainCheckpointer:
    name = "checkpoints"

    def __init__(self, store: EventStore, service: str, *, interval_seconds: float = 30.0) -> None:
        self.store = store
        self.service = service
        self.interval_seconds = interval_seconds
        self.aggregate_id = uuid.uuid5(_CHECKPOINTS, store.schema)
        self.state = "starting"
        self.position = 0

    def status(self) -> dict[str, Any]:
        return {"state": self.state, "position": self.position}

    async def run(self, stop: asyncio.Event) -> None:
        self.state = "running"
        while True:  # the first after one interval: a start records nothing by itself
            await wait_or_stop(stop, self.interval_seconds)
            if stop.is_set():
                return
            await asyncio.to_thread(self.checkpoint)

    def checkpoint(self) -> ChainCheckpointed | None:
        """Record the head, unless the log holds nothing new since the last checkpoint."""
        head = self.store.chain_head()
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
        version = self.store.last_version(self.aggregate_id) + 1
        try:
            self.store.append([NewEvent(self.aggregate_id, version, checkpoint)])
        except ConcurrencyConflict:
            return None  # another process checkpointed meanwhile
        self.position = head.position
        log.info("chain.checkpointed", service=self.service, position=head.position)
        return checkpoint
