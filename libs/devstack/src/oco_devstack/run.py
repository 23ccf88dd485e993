"""`oco run`: every service as a child process on one machine, for development.

The services are found through the `oco.services` entry-point group, so this package
never imports one; each runs as `python -m <package>` with its own HTTP port.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import entry_points
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

import psycopg
from nats.errors import Error as NatsError
from oco_shared.addresses import redacted
from oco_shared.authority import service_user, user_url
from oco_shared.messaging.topology import SERVICES, Topology, provision_streams
from oco_shared.roles import AUDITOR, provision_roles, role_name
from oco_shared.settings import Settings

from oco_devstack.servers import (
    STOP_TIMEOUT,
    StackError,
    nats_passwords_of,
    role_passwords,
    role_url,
    stack_down,
    stack_status,
    stack_up,
)

FIRST_SERVICE_PORT = 8101


def service_ports(
    names: Iterable[str], environ: Mapping[str, str], first: int = FIRST_SERVICE_PORT
) -> dict[str, int]:
    """A distinct HTTP port per service, the same on every run: `first` upwards in name order,
    unless OCO_HTTP_PORT_<NAME> pins one (the others then step around it)."""
    ordered = sorted(names)
    pinned: dict[str, int] = {}
    for name in ordered:
        variable = "OCO_HTTP_PORT_" + re.sub(r"[^A-Z0-9]", "_", name.upper())
        if variable in environ:
            value = environ[variable]
            if not value.isdigit() or not 0 < int(value) < 65536:
                raise ValueError(f"{variable}={value!r} is not a port number")
            pinned[name] = int(value)
    if len(set(pinned.values())) < len(pinned):
        raise ValueError(f"two services are pinned to the same port: {pinned}")
    ports, candidate = dict(pinned), first
    for name in ordered:
        if name not in ports:
            while candidate in pinned.values():
                candidate += 1
            ports[name] = candidate
            candidate += 1
    return {name: ports[name] for name in ordered}


def registered_services() -> dict[str, str]:
    """Each service of the `oco.services` entry points with its package, by name."""
    found = sorted(entry_points(group="oco.services"), key=lambda entry: entry.name)
    return {entry.name: entry.module for entry in found}


def free_ports(names: Iterable[str]) -> dict[str, int]:
    """A free HTTP port per service, for runs beside an `oco run` (tests, the bench)."""
    with contextlib.ExitStack() as held:
        probes = {name: held.enter_context(socket.socket()) for name in names}
        for probe in probes.values():
            probe.bind(("127.0.0.1", 0))
        return {name: probe.getsockname()[1] for name, probe in probes.items()}


class _Signals:
    """SIGINT and SIGTERM become a flag, so a shutdown in progress is never cut short."""

    def __init__(self) -> None:
        self.received = signal.SIGTERM
        self.event = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = signal.Signals(signum)
        self.event.set()


class ServiceProcesses:
    """Every registered service as a child process in a process group of its own, so that
    our own forwarding, not the terminal's Ctrl-C, stops it; one can be killed and started
    again (the fault tests)."""

    def __init__(
        self,
        env: Mapping[str, str],
        own_env: Callable[[str], Mapping[str, str]] | None = None,
        ports: Mapping[str, int] | None = None,
        logs: Path | None = None,
    ) -> None:
        """`ports` by service (default: `service_ports`); with `logs`, each service writes
        to `<logs>/<service>.log` instead of our own output."""
        self.modules = registered_services()
        self.ports = dict(ports or service_ports(self.modules, os.environ))
        self.env, self.own_env = env, own_env or (lambda service: {})
        self.logs = logs
        self.children: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> None:
        with contextlib.ExitStack() as files:
            output = (
                files.enter_context((self.logs / f"{name}.log").open("ab")) if self.logs else None
            )
            self.children[name] = subprocess.Popen(
                [sys.executable, "-m", self.modules[name]],
                env={**self.env, **self.own_env(name), "OCO_HTTP_PORT": str(self.ports[name])},
                process_group=0,
                stdout=output,
                stderr=subprocess.STDOUT if output else None,
            )

    def kill(self, name: str) -> None:
        """SIGKILL to the service's process group, as a crash or an OOM kill would."""
        child = self.children[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()

    def exited(self) -> str | None:
        """A service that stopped by itself, with its exit code."""
        for name, child in self.children.items():
            if child.poll() is not None:
                return f"{name} exited with code {child.returncode}"
        return None

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """Forward the signal to each service's process group, kill it after STOP_TIMEOUT."""
        for child in self.children.values():
            if child.returncode is None:  # not yet reaped, so its group id is still ours
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signum)
        deadline = time.monotonic() + STOP_TIMEOUT
        for name, child in self.children.items():
            try:
                child.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop within {STOP_TIMEOUT:.0f} s: killed", flush=True)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait()


def _supervise(
    services: ServiceProcesses,
    host: str,
    signals: _Signals,
    then: Callable[[dict[str, int]], int] | None = None,
    exit_when_done: bool = False,
) -> int:
    """Run the services until a signal; meanwhile `then(ports)` in a thread (the sample
    round), after which `exit_when_done` stops everything with its exit code."""
    if not services.modules:
        print(
            "no services registered (entry-point group oco.services); Ctrl-C stops the stack",
            flush=True,
        )
    try:
        for name, module in services.modules.items():
            services.start(name)
            print(f"{name}: http://{host}:{services.ports[name]} (python -m {module})", flush=True)
        outcome: list[int] = []
        if then is not None and services.children:
            threading.Thread(
                target=lambda: outcome.append(then(services.ports)), daemon=True
            ).start()
        while not signals.event.wait(0.5):
            if exited := services.exited():
                print(f"{exited}; stopping", flush=True)
                return 1
            if outcome and exit_when_done:
                return outcome[0]
        return 0
    finally:
        services.stop(signals.received)


