"""The round as an Open Contracting (OCDS 1.1) release package, validated offline.

Pure: built from the round's data and the typed events of its log. One contracting process
per round; one release per milestone of the timetable that the log reached, each holding
everything known up to it (tender with its periods; the awards, one per region and party;
the complaints; the contracts). Objections and kort gedingen, the tender's standstill period
and each award's objection window follow this project's extension (`schema/oco-complaints`,
described in docs/ocds-complaints-extension.md).

Periods end at the last second in time (OCDS `endDate` is inclusive); the log's deadlines
are the first instant out of time, one second later. Times are Europe/Amsterdam.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from oco_shared.contract.base import Event
from oco_shared.contract.events import (
    ContractSigned,
    InscriptionReceived,
    KortGedingFiled,
    KortGedingRejected,
    NotaVanInlichtingenPublished,
    ObjectionAnswered,
    ObjectionAnswerOverdue,
    ObjectionFiled,
    ObjectionRejected,
    QuestionReceived,
    SelectionPublished,
)
from oco_shared.contract.parts import Outcome, Refusal
from oco_shared.deadlines import ONE_SECOND, deadline_for, milestone_closing
from oco_shared.rounds import AMSTERDAM, DeadlineCode, MilestoneCode, Round

OCDS_VERSION = "1.1"
# An ocid prefix is registered with the Open Contracting Partnership; this one is not,
# and a publisher replaces it (`--ocid-prefix`).
DEFAULT_OCID_PREFIX = "ocds-oco000"
# Where a publisher hosts the extension's extension.json (`--extension-url`).
DEFAULT_EXTENSION_URL = "https://example.org/oco/ocds/oco-complaints/extension.json"
PUBLISHER = "OCO procurement audit (oco audit export)"

_RELEASE_SCHEMA_ID = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"


@dataclass(frozen=True)
class Stage:
    """A milestone of the timetable and the events that belong to it."""

    milestone: MilestoneCode
    tag: str
    types: frozenset[str]


STAGES: tuple[Stage, ...] = (
    Stage(MilestoneCode.PUBLICATION, "tender", frozenset({"RoundOpened"})),
    Stage(
        MilestoneCode.NOTA_VAN_INLICHTINGEN,
        "tenderUpdate",
        frozenset({"QuestionReceived", "QuestionRejected", "NotaVanInlichtingenPublished"}),
    ),
    Stage(
        MilestoneCode.INSCRIPTION_CLOSES,
        "tenderUpdate",
        frozenset({"InscriptionReceived", "InscriptionRejected", "InscriptionWithdrawn"}),
    ),
    Stage(MilestoneCode.OUTCOME_PUBLISHED, "award", frozenset({"SelectionPublished"})),
    Stage(
        MilestoneCode.OBJECTION_DEADLINE,
        "awardUpdate",
        frozenset({"ObjectionFiled", "ObjectionRejected"}),
    ),
    Stage(
        MilestoneCode.OBJECTION_ANSWER_DEADLINE,
        "awardUpdate",
        frozenset(
            {"ObjectionAnswered", "ObjectionAnswerOverdue", "KortGedingFiled", "KortGedingRejected"}
        ),
    ),
    Stage(MilestoneCode.CONTRACTS_SIGNED, "contract", frozenset({"ContractSigned"})),
)


def _when(instant: datetime) -> str:
    return instant.astimezone(AMSTERDAM).isoformat()


def _last_second(closes_at: datetime) -> str:
    """OCDS periods end at their last instant; the log keeps the first one out of time."""
    return _when(closes_at.astimezone(UTC) - ONE_SECOND)


def _value(amount: Decimal) -> dict[str, Any]:
    return {"amount": float(amount), "currency": "EUR"}


def provider_party_id(kvk: str) -> str:
    return f"NL-KVK-{kvk}"


def award_id(region: str, provider: str) -> str:
    return f"{region}-{provider}"


@dataclass
class _Procedure:
    """What the log says so far, folded event by event."""

    round: Round
    names: dict[str, str] = field(default_factory=dict)  # provider KvK -> name
    tenderers: dict[str, None] = field(default_factory=dict)  # in order of inscription
    questions: int = 0
    notas: list[dict[str, Any]] = field(default_factory=list)
    selections: dict[str, SelectionPublished] = field(default_factory=dict)  # latest per region
    complaints: dict[str, dict[str, Any]] = field(default_factory=dict)
    courts: dict[str, str] = field(default_factory=dict)  # party id -> court name
    contracts: list[dict[str, Any]] = field(default_factory=list)
    referenced: dict[str, None] = field(default_factory=dict)  # every party named, in order
    rehearsal: str | None = None

    def apply(self, event: Event) -> None:
        if event.rehearsal is not None:
            self.rehearsal = str(event.rehearsal.rehearsal_id)
        match event:
            case InscriptionReceived():
                self.names[event.provider.id] = event.provider.name
                self.tenderers.setdefault(event.provider.id)
                self.referenced.setdefault(event.provider.id)
            case QuestionReceived():
                self.questions += 1
            case NotaVanInlichtingenPublished():
                self.notas.append(
                    {
                        "id": str(event.event_id),
                        "documentType": "clarifications",
                        "title": "Nota van Inlichtingen",
                        "description": f"{len(event.answers)} questions answered",
                        "datePublished": _when(event.occurred_at),
                    }
                )
            case SelectionPublished():
                assert event.region_code is not None
                published = self.selections.get(event.region_code)
                if published is None or event.edition > published.edition:
                    self.selections[event.region_code] = event  # a later edition supersedes
            case ObjectionFiled():
                self.complaints[str(event.objection_id)] = {
                    "id": str(event.objection_id),
                    "type": "objection",
                    "status": "pending",
                    **self._about(event),
                    "dateSubmitted": _when(event.occurred_at),
                    "period": {"endDate": _last_second(event.window_closes_at)},
                    "channel": event.channel,
                    "grounds": event.grounds,
                    **(
                        {"answerDueDate": _last_second(event.answer_due_at)}
                        if event.answer_due_at
                        else {}
                    ),
                }
            case ObjectionAnswered():
                complaint = self.complaints.setdefault(
                    str(event.objection_id),
                    {"id": str(event.objection_id), "type": "objection", **self._about(event)},
                )
                complaint["status"] = "answered"
                complaint["answer"] = {
                    "date": _when(event.occurred_at),
                    "decision": event.decision.value,
                    "description": event.answer,
                    "late": event.late,
                }
            case ObjectionAnswerOverdue():
                overdue = self.complaints.get(str(event.objection_id))
                if overdue is not None:
                    overdue["answerOverdue"] = True
            case KortGedingFiled():
                court = f"court-{event.court.lower().replace(' ', '-')}"
                self.courts[court] = event.court
                self.complaints[str(event.message_id)] = {
                    "id": str(event.message_id),
                    "type": "kortGeding",
                    "status": "filed",
                    **self._about(event),
                    "relatedComplaintID": str(event.objection_id) if event.objection_id else None,
                    "reviewBody": {"id": court, "name": event.court},
                    "dateSubmitted": _when(event.occurred_at),
                    "period": {"endDate": _last_second(event.closes_at)},
                    "caseNumber": event.case_number,
                    "summonedOn": event.summoned_on.isoformat(),
                    "suspendsProcedure": event.suspends_procedure,
                }
            case ObjectionRejected() | KortGedingRejected():
                self.complaints[str(event.message_id)] = {
                    "id": str(event.message_id),
                    "type": "objection" if isinstance(event, ObjectionRejected) else "kortGeding",
                    "status": "refused",
                    **self._about(event),
                    "dateSubmitted": _when(event.occurred_at),
                    "refusals": [_refusal(refusal) for refusal in event.refusals],
                }
            case ContractSigned():
                assert event.region_code is not None and event.provider_id is not None
                self.contracts.append(
                    {
                        "id": str(event.contract_id),
                        "awardID": award_id(event.region_code, event.provider_id),
                        "title": f"OCO {self._region_name(event.region_code)}",
                        "description": f"Hourly tariff € {event.hourly_tariff}, "
                        f"provisional budget ceiling € {event.provisional_budget_ceiling}",
                        "status": "active",
                        "period": _days(event.starts_on, event.ends_on),
                        "value": _value(event.provisional_budget_ceiling),
                        "dateSigned": _when(event.occurred_at),
                    }
                )

    def _about(self, event: Event) -> dict[str, Any]:
        """The award and the party a complaint is about, as far as the event names them."""
        about: dict[str, Any] = {}
        if event.provider_id is not None:
            about["complainant"] = self._party_reference(event.provider_id)
            if event.region_code is not None:
                about["awardID"] = award_id(event.region_code, event.provider_id)
        return about

    def _party_reference(self, kvk: str) -> dict[str, Any]:
        self.referenced.setdefault(kvk)
        return {"id": provider_party_id(kvk), "name": self.names.get(kvk, kvk)}

    def _region_name(self, code: str) -> str:
        for uitvoerder in self.round.uitvoerders:
            for region in uitvoerder.regions:
                if region.code == code:
                    return region.name
        return code

    # The release.

    def release(self, ocid: str, stage: Stage, date: datetime) -> dict[str, Any]:
        awards = [
            award
            for region, selection in sorted(self.selections.items())
            for award in self._awards(region, selection)
        ]
        tender = self._tender(bool(self.selections))
        release: dict[str, Any] = {
            "ocid": ocid,
            "id": f"{ocid}-{stage.milestone.value}",
            "date": _when(date),
            "tag": [stage.tag],
            "initiationType": "tender",
            "language": "nl",
            "parties": self._parties(awards),  # after awards and tender: every party named
            "tender": tender,
        }
        if awards:
            release["awards"] = awards
        if self.contracts:
            release["contracts"] = list(self.contracts)
        if self.complaints:
            release["complaints"] = [dict(c) for c in self.complaints.values()]
        if self.rehearsal is not None:
            release["rehearsalId"] = self.rehearsal
        return release

    def _tender(self, awarded: bool) -> dict[str, Any]:
        round_ = self.round
        milestones = round_.milestones

        def period(opens: MilestoneCode, closes: MilestoneCode) -> dict[str, str]:
            return {
                "startDate": _when(milestones[opens].starts_at()),
                "endDate": _last_second(milestone_closing(milestones[closes])[1]),
            }

        objection = deadline_for(round_, DeadlineCode.OBJECTION)
        tender: dict[str, Any] = {
            "id": round_.id,
            "title": round_.title,
            "description": f"Rule set {round_.rule_set_version}; {round_.source.cite()}",
            "status": "complete" if awarded else "active",
            "procurementMethod": "open",
            "procurementMethodDetails": "Inschrijving OCO: suitability per region, selection "
            "by the round's criteria into at most "
            f"{round_.max_providers_per_region.value} places per region",
            "mainProcurementCategory": "services",
            "tenderPeriod": period(MilestoneCode.PUBLICATION, MilestoneCode.INSCRIPTION_CLOSES),
            "awardPeriod": period(
                MilestoneCode.ASSESSMENT_STARTS
                if MilestoneCode.ASSESSMENT_STARTS in milestones
                else MilestoneCode.INSCRIPTION_CLOSES,
                MilestoneCode.OUTCOME_PUBLISHED,
            ),
            "contractPeriod": _days(round_.contract.starts, round_.contract.ends),
            "standstillPeriod": {
                "startDate": _when(milestones[MilestoneCode.OUTCOME_PUBLISHED].starts_at()),
                "endDate": _last_second(objection.closes_at),
            },
            "hasEnquiries": self.questions > 0,
            "numberOfTenderers": len(self.tenderers),
            "tenderers": [self._party_reference(kvk) for kvk in self.tenderers],
            "milestones": [
                {
                    "id": code.value,
                    "title": milestone.title,
                    "description": milestone.source.cite(),
                    "dueDate": _when(milestone.starts_at()),
                }
                for code, milestone in milestones.items()
            ],
        }
        if MilestoneCode.QUESTIONS_DEADLINE in milestones:
            tender["enquiryPeriod"] = period(
                MilestoneCode.PUBLICATION, MilestoneCode.QUESTIONS_DEADLINE
            )
        if self.notas:
            tender["documents"] = list(self.notas)
        return tender

    def _awards(self, region: str, selection: SelectionPublished) -> list[dict[str, Any]]:
        name = self._region_name(region)
        awards = []
        for outcome in selection.outcomes:
            selected = outcome.outcome is Outcome.SELECTED
            why = outcome.reason.value + (f", rank {outcome.rank}" if outcome.rank else "")
            if outcome.failed_requirements:
                why += f", requirements not met: {', '.join(outcome.failed_requirements)}"
            award: dict[str, Any] = {
                "id": award_id(region, outcome.provider_id),
                "title": f"OCO {name}: {self.names.get(outcome.provider_id, outcome.provider_id)}",
                "description": f"{outcome.outcome.value} ({why}); selection edition "
                f"{selection.edition}" + (", published late" if selection.late else ""),
                "status": "active" if selected else "unsuccessful",
                "date": _when(selection.occurred_at),
                "suppliers": [self._party_reference(outcome.provider_id)],
                "items": [{"id": region, "description": f"OCO in zorgkantoorregio {name}"}],
                "objectionPeriod": {
                    "startDate": _when(selection.occurred_at),
                    "endDate": _last_second(selection.objection_closes_at),
                },
            }
            if outcome.provisional_budget_ceiling is not None:
                award["value"] = _value(outcome.provisional_budget_ceiling)
            if selected:
                award["contractPeriod"] = _days(
                    self.round.contract.starts, self.round.contract.ends
                )
            awards.append(award)
        return awards

    def _parties(self, awards: list[dict[str, Any]]) -> list[dict[str, Any]]:
        awarded = {
            supplier["id"]
            for award in awards
            if award["status"] == "active"
            for supplier in award["suppliers"]
        }
        parties: list[dict[str, Any]] = [
            {
                "id": f"zorgkantoor-{uitvoerder.code}",
                "name": uitvoerder.name,
                "roles": ["buyer", "procuringEntity"],
            }
            for uitvoerder in self.round.uitvoerders
        ]
        for kvk in self.referenced:
            party_id = provider_party_id(kvk)
            parties.append(
                {
                    "id": party_id,
                    "name": self.names.get(kvk, kvk),
                    "identifier": {
                        "scheme": "NL-KVK",
                        "id": kvk,
                        "legalName": self.names.get(kvk, kvk),
                    },
                    "roles": [
                        *(["tenderer"] if kvk in self.tenderers else []),
                        *(["supplier"] if party_id in awarded else []),
                    ],
                }
            )
        parties += [
            {"id": court, "name": name, "roles": ["reviewBody"]}
            for court, name in sorted(self.courts.items())
        ]
        return parties


def _days(first: date, last: date) -> dict[str, str]:
    """A period of whole calendar days, `first` to `last` inclusive."""
    starts = datetime.combine(first, time(0), tzinfo=AMSTERDAM)
    after = datetime.combine(last + timedelta(days=1), time(0), tzinfo=AMSTERDAM)
    return {"startDate": _when(starts), "endDate": _last_second(after)}


def _refusal(refusal: Refusal) -> dict[str, Any]:
    return {
        "code": refusal.code.value,
        "text": refusal.text,
        "rule": refusal.rule,
        "deadline": _when(refusal.deadline) if refusal.deadline else None,
    }


def release_package(
    round_: Round,
    events: Iterable[Event],
    *,
    ocid_prefix: str = DEFAULT_OCID_PREFIX,
    extension_url: str = DEFAULT_EXTENSION_URL,
) -> dict[str, Any]:
    """The release package of the round: one release per stage the log reached."""
    ocid = f"{ocid_prefix}-{round_.id}"
    stage_of = {type_name: stage for stage in STAGES for type_name in stage.types}
    by_stage: dict[MilestoneCode, list[Event]] = {stage.milestone: [] for stage in STAGES}
    for event in events:
        if event.round_id == round_.id and event.type in stage_of:
            by_stage[stage_of[event.type].milestone].append(event)
    procedure = _Procedure(round_)
    releases = []
    for stage in STAGES:
        staged = by_stage[stage.milestone]
        for event in staged:
            procedure.apply(event)
        if staged:
            date = max((event.occurred_at for event in staged), key=lambda t: t.astimezone(UTC))
        elif stage.milestone is MilestoneCode.PUBLICATION:
            date = round_.milestones[MilestoneCode.PUBLICATION].starts_at()
        else:
            continue  # the log has not reached this milestone
        releases.append(procedure.release(ocid, stage, date))
    return {
        "uri": f"urn:{ocid}",
        "version": OCDS_VERSION,
        "extensions": [extension_url],
        "publishedDate": releases[-1]["date"],
        "publisher": {"name": PUBLISHER},
        "releases": releases,
    }


# Validation against the vendored OCDS schema with the extension applied.


def _schema_file(*path: str) -> Any:
    return json.loads(resources.files("oco_audit").joinpath("schema", *path).read_text("utf-8"))


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch: how OCDS applies an extension to the release schema."""
    if not isinstance(patch, Mapping):
        return patch
    merged = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


@cache
def _validator() -> Any:
    from jsonschema import Draft4Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    release_schema = merge_patch(
        _schema_file("release-schema.json"), _schema_file("oco-complaints", "release-schema.json")
    )
    registry: Registry[Any] = Registry().with_resource(
        _RELEASE_SCHEMA_ID, Resource.from_contents(release_schema, default_specification=DRAFT4)
    )
    # jsonschema checks "date-time" and "uri" only with optional packages; these two
    # checks need none.
    formats = FormatChecker()
    formats.checks("date-time")(_is_date_time)
    formats.checks("uri")(_is_uri)
    return Draft4Validator(
        _schema_file("release-package-schema.json"), registry=registry, format_checker=formats
    )


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # a format constrains strings only
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return False
    return "T" in value and parsed.tzinfo is not None


def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(urlsplit(value).scheme)


def validation_errors(package: Mapping[str, Any]) -> list[str]:
    """Each way the package breaks OCDS 1.1 (with the extension), as `path: message`."""
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(package)'}: {error.message}"
        for error in sorted(_validator().iter_errors(package), key=lambda e: list(e.path))
    ]
