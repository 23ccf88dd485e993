"""The embedded stack with its real servers: it starts, is reused, recovers from crashes and
leftovers, and stops without leaving a process or an open port behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import nats
import psutil
import psycopg
import pytest
from oco_devstack import servers as stack
from oco_devstack.servers import StackAddresses, stack_down, stack_status, stack_up
from oco_shared.addresses import StartupError, resolve_addresses
from oco_shared.settings import Settings

pytestmark = pytest.mark.integration


def recorded(data_dir: Path) -> dict[str, dict[str, Any]]:
    state: dict[str, dict[str, Any]] = json.loads((data_dir / "stack" / "stack.json").read_text())
    return state


def ports_of(state: dict[str, dict[str, Any]]) -> set[int]:
    return {state["nats"]["port"], state["nats"]["monitor_port"], state["postgres"]["port"]}


def service_side_addresses(data_dir: Path) -> tuple[str, str]:
    """What a service with neither address set connects to: read from the published file."""
    return resolve_addresses(Settings(nats_url=None, database_url=None, data_dir=data_dir))


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def processes_on(data_dir: Path) -> list[int]:
    """Every process working on the stack's folder: servers and PostgreSQL's backends."""
    folder = str((data_dir / "stack").resolve())
    return [
        process.pid
        for process in psutil.process_iter(["cmdline", "cwd"])
        if running(process.pid)
        and (
            any(folder in arg for arg in process.info["cmdline"] or [])
            or (process.info["cwd"] or "").startswith(folder)
        )
    ]


async def assert_answers(addresses: StackAddresses) -> None:
    with psycopg.connect(addresses.database_url, connect_timeout=5) as connection:
        assert connection.execute("select current_database(), 1").fetchone() == ("oco", 1)
    client = await nats.connect(addresses.nats_url, connect_timeout=5, allow_reconnect=False)
    try:
        account = await client.jetstream().account_info()
        assert account.limits is not None
    finally:
        await client.close()


async def test_up_reuse_recover_down(data_dir: Path) -> None:
    first = stack_up(data_dir)
    await assert_answers(first)
    started = recorded(data_dir)

    assert stack_up(data_dir) == first
    assert recorded(data_dir) == started, "a stack that answers is reused, not restarted"
    assert stack_status(data_dir) == first
    assert service_side_addresses(data_dir) == (first.nats_url, first.database_url)

    for server in started.values():
        os.kill(server["pid"], signal.SIGKILL)
    assert stack_status(data_dir) is None

    second = stack_up(data_dir)
    await assert_answers(second)
    restarted = recorded(data_dir)
    assert {s["pid"] for s in restarted.values()}.isdisjoint(s["pid"] for s in started.values())
    assert ports_of(restarted) == ports_of(started), "a restart keeps the ports while free"

    stack_down(data_dir)
    assert stack_status(data_dir) is None
    assert not (data_dir / "stack" / "stack.json").exists()
    with pytest.raises(StartupError, match="oco stack up"):
        service_side_addresses(data_dir)
    assert not any(running(s["pid"]) for s in [*started.values(), *restarted.values()])
    assert processes_on(data_dir) == []
    assert not any(port_open(port) for port in ports_of(started) | ports_of(restarted))


async def test_up_replaces_leftovers(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack, "STOP_TIMEOUT", 1.0)
    stack_up(data_dir)
    before = recorded(data_dir)
    # A hung broker (alive, not answering) and a lost state file: both found by their folder.
    os.kill(before["nats"]["pid"], signal.SIGSTOP)
    (data_dir / "stack" / "stack.json").unlink()

    after_addresses = stack_up(data_dir)
    await assert_answers(after_addresses)
    after = recorded(data_dir)
    assert not running(before["nats"]["pid"])
    assert not running(before["postgres"]["pid"])
    assert len([pid for pid in processes_on(data_dir) if pid == after["nats"]["pid"]]) == 1

    # A stale lock file whose pid now belongs to an unrelated live process.
    stack_down(data_dir)
    with subprocess.Popen(["sleep", "30"]) as unrelated:
        try:
            pg_lock = data_dir / "stack" / "pg" / "postmaster.pid"
            pg_lock.write_text(f"{unrelated.pid}\n{data_dir}\n")
            await assert_answers(stack_up(data_dir))
        finally:
            unrelated.kill()


# `oco run` with the services' entry points hidden: only the stack's lifecycle is under test.
OCO_RUN_WITHOUT_SERVICES = """
import sys
import oco_devstack.run
oco_devstack.run.entry_points = lambda group: []
from oco_shared.cli import main
sys.exit(main(["run"]))
"""


def test_oco_run_without_addresses_starts_and_stops_the_stack(data_dir: Path) -> None:
    env = {**os.environ, "OCO_DATA_DIR": str(data_dir), "OCO_STREAM_MAX_BYTES": str(2**26)}
    env.pop("OCO_NATS_URL", None)
    env.pop("OCO_DATABASE_URL", None)
    with subprocess.Popen(
        [sys.executable, "-c", OCO_RUN_WITHOUT_SERVICES],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    ) as run:
        try:
            assert run.stdout is not None
            lines = [run.stdout.readline() for _ in range(3)]
            assert lines[0].startswith("OCO_NATS_URL=nats://provisioner:***@127.0.0.1:")
            assert lines[1].startswith("OCO_DATABASE_URL=postgresql://postgres:***@127.0.0.1:")
            assert lines[2].startswith("no services registered")
            ports = ports_of(recorded(data_dir))
            assert all(port_open(port) for port in ports)
        finally:  # a failed check must not leave `oco run` waiting for its Ctrl-C
            run.send_signal(signal.SIGINT)
        assert run.wait(timeout=30) == 0
    assert processes_on(data_dir) == []
    assert not any(port_open(port) for port in ports)


def oco(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`oco …` as an operator runs it, on the stack under `data_dir` only."""
    env = {**os.environ, "OCO_DATA_DIR": str(data_dir)}
    env.pop("OCO_NATS_URL", None)
    env.pop("OCO_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "oco_shared.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_oco_stack_down_says_what_it_stopped(data_dir: Path) -> None:
    up = oco(data_dir, "stack", "up")
    assert up.returncode == 0, up.stderr
    state = recorded(data_dir)

    down = oco(data_dir, "stack", "down")
    assert down.returncode == 0, down.stderr
    assert down.stdout.splitlines() == [
        f"stopped nats-server (pid {state['nats']['pid']}, port {state['nats']['port']})",
        f"stopped PostgreSQL (pid {state['postgres']['pid']}, port {state['postgres']['port']})",
    ]
    assert processes_on(data_dir) == []

    again = oco(data_dir, "stack", "down")
    assert (again.returncode, again.stdout, again.stderr) == (
        0,
        f"nothing was running under {data_dir.resolve()}\n",
        "",
    )


def test_oco_stack_down_names_a_server_it_could_not_stop(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from oco_shared.cli import main

    stack_up(data_dir)
    pid = recorded(data_dir)["nats"]["pid"]
    monkeypatch.setenv("OCO_DATA_DIR", str(data_dir))
    monkeypatch.setattr(stack, "STOP_TIMEOUT", 0.5)
    # Signals that do not arrive: as for a server another user runs.
    monkeypatch.setattr(psutil.Process, "send_signal", lambda self, signum: None)
    monkeypatch.setattr(psutil.Process, "kill", lambda self: None)

    assert main(["stack", "down"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert f"oco: could not stop nats-server (pid {pid})" in err
    assert running(pid), "nothing pretended: the server really still runs"
    # monkeypatch is undone before data_dir's teardown, whose stack_down stops it for real
