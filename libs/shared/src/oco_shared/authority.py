"""Who may say what on the broker: the NATS users and their permissions, generated.

Authority comes from the subject a message arrives on (README, "Subjects by authority"),
so the broker must let each party publish only where it may:

- `provisioner`: creates and changes streams (the only user that may), and sets the
  procedure clock (`oco rehearse`);
- `portal`: publishes on `<prefix>.portal.>`, and listens (as the messages pass, never
  through a stream) to the services' events and dead letters, where its outcomes appear;
- `office-<uitvoerder>`: publishes on its own `<prefix>.office.<uitvoerder>.>` only, and
  listens to the outcomes as the portal does;
- `service-<name>`: publishes its events and dead letters, reads the procedure clock, and
  pulls from the streams it consumes (its durable consumers: create, pull, ack, and
  recreate from its tracked position after a restart);
- `auditor`: reads any stream (message by message, or in batches of direct reads),
  publishes nothing.

Every user also receives replies on `_INBOX.>` (JetStream acknowledges a publish there).
The configuration is pure text built from data, so the same generator serves the
development stack, the tests and the Kubernetes secrets.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from oco_shared.messaging.topology import Topology

REPLIES = "_INBOX.>"
PROVISIONER, PORTAL, AUDITOR = "provisioner", "portal", "auditor"


@dataclass(frozen=True)
class NatsUser:
    name: str
    publish: tuple[str, ...]
    subscribe: tuple[str, ...] = (REPLIES,)


def service_user(service: str) -> str:
    return f"service-{service}"


def office_user(uitvoerder: str) -> str:
    return f"office-{uitvoerder}"


def nats_users(
    topology: Topology, consumes: Mapping[str, Sequence[str]], uitvoerders: Sequence[str]
) -> list[NatsUser]:
    """Every user; `consumes` names, per service, the streams it pulls from."""
    outcomes = (
        REPLIES,
        *(topology.service_subjects(service) for service in consumes),
        topology.deadletter_subject("*"),
    )
    users = [
        NatsUser(PROVISIONER, (">",), (">",)),
        NatsUser(PORTAL, (f"{topology.prefix}.portal.>",), outcomes),
        NatsUser(
            AUDITOR,
            (
                "$JS.API.INFO",
                "$JS.API.STREAM.NAMES",
                "$JS.API.STREAM.INFO.*",
                "$JS.API.STREAM.MSG.GET.*",
                "$JS.API.DIRECT.GET.*",  # a stream's messages in batches, read only
            ),
        ),
    ]
    users += [
        NatsUser(office_user(code), (topology.office_subject(code, ">"),), outcomes)
        for code in uitvoerders
    ]
    for service, streams in consumes.items():
        own = topology.service_stream(service)
        publish = [
            topology.service_subjects(service),
            topology.deadletter_subject(service),
            "$JS.API.INFO",
            f"$JS.API.STREAM.INFO.{own}",
            f"$JS.API.STREAM.INFO.{topology.deadletter_stream}",
            f"$JS.API.STREAM.MSG.GET.{topology.clock_stream}",
        ]
        for stream in streams:
            publish += [
                f"$JS.API.STREAM.INFO.{stream}",
                f"$JS.API.CONSUMER.INFO.{stream}.*",
                f"$JS.API.CONSUMER.CREATE.{stream}.*",
                f"$JS.API.CONSUMER.CREATE.{stream}.*.>",
                f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.*",
                f"$JS.API.CONSUMER.DELETE.{stream}.*",
                f"$JS.API.CONSUMER.MSG.NEXT.{stream}.*",
                f"$JS.ACK.{stream}.>",
            ]
        users.append(NatsUser(service_user(service), tuple(dict.fromkeys(publish))))
    return users


def installed_users(topology: Topology) -> list[NatsUser]:
    """The users for the services installed here (entry-point group `oco.services`) and
    every uitvoerder of every round."""
    from importlib import import_module
    from importlib.metadata import entry_points

    from oco_shared.rounds import available_rounds, load_round

    consumes = {}
    # By name: the same text wherever the packages were installed, in whatever order.
    for entry in sorted(entry_points(group="oco.services"), key=lambda entry: entry.name):
        definition = import_module(f"{entry.value}.bootstrap").DEFINITION
        consumes[definition.service] = sorted(
            {subscription.upstream.stream(topology) for subscription in definition.subscriptions}
        )
    uitvoerders = sorted(
        {u.code for round_id in available_rounds() for u in load_round(round_id).uitvoerders}
    )
    return nats_users(topology, consumes, uitvoerders)


def user_url(host: str, port: int, user: str, password: str) -> str:
    return f"nats://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}"


def server_config(
    users: Sequence[NatsUser],
    passwords: Mapping[str, str],
    *,
    host: str | None = None,
    port: int | None = None,
    store_dir: str | None = None,
    monitor_port: int | None = None,
) -> str:
    """A nats-server configuration with these users, nobody anonymous; the listening
    address and JetStream's folder when given (else the command line gives them)."""
    entries = [
        "    {"
        f" user: {json.dumps(user.name)}, password: {json.dumps(passwords[user.name])},"
        " permissions: {"
        f" publish: {{ allow: {json.dumps(list(user.publish))} }},"
        f" subscribe: {{ allow: {json.dumps(list(user.subscribe))} }}"
        " } }"
        for user in users
    ]
    lines = [
        *([f"listen: {json.dumps(f'{host}:{port}')}"] if host and port else []),
        *([f"http: {json.dumps(f'{host}:{monitor_port}')}"] if host and monitor_port else []),
        *([f"jetstream: {{ store_dir: {json.dumps(store_dir)} }}"] if store_dir else []),
        "authorization: {",
        "  users: [",
        *entries,
        "  ]",
        "}",
    ]
    return "\n".join(lines) + "\n"


