"""How every service turns upstream messages into events: routes, decoding, one batch.

A service declares a `Route` per subject: the contract types it accepts and one plain
handler function per route, which takes the **typed** message (decoded and validated
here, once, from the registry), a `UnitOfWork` to read aggregates, and the `Received`
facts (receipt time, subject, payload digest); it returns the new events. Nothing here
touches a broker: the consumer hands over transport-neutral `Incoming` messages and a
reader inside its transaction, and records the `Recording` that `decide_batch` returns.

Rules that hold for every service:
- a message id (an event id, for upstream events) has one effect per service; the same
  id again with the same body is acknowledged with no effect, with another body it is
  refused (`message_id_reused`);
- a message that cannot be decoded is refused by the route's `on_malformed` when it can
  be attributed, else dead-lettered at once: it can never succeed, so it is never retried;
- within a batch each message sees the effects of those before it (the unit of work
  keeps the events decided so far).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Annotated, Any, Protocol, TypeVar, Union

from eventsourcing.persistence import InterfaceError, OperationalError, Tracking
from pydantic import Field, TypeAdapter, ValidationError

from oco_shared.contract import REGISTRY, Contract, Event, Message, UnknownType, UnsupportedVersion
from oco_shared.contract.base import MAX_EVENT_BYTES, MAX_MESSAGE_BYTES
from oco_shared.contract.events import EVENTS
from oco_shared.contract.parts import Refusal, RefusalCode
from oco_shared.eventstore import (
    BatchReader,
    DeadLetterEntry,
    HandledMessage,
    NewEvent,
    Prefetched,
    Recording,
    compact_json,
)
from oco_shared.procedure_time import ProcedureInstant, RehearsalNotEnabled

CONTRACT_RULE = "docs/contract (the published message contract)"

# Failures of a server, not of a message: waited out, never counted as an attempt.
INFRASTRUCTURE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)

TRACE_HEADERS = ("traceparent", "tracestate")
NAMESPACE = uuid.UUID("8d3f5a2e-1c4b-4f7a-9e6d-0b1c2d3e4f50")


class UnitOfWork(Protocol):
    """What a handler may read: an aggregate's events, including those decided earlier
    in the same batch."""

    def get(self, aggregate_id: uuid.UUID) -> Sequence[Event]: ...


@dataclass(frozen=True)
class Incoming:
    """One upstream message as the broker delivered it, without the transport."""

    stream: str
    position: int
    subject: str
    body: bytes
    headers: Mapping[str, str]
    received_at: datetime
    delivery_count: int = 1


@dataclass(frozen=True)
class Received:
    """The facts of a message's arrival that a handler may use."""

    at: datetime
    subject: str
    payload_sha256: str

    @property
    def office(self) -> str | None:
        """The uitvoerder whose office subject (`<prefix>.office.<uitvoerder>.<act>`) the
        message arrived on: the only authority a zorgkantoor's act has."""
        parts = self.subject.split(".")
        return parts[2] if len(parts) == 4 and parts[1] == "office" else None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a message: the field (dotted path) when there is one."""

    field: str | None
    text: str


@dataclass(frozen=True)
class Malformed:
    """A body that is not a valid message of the route.

    `document` is the JSON object when there was one (for a message too large to parse:
    only the identifying fields found at its start), `code` the stable refusal reason.
    """

    document: dict[str, Any] | None
    problems: tuple[Problem, ...]
    code: RefusalCode = RefusalCode.MALFORMED

    @property
    def detail(self) -> str:
        return "; ".join(
            f"{problem.field}: {problem.text}" if problem.field else problem.text
            for problem in self.problems
        )


class DeadLetter(Exception):
    """A message that can never be handled; `code` is a stable reason."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


M = TypeVar("M", bound=Contract)
Handler = Callable[[M, UnitOfWork, Received], Sequence[NewEvent]]
MalformedHandler = Callable[[Malformed, UnitOfWork, Received], Sequence[NewEvent] | None]
Refuser = Callable[[M, Received, Refusal], Event]
# When the rules consider a message received: the procedure time of its broker receipt.
ReceiptClock = Callable[[Incoming], ProcedureInstant]


