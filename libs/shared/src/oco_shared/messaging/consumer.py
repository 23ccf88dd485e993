"""Exactly-once effect over at-least-once delivery, a batch at a time.

A durable pull consumer fetches what is waiting (up to a batch; at low load that is one
or two messages, under a backlog hundreds), and in **one** thread call and **one**
transaction the shared decision path (`oco_shared.handling.decide_batch`) decides each
message in upstream order and records the new events, the handled message ids, the dead
letters and one tracking record with the highest upstream position. Acks follow the
commit. A redelivered message at or below the tracked position has no second effect.

Order holds because:
- one process fetches per durable consumer (a PostgreSQL advisory lock);
- messages behind a failing one stay in hand, kept alive with `in_progress`, so the
  server never redelivers them around it; only the handler's own failures count as
  attempts (a database outage is waited out);
- when a new incarnation starts and the server still has messages outstanding from
  the old one, the durable consumer is recreated from the tracked position, so
  nothing fetched later can overtake them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import structlog
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from opentelemetry import propagate, trace

from oco_shared.eventstore import BatchReader, EventStore, Recording
from oco_shared.handling import (
    INFRASTRUCTURE_ERRORS,
    TRACE_HEADERS,
    Failure,
    Incoming,
    ReceiptClock,
    Route,
    broker_receipt,
    decide_batch,
)
from oco_shared.messaging.procedure_clock import ClockFollower, log_segments

log = structlog.get_logger(__name__)

EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)
# How far this host's clock may be behind the broker's, when an empty pull is compared
# with the broker's receipt times.
BROKER_CLOCK_MARGIN = timedelta(seconds=0.5)


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


async def hold_advisory_lock(
    database_url: str, name: str, stop: asyncio.Event, on_wait: Callable[[], None]
) -> asyncpg.Connection | None:
    """A connection holding the session lock `name`, or None when stopped while waiting."""
    connection = await asyncpg.connect(database_url)
    key = advisory_key(name)
    while not stop.is_set():
        if await connection.fetchval("SELECT pg_try_advisory_lock($1)", key):
            return connection
        on_wait()
        await wait_or_stop(stop, 1.0)
    await connection.close()
    return None


async def close_quietly(connection: asyncpg.Connection) -> None:
    """Close, or drop a connection that a database restart already broke."""
    try:
        await asyncio.wait_for(connection.close(), 2)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        connection.terminate()


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less if `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


class BatchConsumer:
    """One route of a service on its upstream subject, as one supervised task."""

    def __init__(
        self,
        *,
        service: str,
        route: Route,
        upstream_stream: str,
        subject: str,
        store: EventStore,
        js: Callable[[], JetStreamContext],
        database_url: str,
        receipt: ReceiptClock = broker_receipt,
        batch_size: int = 256,
        max_deliver: int = 5,
        ack_wait_seconds: float = 30.0,
        backoff_seconds: Sequence[float] = (0.5, 2.0, 5.0, 15.0),
        on_commit: Callable[[], None] = lambda: None,
        tracer: trace.Tracer | None = None,
        clock: ClockFollower | None = None,
    ) -> None:
        self.service = service
        self.route = route
        self.durable = f"{service}-{route.name}"
        self.upstream_stream = upstream_stream
        self.subject = subject
        self.store = store
        self.js = js
        self.database_url = database_url
        self.receipt = receipt
        self.batch_size = batch_size
        self.max_deliver = max_deliver
        self.ack_wait_seconds = ack_wait_seconds
        self.backoff_seconds = tuple(backoff_seconds)
        self.on_commit = on_commit
        self.tracer = tracer or trace.get_tracer(__name__)
        self.clock = clock
        self.state = "starting"
        self.handled = 0
        self.last_position = 0
        self.lag = 0  # messages waiting upstream, as the broker last said
        # When (this host's clock) the last pull that found nothing began: every message
        # the broker held before then is recorded.
        self.drained_at = EARLIEST
        # Consumers of the same service whose upstream must be recorded up to a message's
        # receipt before it is judged (an objection after the publication it objects to).
        self.waits_for: Sequence[BatchConsumer] = ()
        self._in_hand_since: datetime | None = None  # receipt of the first message in hand
        self._waiting_since: float | None = None
        self._failures: dict[int, tuple[int, str]] = {}
        self._solo = False

    @property
    def name(self) -> str:
        return f"consumer:{self.route.name}"

    def status(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "handled": self.handled,
            "position": self.last_position,
            "lag": self.lag,
            "waiting_for_upstream": self._waiting_since is not None,
            "failing": {position: attempts for position, (attempts, _) in self._failures.items()},
        }

    async def run(self, stop: asyncio.Event) -> None:
        lock = await hold_advisory_lock(
            self.database_url,
            f"oco-consumer:{self.store.schema}:{self.durable}",
            stop,
            lambda: setattr(self, "state", "waiting_for_lock"),
        )
        if lock is None:
            return
        subscription = None
        try:
            subscription = await self._subscribe()
            self.state = "running"
            pending: list[Msg] = []
            while not stop.is_set():
                if lock.is_closed():
                    raise ConnectionError("the advisory lock's connection was lost")
                if not pending:
                    self._in_hand_since = None
                    pending = await self._fetch(subscription)
                else:
                    ready = self._ready(pending)
                    if not ready:
                        await self._wait_for_upstream(pending, stop)
                        continue
                    self._waiting_since = None
                    pending = await self._process(pending[:ready], stop) + pending[ready:]
                self._in_hand_since = _received(pending[0]) if pending else None
        finally:
            if subscription is not None:
                with contextlib.suppress(NatsError):
                    await subscription.unsubscribe()
            await close_quietly(lock)

    def drained_until(self) -> datetime:
        """Every message this consumer's upstream received before the instant returned is
        recorded (messages are decided in upstream order). One waiting for its lock has its
        fetcher in another replica, which this process cannot see: it holds nobody up."""
        if self.state == "waiting_for_lock":
            return LATEST
        if self._in_hand_since is not None:
            return self._in_hand_since
        if self.drained_at == EARLIEST:
            return EARLIEST  # no pull found nothing yet
        return self.drained_at - BROKER_CLOCK_MARGIN

    def _ready(self, pending: list[Msg]) -> int:
        """How many of the messages in hand may be judged now: those received no later than
        every consumer waited for has recorded its own upstream."""
        if not self.waits_for:
            return len(pending)
        limit = min(consumer.drained_until() for consumer in self.waits_for)
        return sum(1 for _ in itertools.takewhile(lambda m: _received(m) <= limit, pending))

    async def _wait_for_upstream(self, pending: list[Msg], stop: asyncio.Event) -> None:
        """A short wait; the server hears that the messages are still being worked on."""
        now = time.monotonic()
        if self._waiting_since is None:
            self._waiting_since = now
        elif now - self._waiting_since > self.ack_wait_seconds / 3:
            self._waiting_since = now
            for msg in pending:
                with contextlib.suppress(NatsError):
                    await msg.in_progress()
        await wait_or_stop(stop, 0.05)

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        js = self.js()
        tracked = await asyncio.to_thread(self.store.recorder.max_tracking_id, self.durable)
        try:
            info = await js.consumer_info(self.upstream_stream, self.durable)
        except NotFoundError:
            info = None
        if info is not None and info.num_ack_pending:
            # Messages outstanding from an earlier incarnation would be redelivered only
            # after ack_wait, behind newer ones: start again from what was recorded.
            log.info("consumer.rewound", consumer=self.durable, tracked=tracked or 0)
            await js.delete_consumer(self.upstream_stream, self.durable)
            info = None
        if info is None:
            await js.add_consumer(self.upstream_stream, self._config(tracked or 0))
        return await js.pull_subscribe_bind(self.durable, self.upstream_stream)

    def _config(self, tracked: int) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE if tracked else DeliverPolicy.ALL,
            opt_start_seq=tracked + 1 if tracked else None,
            # The consumer holds at most one batch; the server never needs more out.
            max_ack_pending=self.batch_size * 2,
            # Unlimited on the server: this consumer dead-letters after max_deliver of
            # its own failures, so the server never drops a message silently.
            max_deliver=-1,
            ack_wait=self.ack_wait_seconds,
            filter_subject=self.subject,
        )

    async def _fetch(self, subscription: JetStreamContext.PullSubscription) -> list[Msg]:
        """What is waiting, up to a batch; when nothing is, the first message to arrive.

        A pull for many messages that finds none lingers until the whole batch is there or
        it expires, so the first message is pulled alone and the rest (the server says how
        many wait behind it) in a second pull that returns at once.
        """
        started = datetime.now(UTC)
        try:
            fetched = await subscription.fetch(1, timeout=1.0)
        except TimeoutError:  # nats-py's own TimeoutError is one too
            self.drained_at = started  # nothing was waiting
            return []
        except NatsError:
            return []  # the broker is away: nats-py reconnects by itself
        self.lag = fetched[-1].metadata.num_pending
        waiting = min(self.lag, self.batch_size - 1)
        if waiting:
            with contextlib.suppress(TimeoutError, NatsError):  # then this batch is smaller
                fetched += await subscription.fetch(waiting, timeout=1.0)
        return fetched

    async def _process(self, pending: list[Msg], stop: asyncio.Event) -> list[Msg]:
        """Decide and record `pending`; return what is still to do."""
        in_hand = pending[:1] if self._solo else pending
        batch = [self._incoming(msg) for msg in in_hand]
        carrier = {k: v for k, v in batch[0].headers.items() if k in TRACE_HEADERS}
        with self.tracer.start_as_current_span(
            f"{self.durable} process", context=propagate.extract(carrier)
        ) as span:
            span.set_attribute("messaging.batch.message_count", len(batch))
            started = time.perf_counter()
            try:
                if self.clock is not None:  # judge no message on a stale procedure clock
                    log_segments(await self.clock.catch_up())
                done, failure = await asyncio.to_thread(self._transact, batch)
            except (TimeoutError, NatsError) as error:
                self.state = "waiting_for_broker"
                log.warning("consumer.clock_unread", consumer=self.durable, error=repr(error))
                await self._hold(pending, self.backoff_seconds[0], stop)
                return pending
            except INFRASTRUCTURE_ERRORS as error:
                # A server's failure, not the message's: wait it out with the batch in hand.
                self.state = "waiting_for_database"
                log.warning("consumer.waiting", consumer=self.durable, error=repr(error))
                await self._hold(pending, self.backoff_seconds[0], stop)
                return pending
            except Exception as error:
                # A conflict with another writer, or something in the batch that cannot be
                # recorded: try the head alone, so the failure is pinned on one message.
                if not self._solo:
                    self._solo = True
                    return pending
                done, failure = 0, Failure(0, error)
            self.state = "running"
            self.on_commit()
            for msg in in_hand[:done]:
                await _ack(msg)
            if done:
                self._solo = False
                self.handled += done
                self.last_position = batch[done - 1].position
                for incoming in batch[:done]:
                    self._failures.pop(incoming.position, None)
                log.info(
                    "consumer.handled",
                    consumer=self.durable,
                    count=done,
                    last_position=self.last_position,
                    seconds=round(time.perf_counter() - started, 4),
                )
        if failure is not None:
            failed = batch[failure.index]
            attempts = self._failures.get(failed.position, (0, ""))[0] + 1
            self._failures[failed.position] = (attempts, repr(failure.error)[:2000])
            log.error(
                "consumer.handler_failed",
                consumer=self.durable,
                position=failed.position,
                attempt=attempts,
                exc_info=failure.error,
            )
            await self._hold(pending[done:], self._backoff(attempts), stop)
        return pending[done:]

    def _transact(self, batch: list[Incoming]) -> tuple[int, Failure | None]:
        def work(reader: BatchReader) -> tuple[Recording, tuple[int, Failure | None]]:
            recording, outcome = decide_batch(
                reader,
                self.route,
                self.durable,
                batch,
                receipt=self.receipt,
                failures=self._failures,
                max_attempts=self.max_deliver,
            )
            for dead in recording.dead_letters:
                log.warning(
                    "consumer.dead_lettered",
                    consumer=self.durable,
                    position=dead.upstream_position,
                    reason=dead.reason,
                    error=dead.error[:500],
                )
            return recording, outcome

        return self.store.transact(work)

    def _incoming(self, msg: Msg) -> Incoming:
        meta = msg.metadata
        return Incoming(
            stream=meta.stream,
            position=meta.sequence.stream,
            subject=msg.subject,
            body=msg.data,
            headers=dict(msg.headers or {}),
            received_at=meta.timestamp.astimezone(UTC),
            delivery_count=meta.num_delivered,
        )

    def _backoff(self, attempt: int) -> float:
        return self.backoff_seconds[min(attempt, len(self.backoff_seconds)) - 1]

    async def _hold(self, messages: list[Msg], seconds: float, stop: asyncio.Event) -> None:
        """Wait, telling the server the messages are still being worked on."""
        until = time.monotonic() + seconds
        while not stop.is_set() and (remaining := until - time.monotonic()) > 0:
            for msg in messages:
                try:
                    await msg.in_progress()
                except NatsError:
                    break
            await wait_or_stop(stop, min(remaining, self.ack_wait_seconds / 3))


def _received(msg: Msg) -> datetime:
    return msg.metadata.timestamp.astimezone(UTC)


async def _ack(msg: Msg) -> None:
    # Recorded already: if the ack is lost, the redelivery is recognised by its position.
    with contextlib.suppress(NatsError):
        await msg.ack()
