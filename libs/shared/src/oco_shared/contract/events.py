"""The public events of the procedure: the auditable, replayable log.

Each event names the policy that decides it in the round file it pins
(`RoundOpened.rule_set_version`); refusals carry the rule and deadline themselves.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from oco_shared.contract.base import Event, LongText, Money, ProviderId, RegionCode, ShortText
from oco_shared.contract.parts import (
    Answer,
    CeilingChange,
    CriterionScore,
    DocumentRef,
    Hours,
    ObjectionDecision,
    Obligation,
    ObligationKind,
    Outcome,
    PartyOutcome,
    Provider,
    Refusal,
    RegionApplication,
    RequestedDocument,
    RequirementCode,
    RequirementVerdict,
    ServiceHours,
    VerdictSummary,
)

Refusals = Annotated[tuple[Refusal, ...], Field(min_length=1)]


class RoundOpened(Event):
    """The first event of a round: pins the rule set every later decision uses."""

    TYPE = "RoundOpened"
    type: Literal["RoundOpened"] = "RoundOpened"
    schema_version: Literal[1] = 1
    rule_set_version: ShortText
    title: ShortText


class InscriptionReceived(Event):
    """An inscription (or a later revision of it) accepted for assessment."""

    TYPE = "InscriptionReceived"
    type: Literal["InscriptionReceived"] = "InscriptionReceived"
    schema_version: Literal[1] = 1
    inscription_id: uuid.UUID
    revision: int = Field(ge=1, description="1 for the first, +1 for every amendment")
    message_id: uuid.UUID
    uitvoerder_code: ShortText
    provider: Provider
    regions: Annotated[tuple[RegionApplication, ...], Field(min_length=1)]
    consortium_members: tuple[Provider, ...] = ()
    subcontractor_intent: bool
    documents: tuple[DocumentRef, ...]
    rule_set_version: ShortText


class InscriptionRejected(Event):
    TYPE = "InscriptionRejected"
    type: Literal["InscriptionRejected"] = "InscriptionRejected"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    inscription_id: uuid.UUID | None = None
    payload_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    refusals: Refusals
    regions: Annotated[tuple[RegionCode, ...], Field(max_length=31)] = Field(
        default=(),
        description="the regions the refused message named (of a malformed one: its valid "
        "region codes), so that each region's list shows the rejection",
    )


class InscriptionWithdrawn(Event):
    TYPE = "InscriptionWithdrawn"
    type: Literal["InscriptionWithdrawn"] = "InscriptionWithdrawn"
    schema_version: Literal[1] = 1
    inscription_id: uuid.UUID
    message_id: uuid.UUID


class QuestionReceived(Event):
    TYPE = "QuestionReceived"
    type: Literal["QuestionReceived"] = "QuestionReceived"
    schema_version: Literal[1] = 1
    question_id: Annotated[str, Field(min_length=1, max_length=100)]
    message_id: uuid.UUID
    text: LongText


class QuestionRejected(Event):
    TYPE = "QuestionRejected"
    type: Literal["QuestionRejected"] = "QuestionRejected"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    refusals: Refusals


class NotaVanInlichtingenPublished(Event):
    TYPE = "NotaVanInlichtingenPublished"
    type: Literal["NotaVanInlichtingenPublished"] = "NotaVanInlichtingenPublished"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    uitvoerder_code: str | None = Field(
        default=None,
        max_length=64,
        description="the zorgkantoor whose office subject it arrived on: its authority",
    )
    answers: Annotated[tuple[Answer, ...], Field(min_length=1)]


class AssessmentCaseOpened(Event):
    """One provider's case in one region, from the latest revision of its inscription: a
    provider inscribed in several regions is assessed separately in each, a consortium is
    one party (domain.md, "Assessment"; 002_ecc96e9cc94e3a31.txt 2.1.5)."""

    TYPE = "AssessmentCaseOpened"
    type: Literal["AssessmentCaseOpened"] = "AssessmentCaseOpened"
    schema_version: Literal[1] = 1
    inscription_id: uuid.UUID
    revision: int = Field(ge=1)
    uitvoerder_code: ShortText
    provider: Provider
    consortium_members: Annotated[tuple[Provider, ...], Field(max_length=100)] = ()
    new_to_region: bool


class AssessmentCaseClosed(Event):
    """A case dropped before selection: the inscription was withdrawn, or its latest
    revision no longer names the region."""

    TYPE = "AssessmentCaseClosed"
    type: Literal["AssessmentCaseClosed"] = "AssessmentCaseClosed"
    schema_version: Literal[1] = 1
    inscription_id: uuid.UUID
    reason: Literal["withdrawn", "region_dropped"]


class RegionPlacesSet(Event):
    TYPE = "RegionPlacesSet"
    type: Literal["RegionPlacesSet"] = "RegionPlacesSet"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    uitvoerder_code: ShortText
    places: int = Field(ge=1, le=50)
    round_maximum: int = Field(ge=1)
    motivation: ShortText


class VerdictsRecorded(Event):
    """Assessors' verdicts on requirements for one provider in one region."""

    TYPE = "VerdictsRecorded"
    type: Literal["VerdictsRecorded"] = "VerdictsRecorded"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    inscription_id: uuid.UUID
    verdicts: Annotated[tuple[RequirementVerdict, ...], Field(min_length=1, max_length=50)]


