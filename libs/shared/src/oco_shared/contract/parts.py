"""Value objects that events and messages are built from."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from oco_shared.contract.base import Money, ProviderId, RegionCode, ShortText


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
    WINDOW_CLOSED = "window_closed"
    WRONG_CHANNEL = "wrong_channel"
    NOT_A_PARTY = "not_a_party"
    UNKNOWN_OBJECTION = "unknown_objection"
    OBJECTION_ALREADY_ANSWERED = "objection_already_answered"
    OBJECTION_NOT_ANSWERED = "objection_not_answered"
    KORT_GEDING_OUT_OF_TIME = "kort_geding_out_of_time"
    ASSESSMENT_NOT_STARTED = "assessment_not_started"
    UNKNOWN_REQUIREMENT = "unknown_requirement"
    UNKNOWN_CRITERION = "unknown_criterion"
    TOO_MANY_PLACES = "too_many_places"
    PLACES_ALREADY_FIXED = "places_already_fixed"
    PLACES_NOT_FIXED = "places_not_fixed"
    VERDICTS_MISSING = "verdicts_missing"
    SCORES_MISSING = "scores_missing"
    SELECTION_PUBLISHED = "selection_published"
    LOT_PENDING = "lot_pending"
    NO_LOT_AWAITED = "no_lot_awaited"
    NO_CASES = "no_cases"
    LOT_CANDIDATES_DIFFER = "lot_candidates_differ"
    DOCUMENT_NOT_REQUESTED = "document_not_requested"
    DOCUMENTS_LATE = "documents_late"
    # Contracting: each condition of a signature, and the money and obligations after it.
    NOT_SELECTED = "not_selected"
    SELECTION_REOPENED = "selection_reopened"
    CEILING_MISSING = "ceiling_missing"
    OBJECTION_WINDOWS_OPEN = "objection_windows_open"
    STANDSTILL = "standstill"
    KORT_GEDING_PENDING = "kort_geding_pending"
    OUTSIDE_CONTRACTING_PERIOD = "outside_contracting_period"
    REGION_FULL = "region_full"
    ALREADY_CONTRACTED = "already_contracted"
    NEW_TO_OCO_CONTRADICTED = "new_to_oco_contradicted"
    NO_CONTRACT = "no_contract"
    NOT_EXTENDABLE = "not_extendable"
    OUTSIDE_CONTRACT_PERIOD = "outside_contract_period"
    REGION_BUDGET_EXCEEDED = "region_budget_exceeded"
    NOT_A_REVIEW_MOMENT = "not_a_review_moment"
    UNKNOWN_SERVICE = "unknown_service"
    UNKNOWN_OBLIGATION = "unknown_obligation"
    OBLIGATION_ALREADY_FULFILLED = "obligation_already_fulfilled"
    NOT_ASKED_IN_ROUND = "not_asked_in_round"
    CLIENT_SUPPORTER_ALREADY_REPORTED = "client_supporter_already_reported"
    SIGNAL_REPORT_ALREADY_RECORDED = "signal_report_already_recorded"


class Refusal(_Part):
    """Why something was refused: a stable code, a readable text, and the rule behind it."""

    code: RefusalCode
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    rule: Annotated[str, Field(min_length=1, description="policy document and section")]
    deadline: AwareDatetime | None = Field(
        default=None, description="the first instant out of time, where a deadline decided"
    )
    field: str | None = None


class Outcome(StrEnum):
    SELECTED = "selected"
    REJECTED = "rejected"


RequirementCode = Annotated[str, Field(pattern=r"^[A-Z]{1,3}\d{2}$", examples=["G01"])]
CriterionCode = Annotated[str, Field(pattern=r"^[a-z_]+$", max_length=64, examples=["experience"])]
DocumentKind = Annotated[str, Field(pattern=r"^[a-z_]+$", max_length=64)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class Verdict(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    # Some requirements may be met by a plan or within a term (000_… 4.1, eis 1 and eis 7).
    MET_ON_CONDITION = "met_on_condition"


class Condition(_Part):
    """What must still follow, and by when; handed on to contracting."""

    what: ShortText
    due_on: dt.date


class RequirementVerdict(_Part):
    """An assessor's verdict on one requirement of the round, with its motivation."""

    code: RequirementCode
    verdict: Verdict
    motivation: ShortText
    evidence: Annotated[
        tuple[ShortText, ...],
        Field(max_length=20, description="references to the documents the verdict rests on"),
    ] = ()
    condition: Condition | None = None

    @model_validator(mode="after")
    def _condition_iff_conditional(self) -> Self:
        if (self.verdict is Verdict.MET_ON_CONDITION) != (self.condition is not None):
            raise ValueError("a condition is given exactly when the verdict is met_on_condition")
        return self

    @property
    def met(self) -> bool:
        return self.verdict is not Verdict.NOT_MET


