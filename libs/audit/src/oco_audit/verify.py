"""`oco audit verify`: the logs were not rewritten, and every decision followed its rule.

For each service the stored log is read from one snapshot on two connections (cursors in
batches, flat memory): on one, PostgreSQL recomputes the hash chain from the stored bytes
and sends only the rows where it does not hold, which `ChainCheck` judges; on the other,
at the same time, the events a rule decides are read and handed to `RuleCheck` through
`Decisions` (the others never leave the database). With the broker, every chained event
is read on the second instead, and the service's JetStream stream is compared with it
position by position (`StreamComparison`). Each problem is a `Finding` naming the
service, the chain position, the event id and what is wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from oco_shared.eventstore import CHAIN_POSITION, CHAIN_PREV, CHAIN_SHA256
from oco_shared.messaging.topology import Topology

from oco_audit.chain import GENESIS, content_digest, link
from oco_audit.findings import Finding
from oco_audit.log import (
    LogDecoder,
    chained_batches,
    connect,
    has_log,
    links_at,
    published_position,
    service_schemas,
    shared_snapshot,
    topic_chained_batches,
    unlinked_batches,
    without_cycle_collection,
)
from oco_audit.rules import TYPES, RuleCheck

CHECKPOINTED = "ChainCheckpointed"
DECIDED = TYPES | {CHECKPOINTED}  # the events verify decodes: the others are only hashed


@dataclass
class ServiceSummary:
    service: str
    events: int = 0
    head: int = 0
    streamed: int = 0
    unpublished: int = 0
    has_log: bool = True


@dataclass(frozen=True, slots=True)
class Chained:
    """A stored event that is on the chain, as the stream comparison needs it."""

    position: int
    prev: bytes
    sha256: bytes
    notification_id: int
    state: bytes


class ChainCheck:
    """One service's hash chain, judged on the rows where PostgreSQL found it does not
    hold (`unlinked_batches`), each as a walk over every row would judge it (pure).

    Each row is checked against its own stored link, so one changed event is reported
    once, at its own position, not again at every event after it."""

    def __init__(self, service: str, decoder: LogDecoder) -> None:
        self.service = service
        self.decoder = decoder
        self.prev = GENESIS
        self.position = 0
        self.events = 0

    def row(self, row: Sequence[Any], findings: list[Finding]) -> None:
        """Check one row, adding what is wrong to `findings`."""
        notification_id, originator_id, version, topic, state, position, prev, sha256 = row[:8]
        after_link, before_position, before_sha256, self.events = row[8:]
        if after_link:  # else the row before was off the chain: sent, so walked already
            self.position, self.prev = before_position, before_sha256
        if position is None:
            findings.append(
                self._finding(
                    None,
                    state,
                    f"notification {notification_id} is not on the chain (recorded outside"
                    f" the event store), after chain position {self.position}",
                )
            )
            return
        if position != self.position + 1:
            findings.append(self._gap(position, state))
        elif prev != self.prev:
            findings.append(
                self._finding(
                    position,
                    state,
                    f"does not link to position {self.position}: prev {prev.hex()[:16]}…,"
                    f" the link there is {self.prev.hex()[:16]}…",
                )
            )
        content = content_digest(originator_id, version, topic or "", state or b"")
        computed = link(prev, notification_id, content)
        if computed != sha256:
            findings.append(
                self._finding(
                    position,
                    state,
                    f"changed since it was recorded: its stored bytes give link"
                    f" {computed.hex()[:16]}…, the chain holds {sha256.hex()[:16]}…",
                )
            )
        self.prev, self.position = sha256, position

    def _gap(self, position: int, state: bytes) -> Finding:
        if position > self.position + 1:
            first, last = self.position + 1, position - 1
            missing = f"position {first}" if first == last else f"positions {first} to {last}"
            return Finding(
                self.service,
                first,
                None,
                f"{missing} missing from the log (removed): the chain goes from"
                f" {self.position} to {position}",
            )
        return self._finding(
            position, state, f"chain position {position} comes again after {self.position}"
        )

    def _finding(self, position: int | None, state: bytes, problem: str) -> Finding:
        return Finding(self.service, position, event_id(self.decoder, state), problem)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    position: int
    event_id: str
    claimed: int
    sha256: str


class Decisions:
    """One service's events on the chain that a rule decides, in order, handed to the
    rules; the chain heads its `ChainCheckpointed` events name, kept to check at the end."""

    def __init__(self, service: str, decoder: LogDecoder, rules: RuleCheck) -> None:
        self.service = service
        self.decoder = decoder
        self.rules = rules
        self.checkpoints: list[Checkpoint] = []
        self._decided: dict[str, bool] = {}

    def decides(self, topic: str) -> bool:
        decided = self._decided.get(topic)
        if decided is None:
            type_name = topic.partition(".")[0]  # "<Type>.v<version>"
            decided = self._decided[topic] = type_name in DECIDED
        return decided

    def row(self, position: int, state: bytes, findings: list[Finding]) -> None:
        try:
            document = self.decoder.event_document(state)
        except Exception as error:  # a changed byte may leave JSON that no longer reads
            findings.append(
                Finding(
                    self.service, position, event_id(self.decoder, state), f"unreadable: {error}"
                )
            )
            return
        try:
            if document["type"] == CHECKPOINTED:
                self.checkpoints.append(
                    Checkpoint(
                        position,
                        str(document["event_id"]),
                        int(document["position"]),
                        str(document["sha256"]),
                    )
                )
            elif found := self.rules.observe(self.service, position, document):
                findings += found
        except Exception as error:  # JSON that reads, without what its rule needs: reported
            findings.append(
                Finding(
                    self.service,
                    position,
                    event_id(self.decoder, state),
                    f"cannot be judged: {type(error).__name__} {error}",
                )
            )

    def checked(self, links: dict[int, bytes]) -> Iterator[Finding]:
        """The checkpoints against the chain's `links` at the positions they name."""
        for checkpoint in self.checkpoints:
            claimed, sha256 = checkpoint.claimed, checkpoint.sha256
            recorded = links.get(claimed) if claimed < checkpoint.position else None
            if recorded is None:
                problem = f"the chain holds no position {claimed} before it"
            elif recorded.hex() != sha256:
                problem = f"the chain at {claimed} is {recorded.hex()[:16]}…"
            else:
                continue
            yield Finding(
                self.service,
                checkpoint.position,
                checkpoint.event_id,
                f"ChainCheckpointed names link {sha256[:16]}… at position {claimed}; {problem}",
            )


