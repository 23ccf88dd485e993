"""The state of a round at an instant of procedure time, from its events alone (pure).

`ProcedureState` is a fold: `apply(document)` for each event of the round, in the order
the logs give, then `as_json(at)`. Nothing reads a clock: without an instant, the state
is shown as of the last event's procedure time. Per region it holds the inscriptions,
each party's case (verdicts, suitability, scores, rank and outcome), the lots, the
published selection, the objection windows (open or closed at that instant), the
objections and their answers, the kort gedingen, the contracts and their ceilings.
A rehearsal's events carry their rehearsal, and the regions they touched say so.

The fold reads event documents (the contract's JSON) rather than models, so that a
long log replays at the speed of its decoding; it follows the services' own rules for
what an event changes (assessment: `RegionAssessment.apply`; intake: its read model).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from oco_shared.rounds import AMSTERDAM

from oco_audit.log import (
    LogDecoder,
    connect,
    has_log,
    service_schemas,
    snapshot,
    topic_batches,
    without_cycle_collection,
)
from oco_audit.rules import when  # recorded times as UTC instants

Document = Mapping[str, Any]

# The types the fold reads; the log's other events change nothing shown here.
INSCRIPTION_STATUS = {
    "InscriptionReceived": "received",
    "InscriptionRejected": "rejected",
    "InscriptionWithdrawn": "withdrawn",
}


@dataclass
class Party:
    provider_id: str
    name: str | None = None
    existing: bool | None = None
    open: bool = True
    verdicts: dict[str, str] = field(default_factory=dict)
    conditions: dict[str, dict[str, str]] = field(default_factory=dict)
    suitable: bool | None = None
    failed_requirements: list[str] = field(default_factory=list)
    scores: dict[str, int] = field(default_factory=dict)


@dataclass
class Window:
    provider_id: str | None
    edition: int
    opens_at: str
    closes_at: str
    closed_by_event: bool = False

    def state(self, at: datetime) -> str:
        if self.closed_by_event or at >= when(self.closes_at):
            return "closed"
        return "open" if at >= when(self.opens_at) else "not yet open"


@dataclass
class Region:
    code: str
    rehearsals: set[str] = field(default_factory=set)
    inscriptions: list[dict[str, Any]] = field(default_factory=list)
    parties: dict[str, Party] = field(default_factory=dict)
    places: int | None = None
    lot_awaited: list[str] | None = None
    lots: list[dict[str, Any]] = field(default_factory=list)
    selection: dict[str, Any] | None = None
    reopened: bool = False
    windows: dict[tuple[str | None, int], Window] = field(default_factory=dict)
    objections: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused_objections: list[dict[str, Any]] = field(default_factory=list)
    kort_gedingen: list[dict[str, Any]] = field(default_factory=list)
    contracts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def party(self, provider_id: str) -> Party:
        party = self.parties.get(provider_id)
        if party is None:  # not setdefault: a Party built on every call costs the fold
            party = self.parties[provider_id] = Party(provider_id)
        return party


class ProcedureState:
    """One round's state, folded from its events (of every service) in log order."""

    def __init__(self, round_id: str) -> None:
        self.round_id = round_id
        self.regions: dict[str, Region] = {}
        self.inscriptions_without_region: list[dict[str, Any]] = []
        self.applied = 0
        self.last_at: datetime | None = None
        self.rehearsals: set[str] = set()
        self._apply: dict[str, Callable[[Document], None]] = {
            "InscriptionReceived": self._inscription,
            "InscriptionRejected": self._inscription,
            "InscriptionWithdrawn": self._inscription,
            "AssessmentCaseOpened": self._case_opened,
            "AssessmentCaseClosed": self._case_closed,
            "RegionPlacesSet": self._places,
            "VerdictsRecorded": self._verdicts,
            "SuitabilityAssessed": self._suitability,
            "CriteriaScored": self._scores,
            "LotRequired": self._lot_required,
            "LotDrawn": self._lot_drawn,
            "SelectionPublished": self._selection,
            "SelectionReopened": self._reopened,
            "ObjectionWindowOpened": self._window_opened,
            "ObjectionWindowClosed": self._window_closed,
            "ObjectionFiled": self._objection_filed,
            "ObjectionRejected": self._objection_refused,
            "ObjectionAnswered": self._answered,
            "ObjectionAnswerOverdue": self._overdue,
            "KortGedingFiled": self._kort_geding,
            "KortGedingRejected": self._kort_geding,
            "ContractSigned": self._contract,
            "ContractExtended": self._extended,
            "BudgetCeilingSet": self._ceiling,
            "BudgetReallocated": self._reallocated,
        }

    def reads(self, event_type: str) -> bool:
        """Whether an event of this type changes the state (the others need no decoding)."""
        return event_type in self._apply

    def apply(self, document: Document) -> None:
        if document.get("round_id") != self.round_id:
            return
        change = self._apply.get(document["type"])
        if change is None:
            return
        self.applied += 1
        at = when(document["occurred_at"])
        if self.last_at is None or at > self.last_at:
            self.last_at = at
        rehearsal = document.get("rehearsal")
        if rehearsal:
            self.rehearsals.add(str(rehearsal["rehearsal_id"]))
            if document.get("region_code"):
                self._region(document["region_code"]).rehearsals.add(str(rehearsal["rehearsal_id"]))
        change(document)

    def _region(self, code: str) -> Region:
        region = self.regions.get(code)
        if region is None:
            region = self.regions[code] = Region(code)
        return region

    # Intake: the read model's rows (oco_intake.adapters.readmodel), per region named.

    def _inscription(self, d: Document) -> None:
        regions = [r if isinstance(r, str) else r["region_code"] for r in d.get("regions", ())]
        provider = d.get("provider") or {}
        row = {
            "status": INSCRIPTION_STATUS[d["type"]],
            "provider_id": d.get("provider_id"),
            "provider_name": provider.get("name"),
            "uitvoerder_code": d.get("uitvoerder_code"),
            "inscription_id": d.get("inscription_id"),
            "revision": d.get("revision"),
            "regions": regions,
            "reasons": [r["code"] for r in d.get("refusals", ())],
            "at": d["occurred_at"],
            "rehearsal": _rehearsal_id(d),
        }
        for code in regions or ([d["region_code"]] if d.get("region_code") else []):
            self._region(code).inscriptions.append(row)
        if not regions and not d.get("region_code"):
            self.inscriptions_without_region.append(row)

    # Assessment: as `RegionAssessment.apply` decides.

    def _case_opened(self, d: Document) -> None:
        region = self._region(d["region_code"])
        party = region.parties[d["provider"]["id"]] = Party(d["provider"]["id"])
        party.name, party.existing = d["provider"]["name"], not d.get("new_to_region", False)

    def _case_closed(self, d: Document) -> None:
        self._region(d["region_code"]).party(d["provider_id"]).open = False

    def _places(self, d: Document) -> None:
        self._region(d["region_code"]).places = int(d["places"])

    def _verdicts(self, d: Document) -> None:
        party = self._region(d["region_code"]).party(d["provider_id"])
        for verdict in d["verdicts"]:
            party.verdicts[verdict["code"]] = verdict["verdict"]
            if verdict.get("condition"):
                party.conditions[verdict["code"]] = verdict["condition"]
            else:
                party.conditions.pop(verdict["code"], None)

    def _suitability(self, d: Document) -> None:
        party = self._region(d["region_code"]).party(d["provider_id"])
        party.suitable, party.failed_requirements = d["suitable"], list(d["failed_requirements"])

    def _scores(self, d: Document) -> None:
        party = self._region(d["region_code"]).party(d["provider_id"])
        party.scores.update({score["code"]: score["score"] for score in d["scores"]})

    def _lot_required(self, d: Document) -> None:
        self._region(d["region_code"]).lot_awaited = list(d["candidates"])

    def _lot_drawn(self, d: Document) -> None:
        region = self._region(d["region_code"])
        region.lot_awaited = None
        region.lots.append(
            {
                "candidates": d["candidates"],
                "drawn_order": d["drawn_order"],
                "notary": d["notary"],
                "at": d["occurred_at"],
            }
        )

    def _selection(self, d: Document) -> None:
        region = self._region(d["region_code"])
        region.selection = {
            "edition": d["edition"],
            "published_at": d["occurred_at"],
            "late": d["late"],
            "places": d["places"],
            "objection_closes_at": d["objection_closes_at"],
            "outcomes": {
                o["provider_id"]: {
                    "outcome": o["outcome"],
                    "reason": o["reason"],
                    "rank": o.get("rank"),
                    "provisional_budget_ceiling": o.get("provisional_budget_ceiling"),
                }
                for o in d["outcomes"]
            },
        }
        region.reopened, region.lot_awaited = False, None

    def _reopened(self, d: Document) -> None:
        self._region(d["region_code"]).reopened = True

    # Objection and kort geding.

    def _window_opened(self, d: Document) -> None:
        region = self._region(d["region_code"])
        key = (d.get("provider_id"), int(d["edition"]))
        region.windows[key] = Window(key[0], key[1], d["opens_at"], d["closes_at"])

    def _window_closed(self, d: Document) -> None:
        region, edition = self._region(d["region_code"]), int(d["edition"])
        for (provider_id, opened_edition), window in region.windows.items():
            if opened_edition == edition and (
                d["scope"] == "region" or provider_id == d.get("provider_id")
            ):
                window.closed_by_event = True

    def _objection_filed(self, d: Document) -> None:
        self._region(d["region_code"]).objections[str(d["objection_id"])] = {
            "provider_id": d.get("provider_id"),
            "edition": d["edition"],
            "filed_at": d["occurred_at"],
            "answer_due_at": d.get("answer_due_at"),
            "answer": None,
            "overdue": False,
            "rehearsal": _rehearsal_id(d),
        }

    def _objection_refused(self, d: Document) -> None:
        if d.get("region_code"):
            self._region(d["region_code"]).refused_objections.append(_refused(d))

    def _answered(self, d: Document) -> None:
        objection = self._region(d["region_code"]).objections.get(str(d["objection_id"]))
        if objection is not None:
            objection["answer"] = {
                "decision": d["decision"],
                "at": d["occurred_at"],
                "late": d.get("late", False),
                "kort_geding_closes_at": d.get("kort_geding_closes_at"),
            }

    def _overdue(self, d: Document) -> None:
        objection = self._region(d["region_code"]).objections.get(str(d["objection_id"]))
        if objection is not None:
            objection["overdue"] = True

    def _kort_geding(self, d: Document) -> None:
        if not d.get("region_code"):
            return
        if d["type"] == "KortGedingRejected":
            self._region(d["region_code"]).kort_gedingen.append(_refused(d))
            return
        self._region(d["region_code"]).kort_gedingen.append(
            {
                "status": "filed",
                "provider_id": d.get("provider_id"),
                "objection_id": d.get("objection_id"),
                "court": d["court"],
                "case_number": d["case_number"],
                "at": d["occurred_at"],
                "closes_at": d["closes_at"],
                "suspends_procedure": d["suspends_procedure"],
            }
        )

    def _contract(self, d: Document) -> None:
        self._region(d["region_code"]).contracts[str(d["contract_id"])] = {
            "provider_id": d.get("provider_id"),
            "contract_id": d["contract_id"],
            "starts_on": d["starts_on"],
            "ends_on": d["ends_on"],
            "extendable_until": d.get("extendable_until"),
            "hourly_tariff": d["hourly_tariff"],
            "budget_ceiling": d["provisional_budget_ceiling"],
            "ceilings": {},  # year -> the definitive ceiling, once set
            "at": d["occurred_at"],
        }

    def _extended(self, d: Document) -> None:
        contract = self._region(d["region_code"]).contracts.get(str(d["contract_id"]))
        if contract is not None:
            contract["ends_on"] = d["ends_on"]

    def _ceiling(self, d: Document) -> None:
        contract = self._region(d["region_code"]).contracts.get(str(d["contract_id"]))
        if contract is not None:
            contract["ceilings"][str(d["year"])] = d["ceiling"]

    def _reallocated(self, d: Document) -> None:
        by_provider = {
            c["provider_id"]: c for c in self._region(d["region_code"]).contracts.values()
        }
        for change in d["changes"]:
            contract = by_provider.get(change["provider_id"])
            if contract is not None:
                contract["ceilings"][str(d["year"])] = change["after"]

    # The state shown.

    def as_json(self, at: datetime | None = None) -> dict[str, Any]:
        """The state at procedure time `at` (events after it must not have been applied);
        None: as of the last event."""
        moment = at or self.last_at
        return {
            "round": self.round_id,
            "as_of": moment.astimezone(AMSTERDAM).isoformat() if moment else None,
            "events": self.applied,
            "rehearsal": sorted(self.rehearsals) or None,
            "regions": {
                code: _region_json(region, moment) for code, region in sorted(self.regions.items())
            },
            "inscriptions_without_region": self.inscriptions_without_region,
        }


