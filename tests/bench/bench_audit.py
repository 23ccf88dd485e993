"""`make bench`, the auditor's part: verify and replay over a log of a million events,
beside a raw asyncpg scan of the same table in the same run.

The log is written straight into a scratch schema (COPY, not through the services): a
round's parties (nine in each of its 31 regions), each case played again and again with
the events a party's case leaves in the logs (its inscription, the assessment of its
case, its objection window, objection, answer and kort geding), every one of them on the
hash chain exactly as the store would have linked it, and consistent with the round's
rules (so verify finds nothing to report).
Then, each over the whole table, in this order:

- raw scan: the rows through a server-side cursor, nothing done with them;
- verify: the chain recomputed from the stored bytes (by PostgreSQL) and every
  rule-based decision decided again (`oco audit verify --no-stream`; the JetStream comparison reads a
  stream message by message and is not part of this figure);
- replay: the round's state folded from the events (`oco audit replay`);
- verify with the stream: on a log of 20,000 events that the service's own relay
  published, verify as `oco audit verify` runs it, the broker's copy compared too.

Memory: the process's resident size before and at its peak during each, sampled every
50 ms: it stays flat as the log grows (cursors, batches). Figures go to
`var/bench/audit.json`; nothing is asserted about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import nats
import psutil
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "libs/shared/tests/integration")]

from oco_audit.chain import GENESIS, content_digest, link  # noqa: E402
from oco_audit.log import BATCH, LogDecoder  # noqa: E402
from oco_audit.replay import replay  # noqa: E402
from oco_audit.verify import verify  # noqa: E402
from oco_shared.contract.examples import EXAMPLES  # noqa: E402
from oco_shared.eventstore import EventStore, compact_json  # noqa: E402
from oco_shared.messaging.log import Wakeup  # noqa: E402
from oco_shared.messaging.relay import OutboxRelay  # noqa: E402
from oco_shared.messaging.topology import Topology, provision_streams  # noqa: E402
from oco_shared.rounds import load_round  # noqa: E402
from plumbing_support import Servers  # noqa: E402
from plumbing_support import integration_servers as servers  # noqa: E402

OUT = ROOT / "var" / "bench"
EVENTS = 1_000_000
ROUND = "2027-2028"
PARTIES_PER_REGION = 9
STREAMED = 20_000  # events verified against the broker's copy as well
TARGETS = {"verify_events_per_second": 200_000, "replay_vs_raw_scan": 1 / 3}

# One party's events, in log order, each at the procedure time of its step. Received
# events carry their broker receipt time (the real procedure: no rehearsal clock).
SELECTION = "6e5d4c3b-2a19-4f08-8e7d-6c5b4a392817"
PARTY = [
    ("InscriptionReceived", "2026-07-15T10:30:00+02:00", {}),
    ("AssessmentCaseOpened", "2026-07-31T18:00:00+02:00", {}),
    ("VerdictsRecorded", "2026-08-10T10:00:00+02:00", {}),
    ("SuitabilityAssessed", "2026-08-10T10:00:00+02:00", {}),
    ("CriteriaScored", "2026-08-11T10:00:00+02:00", {}),
    ("ObjectionWindowOpened", "2026-09-18T12:00:00+02:00", {"selection_event_id": SELECTION}),
    (
        "ObjectionFiled",
        "2026-10-01T09:00:00+02:00",
        {"selection_event_id": SELECTION, "window_closes_at": "2026-10-03T00:00:00+02:00"},
    ),
    ("ObjectionAnswered", "2026-10-16T12:00:00+02:00", {}),
    ("KortGedingFiled", "2026-10-20T10:00:00+02:00", {}),
]
RECEIVED = {"InscriptionReceived", "ObjectionFiled", "ObjectionAnswered", "KortGedingFiled"}
_MARK = "@@{}@@"


def templates() -> list[tuple[str, list[bytes]]]:
    """Each event of a party as its stored state, split where its ids go."""
    made = []
    for type_name, at, fields in PARTY:
        document = {
            **EXAMPLES[type_name],
            **fields,
            "event_id": _MARK.format("event"),
            "provider_id": _MARK.format("provider"),
            "region_code": _MARK.format("region"),
            "occurred_at": at,
            "broker_time": at if type_name in RECEIVED else None,
            "objection_id": _MARK.format("objection"),
        }
        if "objection_id" not in EXAMPLES[type_name]:
            del document["objection_id"]
        if type_name in ("InscriptionReceived", "AssessmentCaseOpened"):
            document["provider"] = {"id": _MARK.format("provider"), "name": "Aanbieder"}
        state = b'{"headers":{},"event":%b}' % compact_json(document)
        parts = [state]
        for name in ("event", "provider", "region", "objection"):
            marker = _MARK.format(name).encode()
            parts = [piece for part in parts for piece in _split_keep(part, marker)]
        made.append((f"{type_name}.v1", parts))
    return made


def _split_keep(part: bytes, marker: bytes) -> list[bytes]:
    if part.startswith(b"@@"):
        return [part]
    pieces = part.split(marker)
    out = [pieces[0]]
    for piece in pieces[1:]:
        out += [marker, piece]
    return out


def generated(count: int) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """(stored_events row, event_chain row) for `count` events, linked as the store does."""
    regions = [region.code for u in load_round(ROUND).uitvoerders for region in u.regions]
    cases = templates()
    # A round's parties (nine per region), each case played again and again: the log
    # grows long, the round stays the size of a real one.
    parties = [
        {
            b"@@provider@@": b"%08d" % (10_000_000 + party),
            b"@@region@@": regions[party % len(regions)].encode(),
            b"@@objection@@": str(uuid.uuid4()).encode(),
        }
        for party in range(PARTIES_PER_REGION * len(regions))
    ]
    prev, position = GENESIS, 0
    for values in itertools.cycle(parties):
        for topic, parts in cases:
            if position == count:
                return
            position += 1
            values[b"@@event@@"] = str(uuid.uuid4()).encode()
            state = b"".join(values.get(part, part) for part in parts)
            originator = uuid.uuid4()
            sha256 = link(prev, position, content_digest(originator, 1, topic, state))
            yield (position, originator, 1, topic, state), (position, position, prev, sha256)
            prev = sha256


async def write_log(database_url: str, schema: str, count: int) -> float:
    store = EventStore(database_url, schema, connect_timeout=30)
    await asyncio.to_thread(store.migrate)
    store.close()
    connection = await asyncpg.connect(database_url)
    started = time.perf_counter()
    try:
        rows = generated(count)
        while True:
            chunk = [pair for _, pair in zip(range(50_000), rows, strict=False)]
            if not chunk:
                break
            await connection.copy_records_to_table(
                "stored_events",
                schema_name=schema,
                columns=[
                    "notification_id",
                    "originator_id",
                    "originator_version",
                    "topic",
                    "state",
                ],
                records=[event for event, _ in chunk],
            )
            await connection.copy_records_to_table(
                "event_chain",
                schema_name=schema,
                columns=["position", "notification_id", "prev", "sha256"],
                records=[linked for _, linked in chunk],
            )
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence($1, 'notification_id'), $2)",
            f"{schema}.stored_events",
            count,
        )
        # As autovacuum and the checkpointer leave a log written over weeks: its rows' hint
        # bits set, its pages all visible and on disk, so that the runs below measure
        # reading, not the first read's writes after a bulk COPY or a checkpoint's.
        for table in ("stored_events", "event_chain"):
            await connection.execute(
                sql.SQL("VACUUM (ANALYZE) {}.{}")
                .format(sql.Identifier(schema), sql.Identifier(table))
                .as_string(None)
            )
        await connection.execute("CHECKPOINT")
    finally:
        await connection.close()
    return time.perf_counter() - started


class Memory:
    """The resident size before a run and the most it reached during it (sampled)."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.before = self.peak = 0

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        self.before = self.peak = self.process.memory_info().rss
        stop = asyncio.Event()

        async def sample() -> None:
            while not stop.is_set():
                self.peak = max(self.peak, self.process.memory_info().rss)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.05)

        sampler = asyncio.ensure_future(sample())
        try:
            yield
        finally:
            stop.set()
            await sampler

    def figures(self) -> dict[str, float]:
        return {
            "rss_before_mib": round(self.before / 2**20, 1),
            "rss_growth_mib": round((self.peak - self.before) / 2**20, 1),
        }


