"""The broker's users, from the generated configuration, on a nats-server of this test's own.

Each refusal is shown with nothing recorded: a publish the user may not make is never
acknowledged and never stored.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
from nats.errors import Error as NatsError
from oco_devstack.servers import nats_binary
from oco_shared.authority import (
    AUDITOR,
    PORTAL,
    PROVISIONER,
    nats_users,
    office_user,
    server_config,
    service_user,
)
from oco_shared.eventstore import NewEvent
from oco_shared.messaging.topology import provision_streams
from plumbing_support import Isolation, Servers, stream_count
from probe_service import PROBE, SOURCE, probe_event, probe_runtime

pytestmark = pytest.mark.integration

UITVOERDERS = ("zilveren-kruis", "vgz")


@dataclass(frozen=True)
class Broker:
    port: int
    passwords: dict[str, str]

    def url(self, user: str) -> str:
        return f"nats://{user}:{self.passwords[user]}@127.0.0.1:{self.port}"


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for probe in sockets:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


@pytest.fixture
def broker(isolation: Isolation, tmp_path: Path) -> Iterator[Broker]:
    topology = isolation.topology
    users = nats_users(
        topology, {PROBE: [topology.service_stream(SOURCE)], SOURCE: []}, UITVOERDERS
    )
    passwords = {user.name: secrets.token_urlsafe(16) for user in users}
    [port] = free_ports(1)
    config = tmp_path / "nats.conf"
    config.write_text(
        server_config(users, passwords, host="127.0.0.1", port=port, store_dir=str(tmp_path))
    )
    server = subprocess.Popen(
        [str(nats_binary()), "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline and server.poll() is None, (
                "nats-server did not start"
            )
            time.sleep(0.05)
        yield Broker(port, passwords)
    finally:
        server.terminate()
        server.wait()


@pytest.fixture
async def provisioned(broker: Broker, isolation: Isolation) -> AsyncIterator[Broker]:
    connection = await nats.connect(broker.url(PROVISIONER))
    await provision_streams(
        connection.jetstream(),
        isolation.topology.stream_configs(
            (SOURCE, PROBE), replicas=1, duplicate_window_seconds=3600
        ),
    )
    await connection.close()
    yield broker


async def refused(broker: Broker, user: str, subject: str, stream: str | None = None) -> bool:
    """True when `user` cannot get `subject` acknowledged: not stored, not answered."""
    connection = await nats.connect(broker.url(user), error_cb=_quiet)
    try:
        await connection.jetstream().publish(subject, b"{}", stream=stream, timeout=1)
    except (TimeoutError, NatsError):
        return True
    finally:
        await connection.close()
    return False


async def _quiet(error: Exception) -> None:
    """Permission violations arrive as asynchronous errors; the refusal is what counts."""


async def count(broker: Broker, stream: str) -> int:
    connection = await nats.connect(broker.url(PROVISIONER))
    try:
        return await stream_count(connection.jetstream(), stream)
    finally:
        await connection.close()


async def test_the_portal_may_publish_on_portal_subjects_only(
    provisioned: Broker, isolation: Isolation
) -> None:
    topology = isolation.topology
    assert not await refused(provisioned, PORTAL, topology.portal_subject("inscription"))
    forged = topology.event_subject(PROBE, "InscriptionReceived")
    assert await refused(provisioned, PORTAL, forged)
    assert await refused(provisioned, PORTAL, topology.office_subject("vgz", "nota"))
    assert await count(provisioned, topology.service_stream(PROBE)) == 0
    assert await count(provisioned, topology.office_stream) == 0
    assert await count(provisioned, topology.portal_stream) == 1

    connection = await nats.connect(provisioned.url(PORTAL), error_cb=_quiet)
    js = connection.jetstream(timeout=1)
    for attempt in (
        js.delete_stream(topology.service_stream(PROBE)),
        js.delete_consumer(topology.service_stream(SOURCE), "probe-from-source"),
        js.get_msg(topology.portal_stream, 1),
        js.stream_info(topology.service_stream(PROBE)),
    ):
        with pytest.raises((TimeoutError, NatsError)):
            await attempt
    await connection.close()
    assert await count(provisioned, topology.service_stream(PROBE)) == 0  # still there


async def test_the_portal_hears_outcomes_as_they_pass_and_nothing_else(
    provisioned: Broker, isolation: Isolation
) -> None:
    """`oco portal send` waits for its outcome: the service's event or its dead letter."""
    topology = isolation.topology
    portal = await nats.connect(provisioned.url(PORTAL), error_cb=_quiet)
    heard: list[str] = []

    async def note(msg: nats.aio.msg.Msg) -> None:
        heard.append(msg.subject)

    for subject in (
        topology.service_subjects(PROBE),
        topology.deadletter_subject(PROBE),
        topology.office_subject("vgz", ">"),  # another party's acts: not for the portal
        topology.portal_subject(">"),  # other portals' submissions neither
    ):
        await portal.subscribe(subject, cb=note)
    await portal.flush()
    provisioner = await nats.connect(provisioned.url(PROVISIONER))
    for subject in (
        topology.event_subject(PROBE, "InscriptionReceived"),
        topology.deadletter_subject(PROBE),
        topology.office_subject("vgz", "nota"),
        topology.portal_subject("inscription"),
    ):
        await provisioner.publish(subject, b"{}")
    await provisioner.flush()
    await asyncio.sleep(0.5)
    await provisioner.close()
    await portal.close()
    assert sorted(heard) == sorted(
        [topology.event_subject(PROBE, "InscriptionReceived"), topology.deadletter_subject(PROBE)]
    )


