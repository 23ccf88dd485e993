"""Processes that a test session or a bench run left behind.

Every process a run starts carries a mark in its environment, inherited by its children:
services, workers, detached servers and PostgreSQL's backends alike. So at the end one
run's leftovers are told apart from what other runs on the same machine started, and from
a stack that was already running before it.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid

import psutil

MARK = "OCO_SPAWNED_BY"


def mark_this_process(who: str) -> str:
    """Mark every process started from now on; the mark's value."""
    value = f"{who} {uuid.uuid4().hex}"
    os.environ[MARK] = value
    return value


def leftovers(value: str, grace_seconds: float = 0.0) -> list[psutil.Process]:
    """Live processes carrying the mark `value`, other than this one and its ancestors;
    those stopping are given up to `grace_seconds` to be gone (a postmaster's backends
    follow it within moments)."""
    deadline = time.monotonic() + grace_seconds
    while (found := _marked(value)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def _marked(value: str) -> list[psutil.Process]:
    own = {os.getpid(), *(parent.pid for parent in psutil.Process().parents())}
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.pid in own:
            continue
        with contextlib.suppress(psutil.Error):  # gone meanwhile, or not ours to read
            if process.status() != psutil.STATUS_ZOMBIE and process.environ().get(MARK) == value:
                found.append(process)
    return found


def described(process: psutil.Process) -> str:
    command = " ".join(process.info["cmdline"] or [])
    return f"{process.info['name']} (pid {process.pid}): {command[:200]}"


def kill_all(processes: list[psutil.Process]) -> None:
    """Reported leftovers are killed, so a failed check leaves nothing on the machine."""
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(processes, timeout=10)
