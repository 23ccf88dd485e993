"""The messages upstream portals publish: submissions by providers, decisions by zorgkantoren.

A portal publishes JSON on `oco.portal.<kind>`; the broker's receipt time, not
`sent_at`, decides every deadline.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Annotated, ClassVar, Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from oco_shared.contract.base import (
    Contract,
    LongText,
    Message,
    Money,
    ProviderId,
    RegionCode,
    RoundId,
    ShortText,
)
from oco_shared.contract.parts import (
    Answer,
    Ceiling,
    CriterionScore,
    DocumentRef,
    ObjectionDecision,
    Provider,
    RegionApplication,
    RequestedDocument,
    RequirementVerdict,
    ServiceHours,
    Sha256,
)


class SubmitInscription(Message):
    """An inscription for the regions of one Wlz-uitvoerder (000_d8e1bdfab127271e.txt 6)."""

    TYPE = "SubmitInscription"
    type: Literal["SubmitInscription"] = "SubmitInscription"
    schema_version: Literal[1] = 1
    uitvoerder_code: Annotated[str, Field(min_length=1, max_length=64)]
    provider: Provider
    regions: Annotated[tuple[RegionApplication, ...], Field(min_length=1, max_length=31)]
    consortium_members: Annotated[tuple[Provider, ...], Field(max_length=100)] = ()
    subcontractor_intent: bool
    documents: Annotated[tuple[DocumentRef, ...], Field(max_length=200)]


class WithdrawInscription(Message):
    TYPE = "WithdrawInscription"
    type: Literal["WithdrawInscription"] = "WithdrawInscription"
    schema_version: Literal[1] = 1
    uitvoerder_code: Annotated[str, Field(min_length=1, max_length=64)]
    provider_id: ProviderId


class SubmitQuestion(Message):
    TYPE = "SubmitQuestion"
    type: Literal["SubmitQuestion"] = "SubmitQuestion"
    schema_version: Literal[1] = 1
    question_id: Annotated[str, Field(min_length=1, max_length=100)]
    text: LongText


class PublishNotaVanInlichtingen(Message):
    TYPE = "PublishNotaVanInlichtingen"
    type: Literal["PublishNotaVanInlichtingen"] = "PublishNotaVanInlichtingen"
    schema_version: Literal[1] = 1
    answers: Annotated[tuple[Answer, ...], Field(min_length=1, max_length=2000)]


class SetRegionPlaces(Message):
    """A zorgkantoor fixes the number of places in one of its regions, before the first
    verdict there: "maximaal vier", per region "op basis van regionale ontwikkelingen"
    (000_d8e1bdfab127271e.txt 6, tabel punt 2)."""

    TYPE = "SetRegionPlaces"
    type: Literal["SetRegionPlaces"] = "SetRegionPlaces"
    schema_version: Literal[1] = 1
    region_code: RegionCode
    places: int = Field(ge=1, le=50)
    motivation: ShortText


class AssessSuitability(Message):
    """Assessors' verdicts on requirements of the round for one provider in one region; a
    later verdict on the same requirement replaces the earlier one."""

    TYPE = "AssessSuitability"
    type: Literal["AssessSuitability"] = "AssessSuitability"
    schema_version: Literal[1] = 1
    provider_id: ProviderId
    region_code: RegionCode
    verdicts: Annotated[tuple[RequirementVerdict, ...], Field(min_length=1, max_length=50)]


class ScoreCriteria(Message):
    """Assessors' scores on the round's selection criteria for one provider in one region."""

    TYPE = "ScoreCriteria"
    type: Literal["ScoreCriteria"] = "ScoreCriteria"
    schema_version: Literal[1] = 1
    provider_id: ProviderId
    region_code: RegionCode
    scores: Annotated[tuple[CriterionScore, ...], Field(min_length=1, max_length=20)]


class RequestDocuments(Message):
    """On reasonable doubt ("bij gerede twijfel") the zorgkantoor asks a provider for
    (more) documents after the close, with a deadline of its own."""

    TYPE = "RequestDocuments"
    type: Literal["RequestDocuments"] = "RequestDocuments"
    schema_version: Literal[1] = 1
    request_id: uuid.UUID
    provider_id: ProviderId
    region_code: RegionCode
    documents: Annotated[tuple[RequestedDocument, ...], Field(min_length=1, max_length=20)]
    reason: ShortText
    answer_by: AwareDatetime


class SupplyDocuments(Message):
    """A provider's answer to a document request, through its portal."""

    TYPE = "SupplyDocuments"
    type: Literal["SupplyDocuments"] = "SupplyDocuments"
    schema_version: Literal[1] = 1
    request_id: uuid.UUID
    provider_id: ProviderId
    region_code: RegionCode
    documents: Annotated[tuple[DocumentRef, ...], Field(min_length=1, max_length=50)]