def password_variable(user: str) -> str:
    """The environment variable that carries a user's password into the broker's pods,
    e.g. `NATS_PASSWORD_OFFICE_ZILVEREN_KRUIS` for `office-zilveren-kruis`."""
    return "NATS_PASSWORD_" + "".join(c if c.isalnum() else "_" for c in user).upper()


def password_secret(user: str) -> str:
    """The Kubernetes Secret (key `password`) that holds a user's password."""
    return f"oco-nats-{user}"


HELM_VALUES_NOTE = "uv run oco nats-config --format helm-values > deploy/k8s/nats/values.yaml"


def helm_values(
    users: Sequence[NatsUser],
    *,
    replicas: int = 3,
    storage_size: str = "20Gi",
    tls_secret: str = "oco-nats-tls",
    cluster_tls_secret: str = "oco-nats-cluster-tls",
) -> dict[str, object]:
    """Values for the official NATS Helm chart (`nats/nats`, 1.x): a JetStream cluster on
    persistent volumes that syncs every write to disk, TLS for clients and routes, and
    these users, nobody anonymous. No password is written here: each is the variable
    `password_variable(user)` of the server's environment, filled from the Secret
    `password_secret(user)`."""
    return {
        "config": {
            "cluster": {
                "enabled": True,
                "replicas": replicas,
                "tls": {"enabled": True, "secretName": cluster_tls_secret},
            },
            "jetstream": {
                "enabled": True,
                "fileStore": {
                    "enabled": True,
                    "dir": "/data",
                    "pvc": {"enabled": True, "size": storage_size},
                },
                "memoryStore": {"enabled": False},
                # Jepsen (NATS 2.12.1) lost acknowledged writes with the default interval.
                "merge": {"sync_interval": "always"},
            },
            "nats": {"tls": {"enabled": True, "secretName": tls_secret}},
            "monitor": {"enabled": True},
            "merge": {
                "authorization": {
                    "users": [
                        {
                            "user": user.name,
                            "password": f"<< ${password_variable(user.name)} >>",
                            "permissions": {
                                "publish": {"allow": list(user.publish)},
                                "subscribe": {"allow": list(user.subscribe)},
                            },
                        }
                        for user in users
                    ]
                }
            },
        },
        "container": {
            "env": {
                password_variable(user.name): {
                    "valueFrom": {
                        "secretKeyRef": {"name": password_secret(user.name), "key": "password"}
                    }
                }
                for user in users
            }
        },
        "podTemplate": {
            "topologySpreadConstraints": {
                "kubernetes.io/hostname": {"maxSkew": 1, "whenUnsatisfiable": "DoNotSchedule"}
            }
        },
        "podDisruptionBudget": {"enabled": True},
        # nats-box would hold no user's credentials: operators use `oco` or their own client.
        "natsBox": {"enabled": False},
    }
