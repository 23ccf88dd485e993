"""PostgreSQL roles: a service's role owns its schema and nothing else; the auditor reads."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from oco_shared.eventstore import EventStore, NewEvent
from oco_shared.roles import AUDITOR, drop_roles, provision_roles, role_name
from plumbing_support import Isolation, Servers
from probe_service import PROBE, SOURCE, probe_event, probe_runtime
from psycopg import errors, sql

pytestmark = pytest.mark.integration

SERVICES = (PROBE, SOURCE)
PASSWORDS = {PROBE: "probe-pw", SOURCE: "source-pw", AUDITOR: "auditor-pw"}


def as_role(servers: Servers, role: str) -> str:
    """The database URL with another login role (this machine's PostgreSQL trusts the
    password; the privileges are what is tested)."""
    parts = urlsplit(servers.database_url)
    password = PASSWORDS[role.removeprefix(role.rpartition("_")[0] + "_")]
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{role}:{password}@{host}"))


@pytest.fixture
def roles(servers: Servers, isolation: Isolation) -> Iterator[str]:
    provision_roles(servers.database_url, isolation.schema_prefix, SERVICES, PASSWORDS)
    yield isolation.schema_prefix
    drop_roles(servers.database_url, isolation.schema_prefix, SERVICES)


def refused(url: str, statement: sql.Composable) -> bool:
    with psycopg.connect(url, autocommit=True) as db:
        try:
            db.execute(statement)
        except errors.InsufficientPrivilege:
            return True
    return False


def test_a_service_role_owns_its_schema_and_nothing_else(
    servers: Servers, isolation: Isolation, roles: str
) -> None:
    probe, source = role_name(roles, PROBE), role_name(roles, SOURCE)
    for role in (probe, source):
        store = EventStore(as_role(servers, role), role)
        store.migrate()  # as the role itself: it may create its tables, in its schema only
        store.append([NewEvent(uuid.uuid4(), 1, probe_event())])
        store.close()
    own_events = sql.SQL("SELECT count(*) FROM {}.stored_events")
    probe_url = as_role(servers, probe)
    assert not refused(probe_url, own_events.format(sql.Identifier(probe)))
    assert refused(probe_url, own_events.format(sql.Identifier(source)))
    assert refused(
        probe_url,
        sql.SQL("INSERT INTO {}.relay_position VALUES ('x', 1)").format(sql.Identifier(source)),
    )
    assert refused(
        probe_url, sql.SQL("CREATE TABLE {}.planted (x int)").format(sql.Identifier(source))
    )
    assert refused(probe_url, sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(f"{roles}rogue")))
    with psycopg.connect(servers.database_url) as db:
        flags = db.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = %s",
            (probe,),
        ).fetchone()
    assert flags == (False, False, False)


def test_the_auditor_reads_every_service_schema_and_writes_nothing(
    servers: Servers, isolation: Isolation, roles: str
) -> None:
    for service in SERVICES:
        role = role_name(roles, service)
        store = EventStore(as_role(servers, role), role)
        store.migrate()
        store.append([NewEvent(uuid.uuid4(), 1, probe_event())])
        store.close()
    auditor = as_role(servers, role_name(roles, AUDITOR))
    for service in SERVICES:
        schema = sql.Identifier(role_name(roles, service))
        with psycopg.connect(auditor) as db:
            counted = db.execute(
                sql.SQL("SELECT count(*) FROM {}.stored_events").format(schema)
            ).fetchone()
        assert counted == (1,)
        assert refused(
            auditor,
            sql.SQL("DELETE FROM {}.stored_events").format(schema),
        )
        assert refused(
            auditor,
            sql.SQL("INSERT INTO {}.relay_position VALUES ('x', 1)").format(schema),
        )


async def test_a_service_runs_whole_as_its_own_role(
    servers: Servers, isolation: Isolation, roles: str
) -> None:
    probe = role_name(roles, PROBE)
    own = Servers(servers.nats_url, as_role(servers, probe))
    runtime = probe_runtime(isolation.settings(own))
    await runtime.start()
    try:
        await asyncio.to_thread(runtime.store.append, [NewEvent(uuid.uuid4(), 1, probe_event())])
        for _ in range(200):
            if runtime.relay.position >= 1:
                break
            await asyncio.sleep(0.05)
        assert runtime.relay.position == 1
        assert (await runtime.readiness())["ready"]
    finally:
        await runtime.stop()


def test_an_administrator_creates_the_roles_with_oco_roles(
    servers: Servers, isolation: Isolation
) -> None:
    env = isolation.env(servers)
    command = [sys.executable, "-m", "oco_shared.cli", "roles", "intake"]
    refused_run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert refused_run.returncode == 2
    assert "OCO_ROLE_PASSWORD_INTAKE, OCO_ROLE_PASSWORD_AUDITOR" in refused_run.stderr
    env.update(OCO_ROLE_PASSWORD_INTAKE="intake-pw", OCO_ROLE_PASSWORD_AUDITOR="auditor-pw")
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split("\n")[:2] == [
            f"role {isolation.schema_prefix}intake ready",
            f"role {isolation.schema_prefix}auditor ready",
        ]
        assert "intake-pw" not in done.stdout + done.stderr
    finally:
        drop_roles(servers.database_url, isolation.schema_prefix, ["intake"])


def test_tables_an_earlier_start_made_as_the_superuser_become_the_roles(
    servers: Servers, isolation: Isolation
) -> None:
    schema = role_name(isolation.schema_prefix, PROBE)
    before = EventStore(servers.database_url, schema)  # as the superuser, before any role
    before.migrate()
    before.append([NewEvent(uuid.uuid4(), 1, probe_event())])
    before.close()
    provision_roles(servers.database_url, isolation.schema_prefix, SERVICES, PASSWORDS)
    try:
        store = EventStore(as_role(servers, schema), schema)
        store.migrate()
        store.append([NewEvent(uuid.uuid4(), 1, probe_event())])
        assert store.max_position() == 2
        store.close()
    finally:
        drop_roles(servers.database_url, isolation.schema_prefix, SERVICES)