class RecordLotDrawn(Message):
    """The lot a notary drew for the parties tied on the last places of a region."""

    TYPE = "RecordLotDrawn"
    type: Literal["RecordLotDrawn"] = "RecordLotDrawn"
    schema_version: Literal[1] = 1
    region_code: RegionCode
    drawn_order: Annotated[tuple[ProviderId, ...], Field(min_length=2, max_length=100)]
    notary: ShortText
    report_sha256: Sha256


class PublishSelection(Message):
    """The zorgkantoor publishes the selection of a region; selected parties receive the
    provisional budget ceiling (000_d8e1bdfab127271e.txt 6, "U ontvangt via e-mail bericht")."""

    TYPE = "PublishSelection"
    type: Literal["PublishSelection"] = "PublishSelection"
    schema_version: Literal[1] = 1
    region_code: RegionCode
    provisional_budget_ceiling: Money


class SubmitObjection(Message):
    """A party's objection to its outcome in a region, sent on the channel the outcome
    named; evidence travels by reference and hash."""

    TYPE = "SubmitObjection"
    type: Literal["SubmitObjection"] = "SubmitObjection"
    schema_version: Literal[1] = 1
    provider_id: ProviderId
    region_code: RegionCode
    channel: ShortText
    grounds: LongText
    evidence: Annotated[tuple[DocumentRef, ...], Field(max_length=100)] = ()


class AnswerObjection(Message):
    """The zorgkantoor's answer to one objection, with its motivation."""

    TYPE = "AnswerObjection"
    type: Literal["AnswerObjection"] = "AnswerObjection"
    schema_version: Literal[1] = 1
    objection_id: uuid.UUID
    decision: ObjectionDecision
    answer: LongText


class ReportKortGeding(Message):
    """Notice that a provider started summary proceedings; `sent_at` is not the filing time."""

    TYPE = "ReportKortGeding"
    type: Literal["ReportKortGeding"] = "ReportKortGeding"
    schema_version: Literal[1] = 1
    provider_id: ProviderId
    region_code: RegionCode
    objection_id: uuid.UUID | None = None
    court: ShortText = Field(description="the court the summons names")
    case_number: ShortText
    summoned_on: dt.date = Field(description="date of the summons (dagvaarding)")


class SignContract(Message):
    """The zorgkantoor signs a contract with a selected party of one of its regions. The
    ceiling comes from the selection, the terms from the round; `new_to_oco` is the
    zorgkantoor's statement (it knows whom it contracted before), checked against the
    inscription's `new_to_region`."""

    TYPE = "SignContract"
    type: Literal["SignContract"] = "SignContract"
    schema_version: Literal[1] = 1
    provider_id: ProviderId
    region_code: RegionCode
    new_to_oco: bool


class ExtendContract(Message):
    """The zorgkantoor extends a contract that the round lets it extend, to `until`."""

    TYPE = "ExtendContract"
    type: Literal["ExtendContract"] = "ExtendContract"
    schema_version: Literal[1] = 1
    provider_id: ProviderId
    region_code: RegionCode
    until: dt.date


class SetBudgetCeilings(Message):
    """Definitive yearly ceilings for contracted parties of a region, once the national
    budget is divided over the regions."""

    TYPE = "SetBudgetCeilings"
    type: Literal["SetBudgetCeilings"] = "SetBudgetCeilings"
    schema_version: Literal[1] = 1
    region_code: RegionCode
    year: int = Field(ge=2000, le=2100)
    region_budget: Money
    ceilings: Annotated[tuple[Ceiling, ...], Field(min_length=1, max_length=50)]

    @model_validator(mode="after")
    def _each_party_once(self) -> Self:
        _once((ceiling.provider_id for ceiling in self.ceilings), "ceilings", "provider_id")
        return self


class ReallocateBudget(Message):
    """New ceilings for some parties of a region at a review moment, with the reason."""

    TYPE = "ReallocateBudget"
    type: Literal["ReallocateBudget"] = "ReallocateBudget"
    schema_version: Literal[1] = 1
    region_code: RegionCode
    year: int = Field(ge=2000, le=2100)
    ceilings: Annotated[tuple[Ceiling, ...], Field(min_length=1, max_length=50)]
    reason: ShortText
    review_month: int = Field(ge=1, le=12)

    @model_validator(mode="after")
    def _each_party_once(self) -> Self:
        _once((ceiling.provider_id for ceiling in self.ceilings), "ceilings", "provider_id")
        return self


