"""One service process: event store, broker, supervised workers and the HTTP probe app.

A service's bootstrap describes it (`ServiceDefinition`: its subscriptions, read models
and port); `ServiceRuntime` checks the database and the broker first, failing within
seconds with the setting and address that are wrong, then runs the relay, one consumer
per subscription and one projector per read model under one supervisor, and answers
`/healthz`, `/readyz` and `/metrics` through faststream's ASGI app.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
import uvicorn
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.nats import NatsBroker
from faststream.security import SASLPlaintext
from nats.aio.client import Client
from nats.js import JetStreamContext
from opentelemetry.sdk.trace import SpanProcessor
from prometheus_client import CollectorRegistry, make_asgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from pydantic import ValidationError

from oco_shared.addresses import StartupError, check_database, resolve_addresses, unreachable
from oco_shared.clock import Clock, SystemClock
from oco_shared.eventstore import EventStore
from oco_shared.handling import Incoming, ReceiptClock, Route
from oco_shared.messaging.checkpoint import ChainCheckpointer
from oco_shared.messaging.consumer import LATEST, BatchConsumer
from oco_shared.messaging.log import Wakeup
from oco_shared.messaging.procedure_clock import ClockFollower, log_segments
from oco_shared.messaging.projector import Projection, Projector
from oco_shared.messaging.relay import OutboxRelay
from oco_shared.messaging.streams import StreamWatcher
from oco_shared.messaging.ticker import Deadlines, DeadlineTicker
from oco_shared.messaging.topology import SERVICES, Topology, provision_streams
from oco_shared.observability import configure_logging, tracer_provider
from oco_shared.procedure_time import (
    ProcedureClock,
    ProcedureInstant,
    Timeline,
    rehearsal_refusal,
)
from oco_shared.settings import Settings
from oco_shared.supervisor import Supervisor

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Upstream:
    """Where a subscription reads: a portal subject, or another service's events."""

    source: str  # "portal", "office" or a service name
    subject: str  # the last token of a portal or office subject, or an event type (">": all)

    def stream(self, topology: Topology) -> str:
        if self.source == "portal":
            return topology.portal_stream
        if self.source == "office":
            return topology.office_stream
        return topology.service_stream(self.source)

    def filter_subject(self, topology: Topology) -> str:
        if self.source == "portal":
            return topology.portal_subject(self.subject)
        if self.source == "office":  # every uitvoerder's office
            return topology.office_subject("*", self.subject)
        return topology.event_subject(self.source, self.subject)


def portal(kind: str) -> Upstream:
    return Upstream("portal", kind)


def office(kind: str) -> Upstream:
    """A zorgkantoor's act of this kind, from whichever uitvoerder's office subject."""
    return Upstream("office", kind)


def events_of(service: str, event_type: str = ">") -> Upstream:
    return Upstream(service, event_type)


@dataclass(frozen=True)
class Subscription:
    """One route of a service, fed from one upstream subject by one durable consumer."""

    upstream: Upstream
    route: Route
    # Routes of the same service whose upstream is recorded up to a message's receipt
    # before it is judged: what arrives on two subjects keeps the order it was received in.
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceDefinition:
    """Everything that differs between services; bootstraps build one."""

    service: str
    default_port: int
    subscriptions: Sequence[Subscription] = ()
    projections: Sequence[Projection] = ()
    streams: tuple[str, ...] = SERVICES
    # Deadlines that pass become events, raised by a ticker on procedure time.
    deadlines: Deadlines | None = None


async def connect_broker(broker: NatsBroker, nats_url: str, timeout: float) -> Client:
    try:
        connection: Client = await asyncio.wait_for(broker.connect(), timeout)
        await asyncio.wait_for(connection.jetstream().account_info(), timeout)
    except Exception as error:  # every way of failing ends in the same sentence
        raise unreachable("OCO_NATS_URL", nats_url, f"or has no JetStream: {error!r}") from None
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