def event_id(decoder: LogDecoder, state: bytes) -> str | None:
    try:
        return str(decoder.document(state)[1]["event_id"])
    except Exception:
        return None


@dataclass(frozen=True, slots=True)
class StreamMessage:
    sequence: int
    position: int | None
    prev: str | None
    sha256: str | None
    event_id: str | None
    data: bytes


class StreamUnreadable(Exception):
    """The broker would not give a stream's messages (no direct reads, or an error)."""


async def stream_end(js: JetStreamContext, stream: str) -> int:
    """The stream's last sequence now (0: empty or no stream)."""
    try:
        info = await js.stream_info(stream)
    except NotFoundError:  # a service that never published has no stream yet
        return 0
    if info.state.messages and not info.config.allow_direct:
        raise StreamUnreadable(
            f"stream {stream} does not allow direct reads (allow_direct): start a service"
            " or run `oco provision-streams` to bring its configuration up to date"
        )
    return info.state.last_seq if info.state.messages else 0


async def stream_messages(
    client: Client, stream: str, last: int, *, batch: int = 1000, timeout: float = 30.0
) -> AsyncIterator[StreamMessage]:
    """The messages of a stream up to sequence `last`, in order, through the broker's
    batched direct reads (`$JS.API.DIRECT.GET`, all the auditor's user may do besides
    single messages): a batch at a time, the next one requested before this one is
    worked through, so at most two are held."""
    if last == 0:
        return
    first = (await client.jetstream().stream_info(stream)).state.first_seq
    arriving: list[Msg] = []
    batches: asyncio.Queue[tuple[Msg, list[Msg]]] = asyncio.Queue()

    async def received(message: Msg) -> None:
        nonlocal arriving
        if message.headers and "Nats-Sequence" in message.headers:
            arriving.append(message)
        else:  # the status that ends a batch: 204 (or why there is none)
            done, arriving = arriving, []
            await batches.put((message, done))

    inbox = client.new_inbox()
    subscription = await client.subscribe(inbox, cb=received)
    subject = f"$JS.API.DIRECT.GET.{stream}"

    async def request(sequence: int) -> None:
        wanted = {"seq": sequence, "batch": min(batch, last - sequence + 1)}
        await client.publish(subject, json.dumps(wanted).encode(), reply=inbox)

    try:
        await request(first)
        while True:
            try:
                status, messages = await asyncio.wait_for(batches.get(), timeout)
            except TimeoutError:
                raise StreamUnreadable(f"stream {stream}: no answer within {timeout:g} s") from None
            headers = status.headers or {}
            if headers.get("Status") != "204" or not messages:
                raise StreamUnreadable(
                    f"stream {stream}: {headers.get('Status')} {headers.get('Description')}"
                )
            following = int(messages[-1].headers["Nats-Sequence"]) + 1  # type: ignore[index]
            if following <= last:
                await request(following)
            for message in messages:
                yield _stream_message(message)
            if following > last:
                return
    finally:
        await subscription.unsubscribe()