async def measured(run: Callable[[], Awaitable[int]], events: int) -> dict[str, Any]:
    memory = Memory()
    async with memory.watching():
        started, cpu = time.perf_counter(), time.process_time()
        outcome = await run()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "events": events,
        "seconds": round(seconds, 3),
        "events_per_second": round(events / seconds),
        # This process's own CPU time: less bent by other load on a shared machine.
        "cpu_seconds": round(cpu, 3),
        "events_per_cpu_second": round(events / cpu) if cpu else None,
        "outcome": outcome,
        **memory.figures(),
    }


async def raw_scan(database_url: str, schema: str) -> int:
    """Every row and column of the table in order, by a cursor, and nothing done with them."""
    connection = await asyncpg.connect(database_url)
    rows = 0
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            cursor = await connection.cursor(
                sql.SQL("SELECT * FROM {}.stored_events ORDER BY notification_id")
                .format(sql.Identifier(schema))
                .as_string(None)
            )
            while batch := await cursor.fetch(BATCH):
                rows += len(batch)
    finally:
        await connection.close()
    return rows


async def server_version(database_url: str) -> str:
    """Which PostgreSQL answered: its hashing, above all, decides verify's figure."""
    connection = await asyncpg.connect(database_url)
    try:
        version = await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()
    where = "OCO_DATABASE_URL" if os.environ.get("OCO_DATABASE_URL") else "embedded"
    return f"{version} ({where})"


