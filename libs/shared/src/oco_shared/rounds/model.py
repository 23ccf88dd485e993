"""A procurement round as validated data.

Every round of the policy documents in `shared/seeds/` is one YAML file in `data/`.
Each value carries the seed file and section it was read from, so that an auditor can
trace any decision to the sentence of policy behind it. A new round is a new file,
not new code.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

SEED_FILE = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Data):
    """Where in the policy documents a value was read."""

    file: Annotated[str, Field(description="seed file name, e.g. 000_d8e1bdfab127271e.txt")]
    section: Annotated[str, Field(min_length=1, description="section, table or paragraph")]

    @field_validator("file")
    @classmethod
    def _seed_file_name(cls, value: str) -> str:
        if not SEED_FILE.match(value):
            raise ValueError(f"{value!r} is not a seed file name like 000_d8e1bdfab127271e.txt")
        return value

    def cite(self) -> str:
        return f"{self.file} {self.section}"


class _Sourced(_Data):
    source: Source


class MilestoneCode(StrEnum):
    """The timetable milestones a round may publish (domain.md, 'The procurement round')."""

    PUBLICATION = "publication"
    QUESTIONS_DEADLINE = "questions_deadline"
    NOTA_VAN_INLICHTINGEN = "nota_van_inlichtingen"
    INSCRIPTION_CLOSES = "inscription_closes"
    ASSESSMENT_STARTS = "assessment_starts"
    OUTCOME_PUBLISHED = "outcome_published"
    OBJECTION_DEADLINE = "objection_deadline"
    OBJECTION_ANSWER_DEADLINE = "objection_answer_deadline"
    CONTRACTS_SIGNED = "contracts_signed"
    CONTRACT_STARTS = "contract_starts"
    CONTRACT_ENDS = "contract_ends"


class Milestone(_Sourced):
    """One line of a round's timetable, in Europe/Amsterdam wall-clock time.

    Without `time` the milestone is a whole day: as a deadline it lasts until the end
    of that day. With `precision: month` only the month is known ("October 2026").
    """

    title: str
    date: dt.date
    time: dt.time | None = None
    precision: Literal["day", "month"] = "day"

    def starts_at(self) -> dt.datetime:
        """The first instant of the milestone."""
        return dt.datetime.combine(self.date, self.time or dt.time(0), tzinfo=AMSTERDAM)


class Trigger(StrEnum):
    """What a deadline rule counts from: a recorded event or a milestone of the round."""

    OUTCOME_PUBLISHED = "outcome_published"
    OBJECTION_ANSWERED = "objection_answered"
    CONTRACT_STARTS = "contract_starts"
    CIRCUMSTANCE_KNOWN = "circumstance_known"
    # Each new client supporter's own start (Register enrolment, 000_… 4.1 eis 7).
    CLIENT_SUPPORTER_STARTS = "client_supporter_starts"


class Period(_Data):
    """A term in calendar units; exactly one unit is given."""

    days: int | None = Field(default=None, ge=0)
    weeks: int | None = Field(default=None, ge=0)
    months: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _exactly_one_unit(self) -> Self:
        given = [unit for unit in ("days", "weeks", "months") if getattr(self, unit) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of days, weeks or months, not {given or 'none'}")
        return self

    def describe(self) -> str:
        for unit in ("days", "weeks", "months"):
            count = getattr(self, unit)
            if count is not None:
                return f"{count} calendar {unit}"
        raise AssertionError("validated to hold one unit")


class DeadlineCode(StrEnum):
    INSCRIPTION = "inscription"
    QUESTIONS = "questions"
    NOTA_VAN_INLICHTINGEN = "nota_van_inlichtingen"
    OBJECTION = "objection"
    OBJECTION_ANSWER = "objection_answer"
    KORT_GEDING = "kort_geding"
    STANDSTILL = "standstill"
    OTHER_DISPUTES = "other_disputes"
    BCMB_MEMBERSHIP = "bcmb_membership"
    REGISTER_ENROLMENT = "register_enrolment"
    REGIONAL_KNOWLEDGE = "regional_knowledge"


class DeadlineRule(_Sourced):
    """How one deadline of the round is computed.

    Either the deadline is a fixed milestone of the timetable (`milestone`), or it counts
    a `period` from a `counts_from` trigger and ends at the end of that day or at a fixed
    time (`ends`). Where a document gives both a rule and a published date (2018-2020
    objection, domain.md), `not_before` names the published milestone and the later of
    the two applies. `roll_forward` applies the Algemene termijnenwet; the contractual
    terms of these rounds do not, but the engine supports it.
    """

    title: str
    milestone: MilestoneCode | None = None
    opens_at: MilestoneCode | None = None
    counts_from: Trigger | None = None
    period: Period | None = None
    ends: Literal["end_of_day"] | dt.time = "end_of_day"
    not_before: MilestoneCode | None = None
    roll_forward: bool = False
    lapses: bool = Field(
        default=True,
        description="a vervaltermijn: an act after the deadline is out of time, not late",
    )

    @model_validator(mode="after")
    def _fixed_or_counted(self) -> Self:
        counted = self.counts_from is not None or self.period is not None
        if self.milestone is not None and counted:
            raise ValueError("a rule is either a fixed milestone or counts_from + period, not both")
        if self.milestone is None and (self.counts_from is None or self.period is None):
            raise ValueError("a counted rule needs both counts_from and period")
        return self


class Tariff(_Sourced):
    amount: Decimal = Field(gt=0, decimal_places=2)
    currency: Literal["EUR"] = "EUR"
    per: Literal["hour"] = "hour"
    note: str | None = None


class Count(_Sourced):
    value: int = Field(ge=1)


REQUIREMENT_CODE = r"^[A-Z]{1,3}\d{2}$"


class Requirement(_Sourced):
    code: Annotated[str, Field(pattern=REQUIREMENT_CODE)]
    title: str


class SubCriterion(_Data):
    code: Annotated[str, Field(pattern=r"^[a-z]$")]
    title: str


class SelectionCriterion(_Sourced):
    rank: int = Field(ge=1, description="order of importance, 1 weighs most")
    code: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    title: str
    sub_criteria: tuple[SubCriterion, ...] = ()


class TieBreak(_Sourced):
    method: Literal["lot_before_notary", "not_stated"]
    description: str


class ExistingOrganisations(_Sourced):
    """How organisations already contracted for a region (inscribed with
    `new_to_region: false`) take part in its selection.

    `compete`: like every other party; `keep_place`: a suitable one keeps its place and
    only new organisations compete for the rest (2018-2020); `not_admitted`: the round is
    open to new organisations only (2023).
    """

    rule: Literal["compete", "keep_place", "not_admitted"]
    description: str


class RequiredDocument(_Sourced):
    kind: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    title: str
    max_age_months: int | None = Field(default=None, ge=1)
    only_for: Literal["consortium", "new_to_region"] | None = None
    searchable: bool = Field(default=True, description="must be digital, searchable text")
    motivates: tuple[str, ...] = Field(
        default=(), description="requirement codes this document substantiates"
    )


class Region(_Data):
    code: Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    name: str


class Uitvoerder(_Sourced):
    code: Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    name: str
    email: str | None = None
    regions: tuple[Region, ...] = Field(min_length=1)


class ContractTerm(_Sourced):
    starts: dt.date
    ends: dt.date
    new_provider_ends: dt.date | None = None
    extendable: bool = False
    note: str | None = None


class Service(_Sourced):
    number: int = Field(ge=1)
    title: str


class BudgetReview(_Sourced):
    """The months in which the zorgkantoren review each year whether budget must be moved
    (reallocated) between providers and regions."""

    review_months: tuple[int, ...] = Field(min_length=1)

    @field_validator("review_months")
    @classmethod
    def _months(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 1 <= month <= 12 for month in value):
            raise ValueError(f"review_months must be months 1..12, got {list(value)}")
        return value


class SignalReports(_Sourced):
    """A signal report per quarter of the contract, overdue `due_after_quarter` after the
    quarter ended (Q1's report with one month: from 1 May 00:00)."""

    due_after_quarter: Period


# Milestones that must follow each other in this order when both are present:
# a timetable that runs backwards is a typo in the data, not a policy.
TIMETABLE_ORDER: tuple[MilestoneCode, ...] = (
    MilestoneCode.PUBLICATION,
    MilestoneCode.QUESTIONS_DEADLINE,
    MilestoneCode.NOTA_VAN_INLICHTINGEN,
    MilestoneCode.INSCRIPTION_CLOSES,
    MilestoneCode.ASSESSMENT_STARTS,
    MilestoneCode.OUTCOME_PUBLISHED,
    MilestoneCode.OBJECTION_DEADLINE,
    MilestoneCode.OBJECTION_ANSWER_DEADLINE,
    MilestoneCode.CONTRACT_STARTS,
    MilestoneCode.CONTRACT_ENDS,
)

REQUIRED_MILESTONES = frozenset(
    {
        MilestoneCode.PUBLICATION,
        MilestoneCode.INSCRIPTION_CLOSES,
        MilestoneCode.OUTCOME_PUBLISHED,
        MilestoneCode.OBJECTION_DEADLINE,
        MilestoneCode.OBJECTION_ANSWER_DEADLINE,
        MilestoneCode.CONTRACT_STARTS,
        MilestoneCode.CONTRACT_ENDS,
    }
)

REQUIRED_DEADLINES = frozenset(
    {
        DeadlineCode.INSCRIPTION,
        DeadlineCode.OBJECTION,
        DeadlineCode.OBJECTION_ANSWER,
        DeadlineCode.KORT_GEDING,
    }
)


class Round(_Data):
    """One procurement round: its timetable, rules, money, requirements and regions."""

    id: Annotated[str, Field(pattern=r"^\d{4}(-\d{4})?$")]
    title: str
    rule_set_version: Annotated[str, Field(min_length=1)]
    source: Source
    extends: str | None = None
    milestones: dict[MilestoneCode, Milestone]
    deadlines: dict[DeadlineCode, DeadlineRule]
    tariff: Tariff
    max_providers_per_region: Count
    requirements: tuple[Requirement, ...] = Field(min_length=1)
    selection_criteria: tuple[SelectionCriterion, ...] = Field(min_length=1)
    tie_break: TieBreak
    existing_organisations: ExistingOrganisations | None = Field(
        default=None, description="absent: existing organisations compete like new ones"
    )
    required_documents: tuple[RequiredDocument, ...] = Field(min_length=1)
    uitvoerders: tuple[Uitvoerder, ...] = Field(min_length=1)
    contract: ContractTerm
    services: tuple[Service, ...] = ()
    budget_review: BudgetReview | None = None
    signal_reports: SignalReports | None = None
    no_suspensive_effect: bool = Field(
        default=False, description="a kort geding does not suspend the procedure"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        self._check_timetable()
        self._check_deadlines()
        self._check_codes_unique()
        self._check_regions()
        self._check_references()
        if self.contract.ends < self.contract.starts:
            raise ValueError(
                f"contract.ends {self.contract.ends} lies before contract.starts "
                f"{self.contract.starts}"
            )
        return self

    def _check_timetable(self) -> None:
        missing = REQUIRED_MILESTONES - self.milestones.keys()
        if missing:
            raise ValueError(f"milestones: missing {sorted(missing)}")
        present = [code for code in TIMETABLE_ORDER if code in self.milestones]
        for earlier, later in pairwise(present):
            if self.milestones[later].starts_at() < self.milestones[earlier].starts_at():
                raise ValueError(
                    f"milestones.{later.value} ({self.milestones[later].date}) lies before "
                    f"milestones.{earlier.value} ({self.milestones[earlier].date})"
                )

    def _check_deadlines(self) -> None:
        missing = REQUIRED_DEADLINES - self.deadlines.keys()
        if missing:
            raise ValueError(f"deadlines: missing {sorted(missing)}")
        for code, rule in self.deadlines.items():
            for field in ("milestone", "opens_at", "not_before"):
                referenced = getattr(rule, field)
                if referenced is not None and referenced not in self.milestones:
                    raise ValueError(
                        f"deadlines.{code.value}.{field}: milestone {referenced.value!r} "
                        "is not in this round's timetable"
                    )
            if rule.milestone is not None and rule.opens_at is not None:
                opens = self.milestones[rule.opens_at].starts_at()
                closes = self.milestones[rule.milestone].starts_at()
                if closes < opens:
                    raise ValueError(
                        f"deadlines.{code.value}: the deadline {rule.milestone.value} lies "
                        f"before its start {rule.opens_at.value}"
                    )

    def _check_codes_unique(self) -> None:
        for field, codes in (
            ("requirements", [r.code for r in self.requirements]),
            ("selection_criteria", [c.code for c in self.selection_criteria]),
            ("required_documents", [d.kind for d in self.required_documents]),
            ("uitvoerders", [u.code for u in self.uitvoerders]),
        ):
            doubles = sorted({code for code in codes if codes.count(code) > 1})
            if doubles:
                raise ValueError(f"{field}: codes appear more than once: {doubles}")
        ranks = sorted(c.rank for c in self.selection_criteria)
        if ranks != list(range(1, len(ranks) + 1)):
            raise ValueError(f"selection_criteria: ranks must be 1..n without gaps, got {ranks}")

    def _check_regions(self) -> None:
        owner: dict[str, str] = {}
        for uitvoerder in self.uitvoerders:
            for region in uitvoerder.regions:
                if region.code in owner:
                    raise ValueError(
                        f"uitvoerders.{uitvoerder.code}.regions: region {region.code!r} is "
                        f"already served by uitvoerder {owner[region.code]!r}"
                    )
                owner[region.code] = uitvoerder.code

    def _check_references(self) -> None:
        known = {r.code for r in self.requirements}
        for document in self.required_documents:
            unknown = sorted(set(document.motivates) - known)
            if unknown:
                raise ValueError(
                    f"required_documents.{document.kind}.motivates: unknown requirement "
                    f"codes {unknown}"
                )

    # Queries the services decide with.

    def uitvoerder_of(self, region_code: str) -> Uitvoerder | None:
        for uitvoerder in self.uitvoerders:
            if any(region.code == region_code for region in uitvoerder.regions):
                return uitvoerder
        return None

    def uitvoerder(self, code: str) -> Uitvoerder | None:
        return next((u for u in self.uitvoerders if u.code == code), None)
