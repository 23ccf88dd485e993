"""One service process: event store, broker, relay, consumers and the HTTP probe app.

`ServiceRuntime` is what each service's bootstrap hands its consumers to. It checks the
database and the broker first and fails within seconds with the setting and address
that are wrong, instead of a stack trace after a long hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
import structlog
import uvicorn
from faststream.nats import NatsBroker
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from faststream.nats.prometheus import NatsPrometheusMiddleware
from nats.aio.client import Client
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from oco_shared.eventstore import AsyncEventStore, EventStore
from oco_shared.messaging.consumer import ExactlyOnceConsumer
from oco_shared.messaging.relay import OutboxRelay, RelayState
from oco_shared.messaging.topology import SERVICES, Topology, provision_streams
from oco_shared.observability import configure_logging, tracer_provider
from oco_shared.settings import Settings

log = structlog.get_logger(__name__)


class StartupError(RuntimeError):
    """A setting that cannot work, named with its value."""


def resolve_addresses(settings: Settings) -> tuple[str, str]:
    """The NATS and PostgreSQL addresses: from the settings, else the embedded stack."""
    if settings.nats_url and settings.database_url:
        return settings.nats_url, settings.database_url
    from oco_shared.stack import stack_status

    running = stack_status(settings.data_dir)
    if running is None:
        missing = [
            name
            for name, value in (
                ("OCO_NATS_URL", settings.nats_url),
                ("OCO_DATABASE_URL", settings.database_url),
            )
            if not value
        ]
        raise StartupError(
            f"{' and '.join(missing)} not set and no embedded stack runs under "
            f"{settings.data_dir}: set them, or start the embedded servers with "
            "`oco stack up` (or `make run`)"
        )
    return settings.nats_url or running.nats_url, settings.database_url or running.database_url


def check_database(database_url: str, timeout: float) -> None:
    try:
        with psycopg.connect(database_url, connect_timeout=max(1, int(timeout))) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        raise StartupError(
            f"OCO_DATABASE_URL={database_url} is unreachable: {error}".strip()
        ) from None


async def connect_broker(broker: NatsBroker, nats_url: str, timeout: float) -> Client:
    try:
        connection: Client = await asyncio.wait_for(broker.connect(), timeout)
        await asyncio.wait_for(connection.jetstream().account_info(), timeout)
    except Exception as error:  # every way of failing ends in the same sentence
        raise StartupError(
            f"OCO_NATS_URL={nats_url} is unreachable or has no JetStream: {error!r}"
        ) from None
    return connection


def migrate(service: str, settings: Settings) -> str:
    """Create a service's schema and tables; for production, before the first start."""
    _, database_url = resolve_addresses(settings)
    check_database(database_url, settings.connect_timeout_seconds)
    store = EventStore(database_url, f"{settings.schema_prefix}{service}")
    try:
        store.migrate()
    finally:
        store.close()
    return store.schema


# A background loop of the service (e.g. a read-model projector): (store, stop) -> run.
Worker = Callable[[EventStore, asyncio.Event], Coroutine[Any, Any, None]]

ConsumerFactory = Callable[[EventStore, Topology, Settings], Sequence[ExactlyOnceConsumer]]