def _region_json(region: Region, at: datetime | None) -> dict[str, Any]:
    outcomes = region.selection["outcomes"] if region.selection else {}
    return {
        "rehearsal": sorted(region.rehearsals) or None,
        "inscriptions": region.inscriptions,
        "places": region.places,
        "parties": [
            _party_json(party, outcomes.get(pid))
            for pid, party in sorted(region.parties.items())
            if party.open
        ],
        "lot_awaited": region.lot_awaited,
        "lots": region.lots,
        "selection": {key: value for key, value in region.selection.items() if key != "outcomes"}
        | {"reopened": region.reopened}
        if region.selection
        else None,
        "windows": [
            {
                "provider_id": window.provider_id,
                "edition": window.edition,
                "opens_at": window.opens_at,
                "closes_at": window.closes_at,
                "state": window.state(at) if at else "open",
            }
            for window in region.windows.values()
        ],
        "objections": [{"objection_id": key, **value} for key, value in region.objections.items()],
        "refused_objections": region.refused_objections,
        "kort_gedingen": region.kort_gedingen,
        "contracts": list(region.contracts.values()),
    }


def _party_json(party: Party, outcome: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "provider_id": party.provider_id,
        "name": party.name,
        "existing": party.existing,
        "verdicts": dict(sorted(party.verdicts.items())),
        "conditions": [
            {"code": code, "what": c["what"], "due_on": c["due_on"]}
            for code, c in sorted(party.conditions.items())
        ],
        "suitable": party.suitable,
        "failed_requirements": party.failed_requirements,
        "scores": party.scores,
        "rank": outcome["rank"] if outcome else None,
        "outcome": outcome["outcome"] if outcome else None,
        "reason": outcome["reason"] if outcome else None,
        "provisional_budget_ceiling": outcome["provisional_budget_ceiling"] if outcome else None,
    }


