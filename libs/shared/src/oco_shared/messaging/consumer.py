"""Exactly-once effect over at-least-once delivery.

A durable pull consumer hands over one message at a time (so the upstream order holds).
The service's policy decides the new events; they are recorded together with the
upstream position in one transaction. A redelivered or replayed message finds its
position tracked and is acknowledged with no second effect. A message that can never
succeed (the policy raises `DeadLetter`, or it failed `max_deliver` times) goes to the
dead-letter subject with the reason, the payload, the headers and the upstream position,
and its position is tracked so the consumer goes on with the next one.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import structlog
from eventsourcing.persistence import Tracking
from faststream.middlewares import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub
from nats.js import JetStreamContext
from nats.js.api import AckPolicy as ServerAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from oco_shared.eventstore import AlreadyProcessed, ConcurrencyConflict, EventStore, NewEvent
from oco_shared.messaging.topology import Topology
from oco_shared.observability import current_trace_headers

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Delivery:
    """One upstream message as the broker delivered it."""

    stream: str
    position: int
    subject: str
    body: bytes
    headers: Mapping[str, str]
    received_at: datetime
    attempt: int


class DeadLetter(Exception):
    """A message that can never be handled; `code` is a stable reason."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class DeadLetterRecord(BaseModel):
    """What lands on `<prefix>.deadletter.<service>`: enough to replay or repair by hand."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: str
    consumer: str
    reason: str = Field(description="stable code, e.g. malformed, max_deliver_exceeded")
    error: str
    upstream_stream: str
    upstream_position: int
    subject: str
    attempts: int
    received_at: AwareDatetime = Field(description="the broker's receipt time")
    headers: dict[str, str]
    payload: str | None = Field(default=None, description="the original body, if UTF-8")
    payload_base64: str | None = Field(default=None, description="else base64")


Policy = Callable[[Delivery], Sequence[NewEvent]]


def _printable(body: bytes) -> dict[str, str]:
    try:
        return {"payload": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"payload_base64": base64.b64encode(body).decode()}


class ExactlyOnceConsumer:
    def __init__(
        self,
        *,
        service: str,
        name: str,
        upstream_stream: str,
        subject: str,
        store: EventStore,
        policy: Policy,
        topology: Topology,
        max_deliver: int = 5,
        ack_wait_seconds: float = 30.0,
        backoff_seconds: Sequence[float] = (0.5, 2.0, 5.0, 15.0),
    ) -> None:
        self.service = service
        self.durable = f"{service}-{name}"
        self.upstream_stream = upstream_stream
        self.subject = subject
        self.store = store
        self.policy = policy
        self.topology = topology
        self.max_deliver = max_deliver
        self.ack_wait_seconds = ack_wait_seconds
        self.backoff_seconds = tuple(backoff_seconds)
        self.js: JetStreamContext | None = None
        self.handled = 0

    def attach(self, broker: NatsBroker) -> None:
        """Subscribe on the broker: durable pull, one message in flight, manual acks."""
        broker.subscriber(
            self.subject,
            stream=JStream(self.upstream_stream, declare=False),
            durable=self.durable,
            pull_sub=PullSub(batch_size=1, timeout=1.0),
            config=ConsumerConfig(
                durable_name=self.durable,
                ack_policy=ServerAckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                # One in flight keeps the upstream order through redeliveries.
                max_ack_pending=1,
                # Unlimited on the server: this consumer dead-letters at max_deliver
                # itself, so the server never drops a message silently.
                max_deliver=-1,
                ack_wait=self.ack_wait_seconds,
                filter_subject=self.subject,
            ),
            ack_policy=AckPolicy.MANUAL,
            decoder=_raw_body,
            title=f"{self.durable}:{self.subject}",
        )(self.handle)

    async def handle(self, body: bytes, msg: NatsMessage) -> None:
        raw = msg.raw_message
        meta = raw.metadata
        delivery = Delivery(
            stream=meta.stream,
            position=meta.sequence.stream,
            subject=raw.subject,
            body=body,
            headers=dict(raw.headers or {}),
            received_at=meta.timestamp.astimezone(UTC),
            attempt=meta.num_delivered,
        )
        bound = log.bind(
            service=self.service,
            consumer=self.durable,
            stream=delivery.stream,
            position=delivery.position,
        )
        tracking = Tracking(self.durable, delivery.position)
        if await asyncio.to_thread(self.store.is_processed, self.durable, delivery.position):
            bound.info("consumer.redelivery_ignored", attempt=delivery.attempt)
            await msg.ack()
            return
        try:
            decided = await asyncio.to_thread(self.policy, delivery)
            # The trace context of this message travels with what it caused.
            headers = current_trace_headers()
            new_events = [replace(new, headers={**new.headers, **headers}) for new in decided]
            await asyncio.to_thread(self.store.append, new_events, tracking)
        except AlreadyProcessed:
            bound.info("consumer.redelivery_ignored", attempt=delivery.attempt)
        except DeadLetter as dead:
            await self._dead_letter(delivery, dead.code, dead.detail)
        except ConcurrencyConflict as conflict:
            bound.warning("consumer.conflict_retry", error=str(conflict))
            await msg.nack(delay=self._backoff(delivery.attempt))
            return
        except Exception as error:  # the policy's own failure: retry, then dead-letter
            if delivery.attempt >= self.max_deliver:
                await self._dead_letter(delivery, "max_deliver_exceeded", repr(error))
            else:
                bound.warning("consumer.retry", attempt=delivery.attempt, error=repr(error))
                await msg.nack(delay=self._backoff(delivery.attempt))
                return
        else:
            bound.info("consumer.handled", recorded=len(new_events))
        self.handled += 1
        await msg.ack()

    def _backoff(self, attempt: int) -> float:
        return self.backoff_seconds[min(attempt, len(self.backoff_seconds)) - 1]

    async def _dead_letter(self, delivery: Delivery, code: str, detail: str) -> None:
        record = DeadLetterRecord(
            service=self.service,
            consumer=self.durable,
            reason=code,
            error=detail,
            upstream_stream=delivery.stream,
            upstream_position=delivery.position,
            subject=delivery.subject,
            attempts=delivery.attempt,
            received_at=delivery.received_at,
            headers=dict(delivery.headers),
            **_printable(delivery.body),
        )
        assert self.js is not None, "the runtime sets the JetStream context before start"
        await self.js.publish(
            self.topology.deadletter_subject(self.service),
            record.model_dump_json(exclude_none=True).encode(),
            stream=self.topology.deadletter_stream,
            headers={"Nats-Msg-Id": f"{self.durable}:{delivery.stream}:{delivery.position}"},
        )
        # Track the position with no events: the next message comes next.
        with contextlib.suppress(AlreadyProcessed):
            await asyncio.to_thread(
                self.store.append, [], Tracking(self.durable, delivery.position)
            )
        log.warning(
            "consumer.dead_lettered",
            consumer=self.durable,
            position=delivery.position,
            reason=code,
            error=detail,
        )


async def _raw_body(msg: Any) -> bytes:
    body: bytes = msg.body
    return body