class SuitabilityAssessed(Event):
    """Every requirement of the round has a verdict for one provider in one region."""

    TYPE = "SuitabilityAssessed"
    type: Literal["SuitabilityAssessed"] = "SuitabilityAssessed"
    schema_version: Literal[1] = 1
    inscription_id: uuid.UUID
    revision: int = Field(ge=1)
    verdicts: Annotated[tuple[RequirementVerdict, ...], Field(min_length=1, max_length=50)]
    suitable: bool
    failed_requirements: Annotated[tuple[RequirementCode, ...], Field(max_length=50)] = ()

    @model_validator(mode="after")
    def _suitable_iff_every_requirement_met(self) -> Self:
        # A provider that fails any requirement gets no contract in that region
        # (domain.md, "Assessment"; 000_d8e1bdfab127271e.txt 4.1 Geschiktheidseisen).
        failed = tuple(verdict.code for verdict in self.verdicts if not verdict.met)
        if self.suitable != (not failed) or self.failed_requirements != failed:
            raise ValueError(
                "suitable must be true exactly when every requirement is met, and "
                "failed_requirements must list the requirements not met"
            )
        return self


class CriteriaScored(Event):
    TYPE = "CriteriaScored"
    type: Literal["CriteriaScored"] = "CriteriaScored"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    inscription_id: uuid.UUID
    scores: Annotated[tuple[CriterionScore, ...], Field(min_length=1, max_length=20)]


class DocumentsRequested(Event):
    TYPE = "DocumentsRequested"
    type: Literal["DocumentsRequested"] = "DocumentsRequested"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    request_id: uuid.UUID
    inscription_id: uuid.UUID
    documents: Annotated[tuple[RequestedDocument, ...], Field(min_length=1, max_length=20)]
    reason: ShortText
    answer_by: AwareDatetime


class DocumentsSupplied(Event):
    TYPE = "DocumentsSupplied"
    type: Literal["DocumentsSupplied"] = "DocumentsSupplied"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    request_id: uuid.UUID
    documents: Annotated[tuple[DocumentRef, ...], Field(min_length=1, max_length=50)]


class LotRequired(Event):
    """The selection of a region waits: parties tie on the places that remain. The
    software never draws; a notary does (002_ecc96e9cc94e3a31.txt 2.1.5)."""

    TYPE = "LotRequired"
    type: Literal["LotRequired"] = "LotRequired"
    schema_version: Literal[1] = 1
    candidates: Annotated[tuple[ProviderId, ...], Field(min_length=2, max_length=100)]
    places: int = Field(ge=1, description="the places the lot decides")
    provisional_budget_ceiling: Money = Field(
        description="of the publication that waits for the lot, completed once it is drawn"
    )


class LotDrawn(Event):
    """Remaining ties decided by lot before a notary (002_ecc96e9cc94e3a31.txt 2.1.5)."""

    TYPE = "LotDrawn"
    type: Literal["LotDrawn"] = "LotDrawn"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    candidates: Annotated[tuple[ProviderId, ...], Field(min_length=2, max_length=100)]
    drawn_order: Annotated[tuple[ProviderId, ...], Field(min_length=2, max_length=100)]
    places: int = Field(ge=1)
    notary: ShortText
    report_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]

    @model_validator(mode="after")
    def _order_is_a_permutation(self) -> Self:
        if sorted(self.candidates) != sorted(self.drawn_order):
            raise ValueError("drawn_order must list exactly the candidates")
        return self


