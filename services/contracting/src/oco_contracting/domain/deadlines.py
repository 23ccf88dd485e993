"""Contracting's deadlines that pass on their own, as the shared ticker raises them.

Pure functions of a region's recorded events and procedure time (`oco_shared.messaging.
ticker`): each obligation still without evidence at its due date (`ObligationOverdue`),
each quarter's signal report still missing at its due date (`SignalReportOverdue`), every
one under a key of its own, so the ticker records it once, at the deadline's instant,
however often it looks and across restarts.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from oco_shared.contract import Actor, ActorKind, Event
from oco_shared.contract.events import (
    ClientSupporterStarted,
    ContractExtended,
    ContractSigned,
    ObligationOverdue,
    SignalReportOverdue,
)
from oco_shared.messaging.ticker import Due
from oco_shared.rounds import UnknownRound, load_round

from oco_contracting.domain.followup import (
    DueObligation,
    DueSignalReport,
    due_at,
    quarters,
    quarters_between,
    signal_report_due,
)
from oco_contracting.domain.model import Contract, RegionContracting

SERVICE_ACTOR = Actor(kind=ActorKind.SYSTEM, id="contracting")


class ContractingDeadlines:
    name = "contracting"

    def watch(self, event: Event) -> list[datetime]:
        """When the region of `event` must be looked at again."""
        if isinstance(event, ContractSigned):
            round_ = load_round(event.round_id)
            signal_reports = [
                due
                for year, quarter in quarters(Contract(event))
                if (due := signal_report_due(round_, year, quarter)) is not None
            ]
            return [*(o.due_at for o in event.obligations), *signal_reports]
        if isinstance(event, ContractExtended):
            round_ = load_round(event.round_id)
            extra = quarters_between(event.ended_on + timedelta(days=1), event.ends_on)
            return [
                due
                for year, quarter in extra
                if (due := signal_report_due(round_, year, quarter)) is not None
            ]
        if isinstance(event, ClientSupporterStarted):
            return [event.obligation.due_at]
        return []

    def due(self, aggregate_id: uuid.UUID, events: Sequence[Event], now: datetime) -> list[Due]:
        if not events:
            return []
        try:
            round_ = load_round(events[0].round_id)
        except UnknownRound:
            return []
        region = RegionContracting.replay(aggregate_id, events)
        return [_raised(due) for due in due_at(region, round_, now)]


def _envelope(signed: ContractSigned, at: datetime) -> dict[str, Any]:
    return {
        "round_id": signed.round_id,
        "region_code": signed.region_code,
        "provider_id": signed.provider.id,
        "occurred_at": at,
        "correlation_id": signed.correlation_id,
        "causation_id": signed.event_id,
        "actor": SERVICE_ACTOR,
        "contract_id": signed.contract_id,
    }


def _raised(due: DueObligation | DueSignalReport) -> Due:
    signed = due.contract.signed
    if isinstance(due, DueObligation):
        obligation = due.obligation
        return Due(
            key=f"obligation-overdue:{obligation.obligation_id}",
            at=obligation.due_at,
            event=ObligationOverdue(
                **_envelope(signed, obligation.due_at),
                obligation_id=obligation.obligation_id,
                kind=obligation.kind,
                what=obligation.what,
                due_at=obligation.due_at,
                rule=obligation.rule,
            ),
        )
    return Due(
        key=f"signal-report-overdue:{signed.contract_id}:{due.year}:{due.quarter}",
        at=due.due_at,
        event=SignalReportOverdue(
            **_envelope(signed, due.due_at),
            year=due.year,
            quarter=due.quarter,
            due_at=due.due_at,
            rule=due.rule,
        ),
    )
