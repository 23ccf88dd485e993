"""The audit suites' fixtures. A real intake log to audit: intake runs on a rehearsal clock of the 2027-2028 round,
portals send five inscriptions in time and one after the close, the chain head is
checkpointed, and the relay publishes it all; then the auditor's roles are provisioned."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import nats
import pytest
from intake_support import submission
from oco_intake.bootstrap import bootstrap
from oco_shared.addresses import embedded_user_url
from oco_shared.authority import AUDITOR
from oco_shared.messaging.checkpoint import ChainCheckpointer
from oco_shared.messaging.topology import SERVICES
from oco_shared.roles import drop_roles, provision_roles, role_name
from oco_shared.settings import Settings
from plumbing_support import Isolation, Servers, stream_count

OCO = [sys.executable, "-m", "oco_shared.cli"]
PASSWORDS = {name: f"{name}-pw" for name in (*SERVICES, AUDITOR)}


@dataclass(frozen=True)
class AuditedLog:
    servers: Servers
    isolation: Isolation
    env: dict[str, str]  # the auditor's: its PostgreSQL role and broker user
    received: list[dict[str, object]]  # what the portals sent, in order

    @property
    def schema(self) -> str:
        return f"{self.isolation.schema_prefix}intake"

    def audit(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*OCO, "audit", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def oco(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([*OCO, *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def as_role(database_url: str, role: str, password: str) -> str:
    parts = urlsplit(database_url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{role}:{password}@{host}"))


@pytest.fixture
def auditor_roles(servers: Servers, isolation: Isolation) -> Iterator[str]:
    yield role_name(isolation.schema_prefix, AUDITOR)
    drop_roles(servers.database_url, isolation.schema_prefix, SERVICES)


@pytest.fixture
async def intake_log(
    servers: Servers, isolation: Isolation, auditor_roles: str
) -> AsyncIterator[AuditedLog]:
    env = isolation.env(servers)
    oco(env, "rehearse", "start", "--round", "2027-2028", "--rate", "1000")
    service = bootstrap(isolation.settings(servers, rehearsal=True))
    await service.start()
    connection = await nats.connect(servers.nats_url)
    js = connection.jetstream()
    stream = isolation.topology.service_stream("intake")
    sent = []
    try:

        async def send(count: int) -> None:
            for _ in range(count):
                message = submission(f"1000000{len(sent)}")
                sent.append(message)
                await js.publish(
                    isolation.topology.portal_subject("inscription"),
                    json.dumps(message).encode(),
                    stream=isolation.topology.portal_stream,
                    headers={"Nats-Msg-Id": str(message["message_id"])},
                )
            await published(js, stream, len(sent))

        await send(5)
        oco(env, "rehearse", "advance", "--to", "2026-08-01T09:00")  # past the close
        await send(1)
        assert ChainCheckpointer(service.store, "intake").checkpoint() is not None
        await published(js, stream, 7)
    finally:
        await connection.close()
        await service.stop()
        oco(env, "rehearse", "stop")
    provision_roles(servers.database_url, isolation.schema_prefix, SERVICES, PASSWORDS)
    auditor_nats = embedded_user_url(Settings(), AUDITOR) or servers.nats_url
    yield AuditedLog(
        servers,
        isolation,
        isolation.env(
            servers,
            OCO_DATABASE_URL=as_role(servers.database_url, auditor_roles, PASSWORDS[AUDITOR]),
            OCO_NATS_URL=auditor_nats,
        ),
        sent,
    )


async def published(js: nats.js.JetStreamContext, stream: str, count: int) -> None:
    deadline = time.monotonic() + 60
    while await stream_count(js, stream) < count:
        assert time.monotonic() < deadline, f"{stream} did not reach {count} events"
        await asyncio.sleep(0.05)