class SelectionPublished(Event):
    """The selection of one region as made known to its parties; a later edition (after
    an upheld objection) supersedes the earlier one and opens its own windows."""

    TYPE = "SelectionPublished"
    type: Literal["SelectionPublished"] = "SelectionPublished"
    schema_version: Literal[1] = 1
    edition: int = Field(ge=1)
    supersedes: uuid.UUID | None = Field(default=None, description="event id of the edition before")
    uitvoerder_code: ShortText
    places: int = Field(ge=1)
    outcomes: Annotated[tuple[PartyOutcome, ...], Field(min_length=1, max_length=200)]
    objection_channel: ShortText
    objection_closes_at: AwareDatetime
    planned_on: dt.date
    late: bool = Field(description="published after the round's planned date")


class SelectionReopened(Event):
    """An objection upheld for a region: verdicts and scores may be corrected, and a new
    edition of the selection is published."""

    TYPE = "SelectionReopened"
    type: Literal["SelectionReopened"] = "SelectionReopened"
    schema_version: Literal[1] = 1
    objection_id: uuid.UUID
    decision: ObjectionDecision
    reopened_edition: int = Field(ge=1)


class AssessmentRefused(Event):
    """A zorgkantoor's act or a provider's answer that assessment refused, with reasons."""

    TYPE = "AssessmentRefused"
    type: Literal["AssessmentRefused"] = "AssessmentRefused"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    message_type: ShortText
    uitvoerder_code: str | None = Field(default=None, max_length=64)
    refusals: Refusals


class ObjectionWindowOpened(Event):
    """One party's window to object to its outcome in a region, opened by a publication
    (each edition of a region's selection opens its own windows). `closes_at` is the first
    instant out of time, computed from the actual publication time and the round's rule."""

    TYPE = "ObjectionWindowOpened"
    type: Literal["ObjectionWindowOpened"] = "ObjectionWindowOpened"
    schema_version: Literal[1] = 1
    selection_event_id: uuid.UUID = Field(description="event id of the SelectionPublished")
    edition: int = Field(ge=1)
    uitvoerder_code: ShortText
    outcome: Outcome
    channel: ShortText = Field(description="where the outcome said objections must be sent")
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    rule: ShortText = Field(description="policy document and section of the deadline")


class ObjectionFiled(Event):
    """An objection received inside its window, from the party, on the named channel."""

    TYPE = "ObjectionFiled"
    type: Literal["ObjectionFiled"] = "ObjectionFiled"
    schema_version: Literal[1] = 1
    objection_id: uuid.UUID
    message_id: uuid.UUID
    uitvoerder_code: ShortText
    selection_event_id: uuid.UUID
    edition: int = Field(ge=1)
    grounds: LongText
    evidence: tuple[DocumentRef, ...] = ()
    channel: ShortText
    window_closes_at: AwareDatetime
    answer_due_at: AwareDatetime | None = Field(
        default=None, description="first instant the answer is late, where the round sets one"
    )


class ObjectionRejected(Event):
    """An objection refused: out of its window, on the wrong channel, not by the party."""

    TYPE = "ObjectionRejected"
    type: Literal["ObjectionRejected"] = "ObjectionRejected"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    refusals: Refusals


class ObjectionAnswered(Event):
    """The zorgkantoor's answer; an upheld answer reopens the region in assessment. An
    answer after its deadline is recorded and flagged `late`."""

    TYPE = "ObjectionAnswered"
    type: Literal["ObjectionAnswered"] = "ObjectionAnswered"
    schema_version: Literal[1] = 1
    objection_id: uuid.UUID
    message_id: uuid.UUID
    uitvoerder_code: ShortText
    decision: ObjectionDecision
    answer: LongText
    answer_due_at: AwareDatetime | None = None
    late: bool = False
    kort_geding_closes_at: AwareDatetime | None = Field(
        default=None, description="first instant a kort geding is out of time, if counted"
    )


class ObjectionAnswerRejected(Event):
    """A zorgkantoor's answer refused (unknown objection, answered already, not its own)."""

    TYPE = "ObjectionAnswerRejected"
    type: Literal["ObjectionAnswerRejected"] = "ObjectionAnswerRejected"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    objection_id: uuid.UUID | None = None
    uitvoerder_code: str | None = Field(default=None, max_length=64)
    refusals: Refusals


class ObjectionAnswerOverdue(Event):
    """Raised by the tick once an objection is still unanswered at its answer deadline."""

    TYPE = "ObjectionAnswerOverdue"
    type: Literal["ObjectionAnswerOverdue"] = "ObjectionAnswerOverdue"
    schema_version: Literal[1] = 1
    objection_id: uuid.UUID
    uitvoerder_code: ShortText
    answer_due_at: AwareDatetime
    rule: ShortText


