"""The set-up Jobs run commands that exist, as the users they need, and running them
again changes nothing (`oco provision-streams` on a real broker)."""

from __future__ import annotations

import asyncio
import shlex
from typing import Any

import nats
import pytest
from deploy_support import K8S, SERVICES, env_of, kustomize, named
from oco_shared.authority import PROVISIONER, password_secret
from oco_shared.cli import build_parser, main
from oco_shared.messaging.topology import Topology
from plumbing_support import STREAM_MAX_BYTES, Isolation, Servers


@pytest.fixture(scope="module")
def production() -> list[dict[str, Any]]:
    return kustomize(K8S / "overlays" / "production")


def job_commands(objects: list[dict[str, Any]], name: str) -> list[list[str]]:
    """The `oco` commands a Job runs, one list of arguments each."""
    (container,) = named(objects, "Job", name)["spec"]["template"]["spec"]["containers"]
    command = container["command"]
    if command[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in command[2].split("&&")]
    return [command]


def test_the_migration_job_migrates_every_service_then_hands_the_schemas_over(
    production: list[dict[str, Any]],
) -> None:
    commands = job_commands(production, "oco-migrate")
    assert commands == [
        ["oco", "migrate", *SERVICES],
        ["oco", "roles", "--schemas-only", *SERVICES],
    ]
    for command in commands:  # each is a command the `oco` of the image knows
        parsed = build_parser().parse_args(command[1:])
        assert callable(parsed.run)


def test_the_stream_job_provisions_as_the_provisioner(production: list[dict[str, Any]]) -> None:
    assert job_commands(production, "oco-provision-streams") == [["oco", "provision-streams"]]
    build_parser().parse_args(["provision-streams"])
    job = named(production, "Job", "oco-provision-streams")
    env = env_of(job["spec"]["template"]["spec"]["containers"][0])
    assert env["OCO_NATS_USER"]["value"] == PROVISIONER
    secret = env["OCO_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert secret == {"name": password_secret(PROVISIONER), "key": "password"}
    for name in ("oco-migrate", "oco-provision-streams"):
        spec = named(production, "Job", name)["spec"]
        assert spec["template"]["spec"]["restartPolicy"] == "OnFailure"
        assert spec["backoffLimit"] >= 1  # retried until the servers answer


async def streams_of(servers: Servers, prefix: str) -> dict[str, Any]:
    connection = await nats.connect(servers.nats_url)
    try:
        infos = await connection.jetstream().streams_info()
    finally:
        await connection.close()
    return {
        info.config.name: info.config
        for info in infos
        if info.config.name and info.config.name.startswith(prefix.upper() + "_")
    }


@pytest.mark.integration
async def test_provisioning_the_streams_twice_makes_them_once(
    servers: Servers,
    isolation: Isolation,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for variable, value in {
        "OCO_NATS_URL": servers.nats_url,  # the provisioner's, as the Job's user
        "OCO_SUBJECT_PREFIX": isolation.prefix,
        "OCO_STREAM_REPLICAS": "1",
        "OCO_STREAM_MAX_BYTES": str(STREAM_MAX_BYTES),
    }.items():
        monkeypatch.setenv(variable, value)
    topology = Topology(isolation.prefix)
    expected = {
        config.name
        for config in topology.stream_configs(SERVICES, replicas=1, duplicate_window_seconds=1)
    }

    assert await asyncio.to_thread(main, ["provision-streams"]) == 0
    first = await streams_of(servers, isolation.prefix)
    assert set(first) == expected
    assert await asyncio.to_thread(main, ["provision-streams"]) == 0  # again: the same
    assert await streams_of(servers, isolation.prefix) == first
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2 * len(expected)
    for config in first.values():
        assert config.num_replicas == 1 and config.deny_delete and config.deny_purge
        assert config.max_bytes == STREAM_MAX_BYTES


@pytest.mark.integration
def test_provisioning_fails_in_one_line_when_the_broker_does_not_answer(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], free_port: int
) -> None:
    monkeypatch.setenv("OCO_NATS_URL", f"nats://provisioner:secret@127.0.0.1:{free_port}")
    monkeypatch.setenv("OCO_CONNECT_TIMEOUT_SECONDS", "1")
    assert main(["provision-streams"]) == 2
    error = capsys.readouterr().err
    assert "OCO_NATS_URL" in error and "secret" not in error
