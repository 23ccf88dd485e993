"""The aggregate of contracting: one region of one round.

Everything a signature in a region depends on lives in one stream, so each decision sees
all of it: the parties and the latest selection (noted from assessment), the objection
procedure (noted from the objection service), the contracts signed, and after them each
contract's ceilings, obligations, production and signal reports. Pure: rebuilt from
events, no clock, no database.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from oco_shared.contract.base import Event
from oco_shared.contract.events import (
    BudgetCeilingSet,
    BudgetOverrunThreatened,
    BudgetReallocated,
    ClientSupporterStarted,
    ContractExtended,
    ContractSigned,
    ObligationFulfilled,
    ObligationOverdue,
    PartyNoted,
    ProcedureNoted,
    ProductionReported,
    SelectionNoted,
    SignalReportOverdue,
    SignalReportRecorded,
)
from oco_shared.contract.parts import ObjectionDecision, Obligation, Outcome, PartyOutcome

NAMESPACE = uuid.UUID("2f4e6a8c-0b1d-4e3f-8a5c-7d9e1f3a5b7c")
UPHELD = (ObjectionDecision.UPHELD, ObjectionDecision.PARTIALLY_UPHELD)


def region_id(round_id: str, region_code: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"region:{round_id}:{region_code}")


def contract_id(round_id: str, region_code: str, provider_id: str) -> uuid.UUID:
    """One contract per party per region per round: the id says so."""
    return uuid.uuid5(NAMESPACE, f"contract:{round_id}:{region_code}:{provider_id}")


def obligation_id(contract: uuid.UUID, kind: str, subject: str = "") -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"obligation:{contract}:{kind}:{subject}")


@dataclass
class ObligationState:
    obligation: Obligation
    fulfilled: ObligationFulfilled | None = None
    overdue: bool = False

    @property
    def state(self) -> str:
        if self.fulfilled is not None:
            return "fulfilled late" if self.fulfilled.late else "fulfilled"
        return "overdue" if self.overdue else "open"


@dataclass
class Contract:
    """One signed contract and what followed it."""

    signed: ContractSigned
    extended_to: date | None = None
    obligations: dict[uuid.UUID, ObligationState] = field(default_factory=dict)
    ceilings: dict[int, Decimal] = field(default_factory=dict)  # definitive, per year
    production: dict[tuple[int, int], ProductionReported] = field(default_factory=dict)
    threatened_at: dict[int, Decimal] = field(default_factory=dict)  # year -> ceiling then
    signal_reports: dict[tuple[int, int], SignalReportRecorded] = field(default_factory=dict)
    signal_overdue: set[tuple[int, int]] = field(default_factory=set)

    @property
    def id(self) -> uuid.UUID:
        return self.signed.contract_id

    @property
    def ends_on(self) -> date:
        return self.extended_to or self.signed.ends_on

    def years(self) -> range:
        return range(self.signed.starts_on.year, self.ends_on.year + 1)

    def ceiling(self, year: int) -> tuple[Decimal, Literal["provisional", "definitive"]]:
        """The year's ceiling: definitive once set, else the provisional one of the selection."""
        if year in self.ceilings:
            return self.ceilings[year], "definitive"
        return self.signed.provisional_budget_ceiling, "provisional"

    def reported(self, year: int) -> list[ProductionReported]:
        return [report for (y, _), report in sorted(self.production.items()) if y == year]


@dataclass
class Objection:
    """An objection against one edition of the region's selection, and its answer."""

    edition: int | None
    answered: bool = False
    upheld: bool = False


