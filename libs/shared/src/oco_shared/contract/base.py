"""The envelope every public event and incoming message shares.

Portals and auditors are outside parties: the contract is the product. Every model is
frozen, refuses unknown fields, and carries its type and schema version, so a stored
event can always be read back, upcast and checked.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer

# A message's largest size: documents travel by reference and hash, never as content.
MAX_MESSAGE_BYTES = 256 * 1024
# An event's largest JSON: well under the broker's max_payload (1 MiB), with room for headers.
MAX_EVENT_BYTES = 768 * 1024

Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2, description="euros with cents"),
    PlainSerializer(lambda value: f"{value:.2f}", return_type=str, when_used="json"),
]
RegionCode = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)]
RoundId = Annotated[str, Field(pattern=r"^\d{4}(-\d{4})?$", examples=["2027-2028"])]
ProviderId = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{8}$",
        description="the provider's KvK (Chamber of Commerce) number",
        examples=["12345678"],
    ),
]
ShortText = Annotated[str, Field(min_length=1, max_length=500)]
LongText = Annotated[str, Field(min_length=1, max_length=20_000)]


class ActorKind(StrEnum):
    PROVIDER = "provider"
    ZORGKANTOOR = "zorgkantoor"
    PORTAL = "portal"
    SYSTEM = "system"


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ActorKind
    id: Annotated[str, Field(min_length=1, max_length=200)]


class Contract(BaseModel):
    """Base of every model on the wire."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)

    TYPE: ClassVar[str]


class RehearsalMark(BaseModel):
    """The rehearsal clock an event was decided on: a rehearsal log never passes for a
    real procedure, and an auditor recomputes `occurred_at` from `broker_time`:
    `start + (broker_time - epoch) * rate`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rehearsal_id: uuid.UUID
    round_id: RoundId | None = None
    epoch: AwareDatetime = Field(description="the broker time the rehearsal clock was set")
    start: AwareDatetime = Field(description="the procedure time at the epoch")
    rate: float = Field(gt=0, description="procedure seconds per broker second")


class Event(Contract):
    """A fact in the procedure's log.

    `occurred_at` is the procedure time the rules judged (for a submission: that of the
    broker's receipt); `broker_time` is the broker's wall-clock receipt time of the message
    that caused the event (the two differ only on a rehearsal clock, which `rehearsal`
    then names); `claimed_at` is what the sender said, kept for the record, never trusted.
    """

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    schema_version: int
    round_id: RoundId
    region_code: RegionCode | None = None
    provider_id: ProviderId | None = None
    occurred_at: AwareDatetime
    claimed_at: AwareDatetime | None = None
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    actor: Actor
    broker_time: AwareDatetime | None = None
    rehearsal: RehearsalMark | None = None


class Message(Contract):
    """A message an upstream portal publishes: a submission or a decision.

    `sent_at` is the sender's claim; the broker's receipt time is what counts.
    """

    message_id: uuid.UUID
    type: str
    schema_version: int
    round_id: RoundId
    sent_at: AwareDatetime
    correlation_id: uuid.UUID | None = None
    actor: Actor
