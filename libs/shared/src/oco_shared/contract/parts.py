"""Value objects that events and messages are built from."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from oco_shared.contract.base import ProviderId, RegionCode, ShortText


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Provider(_Part):
    id: ProviderId
    name: ShortText


class DocumentRef(_Part):
    """A reference to a submitted file; the system keeps hashes, never the files."""

    kind: Annotated[str, Field(pattern=r"^[a-z_]+$", max_length=64, examples=["vog_rp"])]
    filename: ShortText
    issued_on: dt.date
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    size_bytes: Annotated[int, Field(gt=0, le=500_000_000)]
    media_type: Annotated[str, Field(pattern=r"^[a-z]+/[a-z0-9.+-]+$", max_length=100)]
    searchable: bool = Field(description="digital, searchable text; false for a scan")


class RegionApplication(_Part):
    region_code: RegionCode
    new_to_region: bool
    wmo_municipalities: tuple[ShortText, ...] = Field(
        default=(),
        max_length=100,
        description="municipalities with which the provider has a Wmo contract",
    )


class RefusalCode(StrEnum):
    """Stable reason codes; portals may switch on them."""

    MALFORMED = "malformed"
    MESSAGE_ID_REUSED = "message_id_reused"
    TOO_LARGE = "too_large"
    UNKNOWN_ROUND = "unknown_round"
    INSCRIPTION_NOT_OPEN = "inscription_not_open"
    INSCRIPTION_CLOSED = "inscription_closed"
    UNKNOWN_UITVOERDER = "unknown_uitvoerder"
    REGION_NOT_SERVED = "region_not_served"
    REGIONS_OF_SEVERAL_UITVOERDERS = "regions_of_several_uitvoerders"
    DOCUMENT_MISSING = "document_missing"
    DOCUMENT_TOO_OLD = "document_too_old"
    DOCUMENT_NOT_SEARCHABLE = "document_not_searchable"
    JOINT_LIABILITY_MISSING = "joint_liability_missing"
    IMPLEMENTATION_PLAN_MISSING = "implementation_plan_missing"
    NOT_INSCRIBED = "not_inscribed"
    QUESTIONS_CLOSED = "questions_closed"
    NOTA_LATE = "nota_late"
    NOT_AUTHORISED = "not_authorised"
    OBJECTION_OUT_OF_TIME = "objection_out_of_time"
    OBJECTION_NOT_REJECTED = "objection_not_rejected"
    KORT_GEDING_OUT_OF_TIME = "kort_geding_out_of_time"


class Refusal(_Part):
    """Why something was refused: a stable code, a readable text, and the rule behind it."""

    code: RefusalCode
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    rule: Annotated[str, Field(min_length=1, description="policy document and section")]
    deadline: AwareDatetime | None = Field(
        default=None, description="the first instant out of time, where a deadline decided"
    )
    field: str | None = None


class RequirementResult(_Part):
    code: Annotated[str, Field(pattern=r"^[A-Z]{1,3}\d{2}$")]
    met: bool
    motivation: ShortText


class Answer(_Part):
    question_id: Annotated[str, Field(min_length=1, max_length=100)]
    answer: Annotated[str, Field(min_length=1, max_length=20_000)]


class Outcome(StrEnum):
    SELECTED = "selected"
    REJECTED = "rejected"


class ObjectionDecision(StrEnum):
    UPHELD = "upheld"
    PARTIALLY_UPHELD = "partially_upheld"
    DISMISSED = "dismissed"