class ObjectionWindowClosed(Event):
    """Raised by the tick once a window passed: per party outcome (`scope` party, with
    `provider_id`), and per region once every window of its latest edition closed."""

    TYPE = "ObjectionWindowClosed"
    type: Literal["ObjectionWindowClosed"] = "ObjectionWindowClosed"
    schema_version: Literal[1] = 1
    scope: Literal["party", "region"]
    selection_event_id: uuid.UUID
    edition: int = Field(ge=1)
    closed_at: AwareDatetime
    rule: ShortText
    objections_filed: int = Field(ge=0)


class KortGedingFiled(Event):
    """A party's summary proceedings registered in time. `suspends_procedure` follows from
    the round (`no_suspensive_effect`), never from the sender."""

    TYPE = "KortGedingFiled"
    type: Literal["KortGedingFiled"] = "KortGedingFiled"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    objection_id: uuid.UUID | None = None
    court: ShortText
    case_number: ShortText
    summoned_on: dt.date
    closes_at: AwareDatetime = Field(description="the vervaltermijn's first instant out of time")
    rule: ShortText
    suspends_procedure: bool


class KortGedingRejected(Event):
    """A kort geding registered out of time (inadmissible under the vervaltermijn) or
    before the answer it must follow."""

    TYPE = "KortGedingRejected"
    type: Literal["KortGedingRejected"] = "KortGedingRejected"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    refusals: Refusals


class KortGedingTermClosed(Event):
    """Raised by the tick once a party's kort geding term passed."""

    TYPE = "KortGedingTermClosed"
    type: Literal["KortGedingTermClosed"] = "KortGedingTermClosed"
    schema_version: Literal[1] = 1
    objection_id: uuid.UUID | None = None
    closed_at: AwareDatetime
    rule: ShortText
    kort_gedingen_filed: int = Field(ge=0)


class PartyNoted(Event):
    """Contracting's note of a party's case in a region (from assessment's
    AssessmentCaseOpened or AssessmentCaseClosed): who it is, its consortium, and whether
    it is new to the region, which sets its contract's term and obligations."""

    TYPE = "PartyNoted"
    type: Literal["PartyNoted"] = "PartyNoted"
    schema_version: Literal[1] = 1
    source_event_id: uuid.UUID
    provider: Provider
    consortium_members: Annotated[tuple[Provider, ...], Field(max_length=100)] = ()
    new_to_region: bool
    open: bool = Field(description="false once the case was closed before selection")


class SelectionNoted(Event):
    """Contracting's note of a region's published selection: the edition it signs against."""

    TYPE = "SelectionNoted"
    type: Literal["SelectionNoted"] = "SelectionNoted"
    schema_version: Literal[1] = 1
    source_event_id: uuid.UUID = Field(description="the SelectionPublished")
    edition: int = Field(ge=1)
    places: int = Field(ge=1)
    outcomes: Annotated[tuple[PartyOutcome, ...], Field(min_length=1, max_length=200)]


class ProcedureNoted(Event):
    """Contracting's note of an upstream fact a signature waits for: a selection reopened,
    a region's objection windows closed, an objection filed or answered, a kort geding."""

    TYPE = "ProcedureNoted"
    type: Literal["ProcedureNoted"] = "ProcedureNoted"
    schema_version: Literal[1] = 1
    source_event_id: uuid.UUID
    source_type: Literal[
        "SelectionReopened",
        "ObjectionWindowClosed",
        "ObjectionFiled",
        "ObjectionAnswered",
        "KortGedingFiled",
    ]
    selection_event_id: uuid.UUID | None = None
    edition: int | None = Field(default=None, ge=1)
    objection_id: uuid.UUID | None = None
    decision: ObjectionDecision | None = Field(
        default=None, description="of an answer: an upheld one holds signing until a new edition"
    )
    suspends_procedure: bool = False


