"""What falls due after a contract starts: obligations and quarterly signal reports.

`due_at(region, round_, now)` says which overdue events a tick must raise at procedure
time `now` given what the region recorded: each obligation without evidence at its due
date, each quarter's missing signal report, exactly once (what was raised before is in
the region's stream and is not raised again). Pure, so a tick after a restart, or twice
at the same time, decides the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from oco_shared.contract.parts import Obligation
from oco_shared.deadlines import add_period
from oco_shared.rounds import AMSTERDAM, Round

from oco_contracting.domain.model import Contract, RegionContracting


@dataclass(frozen=True)
class DueObligation:
    contract: Contract
    obligation: Obligation


@dataclass(frozen=True)
class DueSignalReport:
    contract: Contract
    year: int
    quarter: int
    due_at: datetime
    rule: str


Overdue = DueObligation | DueSignalReport


def quarter_end(year: int, quarter: int) -> date:
    first_of_next = date(year + quarter // 4, quarter % 4 * 3 + 1, 1)
    return first_of_next - timedelta(days=1)


def signal_report_due(round_: Round, year: int, quarter: int) -> datetime | None:
    """The first instant a quarter's signal report is overdue; None where none is asked."""
    rules = round_.signal_reports
    if rules is None:
        return None
    # Counted from the first day after the quarter: one month after 1 April is 1 May.
    first_after = quarter_end(year, quarter) + timedelta(days=1)
    return datetime.combine(
        add_period(first_after, rules.due_after_quarter), time(0), tzinfo=AMSTERDAM
    )


def quarters(contract: Contract) -> list[tuple[int, int]]:
    """The quarters the contract runs in (as extended)."""
    return quarters_between(contract.signed.starts_on, contract.ends_on)


def quarters_between(first: date, last: date) -> list[tuple[int, int]]:
    """The quarters that end from `first` to `last`, both included."""
    return [
        (year, quarter)
        for year in range(first.year, last.year + 1)
        for quarter in (1, 2, 3, 4)
        if first <= quarter_end(year, quarter) <= last
    ]


def _passed(due: datetime, now: datetime) -> bool:
    return now.astimezone(UTC) >= due.astimezone(UTC)


def due_at(region: RegionContracting, round_: Round, now: datetime) -> list[Overdue]:
    """Every overdue event the region has not raised yet at `now`, in due order."""
    found: list[tuple[datetime, str, Overdue]] = []
    for contract in region.contracts.values():
        for state in contract.obligations.values():
            pending = state.fulfilled is None and not state.overdue
            if pending and _passed(state.obligation.due_at, now):
                identity = str(state.obligation.obligation_id)
                found.append(
                    (state.obligation.due_at, identity, DueObligation(contract, state.obligation))
                )
        if round_.signal_reports is None:
            continue
        for year, quarter in quarters(contract):
            due = signal_report_due(round_, year, quarter)
            recorded = (year, quarter) in contract.signal_reports
            if due is None or recorded or (year, quarter) in contract.signal_overdue:
                continue
            if _passed(due, now):
                rule = round_.signal_reports.source.cite()
                found.append(
                    (
                        due,
                        f"{contract.id}:{year}:{quarter}",
                        DueSignalReport(contract, year, quarter, due, rule),
                    )
                )
    found.sort(key=lambda item: (item[0].astimezone(UTC), item[1]))
    return [due for _, _, due in found]