@dataclass
class RegionContracting:
    id: uuid.UUID
    version: int = 0
    parties: dict[str, PartyNoted] = field(default_factory=dict)
    selection: SelectionNoted | None = None
    # Editions that an upheld objection reopened (or will: assessment's SelectionReopened
    # and the objection's answer arrive on different streams, in either order).
    reopened_editions: set[int] = field(default_factory=set)
    windows_closed: set[uuid.UUID] = field(default_factory=set)  # selection event ids
    objections: dict[uuid.UUID, Objection] = field(default_factory=dict)
    suspending_kort_gedingen: list[uuid.UUID] = field(default_factory=list)
    contracts: dict[str, Contract] = field(default_factory=dict)
    region_budget: dict[int, Decimal] = field(default_factory=dict)

    @classmethod
    def replay(cls, aggregate_id: uuid.UUID, events: Sequence[Event]) -> RegionContracting:
        region = cls(aggregate_id)
        for event in events:
            region.apply(event)
        return region

    def apply(self, event: Event) -> None:
        self.version += 1
        if isinstance(event, PartyNoted):
            self.parties[event.provider.id] = event
        elif isinstance(event, SelectionNoted):
            self.selection = event
        elif isinstance(event, ProcedureNoted):
            self._note(event)
        elif isinstance(event, ContractSigned):
            contract = Contract(event)
            for obligation in event.obligations:
                contract.obligations[obligation.obligation_id] = ObligationState(obligation)
            self.contracts[event.provider.id] = contract
        elif isinstance(event, ContractExtended):
            self._contract(event).extended_to = event.ends_on
        elif isinstance(event, BudgetCeilingSet):
            self.region_budget[event.year] = event.region_budget
            self._contract(event).ceilings[event.year] = event.ceiling
        elif isinstance(event, BudgetReallocated):
            self.region_budget[event.year] = event.region_budget
            for change in event.changes:
                self.contracts[change.provider_id].ceilings[event.year] = change.after
        elif isinstance(event, ClientSupporterStarted):
            self._contract(event).obligations[event.obligation.obligation_id] = ObligationState(
                event.obligation
            )
        elif isinstance(event, ObligationFulfilled):
            self._contract(event).obligations[event.obligation_id].fulfilled = event
        elif isinstance(event, ObligationOverdue):
            self._contract(event).obligations[event.obligation_id].overdue = True
        elif isinstance(event, ProductionReported):
            self._contract(event).production[(event.year, event.month)] = event
        elif isinstance(event, BudgetOverrunThreatened):
            self._contract(event).threatened_at[event.year] = event.ceiling
        elif isinstance(event, SignalReportRecorded):
            self._contract(event).signal_reports[(event.year, event.quarter)] = event
        elif isinstance(event, SignalReportOverdue):
            self._contract(event).signal_overdue.add((event.year, event.quarter))
        # ContractRefused and ContractingRefused change nothing that is decided here.

    def _note(self, event: ProcedureNoted) -> None:
        if event.source_type == "SelectionReopened" and event.edition:
            self.reopened_editions.add(event.edition)
        elif event.source_type == "ObjectionWindowClosed" and event.selection_event_id:
            self.windows_closed.add(event.selection_event_id)
        elif event.source_type == "ObjectionFiled" and event.objection_id:
            self.objections.setdefault(event.objection_id, Objection(event.edition))
        elif event.source_type == "ObjectionAnswered" and event.objection_id:
            objection = self.objections.setdefault(event.objection_id, Objection(None))
            objection.answered = True
            objection.upheld = event.decision in UPHELD
            if objection.upheld and objection.edition is not None:
                self.reopened_editions.add(objection.edition)
        elif event.source_type == "KortGedingFiled" and event.suspends_procedure:
            self.suspending_kort_gedingen.append(event.source_event_id)

    def _contract(self, event: Event) -> Contract:
        assert event.provider_id is not None, f"{event.type} names its provider"
        return self.contracts[event.provider_id]

    # Queries the rules decide with.

    def outcome_of(self, provider_id: str) -> PartyOutcome | None:
        if self.selection is None:
            return None
        return next((o for o in self.selection.outcomes if o.provider_id == provider_id), None)

    def selected(self, provider_id: str) -> bool:
        outcome = self.outcome_of(provider_id)
        return outcome is not None and outcome.outcome is Outcome.SELECTED

    @property
    def reopened(self) -> bool:
        """An upheld objection against the latest edition: a new edition will follow."""
        edition = self.selection.edition if self.selection else 0
        return any(reopened >= edition for reopened in self.reopened_editions)

    def unanswered_objections(self) -> list[uuid.UUID]:
        return sorted(
            (identity for identity, objection in self.objections.items() if not objection.answered),
            key=str,
        )

    def windows_closed_for_latest(self) -> bool:
        return self.selection is not None and self.selection.source_event_id in self.windows_closed

    def contract_of(self, provider_id: str) -> Contract | None:
        return self.contracts.get(provider_id)