def broker_receipt(incoming: Incoming) -> ProcedureInstant:
    """Production: the JetStream timestamp of the message decides."""
    return ProcedureInstant(incoming.received_at)


@dataclass(frozen=True)
class Route:
    """One subject of a service: one handler per message type that arrives there.

    `aggregates` names the aggregates a message's handler will read, so that a batch
    loads them all in one query.
    """

    name: str
    handlers: Mapping[type[Contract], Handler[Any]]
    on_malformed: MalformedHandler | None = None
    refuse: Refuser[Any] | None = None
    aggregates: Callable[[Any], Iterable[uuid.UUID]] | None = None

    @property
    def accepts(self) -> tuple[type[Contract], ...]:
        return tuple(self.handlers)

    @cached_property
    def _strict(self) -> TypeAdapter[Any]:
        models = self.accepts
        shape: Any = (
            models[0] if len(models) == 1 else Annotated[Union[models], Field(discriminator="type")]  # noqa: UP007
        )
        return TypeAdapter(shape)

    def decode(self, body: bytes) -> Contract | Malformed:
        """The fast path first: one strict parse of the body as sent. When it fails, or
        the body may hide control characters, `decode` says exactly what is wrong."""
        if len(body) <= MAX_MESSAGE_BYTES and not _MAYBE_CONTROL.search(body):
            try:
                parsed: Contract = self._strict.validate_json(body, strict=True)
            except ValidationError:
                pass
            else:
                return parsed
        return decode(body, self.accepts)


def changes_nothing(event: Event, uow: UnitOfWork, received: Received) -> Sequence[NewEvent]:
    """An upstream event that is read in its turn but changes nothing in this service."""
    return []


def every_event(
    handled: Mapping[type[Contract], Handler[Any]],
) -> dict[type[Contract], Handler[Any]]:
    """The handlers for another service's whole stream, read in order: the events not
    named in `handled` change nothing here."""
    return {event: handled.get(event, changes_nothing) for event in EVENTS}


# Escaped or raw control characters and surrogates a JSON body may carry.
_MAYBE_CONTROL = re.compile(
    rb"\\u00[01][0-9a-fA-F]|\\u00[89][0-9a-fA-F]|\\u007[fF]|\\u[dD][89a-fA-F]|\x7f|\xc2[\x80-\x9f]"
)


def identity_of(contract: Contract) -> uuid.UUID:
    """The id that has one effect per service: a message's id, an upstream event's id."""
    if isinstance(contract, Message):
        return contract.message_id
    assert isinstance(contract, Event)
    return contract.event_id


def decode(body: bytes, accepts: tuple[type[Contract], ...]) -> Contract | Malformed:
    """The typed message, or `Malformed` naming every problem, each with its field.

    Refused before any parsing: a body over `MAX_MESSAGE_BYTES`. Refused after: what is
    not a JSON object, a string with control characters (tab, line feed and carriage
    return aside) or lone surrogates, and whatever the contract's model refuses, in
    strict mode: `"yes"` is not a boolean, `0` not a string, `"182344"` not a number.
    """
    if len(body) > MAX_MESSAGE_BYTES:
        text = f"the message has {len(body)} bytes; the most is {MAX_MESSAGE_BYTES}"
        return Malformed(_identity_hint(body), (Problem(None, text),), RefusalCode.TOO_LARGE)
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:
        return Malformed(None, (Problem(None, f"not JSON: {error}"),))
    if not isinstance(document, dict):
        return Malformed(None, (Problem(None, "not a JSON object"),))
    uncontrolled = tuple(_uncontrolled_strings(document))
    if uncontrolled:
        return Malformed(document, uncontrolled)
    try:
        upcast = REGISTRY.upcast(document)
        model = REGISTRY.model_for(upcast["type"])
        if not issubclass(model, accepts):
            names = ", ".join(accepted.TYPE for accepted in accepts)
            text = f"type {model.TYPE!r} is not sent here; expected {names}"
            return Malformed(document, (Problem("type", text),))
        as_sent = upcast["schema_version"] == document["schema_version"]
        return model.model_validate_json(body if as_sent else compact_json(upcast), strict=True)
    except ValidationError as error:
        return Malformed(document, _problems(error))
    except (UnknownType, UnsupportedVersion) as error:
        return Malformed(document, (Problem("type", str(error)),))


