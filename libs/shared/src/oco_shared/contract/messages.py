"""The messages upstream portals publish: submissions by providers, decisions by zorgkantoren.

A portal publishes JSON on `oco.portal.<kind>`; the broker's receipt time, not
`sent_at`, decides every deadline.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import Field

from oco_shared.contract.base import LongText, Message, Money, ProviderId, RegionCode, ShortText
from oco_shared.contract.parts import (
    Answer,
    DocumentRef,
    ObjectionDecision,
    Provider,
    RegionApplication,
    RequirementResult,
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


class AssessSuitability(Message):
    """A zorgkantoor's judgement of one inscription against the round's requirements."""

    TYPE = "AssessSuitability"
    type: Literal["AssessSuitability"] = "AssessSuitability"
    schema_version: Literal[1] = 1
    inscription_id: uuid.UUID
    region_code: RegionCode
    results: Annotated[tuple[RequirementResult, ...], Field(min_length=1, max_length=50)]


class SubmitObjection(Message):
    TYPE = "SubmitObjection"
    type: Literal["SubmitObjection"] = "SubmitObjection"
    schema_version: Literal[1] = 1
    provider_id: ProviderId
    region_code: RegionCode
    channel: ShortText
    grounds: LongText
    evidence: Annotated[tuple[DocumentRef, ...], Field(max_length=100)] = ()


class AnswerObjection(Message):
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
    case_number: ShortText
    filed_on: dt.date


class SignContract(Message):
    TYPE = "SignContract"
    type: Literal["SignContract"] = "SignContract"
    schema_version: Literal[1] = 1
    provider_id: ProviderId
    region_code: RegionCode
    budget_ceiling: Money


MESSAGES: tuple[type[Message], ...] = (
    SubmitInscription,
    WithdrawInscription,
    SubmitQuestion,
    PublishNotaVanInlichtingen,
    AssessSuitability,
    SubmitObjection,
    AnswerObjection,
    ReportKortGeding,
    SignContract,
)