class ContractSigned(Event):
    """A contract for one party in one region, signed once every condition held. Its terms
    come from the round (period, tariff as printed) and the selection (provisional
    ceiling, conditions of a conditional verdict); a consortium's members are jointly and
    severally liable (domain.md, "Who is who")."""

    TYPE = "ContractSigned"
    type: Literal["ContractSigned"] = "ContractSigned"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    contract_id: uuid.UUID
    uitvoerder_code: ShortText
    provider: Provider
    consortium_members: Annotated[tuple[Provider, ...], Field(max_length=100)] = ()
    jointly_and_severally_liable: bool = Field(description="true for a consortium's members")
    selection_event_id: uuid.UUID = Field(description="the SelectionPublished it rests on")
    edition: int = Field(ge=1)
    new_to_oco: bool
    new_to_region: bool
    starts_on: dt.date
    ends_on: dt.date
    extendable_until: dt.date | None = Field(
        default=None, description="a one-year contract that may be extended up to this date"
    )
    hourly_tariff: Money
    tariff_rule: ShortText
    provisional_budget_ceiling: Money
    conditions: Annotated[tuple[VerdictSummary, ...], Field(max_length=50)] = ()
    obligations: Annotated[tuple[Obligation, ...], Field(max_length=60)] = ()

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on lies before starts_on")
        if self.extendable_until is not None and self.extendable_until < self.ends_on:
            raise ValueError("extendable_until lies before ends_on")
        return self


class ContractExtended(Event):
    """A one-year contract extended within the term the round allows (2018-2020: new
    organisations up to 31 December 2020, 002_ecc96e9cc94e3a31.txt 1.6)."""

    TYPE = "ContractExtended"
    type: Literal["ContractExtended"] = "ContractExtended"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    contract_id: uuid.UUID
    uitvoerder_code: ShortText
    ended_on: dt.date = Field(description="the contract's end before the extension")
    ends_on: dt.date
    extendable_until: dt.date

    @model_validator(mode="after")
    def _within_the_term(self) -> Self:
        if not self.ended_on < self.ends_on <= self.extendable_until:
            raise ValueError("ends_on must lie after ended_on and not after extendable_until")
        return self


class ContractRefused(Event):
    """A signature refused, naming every condition that did not hold."""

    TYPE = "ContractRefused"
    type: Literal["ContractRefused"] = "ContractRefused"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    uitvoerder_code: str | None = Field(default=None, max_length=64)
    refusals: Refusals


class ContractingRefused(Event):
    """Any other act on contracts refused: a ceiling, a reallocation, a report, evidence."""

    TYPE = "ContractingRefused"
    type: Literal["ContractingRefused"] = "ContractingRefused"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    message_type: ShortText
    uitvoerder_code: str | None = Field(default=None, max_length=64)
    refusals: Refusals


class BudgetCeilingSet(Event):
    """A party's definitive yearly ceiling, once the national budget is divided over the
    region; the region's ceilings together never exceed its budget."""

    TYPE = "BudgetCeilingSet"
    type: Literal["BudgetCeilingSet"] = "BudgetCeilingSet"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    uitvoerder_code: ShortText
    contract_id: uuid.UUID
    year: int = Field(ge=2000, le=2100)
    ceiling: Money
    region_budget: Money
    region_total: Money = Field(description="the sum of the region's ceilings for the year")


class BudgetReallocated(Event):
    """Ceilings moved between the parties of a region at a review moment, with the reason."""

    TYPE = "BudgetReallocated"
    type: Literal["BudgetReallocated"] = "BudgetReallocated"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    uitvoerder_code: ShortText
    year: int = Field(ge=2000, le=2100)
    changes: Annotated[tuple[CeilingChange, ...], Field(min_length=1, max_length=50)]
    reason: ShortText
    review_month: int = Field(ge=1, le=12)
    region_budget: Money
    region_total: Money
    rule: ShortText


class ClientSupporterStarted(Event):
    """A new client supporter started with a contracted provider: enrolment in the Register
    is due within the round's term from that start."""

    TYPE = "ClientSupporterStarted"
    type: Literal["ClientSupporterStarted"] = "ClientSupporterStarted"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    contract_id: uuid.UUID
    started_on: dt.date
    obligation: Obligation


class ObligationFulfilled(Event):
    TYPE = "ObligationFulfilled"
    type: Literal["ObligationFulfilled"] = "ObligationFulfilled"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    contract_id: uuid.UUID
    obligation_id: uuid.UUID
    kind: ObligationKind
    evidence: Annotated[tuple[DocumentRef, ...], Field(min_length=1, max_length=20)]
    due_at: AwareDatetime
    late: bool


class ObligationOverdue(Event):
    """Raised once by the tick when an obligation's due date passed without evidence."""

    TYPE = "ObligationOverdue"
    type: Literal["ObligationOverdue"] = "ObligationOverdue"
    schema_version: Literal[1] = 1
    contract_id: uuid.UUID
    obligation_id: uuid.UUID
    kind: ObligationKind
    what: ShortText
    due_at: AwareDatetime
    rule: ShortText