def _refused(d: Document) -> dict[str, Any]:
    return {
        "status": "refused",
        "provider_id": d.get("provider_id"),
        "at": d["occurred_at"],
        "reasons": [r["code"] for r in d["refusals"]],
        "rehearsal": _rehearsal_id(d),
    }


def _rehearsal_id(d: Document) -> str | None:
    rehearsal = d.get("rehearsal")
    return str(rehearsal["rehearsal_id"]) if rehearsal else None


async def replay(
    database_url: str,
    schema_prefix: str,
    services: Sequence[str],
    decoder: LogDecoder,
    round_id: str,
    as_of: datetime | None = None,
) -> ProcedureState:
    """The round's state folded from every service's stored log (one snapshot, read by
    cursor, flat memory), with the events up to procedure time `as_of` only, when given.

    Services are read one after another: what the fold keeps of one service never
    depends on another's events, and each service's own order is kept."""
    state = ProcedureState(round_id)
    connection = await connect(database_url)
    try:
        async with snapshot(connection):
            with without_cycle_collection():
                await _fold_logs(connection, state, schema_prefix, services, decoder, as_of)
    finally:
        await connection.close()
    return state


async def _fold_logs(
    connection: asyncpg.Connection,
    state: ProcedureState,
    schema_prefix: str,
    services: Sequence[str],
    decoder: LogDecoder,
    as_of: datetime | None,
) -> None:
    for _, schema in service_schemas(schema_prefix, services):
        if not await has_log(connection, schema):
            continue
        async for rows in topic_batches(connection, schema):
            fold(state, rows, decoder, as_of)


def fold(
    state: ProcedureState,
    rows: Sequence[tuple[str, bytes]],
    decoder: LogDecoder,
    as_of: datetime | None,
) -> None:
    """Apply the `(topic, state)` rows' events that change the state (the others are not
    even decoded)."""
    reads: dict[str, bool] = {}
    for topic, stored in rows:
        relevant = reads.get(topic)
        if relevant is None:
            relevant = reads[topic] = state.reads(topic.rpartition(".v")[0])
        if not relevant:
            continue
        document = decoder.event_document(stored)
        if as_of is None or when(document["occurred_at"]) <= as_of:
            state.apply(document)