def _sample_round(
    settings: Settings, seed: int, exit_when_done: bool
) -> Callable[[dict[str, int]], int]:
    def play(ports: dict[str, int]) -> int:
        from oco_devstack.simulation.session import play_sample_round, wait_until_ready

        late = wait_until_ready(settings.http_host, ports)
        if late is not None:
            print(f"oco: not ready in time: {late}; the sample round is not played", flush=True)
            return 1
        code = play_sample_round(settings, seed, ROUND)
        if code == 0:
            code = _audit_the_round(settings)
        if not exit_when_done:
            print("the services stay up for exploration until Ctrl-C", flush=True)
        return code

    return play


ROUND = "2027-2028"


def _audit_the_round(settings: Settings) -> int:
    """What an auditor would do next, as the auditor: verify every log (chains, stream
    copies, decisions) and draw the round; 0 only when verify found nothing."""
    env = {name: value for name, value in os.environ.items() if name != "OCO_NATS_URL"}
    if settings.nats_url:  # the operator's servers: the auditor's addresses are theirs to set
        env["OCO_NATS_URL"] = settings.nats_url
    else:  # the embedded stack: its own auditor role, the broker's auditor user
        env["OCO_DATABASE_URL"] = role_url(
            settings.data_dir, role_name(settings.schema_prefix, AUDITOR)
        )
    picture = settings.data_dir / "sample-round.html"
    steps = (
        ("audit verify", ["audit", "verify"]),
        ("timeline", ["audit", "timeline", "--round", ROUND, "--out", str(picture)]),
    )
    for what, arguments in steps:
        done = subprocess.run(
            [sys.executable, "-m", "oco_shared.cli", *arguments],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            print(f"oco: {what} found something (exit {done.returncode}):", flush=True)
            print(done.stdout[-4000:], done.stderr[-2000:], sep="\n", flush=True)
            return 1
        last_line = done.stdout.strip().splitlines()[-1:] or [""]
        print(f"{what}: {last_line[0]}", flush=True)
    print(f"the round's timeline: {picture}", flush=True)
    return 0


async def _provision_streams(nats_url: str, settings: Settings) -> None:
    import nats

    connection = await nats.connect(nats_url, connect_timeout=5, allow_reconnect=False)
    try:
        await provision_streams(
            connection.jetstream(),
            Topology(settings.subject_prefix).stream_configs(
                SERVICES,
                replicas=settings.stream_replicas,
                duplicate_window_seconds=settings.duplicate_window_seconds,
                max_bytes=settings.stream_max_bytes,
            ),
        )
    finally:
        await connection.close()


def embedded_users(
    settings: Settings, nats_url: str, database_url: str
) -> Callable[[str], dict[str, str]]:
    """On the embedded stack: the streams made by the broker's provisioner, the database
    roles by the superuser; the addresses each service connects with, as its own user and
    its own role (the services then need not provision streams themselves)."""
    asyncio.run(_provision_streams(nats_url, settings))
    passwords = nats_passwords_of(settings.data_dir)
    host, port = urlsplit(nats_url).hostname or "", urlsplit(nats_url).port or 4222
    services = list(registered_services())
    roles = {name: role_name(settings.schema_prefix, name) for name in (*services, AUDITOR)}
    role_password = role_passwords(settings.data_dir, list(roles.values()))
    provision_roles(
        database_url,
        settings.schema_prefix,
        services,
        {name: role_password[role] for name, role in roles.items()},
    )

    def own_user(service: str) -> dict[str, str]:
        user = service_user(service)
        return {
            "OCO_NATS_URL": user_url(host, port, user, passwords[user]),
            "OCO_DATABASE_URL": role_url(settings.data_dir, roles[service]),
            "OCO_PROVISION_STREAMS": "false",
        }

    return own_user


def run(play_seed: int | None = None, exit_when_done: bool = False) -> int:
    """`oco run`: every registered service as a child process, on the embedded stack unless
    both addresses are set; the stack is stopped again if this call started it. With a
    seed, the sample round is played once the services are ready."""
    signals = _Signals()  # before the stack starts: a Ctrl-C then still stops it again
    settings = Settings()
    nats_url, database_url = settings.nats_url, settings.database_url
    own_stack = False
    try:
        if not (nats_url and database_url):
            own_stack = stack_status(settings.data_dir) is None
            addresses = stack_up(settings.data_dir)
            nats_url = nats_url or addresses.nats_url
            database_url = database_url or addresses.database_url
        print(f"OCO_NATS_URL={redacted(nats_url)}\nOCO_DATABASE_URL={redacted(database_url)}")
        sys.stdout.flush()
        if signals.event.is_set():
            return 0
        env = {**os.environ, "OCO_NATS_URL": nats_url, "OCO_DATABASE_URL": database_url}
        # A development run may rehearse a round (`oco rehearse start`) unless told otherwise.
        env.setdefault("OCO_REHEARSAL", "true")
        then = _sample_round(settings, play_seed, exit_when_done) if play_seed is not None else None
        # A broker of the operator's: the services use its address. The embedded stack:
        # each service connects as its own user and its own role.
        own_users = None if settings.nats_url else embedded_users(settings, nats_url, database_url)
        services = ServiceProcesses(env, own_users)
        return _supervise(
            services, settings.http_host, signals, then=then, exit_when_done=exit_when_done
        )
    except (
        StackError,
        ValueError,
        NatsError,
        psycopg.Error,
    ) as error:  # ValueError: a bad OCO_HTTP_PORT_<N>
        print(f"oco: {error}", file=sys.stderr)
        return 1
    finally:
        if own_stack:
            stack_down(settings.data_dir)
            print("embedded stack stopped", flush=True)
