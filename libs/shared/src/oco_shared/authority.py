"""Who may say what on the broker: the NATS users and their permissions, generated.

Authority comes from the subject a message arrives on (README, "Subjects by authority"),
so the broker must let each party publish only where it may:

- `provisioner`: creates and changes streams (the only user that may);
- `portal`: publishes on `<prefix>.portal.>`, nothing else, and reads no stream;
- `office-<uitvoerder>`: publishes on its own `<prefix>.office.<uitvoerder>.>` only;
- `service-<name>`: publishes its events and dead letters, and pulls from the streams it
  consumes (its durable consumers: create, pull, ack, and recreate from its tracked
  position after a restart);
- `auditor`: reads any stream message by message, publishes nothing.

Every user also receives replies on `_INBOX.>` (JetStream acknowledges a publish there).
The configuration is pure text built from data, so the same generator serves the
development stack, the tests and the Kubernetes secrets.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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
    users = [
        NatsUser(PROVISIONER, (">",), (">",)),
        NatsUser(PORTAL, (f"{topology.prefix}.portal.>",)),
        NatsUser(
            AUDITOR,
            (
                "$JS.API.INFO",
                "$JS.API.STREAM.NAMES",
                "$JS.API.STREAM.INFO.*",
                "$JS.API.STREAM.MSG.GET.*",
            ),
        ),
    ]
    users += [
        NatsUser(office_user(code), (topology.office_subject(code, ">"),)) for code in uitvoerders
    ]
    for service, streams in consumes.items():
        own = topology.service_stream(service)
        publish = [
            topology.service_subjects(service),
            topology.deadletter_subject(service),
            "$JS.API.INFO",
            f"$JS.API.STREAM.INFO.{own}",
            f"$JS.API.STREAM.INFO.{topology.deadletter_stream}",
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


def server_config(
    users: Sequence[NatsUser],
    passwords: Mapping[str, str],
    *,
    host: str,
    port: int,
    store_dir: str,
    monitor_port: int | None = None,
) -> str:
    """A nats-server configuration with JetStream and these users, nobody anonymous."""
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
        f"listen: {json.dumps(f'{host}:{port}')}",
        *([f"http: {json.dumps(f'{host}:{monitor_port}')}"] if monitor_port else []),
        f"jetstream: {{ store_dir: {json.dumps(store_dir)} }}",
        "authorization: {",
        "  users: [",
        *entries,
        "  ]",
        "}",
    ]
    return "\n".join(lines) + "\n"
