"""What the handlers of the services that keep one stream per region have in common.

Assessment, objection and contracting each record a region's events in one stream of
their own; their handlers load the round a message names (or refuse it: unknown_round),
check a zorgkantoor's authority from its office subject, put the same envelope on every
event and append to the region's stream. The rules of each service stay in its domain.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Protocol

from oco_shared.contract import Actor, Event, Message
from oco_shared.contract.parts import Refusal, RefusalCode
from oco_shared.eventstore import NewEvent
from oco_shared.handling import Received
from oco_shared.rounds import Round, UnknownRound, load_round

OFFICE_RULE = "README: subjects by authority (oco.office.<uitvoerder>.> carries its acts)"
ROUNDS_RULE = "rounds data"


class Stream(Protocol):
    """An aggregate as replayed from its stream: its id and the version it has reached."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def version(self) -> int: ...


def appended(stream: Stream, events: Sequence[Event]) -> list[NewEvent]:
    """`events`, in order, as the next versions of `stream`."""
    return [
        NewEvent(stream.id, stream.version + offset, event)
        for offset, event in enumerate(events, start=1)
    ]


def acting(message: Message, received: Received, provider_id: str | None) -> dict[str, Any]:
    """The envelope of what a message caused: receipt time decides, `sent_at` is a claim."""
    return {
        "round_id": message.round_id,
        "region_code": getattr(message, "region_code", None),
        "provider_id": provider_id,
        "occurred_at": received.at,
        "claimed_at": message.sent_at,
        "correlation_id": message.correlation_id or message.message_id,
        "causation_id": message.message_id,
        "actor": message.actor,
    }


def following(
    event: Event, received: Received, actor: Actor, region_code: str | None = None
) -> dict[str, Any]:
    """The envelope of what another service's event caused in a region (by default the
    event's own region), recorded by the service as `actor`."""
    return {
        "round_id": event.round_id,
        "region_code": event.region_code if region_code is None else region_code,
        "provider_id": event.provider_id,
        "occurred_at": received.at,
        "correlation_id": event.correlation_id,
        "causation_id": event.event_id,
        "actor": actor,
    }


def known_round(round_id: str) -> Round | None:
    try:
        return load_round(round_id)
    except UnknownRound:
        return None


def unknown_round(round_id: str, *, field: str | None = None) -> Refusal:
    return Refusal(
        code=RefusalCode.UNKNOWN_ROUND,
        text=f"There is no round {round_id}.",
        rule=ROUNDS_RULE,
        field=field,
    )


def office_refusals(round_: Round, office: str | None, region_code: str) -> list[Refusal]:
    """Authority comes from the office subject: an uitvoerder acts only in its own regions."""
    uitvoerder = round_.uitvoerder(office or "")
    if uitvoerder is None:
        return [
            Refusal(
                code=RefusalCode.NOT_AUTHORISED,
                text=f"{office!r} is no Wlz-uitvoerder of round {round_.id}.",
                rule=OFFICE_RULE,
            )
        ]
    owner = round_.uitvoerder_of(region_code)
    if owner is None or owner.code != uitvoerder.code:
        served_by = f"served by {owner.code}" if owner else "not a region of this round"
        return [
            Refusal(
                code=RefusalCode.REGION_NOT_SERVED,
                text=f"Region {region_code} is {served_by}, not by {uitvoerder.code}.",
                rule=uitvoerder.source.cite(),
                field="region_code",
            )
        ]
    return []


def office_checks(message: Message, received: Received) -> tuple[Round | None, list[Refusal]]:
    """A zorgkantoor's act: the round it names, and why the office may not act (if so)."""
    round_ = known_round(message.round_id)
    if round_ is None:
        return None, [unknown_round(message.round_id)]
    return round_, office_refusals(round_, received.office, getattr(message, "region_code", ""))