@dataclass
class ServiceRuntime:
    definition: ServiceDefinition
    settings: Settings = field(default_factory=Settings)
    # None: the procedure clock on the broker decides (tests may script receipt times).
    receipt: ReceiptClock | None = None
    # None: the deadline ticker reads the procedure clock (tests may hold time still).
    tick_clock: Clock | None = None
    span_processors: Sequence[SpanProcessor] = ()
    store: EventStore = field(init=False)
    broker: NatsBroker = field(init=False)
    supervisor: Supervisor = field(init=False)
    relay: OutboxRelay = field(init=False)
    streams: StreamWatcher = field(init=False)
    consumers: list[BatchConsumer] = field(init=False, default_factory=list)
    ticker: DeadlineTicker | None = field(init=False, default=None)
    timeline: Timeline = field(init=False)
    procedure_clock: ProcedureClock = field(init=False)
    asgi: AsgiFastStream = field(init=False)
    _js: JetStreamContext = field(init=False)

    @property
    def service(self) -> str:
        return self.definition.service

    async def start(self) -> None:
        settings, definition = self.settings, self.definition
        topology = Topology(settings.subject_prefix)
        nats_url, database_url = resolve_addresses(settings)
        await asyncio.to_thread(check_database, database_url, settings.connect_timeout_seconds)
        self.store = EventStore(
            database_url,
            f"{settings.schema_prefix}{self.service}",
            cipher_key=settings.cipher_key,
            connect_timeout=settings.connect_timeout_seconds,
        )
        await asyncio.to_thread(self.store.migrate)
        self.tracer = tracer_provider(self.service, *self.span_processors)
        self.broker = NatsBroker(
            nats_url,
            connect_timeout=max(1, round(settings.connect_timeout_seconds)),
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            # A plain logger: its lines go through the service's JSON handler, uncoloured.
            logger=logging.getLogger("faststream.oco"),
            security=SASLPlaintext(settings.nats_user, settings.nats_password.get_secret_value())
            if settings.nats_user and settings.nats_password
            else None,
            user_credentials=str(settings.nats_credentials) if settings.nats_credentials else None,
        )
        client = await connect_broker(self.broker, nats_url, settings.connect_timeout_seconds)
        self._js = client.jetstream()
        if settings.provision_streams:
            await provision_streams(
                self._js,
                topology.stream_configs(
                    definition.streams,
                    replicas=settings.stream_replicas,
                    duplicate_window_seconds=settings.duplicate_window_seconds,
                    max_bytes=settings.stream_max_bytes,
                ),
            )
        self.timeline = Timeline(allow_rehearsal=settings.rehearsal)
        self.procedure_clock = ProcedureClock(self.timeline)
        clock = ClockFollower(self.jetstream, topology, self.timeline)
        await self._follow_clock(clock)
        wakeup = Wakeup()
        self.supervisor = Supervisor(down_limit_seconds=settings.task_down_limit_seconds)
        self.relay = OutboxRelay(
            self.store,
            self.jetstream,
            topology,
            self.service,
            database_url,
            wakeup,
            window=settings.relay_window,
        )
        if "relay" in settings.roles:
            self.supervisor.start(self.relay)
            self.supervisor.start(ChainCheckpointer(self.store, self.service))
        for subscription in definition.subscriptions if "consumers" in settings.roles else ():
            consumer = BatchConsumer(
                service=self.service,
                route=subscription.route,
                upstream_stream=subscription.upstream.stream(topology),
                subject=subscription.upstream.filter_subject(topology),
                store=self.store,
                js=self.jetstream,
                database_url=database_url,
                receipt=self.receipt or self._procedure_receipt,
                clock=clock,
                batch_size=settings.consumer_batch_size,
                max_deliver=settings.max_deliver,
                ack_wait_seconds=settings.ack_wait_seconds,
                on_commit=wakeup.notify,
                tracer=self.tracer.get_tracer("oco.consumer"),
            )
            self.consumers.append(consumer)
            self.supervisor.start(consumer)
        by_route = {consumer.route.name: consumer for consumer in self.consumers}
        for subscription in definition.subscriptions:
            if subscription.route.name in by_route:
                by_route[subscription.route.name].waits_for = tuple(
                    by_route[name] for name in subscription.after if name in by_route
                )
        if definition.deadlines is not None and "consumers" in settings.roles:
            self.ticker = DeadlineTicker(
                service=self.service,
                deadlines=definition.deadlines,
                store=self.store,
                database_url=database_url,
                clock=self.tick_clock or self.procedure_clock,
                wakeup=wakeup,
                timeline=self.timeline,
                follower=clock,
                drained=self._drained,
                tick_seconds=settings.tick_seconds,
            )
            self.supervisor.start(self.ticker)
        self.streams = StreamWatcher(
            self.jetstream, [topology.service_stream(self.service), *self._upstreams(topology)]
        )
        self.supervisor.start(self.streams)
        for projection in definition.projections if "projectors" in settings.roles else ():
            self.supervisor.start(Projector(self.store, database_url, projection, wakeup))
        # What start-up allocated lives as long as the process: keep it out of the
        # collector's full passes, which would otherwise pause the consumers.
        gc.freeze()
        self.asgi = self._http_app()
        log.info("service.started", schema=self.store.schema)

    async def _follow_clock(self, clock: ClockFollower) -> None:
        """Read the procedure clock; refuse to start on a rehearsal clock not enabled here."""
        try:
            log_segments(await clock.catch_up())
        except Exception as error:
            await self.broker.stop()
            raise StartupError(f"the procedure clock could not be read: {error!r}") from None
        current = self.timeline.current
        if current is not None and current.definition.is_rehearsal and not self.settings.rehearsal:
            await self.broker.stop()
            raise StartupError(rehearsal_refusal(current))

    def _drained(self) -> datetime:
        """Every message received before the instant returned is recorded by every
        consumer here (one whose fetcher runs in another replica cannot be seen)."""
        return min((c.drained_until() for c in self.consumers), default=LATEST)

    def _procedure_receipt(self, incoming: Incoming) -> ProcedureInstant:
        return self.timeline.judge(incoming.received_at)

    def clock_report(self) -> dict[str, Any]:
        current = self.timeline.current
        if current is None or not current.definition.is_rehearsal:
            return {"rehearsal": False}
        definition = current.definition
        return {
            "rehearsal": True,
            "now": current.judge(SystemClock().now()).at.isoformat(),
            "rehearsal_id": str(definition.rehearsal_id),
            "round_id": definition.round_id,
            "epoch": current.epoch.isoformat(),
            "start": definition.start.isoformat() if definition.start else None,
            "rate": definition.rate,
            "allowed": self.settings.rehearsal,
        }

    def _upstreams(self, topology: Topology) -> list[str]:
        return sorted({s.upstream.stream(topology) for s in self.definition.subscriptions})

    def jetstream(self) -> JetStreamContext:
        return self._js

    async def stop(self) -> None:
        await self.supervisor.stop()
        try:
            await self.broker.stop()
        except Exception as error:  # already gone: nothing left to release
            log.info("service.broker_stop", error=repr(error))
        await asyncio.to_thread(self.store.close)
        self.tracer.shutdown()
        log.info("service.stopped")

    # The HTTP side: probes and metrics.

    async def readiness(self) -> dict[str, Any]:
        connection = self.broker.config.connection_state.connection
        broker_ok = connection is not None and connection.is_connected
        try:
            head = await asyncio.wait_for(asyncio.to_thread(self.store.max_position), 2)
            database_ok = True
        except Exception:
            head, database_ok = None, False
        tasks = self.supervisor.report()
        for name, task in tasks.items():
            if head is not None and not name.startswith("consumer:"):
                task["lag"] = head - task["position"]  # events recorded, not yet handled
        return {
            "ready": broker_ok and database_ok and self.supervisor.ready(),
            "broker": broker_ok,
            "database": database_ok,
            "procedure_clock": self.clock_report(),
            "tasks": tasks,
        }

    def _http_app(self) -> AsgiFastStream:
        registry = CollectorRegistry()
        registry.register(_TaskMetrics(self.supervisor))

        @get
        async def healthz(scope: Any) -> AsgiResponse:
            alive = self.supervisor.healthy()
            return _json({"alive": alive, "tasks": self.supervisor.report()}, 200 if alive else 503)

        @get
        async def readyz(scope: Any) -> AsgiResponse:
            report = await self.readiness()
            return _json(report, 200 if report["ready"] else 503)

        return AsgiFastStream(
            self.broker,
            asgi_routes=[
                ("/healthz", healthz),
                ("/readyz", readyz),
                ("/metrics", make_asgi_app(registry)),
            ],
        )

    async def serve(self) -> None:
        """Run until SIGINT or SIGTERM: the process entry point of a service."""
        configure_logging(self.service, self.settings.log_level)
        await self.start()
        port = self.settings.http_port or self.definition.default_port
        server = uvicorn.Server(
            uvicorn.Config(
                self.asgi,
                host=self.settings.http_host,
                port=port,
                log_config=None,
                access_log=False,
                lifespan="off",
            )
        )
        # uvicorn captures SIGINT/SIGTERM while it serves and re-raises them after;
        # they then reach these handlers, which stop the workers and the broker.
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        http = asyncio.create_task(server.serve(), name="http")
        log.info("service.listening", port=port)
        await stop.wait()
        server.should_exit = True
        await http
        await self.stop()