def _problems(error: ValidationError) -> tuple[Problem, ...]:
    return tuple(
        Problem(".".join(str(part) for part in issue["loc"]) or None, issue["msg"])
        for issue in error.errors()[:20]
    )


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _uncontrolled_strings(document: dict[str, Any]) -> Iterator[Problem]:
    """Every key or string value holding a control character or a lone surrogate."""
    stack: list[tuple[str, Any]] = [("", document)]
    found = 0
    while stack and found < 20:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else str(key)
                if _CONTROL.search(key):
                    found += 1
                    yield Problem(_CONTROL.sub("?", where), "the name has control characters")
                stack.append((where, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}", item) for index, item in enumerate(value))
        elif isinstance(value, str) and _CONTROL.search(value):
            found += 1
            yield Problem(_CONTROL.sub("?", path), "control characters are not allowed")


_HINTS = {
    "message_id": re.compile(rb'"message_id"\s*:\s*"([0-9a-fA-F-]{36})"'),
    "round_id": re.compile(rb'"round_id"\s*:\s*"(\d{4}(?:-\d{4})?)"'),
    "provider_id": re.compile(rb'"(?:provider_id|id)"\s*:\s*"(\d{8})"'),
}


def _identity_hint(body: bytes) -> dict[str, Any]:
    """The identifying fields found in the first 8 KiB of a body too large to parse."""
    start = body[:8192]
    return {
        name: match.group(1).decode()
        for name, pattern in _HINTS.items()
        if (match := pattern.search(start))
    }


def digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def refusal_aggregate(message_id: uuid.UUID, payload_sha256: str) -> uuid.UUID:
    """Where a refusal decided before the handler goes: one event per message id and body."""
    return uuid.uuid5(NAMESPACE, f"reused:{message_id}:{payload_sha256}")


class BatchUnitOfWork:
    """Reads through the batch's transaction (what was prefetched, else once per
    aggregate) and keeps what the batch decided, so every message sees the effects of
    the ones before it."""

    def __init__(self, reader: BatchReader, prefetched: Prefetched) -> None:
        self._reader = reader
        self._aggregates: dict[uuid.UUID, list[Event]] = prefetched.aggregates
        self._handled = prefetched.handled

    def get(self, aggregate_id: uuid.UUID) -> Sequence[Event]:
        if aggregate_id not in self._aggregates:
            self._aggregates[aggregate_id] = self._reader.aggregate_events(aggregate_id)
        return self._aggregates[aggregate_id]

    def handled_digest(self, message_id: uuid.UUID) -> str | None:
        if message_id not in self._handled:
            self._handled.update(self._reader.handled_messages([message_id]))
            self._handled.setdefault(message_id, None)
        return self._handled[message_id]

    def stage(self, events: Iterable[NewEvent], handled: tuple[uuid.UUID, str] | None) -> None:
        for new in events:
            self._aggregates.setdefault(new.aggregate_id, []).append(new.event)
        if handled is not None:
            self._handled[handled[0]] = handled[1]


@dataclass
class MemoryUnitOfWork:
    """The same reads over dictionaries, for handler tests."""

    aggregates: dict[uuid.UUID, list[Event]] = field(default_factory=dict)
    handled: dict[uuid.UUID, str] = field(default_factory=dict)

    def get(self, aggregate_id: uuid.UUID) -> Sequence[Event]:
        return self.aggregates.get(aggregate_id, [])

    def handled_digest(self, message_id: uuid.UUID) -> str | None:
        return self.handled.get(message_id)

    def stage(self, events: Iterable[NewEvent], handled: tuple[uuid.UUID, str] | None) -> None:
        for new in events:
            stream = self.aggregates.setdefault(new.aggregate_id, [])
            assert new.version == len(stream) + 1, f"version {new.version} after {len(stream)}"
            stream.append(new.event)
        if handled is not None:
            self.handled[handled[0]] = handled[1]


class StagingUnitOfWork(UnitOfWork, Protocol):
    """The unit of work as the shared decision path uses it."""

    def handled_digest(self, message_id: uuid.UUID) -> str | None: ...

    def stage(self, events: Iterable[NewEvent], handled: tuple[uuid.UUID, str] | None) -> None: ...


@dataclass(frozen=True)
class Decision:
    """What one message led to: events, or a dead letter (reason, error)."""

    events: Sequence[NewEvent] = ()
    handled: uuid.UUID | None = None
    dead_letter: tuple[str, str] | None = None


def decide_one(
    route: Route,
    incoming: Incoming,
    uow: StagingUnitOfWork,
    receipt: ReceiptClock,
    decoded: Contract | Malformed | None = None,
) -> Decision:
    """Decide one message and stage its effects in `uow`. A handler's unexpected exception
    propagates (the consumer retries it); everything that can never succeed is a
    refusal or a dead letter."""
    try:
        judged = receipt(incoming)
    except RehearsalNotEnabled as not_enabled:
        # Received on a rehearsal clock this service may not judge by: set aside with the
        # reason, so the messages behind it (and after the rehearsal) go on.
        return Decision(dead_letter=("rehearsal_not_enabled", str(not_enabled)))
    received = Received(judged.at, incoming.subject, digest(incoming.body))
    if decoded is None:
        decoded = route.decode(incoming.body)
    try:
        if isinstance(decoded, Malformed):
            refused = route.on_malformed(decoded, uow, received) if route.on_malformed else None
            if refused is None:
                return Decision(dead_letter=(decoded.code.value, decoded.detail))
            events = list(refused)
            identity = None
        else:
            identity = identity_of(decoded)
            events = list(_judge(route, decoded, identity, uow, received))
    except DeadLetter as dead:
        return Decision(dead_letter=(dead.code, dead.detail))
    # Every event records both times and, on a rehearsal clock, the rehearsal.
    stamp = {"broker_time": incoming.received_at, "rehearsal": judged.rehearsal}
    trace = {k: v for k, v in incoming.headers.items() if k in TRACE_HEADERS}
    events = [
        NewEvent(
            e.aggregate_id,
            e.version,
            e.event.model_copy(update=stamp),
            {**e.headers, **trace} if trace else e.headers,
        )
        for e in events
    ]
    first_time = identity is not None and uow.handled_digest(identity) is None
    handled = (identity, received.payload_sha256) if first_time and identity else None
    uow.stage(events, handled)
    return Decision(events, handled=identity if handled else None)


def _judge(
    route: Route, message: Contract, identity: uuid.UUID, uow: StagingUnitOfWork, received: Received
) -> Sequence[NewEvent]:
    seen = uow.handled_digest(identity)
    if seen == received.payload_sha256:
        return ()  # the same message again: no second effect
    if seen is not None:
        return _refused(
            route,
            message,
            identity,
            uow,
            received,
            Refusal(
                code=RefusalCode.MESSAGE_ID_REUSED,
                text=f"message_id {identity} was used before for a different message; "
                "send a new message_id for a new message.",
                rule=CONTRACT_RULE,
                field="message_id",
            ),
        )
    events = route.handlers[type(message)](message, uow, received)
    oversized = [new for new in events if len(new.event.model_dump_json()) > MAX_EVENT_BYTES]
    if not oversized:
        return events
    return _refused(
        route,
        message,
        identity,
        uow,
        received,
        Refusal(
            code=RefusalCode.TOO_LARGE,
            text=f"deciding this message gives a {oversized[0].event.type} larger than "
            f"{MAX_EVENT_BYTES} bytes, which the log cannot carry; send less.",
            rule=CONTRACT_RULE,
        ),
    )


def _refused(
    route: Route,
    message: Contract,
    identity: uuid.UUID,
    uow: StagingUnitOfWork,
    received: Received,
    refusal: Refusal,
) -> Sequence[NewEvent]:
    """The route's refusal event, once per message id and body; else a dead letter."""
    if route.refuse is None:
        raise DeadLetter(refusal.code.value, refusal.text)
    aggregate = refusal_aggregate(identity, received.payload_sha256)
    if uow.get(aggregate):
        return ()  # refused before
    return [NewEvent(aggregate, 1, route.refuse(message, received, refusal))]


@dataclass(frozen=True)
class Failure:
    """A handler raised on the message at `index`: it is retried, the batch before it is kept."""

    index: int
    error: BaseException


def decide_batch(
    reader: BatchReader,
    route: Route,
    consumer: str,
    batch: Sequence[Incoming],
    *,
    receipt: ReceiptClock = broker_receipt,
    failures: Mapping[int, tuple[int, str]] | None = None,
    max_attempts: int = 5,
) -> tuple[Recording, tuple[int, Failure | None]]:
    """Decide `batch` in upstream order inside the reader's transaction.

    Returns what to record and (how many messages it covers, the failure that stopped
    it). A message at or below the tracked position was processed before and has no
    effect. A message that failed `max_attempts` times (`failures`: attempts and the last
    error by position) is dead-lettered instead of tried again.
    """
    failures = failures or {}
    decoded = [route.decode(incoming.body) for incoming in batch]
    contracts = [d for d in decoded if isinstance(d, Contract)]
    prefetched = reader.prefetch(
        consumer,
        {identity_of(contract) for contract in contracts},
        {key for contract in contracts for key in route.aggregates(contract)}
        if route.aggregates is not None
        else set(),
    )
    tracked = prefetched.tracked
    uow = BatchUnitOfWork(reader, prefetched)
    recording = Recording()
    done, failure = 0, None
    for index, incoming in enumerate(batch):
        if incoming.position > tracked:
            attempts, last_error = failures.get(incoming.position, (0, ""))
            if attempts >= max_attempts:
                decision = Decision(dead_letter=("max_deliver_exceeded", last_error))
                incoming = replace(incoming, delivery_count=attempts)
            else:
                try:
                    decision = decide_one(route, incoming, uow, receipt, decoded[index])
                except INFRASTRUCTURE_ERRORS:
                    raise
                except Exception as error:
                    failure = Failure(index, error)
                    break
            _add(recording, decision, consumer, incoming)
        done = index + 1
    covered = [incoming.position for incoming in batch[:done]]
    if covered and max(covered) > tracked:
        recording.tracking = Tracking(consumer, max(covered))
    return recording, (done, failure)


def _add(recording: Recording, decision: Decision, consumer: str, incoming: Incoming) -> None:
    recording.events += decision.events
    if decision.handled is not None:
        recording.handled.append(
            HandledMessage(decision.handled, digest(incoming.body), consumer, incoming.position)
        )
    if decision.dead_letter is not None:
        reason, error = decision.dead_letter
        recording.dead_letters.append(
            DeadLetterEntry(
                consumer=consumer,
                upstream_stream=incoming.stream,
                upstream_position=incoming.position,
                subject=incoming.subject,
                reason=reason,
                error=storable(error),
                headers={storable(k): storable(v) for k, v in incoming.headers.items()},
                payload=incoming.body,
                attempts=incoming.delivery_count,
                received_at=incoming.received_at,
            )
        )


def storable(text: str) -> str:
    """Text PostgreSQL can store: no NUL, no lone surrogates (they are shown escaped)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
