"""The NATS Helm values come from the generator the embedded broker and the authority
tests use (`installed_users`), with no password in them, and nats-server accepts the
configuration the chart makes of them. What each user may do is tested on a real broker
in libs/shared/tests/integration/test_authority.py; here, that the deployed users are
those very users."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_support import K8S
from oco_devstack.servers import nats_binary
from oco_shared.authority import (
    HELM_VALUES_NOTE,
    NatsUser,
    installed_users,
    password_secret,
    password_variable,
    server_config,
)
from oco_shared.cli import main
from oco_shared.messaging.topology import Topology

VALUES = K8S / "nats" / "values.yaml"


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(VALUES.read_text())
    return loaded


def deployed_users(values: dict[str, Any]) -> list[NatsUser]:
    return [
        NatsUser(
            entry["user"],
            tuple(entry["permissions"]["publish"]["allow"]),
            tuple(entry["permissions"]["subscribe"]["allow"]),
        )
        for entry in values["config"]["merge"]["authorization"]["users"]
    ]


def test_the_committed_values_are_what_the_generator_prints(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OCO_SUBJECT_PREFIX", raising=False)
    assert main(["nats-config", "--format", "helm-values"]) == 0
    printed = capsys.readouterr().out
    assert printed == VALUES.read_text(), "run: " + HELM_VALUES_NOTE


def test_the_deployed_users_are_the_generated_users(values: dict[str, Any]) -> None:
    generated = installed_users(Topology("oco"))
    assert deployed_users(values) == generated
    names = {user.name for user in generated}
    assert {"provisioner", "portal", "auditor"} <= names
    assert {f"service-{s}" for s in ("intake", "assessment", "objection", "contracting")} <= names
    assert any(name.startswith("office-") for name in names)
    # The same permissions the embedded broker's configuration gives (server_config).
    embedded = server_config(generated, {user.name: "x" for user in generated})
    for user in generated:
        assert json.dumps(list(user.publish)) in embedded


def test_a_jetstream_cluster_of_three_on_volumes_syncing_always_with_tls(
    values: dict[str, Any],
) -> None:
    config = values["config"]
    assert config["cluster"]["enabled"] is True and config["cluster"]["replicas"] == 3
    jetstream = config["jetstream"]
    assert jetstream["enabled"] is True
    assert jetstream["fileStore"]["enabled"] is True and jetstream["fileStore"]["pvc"]["enabled"]
    assert jetstream["memoryStore"]["enabled"] is False
    assert jetstream["merge"]["sync_interval"] == "always"
    assert config["nats"]["tls"]["enabled"] is True and config["nats"]["tls"]["secretName"]
    assert config["cluster"]["tls"]["enabled"] is True and config["cluster"]["tls"]["secretName"]
    assert values["podTemplate"]["topologySpreadConstraints"]["kubernetes.io/hostname"]


def test_every_password_comes_from_a_secret_and_none_is_written(values: dict[str, Any]) -> None:
    users = values["config"]["merge"]["authorization"]["users"]
    env = values["container"]["env"]
    for entry in users:
        variable = password_variable(entry["user"])
        assert entry["password"] == f"<< ${variable} >>"
        assert env[variable] == {
            "valueFrom": {
                "secretKeyRef": {"name": password_secret(entry["user"]), "key": "password"}
            }
        }
    assert len(env) == len(users)
    assert len({password_variable(entry["user"]) for entry in users}) == len(users)


def chart_config(values: dict[str, Any], store_dir: Path) -> str:
    """What the chart writes into nats.conf from these values (JSON with its merges; a
    `<< … >>` string becomes the bare text inside, here an environment variable)."""
    document = {
        "port": 4222,
        "jetstream": {"store_dir": str(store_dir), **values["config"]["jetstream"]["merge"]},
        **values["config"]["merge"],
    }
    return re.sub(r'"<< (.*?) >>"', r"\1", json.dumps(document, indent=2))


def test_nats_server_accepts_the_configuration_the_chart_makes(
    values: dict[str, Any], tmp_path: Path
) -> None:
    config = tmp_path / "nats.conf"
    config.write_text(chart_config(values, tmp_path / "jetstream"))
    variables = {
        password_variable(entry["user"]): f"pw-{index}"
        for index, entry in enumerate(values["config"]["merge"]["authorization"]["users"])
    }

    def check(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(nats_binary()), "-t", "-c", str(config)],
            env={"PATH": os.environ.get("PATH", ""), **environment},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    accepted = check(variables)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    # A password whose Secret is missing stops the server rather than letting anyone in.
    missing = dict(variables)
    missing.pop(password_variable("portal"))
    refused = check(missing)
    assert refused.returncode != 0
    assert password_variable("portal") in refused.stdout + refused.stderr