def _stream_message(message: Msg) -> StreamMessage:
    headers = message.headers or {}
    position = headers.get(CHAIN_POSITION)
    return StreamMessage(
        int(headers["Nats-Sequence"]),
        int(position) if position is not None else None,
        headers.get(CHAIN_PREV),
        headers.get(CHAIN_SHA256),
        headers.get("Nats-Msg-Id"),
        message.data or b"",
    )


class StreamComparison:
    """The stream read alongside the store: each chained stored event must be on the
    stream at its position, with the same id, link and content, and nothing else may be."""

    def __init__(
        self,
        service: str,
        messages: AsyncIterator[StreamMessage],
        decoder: LogDecoder,
        published: int,
    ) -> None:
        self.service = service
        self.messages = messages
        self.decoder = decoder
        self.published = published  # the relay's position: everything up to it is out
        self.streamed = 0
        self.unpublished = 0
        self._ahead: StreamMessage | None = None
        self._done = False
        self._last: tuple[int, str] | None = None  # the last chained message: position, link

    async def _next(self) -> StreamMessage | None:
        if self._ahead is not None:
            message, self._ahead = self._ahead, None
            return message
        if self._done:
            return None
        try:
            message = await anext(self.messages)
        except StopAsyncIteration:
            self._done = True
            return None
        self.streamed += 1
        return message

    async def stored(self, event: Chained) -> list[Finding]:
        """Compare the stream up to this stored event's position with it."""
        findings: list[Finding] = []
        matched = False
        while (message := await self._next()) is not None:
            if message.position is not None and message.position > event.position:
                self._ahead = message
                break
            findings += self._linked(message)
            if message.position is None:
                continue  # unlinked: said by `_linked`; a forged stored row travels so
            if message.position < event.position:
                findings.append(self._not_in_store(message))
            elif matched:
                findings.append(self._stream(message, "is on the stream twice"))
            else:
                matched = True
                findings += self._compare(message, event)
        if not matched:
            if event.notification_id <= self.published:
                findings.append(
                    Finding(
                        self.service,
                        event.position,
                        event_id(self.decoder, event.state),
                        "in the store and published by the relay, but not on the stream",
                    )
                )
            else:
                self.unpublished += 1
        return findings

    async def rest(self) -> list[Finding]:
        """What the stream holds beyond the stored log."""
        findings: list[Finding] = []
        while (message := await self._next()) is not None:
            findings += self._linked(message)
            if message.position is not None:
                findings.append(self._not_in_store(message))
        return findings

    def _linked(self, message: StreamMessage) -> list[Finding]:
        if message.position is None or message.sha256 is None:
            return [self._stream(message, "carries no chain link (Oco-Chain-* headers)")]
        last, self._last = self._last, (message.position, message.sha256)
        expected_prev = last[1] if last is not None else GENESIS.hex()
        if (last is None or message.position == last[0] + 1) and message.prev != expected_prev:
            return [
                self._stream(
                    message,
                    f"does not link: prev {str(message.prev)[:16]}…, the link before it is"
                    f" {expected_prev[:16]}…",
                )
            ]
        return []

    def _compare(self, message: StreamMessage, event: Chained) -> list[Finding]:
        problems = []
        stored_id = event_id(self.decoder, event.state)
        if message.event_id != stored_id:
            problems.append(f"is event {message.event_id} on the stream, {stored_id} in the store")
        if message.sha256 != event.sha256.hex() or message.prev != event.prev.hex():
            problems.append("carries another link on the stream than in the store")
        try:
            same = json.loads(message.data) == self.decoder.document(event.state)[1]
        except Exception:  # what does not read cannot agree
            same = False
        if not same:
            problems.append("differs between the stream and the store")
        return [
            Finding(self.service, event.position, stored_id, problem, "stream")
            for problem in problems
        ]

    def _not_in_store(self, message: StreamMessage) -> Finding:
        return self._stream(
            message, f"on the stream (sequence {message.sequence}), not in the store"
        )

    def _stream(self, message: StreamMessage, problem: str) -> Finding:
        return Finding(self.service, message.position, message.event_id, problem, "stream")


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    services: list[ServiceSummary] = field(default_factory=list)