async def test_only_the_provisioner_sets_the_procedure_clock_and_services_read_it(
    provisioned: Broker, isolation: Isolation
) -> None:
    topology = isolation.topology
    for user in (PORTAL, office_user("vgz"), service_user(PROBE), AUDITOR):
        assert await refused(provisioned, user, topology.clock_subject)
    assert await count(provisioned, topology.clock_stream) == 0
    assert not await refused(provisioned, PROVISIONER, topology.clock_subject)
    service = await nats.connect(provisioned.url(service_user(PROBE)), error_cb=_quiet)
    try:
        last = await service.jetstream().get_last_msg(topology.clock_stream, topology.clock_subject)
    finally:
        await service.close()
    assert last.seq == 1


async def test_a_service_may_publish_its_own_events_only(
    provisioned: Broker, isolation: Isolation
) -> None:
    topology = isolation.topology
    own = topology.event_subject(SOURCE, "ObjectionWindowClosed")
    assert not await refused(provisioned, service_user(SOURCE), own)
    other = topology.event_subject(PROBE, "ObjectionWindowClosed")
    assert await refused(provisioned, service_user(SOURCE), other)
    assert await refused(provisioned, service_user(SOURCE), topology.portal_subject("inscription"))
    assert await count(provisioned, topology.service_stream(PROBE)) == 0


async def test_an_office_acts_on_its_own_subjects_only(
    provisioned: Broker, isolation: Isolation
) -> None:
    topology = isolation.topology
    zilveren_kruis = office_user("zilveren-kruis")
    assert not await refused(
        provisioned, zilveren_kruis, topology.office_subject("zilveren-kruis", "nota")
    )
    assert await refused(provisioned, zilveren_kruis, topology.office_subject("vgz", "nota"))
    assert await refused(provisioned, zilveren_kruis, topology.portal_subject("inscription"))
    assert await count(provisioned, topology.office_stream) == 1


async def test_the_auditor_reads_every_stream_and_publishes_nothing(
    provisioned: Broker, isolation: Isolation
) -> None:
    topology = isolation.topology
    assert not await refused(provisioned, PORTAL, topology.portal_subject("inscription"))
    connection = await nats.connect(provisioned.url(AUDITOR), error_cb=_quiet)
    js = connection.jetstream(timeout=2)
    message = await js.get_msg(topology.portal_stream, 1)
    assert message.data == b"{}"
    for stream in (topology.service_stream(PROBE), topology.office_stream):
        assert (await js.stream_info(stream)).state.messages == 0
    await connection.close()
    for subject in (
        topology.portal_subject("inscription"),
        topology.event_subject(PROBE, "ObjectionWindowClosed"),
        topology.office_subject("vgz", "nota"),
    ):
        assert await refused(provisioned, AUDITOR, subject)
    assert await count(provisioned, topology.portal_stream) == 1


@pytest.mark.parametrize("given_as", ["OCO_NATS_URL", "OCO_NATS_USER and OCO_NATS_PASSWORD"])
async def test_a_service_runs_whole_with_its_own_user(
    provisioned: Broker, isolation: Isolation, servers: Servers, given_as: str
) -> None:
    """Relay, consumer and probes need no more than the generated permissions."""
    topology = isolation.topology
    user = service_user(PROBE)
    if given_as == "OCO_NATS_URL":
        settings = isolation.settings(
            Servers(provisioned.url(user), servers.database_url), provision_streams=False
        )
    else:
        bare = Servers(f"nats://127.0.0.1:{provisioned.port}", servers.database_url)
        settings = isolation.settings(
            bare,
            provision_streams=False,
            nats_user=user,
            nats_password=provisioned.passwords[user],
        )
    runtime = probe_runtime(settings)
    await runtime.start()
    try:
        upstream = probe_event()
        source = await nats.connect(provisioned.url(service_user(SOURCE)))
        await source.jetstream().publish(
            topology.event_subject(SOURCE, upstream.type),
            upstream.model_dump_json().encode(),
            stream=topology.service_stream(SOURCE),
        )
        await source.close()
        await asyncio.to_thread(runtime.store.append, [NewEvent(uuid.uuid4(), 1, probe_event())])
        deadline = time.monotonic() + 30
        while await count(provisioned, topology.service_stream(PROBE)) < 2:
            assert time.monotonic() < deadline, runtime.supervisor.report()
            await asyncio.sleep(0.1)
        report = await runtime.readiness()
        assert report["ready"], report
    finally:
        await runtime.stop()