async def with_stream(where: Servers, count: int) -> dict[str, Any]:
    """Verify with the broker's copy too, on a smaller log the service's own relay
    published: the auditor's user fetches stream messages one by one."""
    prefix = f"baudits{uuid.uuid4().hex[:8]}_"
    topology = Topology(prefix.rstrip("_"))
    schema = f"{prefix}intake"
    connection = await nats.connect(where.nats_url)
    js = connection.jetstream()
    store = EventStore(where.database_url, schema, connect_timeout=30)
    try:
        await write_log(where.database_url, schema, count)
        await provision_streams(
            js,
            topology.stream_configs(
                ("intake",), replicas=1, duplicate_window_seconds=3600, max_bytes=2**30
            ),
        )
        relay = OutboxRelay(store, lambda: js, topology, "intake", where.database_url, Wakeup())
        stop = asyncio.Event()
        publishing = asyncio.ensure_future(relay.run(stop))
        while relay.position < count:
            assert not publishing.done(), relay.status()
            await asyncio.sleep(0.1)
        stop.set()
        await publishing

        async def verified() -> int:
            report = await verify(
                where.database_url, connection, topology, prefix, ["intake"], LogDecoder(), ROUND
            )
            assert report.services[0].streamed == count, report.services
            return len(report.findings)

        return await measured(verified, count)
    finally:
        store.close()
        for stream in await js.streams_info():
            if (stream.config.name or "").startswith(topology.prefix.upper() + "_"):
                await js.delete_stream(stream.config.name or "")
        await connection.close()
        with psycopg.connect(where.database_url, autocommit=True) as db:
            db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


async def collect(where: Servers, count: int) -> dict[str, Any]:
    prefix = f"baudit{uuid.uuid4().hex[:8]}_"
    schema = f"{prefix}intake"
    decoder = LogDecoder()
    try:
        written = await write_log(where.database_url, schema, count)
        figures: dict[str, Any] = {
            "log": {"events": count, "write_seconds": round(written, 1), "batch": BATCH}
        }
        figures["raw_scan"] = await measured(lambda: raw_scan(where.database_url, schema), count)

        async def verified() -> int:
            report = await verify(
                where.database_url, None, Topology(prefix), prefix, ["intake"], decoder, ROUND
            )
            assert report.services[0].events == count, report.services
            return len(report.findings)

        async def replayed() -> int:
            state = await replay(where.database_url, prefix, ["intake"], decoder, ROUND)
            return state.applied

        figures["verify"] = await measured(verified, count)
        figures["replay"] = await measured(replayed, count)
    finally:
        with psycopg.connect(where.database_url, autocommit=True) as db:
            db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    figures["verify_with_stream"] = await with_stream(where, STREAMED)
    raw = figures["raw_scan"]["events_per_second"]
    figures["ratios"] = {
        "verify_events_per_second": figures["verify"]["events_per_second"],
        "verify_vs_raw_scan": round(figures["verify"]["events_per_second"] / raw, 3),
        "replay_vs_raw_scan": round(figures["replay"]["events_per_second"] / raw, 3),
    }
    figures["targets"] = TARGETS
    figures["postgres"] = await server_version(where.database_url)
    figures["load_average"] = round(psutil.getloadavg()[0], 2)
    figures["cpus"] = psutil.cpu_count()
    return figures


def print_table(figures: dict[str, Any]) -> None:
    print(f"audit bench: a log of {figures['log']['events']:,} events")
    print(f"{'':<18} {'events/s':>10} {'seconds':>8} {'per CPU s':>10} {'RSS growth':>11}  outcome")
    for part in ("raw_scan", "verify", "replay", "verify_with_stream"):
        f = figures[part]
        print(
            f"{part:<18} {f['events_per_second']:>10,} {f['seconds']:>8}"
            f" {f['events_per_cpu_second'] or 0:>10,} {f['rss_growth_mib']:>7} MiB  {f['outcome']}"
        )
    ratios, targets = figures["ratios"], figures["targets"]
    print(
        f"verify {ratios['verify_events_per_second']:,} events/s"
        f" (target {targets['verify_events_per_second']:,});"
        f" replay / raw scan {ratios['replay_vs_raw_scan']}"
        f" (target {targets['replay_vs_raw_scan']:.2f})"
    )
    print(
        "outcome: verify = findings (0 on this clean log), replay = events applied;"
        f" load average {figures['load_average']}; PostgreSQL {figures['postgres']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=EVENTS)
    count = parser.parse_args().events
    with servers() as where:
        figures = asyncio.run(collect(where, count))
    print_table(figures)
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / ("audit.json" if count == EVENTS else "audit-partial.json")
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"figures: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
