"""What the integration tests and their worker processes share."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from oco_shared.handling import Incoming
from oco_shared.messaging.topology import Topology
from oco_shared.procedure_time import ProcedureInstant
from oco_shared.settings import Settings
from psycopg import sql


@contextlib.contextmanager
def integration_servers() -> Iterator[Servers]:
    """The servers the environment names; what it does not name comes from the embedded
    stack (stopped again if started here), whose broker requires its users: callers
    connect as its provisioner."""
    nats_url, database_url = os.environ.get("OCO_NATS_URL"), os.environ.get("OCO_DATABASE_URL")
    if nats_url and database_url:
        yield Servers(nats_url, database_url)
        return
    from oco_devstack.servers import stack_down, stack_status, stack_up

    data_dir = Settings().data_dir
    already_running = stack_status(data_dir) is not None
    try:  # also a start that failed half-way leaves no server behind
        addresses = stack_up(data_dir)
        yield Servers(nats_url or addresses.nats_url, database_url or addresses.database_url)
    finally:
        if not already_running:  # leave no server behind that this run started
            stack_down(data_dir)


# JetStream reserves each stream's limit on disk: tests keep theirs small.
STREAM_MAX_BYTES = 64 * 2**20


@dataclass(frozen=True)
class Servers:
    nats_url: str
    database_url: str


@dataclass(frozen=True)
class Isolation:
    """A prefix of this test's own for subjects, streams and schemas."""

    prefix: str

    @property
    def topology(self) -> Topology:
        return Topology(self.prefix)

    @property
    def schema_prefix(self) -> str:
        return f"{self.prefix}_"

    def env(self, servers: Servers, **extra: str) -> dict[str, str]:
        """Environment for a worker process of this test."""
        return {
            **os.environ,
            "OCO_NATS_URL": servers.nats_url,
            "OCO_DATABASE_URL": servers.database_url,
            "OCO_SUBJECT_PREFIX": self.prefix,
            "OCO_SCHEMA_PREFIX": self.schema_prefix,
            "OCO_STREAM_MAX_BYTES": str(STREAM_MAX_BYTES),
            **extra,
        }

    def settings(self, servers: Servers, **overrides: object) -> Settings:
        return Settings(
            nats_url=servers.nats_url,
            database_url=servers.database_url,
            subject_prefix=self.prefix,
            schema_prefix=self.schema_prefix,
            **{"stream_max_bytes": STREAM_MAX_BYTES, **overrides},  # type: ignore[arg-type]
        )


async def stream_count(js: JetStreamContext, stream: str) -> int:
    try:
        return (await js.stream_info(stream)).state.messages
    except NotFoundError:
        return 0


async def outcome_count(js: JetStreamContext, stream: str, subjects: str) -> int:
    """How many events a service's stream holds, without the records about the log."""
    try:
        info = await js.stream_info(stream, subjects_filter=subjects)
    except NotFoundError:
        return 0
    by_subject = info.state.subjects or {}
    return sum(n for subject, n in by_subject.items() if subject.split(".")[-1] not in LOG_RECORDS)


async def wait_for_count(
    js: JetStreamContext, stream: str, at_least: int, timeout: float = 120
) -> int:
    deadline = time.monotonic() + timeout
    while (count := await stream_count(js, stream)) < at_least:
        assert time.monotonic() < deadline, f"{stream} has {count}, waited for {at_least}"
        await asyncio.sleep(0.01)
    return count


async def stream_messages(js: JetStreamContext, stream: str, subject: str) -> list[Msg]:
    """Every message in the stream on `subject`, in stream order."""
    expected = await stream_count(js, stream)
    subscription = await js.pull_subscribe(subject, stream=stream)
    found: list[Msg] = []
    try:
        while len(found) < expected:
            try:
                batch = await subscription.fetch(min(1000, expected - len(found)), timeout=1)
            except TimeoutError:  # nats-py raises both its own and asyncio's; both are these
                break
            for message in batch:
                found.append(message)
                await message.ack()
    finally:
        await subscription.unsubscribe()
    return found


# Records about the log itself (the chain's checkpoints), not outcomes of any message:
# a service records one every 1,000 events and after 10 quiet minutes, so tests of
# outcomes leave them out.
LOG_RECORDS = ("ChainCheckpointed",)


async def stream_documents(js: JetStreamContext, stream: str, subject: str) -> list[dict[str, Any]]:
    """The events on a stream, in order, without the records about the log."""
    documents = [json.loads(m.data) for m in await stream_messages(js, stream, subject)]
    return [d for d in documents if d.get("type") not in LOG_RECORDS]


def stored_event_count(servers: Servers, schema: str, *, log_records: bool = False) -> int:
    """How many events a service's store holds (with `log_records`, checkpoints too)."""
    left_out = [] if log_records else [f"{name}.v1" for name in LOG_RECORDS]
    with psycopg.connect(servers.database_url) as db:
        row = db.execute(
            sql.SQL("SELECT count(*) FROM {}.stored_events WHERE NOT topic = ANY(%s)").format(
                sql.Identifier(schema)
            ),
            (left_out,),
        ).fetchone()
    assert row is not None
    return int(row[0])


class ScriptedReceipt:
    """Receipt times by message id; the broker's own time for anything not scripted.

    The broker stamps receipt times now, not in the months of a round, so a scenario
    scripts the procedure time of each message it sends; everything else is real.
    """

    def __init__(self) -> None:
        self.times: dict[str, datetime] = {}

    def __call__(self, incoming: Incoming) -> ProcedureInstant:
        scripted = self.times.get(incoming.headers.get("Nats-Msg-Id", ""))
        return ProcedureInstant(scripted or incoming.received_at)