class ReportClientSupporterStart(Message):
    """A contracted provider reports a new client supporter: the Register term runs from
    `started_on`. The person is named by the provider's own reference, never by name."""

    TYPE = "ReportClientSupporterStart"
    type: Literal["ReportClientSupporterStart"] = "ReportClientSupporterStart"
    schema_version: Literal[1] = 1
    provider_id: ProviderId
    region_code: RegionCode
    client_supporter: ShortText
    started_on: dt.date


class SubmitObligationEvidence(Message):
    """A provider's evidence that it met one obligation of its contract."""

    TYPE = "SubmitObligationEvidence"
    type: Literal["SubmitObligationEvidence"] = "SubmitObligationEvidence"
    schema_version: Literal[1] = 1
    provider_id: ProviderId
    region_code: RegionCode
    obligation_id: uuid.UUID
    evidence: Annotated[tuple[DocumentRef, ...], Field(min_length=1, max_length=20)]


class RecordObligationEvidence(Message):
    """The zorgkantoor records evidence of one obligation that reached it otherwise (the
    BCMB's or the Register's own confirmation)."""

    TYPE = "RecordObligationEvidence"
    type: Literal["RecordObligationEvidence"] = "RecordObligationEvidence"
    schema_version: Literal[1] = 1
    provider_id: ProviderId
    region_code: RegionCode
    obligation_id: uuid.UUID
    evidence: Annotated[tuple[DocumentRef, ...], Field(min_length=1, max_length=20)]


class ReportProduction(Message):
    """A month's production: hours per service of the round (the productieformulier). A
    month reported again corrects the earlier report."""

    TYPE = "ReportProduction"
    type: Literal["ReportProduction"] = "ReportProduction"
    schema_version: Literal[1] = 1
    provider_id: ProviderId
    region_code: RegionCode
    year: int = Field(ge=2000, le=2100)
    month: int = Field(ge=1, le=12)
    hours: Annotated[tuple[ServiceHours, ...], Field(min_length=1, max_length=20)]

    @model_validator(mode="after")
    def _each_service_once(self) -> Self:
        _once((entry.service for entry in self.hours), "hours", "service")
        return self


class SubmitSignalReport(Message):
    """A quarter's signal report (2022, 2027), by reference and hash."""

    TYPE = "SubmitSignalReport"
    type: Literal["SubmitSignalReport"] = "SubmitSignalReport"
    schema_version: Literal[1] = 1
    provider_id: ProviderId
    region_code: RegionCode
    year: int = Field(ge=2000, le=2100)
    quarter: int = Field(ge=1, le=4)
    report: DocumentRef


def _once(values: Iterable[object], field: str, key: str) -> None:
    seen: set[object] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{field}: {key} {value} appears more than once")
        seen.add(value)


MESSAGES: tuple[type[Message], ...] = (
    SubmitInscription,
    WithdrawInscription,
    SubmitQuestion,
    PublishNotaVanInlichtingen,
    SetRegionPlaces,
    AssessSuitability,
    ScoreCriteria,
    RequestDocuments,
    SupplyDocuments,
    RecordLotDrawn,
    PublishSelection,
    SubmitObjection,
    AnswerObjection,
    ReportKortGeding,
    SignContract,
    ExtendContract,
    SetBudgetCeilings,
    ReallocateBudget,
    ReportClientSupporterStart,
    SubmitObligationEvidence,
    RecordObligationEvidence,
    ReportProduction,
    SubmitSignalReport,
)


MAX_RATE = 10_000_000.0


class ProcedureClockSet(Contract):
    """A definition of procedure time, from the broker time at which it is recorded.

    Without `rehearsal_id` it is the real procedure (the identity); with one, a rehearsal:
    procedure time = `start` + (broker time - epoch) x `rate`.
    """

    TYPE: ClassVar[str] = "ProcedureClockSet"
    type: Literal["ProcedureClockSet"] = "ProcedureClockSet"
    schema_version: Literal[1] = 1
    rehearsal_id: uuid.UUID | None = None
    round_id: RoundId | None = None
    start: AwareDatetime | None = Field(
        default=None, description="the procedure time at the definition's own broker time"
    )
    rate: float = Field(default=1.0, gt=0, le=MAX_RATE, description="procedure s per broker s")
    note: ShortText | None = None

    @model_validator(mode="after")
    def _a_rehearsal_has_a_start(self) -> Self:
        if (self.rehearsal_id is None) != (self.start is None):
            raise ValueError("a rehearsal needs both rehearsal_id and start; production neither")
        if self.rehearsal_id is None and (self.rate != 1.0 or self.round_id is not None):
            raise ValueError("the real procedure runs at rate 1 on no particular round")
        return self

    @property
    def is_rehearsal(self) -> bool:
        return self.rehearsal_id is not None