class VerdictSummary(_Part):
    """A verdict as an outcome states it; its motivation and evidence are in the
    `SuitabilityAssessed` the outcome names, which keeps a region's publication small."""

    code: RequirementCode
    verdict: Verdict
    condition: Condition | None = None

    @classmethod
    def of(cls, verdict: RequirementVerdict) -> VerdictSummary:
        return cls(code=verdict.code, verdict=verdict.verdict, condition=verdict.condition)


class CriterionScore(_Part):
    """An assessor's score on one selection criterion of the round: higher ranks first."""

    code: CriterionCode
    score: int = Field(ge=0, le=1000)
    motivation: ShortText


class RequestedDocument(_Part):
    kind: DocumentKind
    description: ShortText


class SelectionReason(StrEnum):
    """Why a party is selected or rejected in a region."""

    UNSUITABLE = "unsuitable"
    NOT_ADMITTED = "not_admitted"  # an existing organisation in a round only for new ones
    ALL_SUITABLE_FIT = "all_suitable_fit"
    EXISTING_KEEPS_PLACE = "existing_keeps_place"
    RANKED_WITHIN_PLACES = "ranked_within_places"
    RANKED_OUTSIDE_PLACES = "ranked_outside_places"
    WON_LOT = "won_lot"
    LOST_LOT = "lost_lot"


class PartyOutcome(_Part):
    """One party's outcome in a region, and why, per requirement and criterion."""

    provider_id: ProviderId
    inscription_id: uuid.UUID
    outcome: Outcome
    reason: SelectionReason
    rank: int | None = Field(default=None, ge=1, description="place in the ranking, if ranked")
    failed_requirements: Annotated[tuple[RequirementCode, ...], Field(max_length=50)] = ()
    suitability_assessed: uuid.UUID | None = Field(
        default=None, description="event id of the SuitabilityAssessed with the motivations"
    )
    verdicts: Annotated[tuple[VerdictSummary, ...], Field(max_length=50)] = ()
    scores: Annotated[tuple[CriterionScore, ...], Field(max_length=20)] = ()
    provisional_budget_ceiling: Money | None = None

    @property
    def conditions(self) -> tuple[VerdictSummary, ...]:
        """The requirements met on condition: what must follow, by when (for contracting)."""
        return tuple(verdict for verdict in self.verdicts if verdict.condition is not None)


class Answer(_Part):
    question_id: Annotated[str, Field(min_length=1, max_length=100)]
    answer: Annotated[str, Field(min_length=1, max_length=20_000)]


class ObjectionDecision(StrEnum):
    UPHELD = "upheld"
    PARTIALLY_UPHELD = "partially_upheld"
    DISMISSED = "dismissed"


class ObligationKind(StrEnum):
    """What a contracted provider must still show after the start, each with its own scope
    (domain.md, Deadlines; 000_d8e1bdfab127271e.txt 4.1)."""

    BCMB_MEMBERSHIP = "bcmb_membership"  # providers new to OCO
    REGIONAL_KNOWLEDGE = "regional_knowledge"  # providers new to the region
    REGISTER_ENROLMENT = "register_enrolment"  # each new client supporter, any provider
    VERDICT_CONDITION = "verdict_condition"  # a requirement met on condition


class Obligation(_Part):
    """One obligation of a contract: what, by when (`due_at`: the first instant it is
    overdue), and the rule that imposes it."""

    obligation_id: uuid.UUID
    kind: ObligationKind
    what: ShortText
    due_at: AwareDatetime
    rule: ShortText
    requirement_code: RequirementCode | None = None
    client_supporter: ShortText | None = Field(
        default=None, description="the provider's own reference of the person, never a name"
    )


class Ceiling(_Part):
    """A party's yearly budget ceiling in a region."""

    provider_id: ProviderId
    amount: Money


class CeilingChange(_Part):
    provider_id: ProviderId
    before: Money | None = Field(description="the ceiling before, None if none was set")
    after: Money


Hours = Annotated[Decimal, Field(ge=0, le=100_000, max_digits=9, decimal_places=2)]


class ServiceHours(_Part):
    """Hours delivered in a month for one of the round's numbered services."""

    service: int = Field(ge=1, le=20)
    hours: Hours