def _json(document: dict[str, Any], status: int) -> AsgiResponse:
    return AsgiResponse(
        json.dumps(document).encode(), status, headers={"content-type": "application/json"}
    )


class _TaskMetrics:
    """Each supervised task's position, restarts and whether it is up, read at scrape time."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("oco_task_up", "1 while the task runs", labels=["task"])
        position = GaugeMetricFamily(
            "oco_task_position", "last log or upstream position handled", labels=["task"]
        )
        restarts = CounterMetricFamily("oco_task_restarts", "restarts", labels=["task"])
        fill = GaugeMetricFamily(
            "oco_stream_fill_ratio", "bytes held / the stream's limit", labels=["stream"]
        )
        for name, report in self.supervisor.report().items():
            for stream, ratio in report.get("fill", {}).items():
                fill.add_metric([stream], ratio)
            up.add_metric([name], 1.0 if report["state"] in ("running",) else 0.0)
            position.add_metric([name], float(report.get("position") or 0))
            restarts.add_metric([name], float(report["restarts"]))
        yield from (up, position, restarts, fill)


def run_service(bootstrap: Callable[[], ServiceRuntime]) -> None:
    """The process entry point: settings that cannot work stop it with one line naming
    them (never their values: they may be secrets), not a traceback."""
    try:
        runtime = bootstrap()
    except ValidationError as error:
        problems = "; ".join(
            f"OCO_{'_'.join(str(part) for part in issue['loc']).upper()}: {issue['msg']}"
            for issue in error.errors()
        )
        raise SystemExit(f"settings: {problems}") from None
    try:
        asyncio.run(runtime.serve())
    except StartupError as error:
        log.error("service.startup_failed", error=str(error))
        raise SystemExit(f"{runtime.service}: {error}") from None