async def verify(
    database_url: str,
    broker: Client | None,
    topology: Topology,
    schema_prefix: str,
    services: Sequence[str],
    decoder: LogDecoder,
    round_id: str | None = None,
) -> Report:
    """Every service's log; its stream copy too when `broker` is given."""
    report = Report()
    rules = RuleCheck(round_id)
    js = broker.jetstream() if broker is not None else None
    # The streams' ends first, then the database's snapshot: every message up to an end
    # was committed before it was published, so the snapshot holds it.
    ends = {
        service: await stream_end(js, topology.service_stream(service)) if js else 0
        for service in services
    }
    connection = await connect(database_url)
    chain_connection = await connect(database_url)
    try:
        async with shared_snapshot(connection, chain_connection):
            with without_cycle_collection():
                for service, schema in service_schemas(schema_prefix, services):
                    stream = topology.service_stream(service)
                    messages = stream_messages(broker, stream, ends[service]) if broker else None
                    summary, findings = await verify_service(
                        (connection, chain_connection),
                        messages,
                        service,
                        schema,
                        stream,
                        decoder,
                        rules,
                    )
                    report.services.append(summary)
                    report.findings += findings
    finally:
        await chain_connection.close()
        await connection.close()
    report.findings += rules.finish()
    return report


async def verify_service(
    connections: tuple[asyncpg.Connection, asyncpg.Connection],
    messages: AsyncIterator[StreamMessage] | None,
    service: str,
    schema: str,
    stream: str,
    decoder: LogDecoder,
    rules: RuleCheck,
) -> tuple[ServiceSummary, list[Finding]]:
    """One service's log, inside `shared_snapshot(*connections)`: its chain (recomputed by
    PostgreSQL on the second connection while this process judges the decisions read on
    the first), its stream copy (when `messages` are given) and its decisions."""
    connection, chain_connection = connections
    summary = ServiceSummary(service)
    if not await has_log(connection, schema):
        summary.has_log = False
        return summary, []
    comparison = None
    if messages is not None:
        comparison = StreamComparison(
            service,
            messages,
            decoder,
            await published_position(connection, schema, stream),
        )
    chain, chain_findings = ChainCheck(service, decoder), list[Finding]()

    async def check_chain() -> None:
        async for rows in unlinked_batches(chain_connection, schema):
            for row in rows:
                chain.row(row, chain_findings)

    checking = asyncio.ensure_future(check_chain())
    try:
        decisions, findings = await _decisions(
            connection, schema, service, decoder, rules, comparison
        )
        await checking
    finally:
        if not checking.done():
            checking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await checking
    if decisions.checkpoints:
        links = await links_at(connection, schema, [c.claimed for c in decisions.checkpoints])
        findings += decisions.checked(links)
    if comparison is not None:
        findings += await comparison.rest()
        summary.streamed, summary.unpublished = comparison.streamed, comparison.unpublished
    summary.events, summary.head = chain.events, chain.position
    return summary, chain_findings + findings


async def _decisions(
    connection: asyncpg.Connection,
    schema: str,
    service: str,
    decoder: LogDecoder,
    rules: RuleCheck,
    comparison: StreamComparison | None,
) -> tuple[Decisions, list[Finding]]:
    """The decided events judged again; with the stream, every chained event compared
    with its copy there (so all are read, not only the decided ones)."""
    decisions = Decisions(service, decoder, rules)
    findings: list[Finding] = []
    judged = decisions.row
    if comparison is None:
        async for rows in topic_chained_batches(connection, schema, decoder.topics(DECIDED)):
            for position, state in rows:
                judged(position, state, findings)
        return decisions, findings
    decides = decisions.decides
    async for rows in chained_batches(connection, schema):
        for notification_id, topic, state, position, prev, sha256 in rows:
            findings += await comparison.stored(
                Chained(position, prev, sha256, notification_id, state)
            )
            if decides(topic):
                judged(position, state, findings)
    return decisions, findings


def by_place(findings: Sequence[Finding]) -> Iterator[Finding]:
    """Findings in the order of the logs: service, then position."""
    return iter(
        sorted(
            findings,
            key=lambda f: (f.service, f.position if f.position is not None else -1, f.copy),
        )
    )