class ProductionReported(Event):
    """A month's hours per service; paid at the tariff up to what the ceiling leaves."""

    TYPE = "ProductionReported"
    type: Literal["ProductionReported"] = "ProductionReported"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    contract_id: uuid.UUID
    year: int = Field(ge=2000, le=2100)
    month: int = Field(ge=1, le=12)
    hours: Annotated[tuple[ServiceHours, ...], Field(min_length=1, max_length=20)]
    total_hours: Hours
    hourly_tariff: Money
    amount: Money = Field(description="total hours at the tariff")
    paid: Money = Field(description="what the ceiling still allowed of the amount")
    paid_this_year: Money
    ceiling: Money
    ceiling_kind: Literal["provisional", "definitive"]
    projected_year_amount: Money = Field(description="the year's amount at this pace")


class BudgetOverrunThreatened(Event):
    """The year's projection passed the ceiling: the start of the escalation procedure
    (tailored agreements, reallocation, consultation with VWS)."""

    TYPE = "BudgetOverrunThreatened"
    type: Literal["BudgetOverrunThreatened"] = "BudgetOverrunThreatened"
    schema_version: Literal[1] = 1
    contract_id: uuid.UUID
    year: int = Field(ge=2000, le=2100)
    month: int = Field(ge=1, le=12)
    projected_year_amount: Money
    ceiling: Money
    rule: ShortText


class SignalReportRecorded(Event):
    TYPE = "SignalReportRecorded"
    type: Literal["SignalReportRecorded"] = "SignalReportRecorded"
    schema_version: Literal[1] = 1
    message_id: uuid.UUID
    contract_id: uuid.UUID
    year: int = Field(ge=2000, le=2100)
    quarter: int = Field(ge=1, le=4)
    report: DocumentRef
    due_at: AwareDatetime
    late: bool


class SignalReportOverdue(Event):
    """Raised once by the tick when a quarter's signal report is missing at its due date."""

    TYPE = "SignalReportOverdue"
    type: Literal["SignalReportOverdue"] = "SignalReportOverdue"
    schema_version: Literal[1] = 1
    contract_id: uuid.UUID
    year: int = Field(ge=2000, le=2100)
    quarter: int = Field(ge=1, le=4)
    due_at: AwareDatetime
    rule: ShortText


class ChainCheckpointed(Event):
    """The head of a service's hash chain, recorded in its own log (and so published):
    an auditor holding this record sees any later rewrite of the log before it. Its
    round, times and rehearsal are those of the event at the head; nothing reads a clock."""

    TYPE = "ChainCheckpointed"
    type: Literal["ChainCheckpointed"] = "ChainCheckpointed"
    schema_version: Literal[1] = 1
    service: ShortText
    position: int = Field(ge=1, description="chain position of the head (1 = the first event)")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="the head's link, in hex")
    head_event_id: uuid.UUID


EVENTS: tuple[type[Event], ...] = (
    RoundOpened,
    InscriptionReceived,
    InscriptionRejected,
    InscriptionWithdrawn,
    QuestionReceived,
    QuestionRejected,
    NotaVanInlichtingenPublished,
    AssessmentCaseOpened,
    AssessmentCaseClosed,
    RegionPlacesSet,
    VerdictsRecorded,
    SuitabilityAssessed,
    CriteriaScored,
    DocumentsRequested,
    DocumentsSupplied,
    LotRequired,
    LotDrawn,
    SelectionPublished,
    SelectionReopened,
    AssessmentRefused,
    ObjectionWindowOpened,
    ObjectionFiled,
    ObjectionRejected,
    ObjectionAnswered,
    ObjectionAnswerRejected,
    ObjectionAnswerOverdue,
    ObjectionWindowClosed,
    KortGedingFiled,
    KortGedingRejected,
    KortGedingTermClosed,
    PartyNoted,
    SelectionNoted,
    ProcedureNoted,
    ContractSigned,
    ContractExtended,
    ContractRefused,
    ContractingRefused,
    BudgetCeilingSet,
    BudgetReallocated,
    ClientSupporterStarted,
    ObligationFulfilled,
    ObligationOverdue,
    ProductionReported,
    BudgetOverrunThreatened,
    SignalReportRecorded,
    SignalReportOverdue,
    ChainCheckpointed,
)
