"""AsyncAPI 3.0 documents of a service's messages, generated from the contract models.

A service declares which subjects it receives and sends, with which models; the document
holds every message's JSON Schema and example. The committed document is what portals
build against, and each service's tests fail when it and the code disagree.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from oco_shared.contract.base import MAX_EVENT_BYTES, MAX_MESSAGE_BYTES, Event
from oco_shared.contract.examples import EXAMPLES
from oco_shared.contract.schema import describe_document_kinds
from oco_shared.messaging.relay import DeadLetterRecord
from oco_shared.messaging.topology import Topology


@dataclass(frozen=True)
class Channel:
    name: str
    address: str
    action: Literal["receive", "send"]
    description: str
    messages: Sequence[type[BaseModel]]


_RECEIVE_LIMIT = (
    f" A message has at most {MAX_MESSAGE_BYTES} bytes (documents by reference and hash);"
    " a larger one is refused with too_large before it is read."
)


def _message_name(model: type[BaseModel]) -> str:
    return getattr(model, "TYPE", model.__name__)


def asyncapi_document(
    service: str, description: str, channels: Sequence[Channel]
) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for channel in channels:
        for model in channel.messages:
            name = _message_name(model)
            schema = model.model_json_schema(
                mode="serialization", ref_template="#/components/schemas/{model}"
            )
            schemas.update(schema.pop("$defs", {}))
            schemas[name] = schema
            message: dict[str, Any] = {
                "name": name,
                "title": name,
                "contentType": "application/json",
                "payload": {"$ref": f"#/components/schemas/{name}"},
            }
            if name in EXAMPLES:
                message["examples"] = [{"name": f"{name} example", "payload": EXAMPLES[name]}]
            messages[name] = message
    describe_document_kinds(schemas)
    return {
        "asyncapi": "3.0.0",
        "info": {"title": f"OCO {service} service", "version": "1.0.0", "description": description},
        "defaultContentType": "application/json",
        "servers": {
            "nats": {"host": "nats:4222", "protocol": "nats", "description": "NATS JetStream"}
        },
        "channels": {
            channel.name: {
                "address": channel.address,
                "description": channel.description
                + (_RECEIVE_LIMIT if channel.action == "receive" else ""),
                "x-max-message-bytes": MAX_MESSAGE_BYTES
                if channel.action == "receive"
                else MAX_EVENT_BYTES,
                "messages": {
                    _message_name(m): {"$ref": f"#/components/messages/{_message_name(m)}"}
                    for m in channel.messages
                },
            }
            for channel in channels
        },
        "operations": {
            f"{channel.action}_{channel.name}": {
                "action": channel.action,
                "channel": {"$ref": f"#/channels/{channel.name}"},
                "messages": [
                    {"$ref": f"#/channels/{channel.name}/messages/{_message_name(m)}"}
                    for m in channel.messages
                ],
            }
            for channel in channels
        },
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }


def service_document(
    service: str,
    description: str,
    received: Sequence[Channel],
    published: Sequence[type[Event]],
    topology: Topology,
    *,
    known_as: str | None = None,
) -> dict[str, Any]:
    """A service's document: the channels it receives on as it describes them, then one
    send channel per event type of its log and its dead-letter subject, alike for every
    service. `known_as` is how the dead-letter text names the service (default: its name)."""
    sent = [
        Channel(
            f"{service}{event.TYPE}",
            topology.event_subject(service, event.TYPE),
            "send",
            f"{event.TYPE} events of the {service} log, Nats-Msg-Id = event_id.",
            (event,),
        )
        for event in published
    ]
    dead_letter = Channel(
        f"{service}DeadLetter",
        topology.deadletter_subject(service),
        "send",
        f"Messages {known_as or service} could never handle, with the reason and the "
        "original payload.",
        (DeadLetterRecord,),
    )
    return asyncapi_document(service, description, [*received, *sent, dead_letter])


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write(document: dict[str, Any], path: Path) -> None:
    """What `make schemas` runs for each service: the document, committed beside it."""
    path.write_text(render(document), encoding="utf-8")
    print(path)


def drifted(document: dict[str, Any], path: Path) -> bool:
    return not path.exists() or path.read_text(encoding="utf-8") != render(document)


def without_valid_example(document: dict[str, Any], models: Sequence[type[BaseModel]]) -> list[str]:
    """The messages among `models` the document leaves out, or shows without exactly one
    example of their own type: what each service's contract test expects to be empty."""
    described = document["components"]["messages"]
    missing = []
    for name in sorted({_message_name(model) for model in models}):
        examples = described.get(name, {}).get("examples", [])
        if len(examples) != 1 or examples[0]["payload"].get("type", name) != name:
            missing.append(name)
    return missing
