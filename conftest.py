"""Real servers for every integration suite: the ones the environment names, else embedded.

`.ci/run` names the machine's PostgreSQL and leaves the broker to the embedded stack, so
the suite runs on a nats-server that requires authentication.

Each test gets its own subject prefix and database schemas, so runs never see each
other's events, and its streams and schemas are dropped afterwards. A session that leaves a
process behind (a server, a service, a worker) fails, naming it.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import psycopg
import pytest
from leftovers import described, kill_all, leftovers, mark_this_process
from plumbing_support import Isolation, Servers, integration_servers
from psycopg import sql

# Every process the session starts carries this mark; none may outlive the session.
SESSION_MARK = mark_this_process("pytest")


@pytest.hookimpl(trylast=True)  # after the session's fixtures, and so its stack, are gone
def pytest_sessionfinish(session: pytest.Session) -> None:
    left = leftovers(SESSION_MARK, grace_seconds=10)
    if not left:
        return
    report = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = ["", "processes this session started and did not stop (now killed):"]
    lines += [f"  {described(process)}" for process in left]
    if report is not None:
        report.write_line("\n".join(lines), red=True)
    kill_all(left)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    with integration_servers() as found:
        yield found


@pytest.fixture
async def isolation(servers: Servers) -> AsyncIterator[Isolation]:
    async with _isolated(servers) as isolated:
        yield isolated


@pytest.fixture
async def second_isolation(servers: Servers) -> AsyncIterator[Isolation]:
    """A world of its own beside `isolation`, for a test that runs something twice."""
    async with _isolated(servers) as isolated:
        yield isolated


@contextlib.asynccontextmanager
async def _isolated(servers: Servers) -> AsyncIterator[Isolation]:
    isolated = Isolation("t" + uuid.uuid4().hex[:10])
    yield isolated
    connection = await nats.connect(servers.nats_url)
    js = connection.jetstream()
    for stream in await js.streams_info():
        if stream.config.name and stream.config.name.startswith(isolated.prefix.upper() + "_"):
            await js.delete_stream(stream.config.name)
    await connection.close()
    with psycopg.connect(servers.database_url, autocommit=True) as db:
        schemas = db.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
            (isolated.schema_prefix + "%",),
        ).fetchall()
        for (schema,) in schemas:
            db.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data folder for an embedded stack of the test's own, stopped and removed after.

    Not pytest's tmp_path: as root, PostgreSQL runs as another account, which must be able
    to enter the folder, and pytest's base folder is private to its owner."""
    from oco_devstack.servers import stack_down

    folder = Path(tempfile.mkdtemp(prefix="oco-stack-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        stack_down(folder)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