@dataclass
class ServiceRuntime:
    service: str
    settings: Settings = field(default_factory=Settings)
    consumers: ConsumerFactory = lambda store, topology, settings: ()
    default_port: int = 8100
    streams: tuple[str, ...] = SERVICES
    span_processors: Sequence[Any] = ()
    workers: Sequence[Worker] = ()
    topology: Topology = field(init=False)
    store: EventStore = field(init=False)
    broker: NatsBroker = field(init=False)
    relay: OutboxRelay = field(init=False)
    registry: CollectorRegistry = field(init=False)
    tracer: TracerProvider = field(init=False)
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list, init=False)
    _stop: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _consumers: Sequence[ExactlyOnceConsumer] = field(default=(), init=False)

    async def start(self) -> None:
        settings = self.settings
        self.topology = Topology(settings.subject_prefix)
        nats_url, database_url = resolve_addresses(settings)
        await asyncio.to_thread(check_database, database_url, settings.connect_timeout_seconds)
        self.store = EventStore(
            database_url,
            f"{settings.schema_prefix}{self.service}",
            cipher_key=settings.cipher_key,
            connect_timeout=settings.connect_timeout_seconds,
        )
        await asyncio.to_thread(self.store.migrate)
        self.registry = CollectorRegistry()
        self.tracer = tracer_provider(self.service, *self.span_processors)
        self.broker = NatsBroker(
            nats_url,
            connect_timeout=max(1, round(settings.connect_timeout_seconds)),
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            middlewares=[
                NatsTelemetryMiddleware(tracer_provider=self.tracer),
                NatsPrometheusMiddleware(registry=self.registry, app_name=self.service),
            ],
        )
        connection = await connect_broker(self.broker, nats_url, settings.connect_timeout_seconds)
        js = connection.jetstream()
        if settings.provision_streams:
            await provision_streams(
                js,
                self.topology.stream_configs(
                    self.streams,
                    replicas=settings.stream_replicas,
                    duplicate_window_seconds=settings.duplicate_window_seconds,
                ),
            )
        self._consumers = self.consumers(self.store, self.topology, settings)
        for consumer in self._consumers:
            consumer.js = js
            consumer.attach(self.broker)
        await self.broker.start()
        self.relay = OutboxRelay(
            AsyncEventStore(self.store),
            js,
            self.topology,
            self.service,
            database_url,
            batch_size=settings.relay_batch_size,
        )
        self._tasks.append(asyncio.create_task(self.relay.run(self._stop), name="relay"))
        for worker in self.workers:
            self._tasks.append(asyncio.create_task(worker(self.store, self._stop)))
        self._relay_position = Gauge(
            "oco_relay_published_position", "last notification published", registry=self.registry
        )
        log.info("service.started", nats_url=nats_url, schema=self.store.schema)

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)
        with contextlib.suppress(Exception):
            await self.broker.stop()
        self.store.close()
        self.tracer.shutdown()
        log.info("service.stopped")

    # The HTTP side: probes and metrics.

    async def readiness(self) -> dict[str, Any]:
        connection = self.broker._connection
        broker_ok = connection is not None and connection.is_connected
        try:
            await asyncio.wait_for(asyncio.to_thread(self.store.max_position), 2)
            database_ok = True
        except Exception:
            database_ok = False
        relay_ok = self.relay.state in (RelayState.RUNNING, RelayState.WAITING_FOR_LOCK)
        return {
            "broker": broker_ok,
            "database": database_ok,
            "relay": self.relay.state.value,
            "ready": broker_ok and database_ok and relay_ok,
        }

    async def asgi(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        path = scope["path"]
        if path == "/healthz":
            status, body, kind = 200, b'{"alive":true}', "application/json"
        elif path == "/readyz":
            report = await self.readiness()
            status, body, kind = (
                (200 if report["ready"] else 503),
                json.dumps(report).encode(),
                "application/json",
            )
        elif path == "/metrics":
            self._relay_position.set(self.relay.position)
            status, body, kind = 200, generate_latest(self.registry), CONTENT_TYPE_LATEST
        else:
            status, body, kind = 404, b'{"error":"not found"}', "application/json"
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", kind.encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def serve(self) -> None:
        """Run until SIGINT or SIGTERM: the process entry point of a service."""
        configure_logging(self.service, self.settings.log_level)
        await self.start()
        port = self.settings.http_port or self.default_port
        server = uvicorn.Server(
            uvicorn.Config(
                self.asgi,
                interface="asgi3",
                host=self.settings.http_host,
                port=port,
                log_config=None,
                access_log=False,
                lifespan="off",
            )
        )
        # uvicorn captures SIGINT/SIGTERM while it serves and re-raises them after;
        # they then reach these handlers, which stop the relay, consumers and broker.
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self._stop.set)
        http = asyncio.create_task(server.serve(), name="http")
        log.info("service.listening", port=port)
        await self._stop.wait()
        server.should_exit = True
        await http
        await self.stop()


def run_service(runtime: ServiceRuntime) -> None:
    try:
        asyncio.run(runtime.serve())
    except StartupError as error:
        log.error("service.startup_failed", error=str(error))
        raise SystemExit(f"{runtime.service}: {error}") from None
