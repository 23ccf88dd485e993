"""A service runtime in-process: dead letters, a broker restart, traces, probes, fail-fast."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import nats
import pytest
import structlog
import structlog.testing
from oco_devstack.servers import nats_binary as _nats_binary
from oco_shared.eventstore import NewEvent
from oco_shared.runtime import ServiceRuntime, StartupError
from oco_shared.settings import Settings
from opentelemetry import propagate
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from plumbing_support import Isolation, Servers, stream_messages
from probe_service import POISON, PROBE, PROBE_DEFINITION, SOURCE, probe_event, probe_runtime

pytestmark = pytest.mark.integration


async def eventually(check, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


@pytest.fixture
async def runtime(servers: Servers, isolation: Isolation) -> AsyncIterator[ServiceRuntime]:
    service = probe_runtime(isolation.settings(servers, max_deliver=3))
    await service.start()
    yield service
    await service.stop()


async def test_a_poison_message_is_dead_lettered_with_its_reason_and_the_next_one_is_handled(
    runtime: ServiceRuntime, servers: Servers, isolation: Isolation
) -> None:
    topology = isolation.topology
    connection = await nats.connect(servers.nats_url)
    js = connection.jetstream()
    source = topology.service_stream(SOURCE)
    subject = topology.event_subject(SOURCE, "Probe")
    await js.publish(subject, b"{not json", stream=source, headers={"X-Portal": "test"})
    poison = probe_event(rule=POISON)
    await js.publish(subject, poison.model_dump_json().encode(), stream=source)
    good = probe_event()
    await js.publish(subject, good.model_dump_json().encode(), stream=source)

    downstream = topology.service_stream(PROBE)
    await eventually(lambda: _count(js, downstream, 1))
    dead = await eventually(lambda: _dead(js, topology, 2))
    records = [json.loads(message.data) for message in dead]
    assert [r["reason"] for r in records] == ["malformed", "max_deliver_exceeded"]
    assert records[0]["payload"] == "{not json" and records[0]["payload_bytes"] == 9
    assert records[0]["headers"]["X-Portal"] == "test"
    assert records[0]["upstream_stream"] == source and records[0]["upstream_position"] == 1
    assert "Expecting property name" in records[0]["error"]
    assert records[1]["attempts"] == 3 and "fails every time" in records[1]["error"]
    published = await stream_messages(js, downstream, topology.service_subjects(PROBE))
    assert json.loads(published[0].data)["causation_id"] == str(good.event_id)
    await connection.close()


async def _count(js, stream: str, expected: int) -> bool:  # type: ignore[no-untyped-def]
    return (await js.stream_info(stream)).state.messages >= expected


async def _dead(js, topology, expected: int):  # type: ignore[no-untyped-def]
    if (await js.stream_info(topology.deadletter_stream)).state.messages < expected:
        return None
    return await stream_messages(js, topology.deadletter_stream, topology.deadletter_subject(PROBE))


async def test_one_trace_runs_from_a_submission_through_the_consumer_logs_to_its_event(
    servers: Servers, isolation: Isolation, capsys: pytest.CaptureFixture[str]
) -> None:
    exporter = InMemorySpanExporter()
    service = probe_runtime(
        isolation.settings(servers), span_processors=[SimpleSpanProcessor(exporter)]
    )
    from oco_shared.observability import configure_logging

    handlers = list(logging.getLogger().handlers)
    configure_logging(PROBE)
    await service.start()
    try:
        portal = TracerProvider().get_tracer("portal")
        connection = await nats.connect(servers.nats_url)
        js = connection.jetstream()
        topology = isolation.topology
        with portal.start_as_current_span("portal.submit") as span:
            trace_id = format(span.get_span_context().trace_id, "032x")
            headers: dict[str, str] = {}
            propagate.inject(headers)
            await js.publish(
                topology.event_subject(SOURCE, "Probe"),
                probe_event().model_dump_json().encode(),
                stream=topology.service_stream(SOURCE),
                headers=headers,
            )
        downstream = topology.service_stream(PROBE)
        await eventually(lambda: _count(js, downstream, 1))
        [published] = await stream_messages(js, downstream, topology.service_subjects(PROBE))
        await connection.close()
    finally:
        await service.stop()
        structlog.reset_defaults()
        logging.getLogger().handlers[:] = handlers  # the next tests log as before
    consumer_spans = [
        s for s in exporter.get_finished_spans() if s.context.trace_id == int(trace_id, 16)
    ]
    assert consumer_spans, "the consumer's span joins the portal's trace"
    assert published.headers["traceparent"].split("-")[1] == trace_id
    handled = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if '"consumer.handled"' in line
    ]
    assert handled and handled[0]["trace_id"] == trace_id and handled[0]["service"] == PROBE
    assert len(handled[0]["span_id"]) == 16


async def test_a_stopped_nats_server_started_again_after_10_seconds_costs_no_event(
    servers: Servers, isolation: Isolation, tmp_path: Path, free_port: int
) -> None:
    command = [
        str(_nats_binary()),
        "-a",
        "127.0.0.1",
        "-p",
        str(free_port),
        "-js",
        "-sd",
        str(tmp_path),
    ]
    nats_server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    own = Servers(f"nats://127.0.0.1:{free_port}", servers.database_url)
    try:
        await asyncio.sleep(0.5)
        service = probe_runtime(isolation.settings(own))
        await service.start()
        before = [NewEvent(uuid.uuid4(), 1, probe_event()) for _ in range(50)]
        await asyncio.to_thread(service.store.append, before)
        await eventually(lambda: _relayed(service, 50))

        nats_server.terminate()
        nats_server.wait()
        during = [NewEvent(uuid.uuid4(), 1, probe_event()) for _ in range(50)]
        await asyncio.to_thread(service.store.append, during)
        await asyncio.sleep(10)
        nats_server = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

        await eventually(lambda: _relayed(service, 100), timeout=60)
        connection = await nats.connect(own.nats_url)
        js = connection.jetstream()
        stream = isolation.topology.service_stream(PROBE)
        found = await stream_messages(js, stream, isolation.topology.service_subjects(PROBE))
        await connection.close()
        await service.stop()
    finally:
        nats_server.terminate()
        nats_server.wait()
    ids = [json.loads(message.data)["event_id"] for message in found]
    assert ids == [str(new.event.event_id) for new in before + during]


async def _relayed(service: ServiceRuntime, position: int) -> bool:
    return service.relay.position >= position


async def test_probes_and_metrics_answer_over_http(runtime: ServiceRuntime) -> None:
    transport = httpx.ASGITransport(app=runtime.asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        assert (await client.get("/healthz")).status_code == 200
        ready = await eventually(lambda: _ready(client))
        assert ready["broker"] and ready["database"]
        assert {name: task["state"] for name, task in ready["tasks"].items()} == {
            "relay": "running",
            "consumer:from-source": "running",
            "streams": "running",
            "checkpoints": "running",
        }
        assert (
            ready["tasks"]["relay"]["lag"] == 0
            and ready["tasks"]["consumer:from-source"]["lag"] == 0
        )
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200
        assert 'oco_task_up{task="relay"} 1.0' in metrics.text
        assert 'oco_task_restarts_total{task="consumer:from-source"} 0.0' in metrics.text


async def _ready(client: httpx.AsyncClient) -> dict | None:  # type: ignore[type-arg]
    response = await client.get("/readyz")
    report = response.json()
    return report if response.status_code == 200 else None


@pytest.mark.parametrize(
    ("setting", "overrides"),
    [
        ("OCO_DATABASE_URL", {"database_url": "postgresql://postgres@127.0.0.1:1/none"}),
        ("OCO_NATS_URL", {"nats_url": "nats://127.0.0.1:1"}),
    ],
)
async def test_an_unreachable_address_fails_fast_naming_the_setting(
    servers: Servers, isolation: Isolation, setting: str, overrides: dict[str, str]
) -> None:
    settings = isolation.settings(servers, connect_timeout_seconds=2.0).model_copy(update=overrides)
    started = time.monotonic()
    with pytest.raises(StartupError, match=setting) as caught:
        await ServiceRuntime(PROBE_DEFINITION, settings).start()
    assert "127.0.0.1:1" in str(caught.value)
    assert time.monotonic() - started < 10


def test_without_addresses_or_a_stack_the_error_says_what_to_do(tmp_path: Path) -> None:
    from oco_shared.addresses import resolve_addresses

    with pytest.raises(
        StartupError, match=r"OCO_NATS_URL and OCO_DATABASE_URL not set.*oco stack up"
    ):
        resolve_addresses(Settings(nats_url=None, database_url=None, data_dir=tmp_path))


def test_migrate_creates_a_services_tables_and_can_run_again(
    servers: Servers, isolation: Isolation
) -> None:
    import psycopg
    from oco_shared.runtime import migrate

    settings = isolation.settings(servers)
    assert migrate("intake", settings) == f"{isolation.schema_prefix}intake"
    assert migrate("intake", settings) == f"{isolation.schema_prefix}intake"
    with psycopg.connect(servers.database_url) as db:
        tables = {
            row[0]
            for row in db.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (f"{isolation.schema_prefix}intake",),
            )
        }
    assert {"stored_events", "notification_tracking", "relay_position"} <= tables


async def test_a_relay_that_cannot_publish_names_the_event_in_readyz_and_recovers(
    runtime: ServiceRuntime, servers: Servers, isolation: Isolation
) -> None:
    from oco_shared.messaging.topology import provision_streams

    topology = isolation.topology
    connection = await nats.connect(servers.nats_url)
    js = connection.jetstream()
    stream = topology.service_stream(PROBE)
    await js.delete_stream(stream)  # nowhere to publish: every attempt fails
    stuck = NewEvent(uuid.uuid4(), 1, probe_event())
    await asyncio.to_thread(runtime.store.append, [stuck])

    async def alarmed() -> dict | None:  # type: ignore[type-arg]
        report = await runtime.readiness()
        relay = report["tasks"]["relay"]
        return report if relay["state"] == "retrying" and relay["error"] else None

    report = await eventually(alarmed, timeout=60)
    assert not report["ready"]
    assert str(stuck.event.event_id) in report["tasks"]["relay"]["error"]
    assert "position 1" in report["tasks"]["relay"]["error"]

    await provision_streams(
        js, topology.stream_configs((PROBE,), replicas=1, duplicate_window_seconds=3600)
    )
    await eventually(lambda: _relayed(runtime, 1), timeout=60)
    [published] = await stream_messages(js, stream, topology.service_subjects(PROBE))
    assert json.loads(published.data)["event_id"] == str(stuck.event.event_id)
    assert (await runtime.readiness())["ready"]
    await connection.close()


NATS_SECRET, DATABASE_SECRET, CIPHER_SECRET = "nats-s3cret-42", "pg-s3cret-42", "c2hvcnRrZXkxMA=="


def _run_probe(isolation: Isolation, servers: Servers, seconds: float, **env: str) -> str:
    """The probe service as an operator starts it; everything it printed."""
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("probe_service.py")), "service"],
        env=isolation.env(servers, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        output, _ = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    return output.decode(errors="replace")


def _with_password(url: str, user: str, password: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{user}:{password}@{rest.rpartition('@')[2]}"


def test_no_password_or_key_appears_in_any_output(
    servers: Servers, isolation: Isolation, free_port: int
) -> None:
    # The broker's own password when it requires one (the embedded stack's), else a made-up
    # one that an open broker ignores: either way a secret that must never be printed.
    given = urlsplit(servers.nats_url)
    nats_secret = unquote(given.password) if given.password else NATS_SECRET
    nats_url = (
        servers.nats_url
        if given.password
        else _with_password(servers.nats_url, "probe", nats_secret)
    )
    stored = urlsplit(servers.database_url)
    database_secret = unquote(stored.password) if stored.password else DATABASE_SECRET
    database_url = (
        servers.database_url
        if stored.password
        else _with_password(servers.database_url, "postgres", database_secret)
    )
    ports = {"OCO_HTTP_PORT": str(free_port), "OCO_LOG_LEVEL": "DEBUG"}
    running = _run_probe(
        isolation,
        servers,
        8,
        OCO_NATS_URL=nats_url,
        OCO_DATABASE_URL=database_url,
        **ports,
    )
    assert "service.started" in running
    lines = [json.loads(line) for line in running.splitlines() if line.strip()]
    assert all(line["service"] == PROBE for line in lines), "one JSON object per line, each"
    assert any(line.get("logger", "").startswith("uvicorn") for line in lines)  # theirs too
    assert "\x1b[" not in running  # no colours when the output is not a terminal
    unreachable = _run_probe(
        isolation,
        servers,
        30,
        OCO_NATS_URL=nats_url,
        OCO_DATABASE_URL=database_url.replace(f":{urlsplit(database_url).port}/", ":1/"),
        OCO_CONNECT_TIMEOUT_SECONDS="2",
        **ports,
    )
    assert "OCO_DATABASE_URL=postgresql://postgres:***@" in unreachable
    bad_key = _run_probe(isolation, servers, 30, OCO_CIPHER_KEY=CIPHER_SECRET, **ports)
    assert bad_key.strip().splitlines()[-1] == (
        "settings: OCO_CIPHER_KEY: Value error, decodes to 10 bytes; an AES key has 16, 24 or 32"
    )
    assert "Traceback" not in unreachable + bad_key
    for output in (running, unreachable, bad_key):
        assert nats_secret not in output and database_secret not in output
        assert CIPHER_SECRET not in output


async def test_a_stream_filling_up_is_warned_about_before_it_refuses(
    servers: Servers, isolation: Isolation
) -> None:
    service = probe_runtime(isolation.settings(servers, stream_max_bytes=2**20))
    await service.start()
    connection = await nats.connect(servers.nats_url)
    try:
        js = connection.jetstream()
        topology = isolation.topology
        for _ in range(9):  # about 88 % of a 1 MiB stream
            await js.publish(
                topology.event_subject(SOURCE, "Filler"),
                b"x" * 100_000,
                stream=topology.service_stream(SOURCE),
            )
        with structlog.testing.capture_logs() as logs:
            await service.streams.check()
        [warning] = [entry for entry in logs if entry["event"] == "stream.filling"]
        assert warning["stream"] == topology.service_stream(SOURCE)
        assert warning["log_level"] == "warning" and 85 < warning["percent"] < 95
        transport = httpx.ASGITransport(app=service.asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
            metrics = (await client.get("/metrics")).text
        assert f'oco_stream_fill_ratio{{stream="{topology.service_stream(SOURCE)}"}} 0.8' in metrics
        with pytest.raises(nats.js.errors.APIError):  # full: refused, nothing dropped
            for _ in range(3):
                await js.publish(
                    topology.event_subject(SOURCE, "Filler"),
                    b"x" * 100_000,
                    stream=topology.service_stream(SOURCE),
                )
    finally:
        await connection.close()
        await service.stop()
