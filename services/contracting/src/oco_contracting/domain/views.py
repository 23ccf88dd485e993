"""What the query side shows of a region's contracts: terms, ceilings, obligations with
their due dates and state, and spend against the ceiling.

Pure functions of a rebuilt `RegionContracting`, so the answers follow the same rules as
the decisions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from oco_contracting.domain.model import Contract, RegionContracting


def contracts(region: RegionContracting) -> list[dict[str, Any]]:
    return [_shown(contract) for _, contract in sorted(region.contracts.items())]


def _shown(contract: Contract) -> dict[str, Any]:
    signed = contract.signed
    return {
        "provider_id": signed.provider.id,
        "name": signed.provider.name,
        "contract_id": str(signed.contract_id),
        "uitvoerder": signed.uitvoerder_code,
        "consortium_members": [member.id for member in signed.consortium_members],
        "jointly_and_severally_liable": signed.jointly_and_severally_liable,
        "starts_on": str(signed.starts_on),
        "ends_on": str(contract.ends_on),
        "extendable_until": str(signed.extendable_until) if signed.extendable_until else None,
        "hourly_tariff": str(signed.hourly_tariff),
        "signed_at": signed.occurred_at.isoformat(),
        "years": [_year(contract, year) for year in contract.years()],
        "obligations": [
            {
                "kind": state.obligation.kind.value,
                "what": state.obligation.what,
                "due_at": state.obligation.due_at.isoformat(),
                "state": state.state,
            }
            for state in sorted(contract.obligations.values(), key=lambda s: s.obligation.due_at)
        ],
    }


def _year(contract: Contract, year: int) -> dict[str, Any]:
    ceiling, kind = contract.ceiling(year)
    reported = contract.reported(year)
    produced = sum((r.amount for r in reported), Decimal(0))
    paid = sum((r.paid for r in reported), Decimal(0))
    return {
        "year": year,
        "ceiling": str(ceiling),
        "ceiling_kind": kind,
        "months_reported": len(reported),
        "produced": f"{produced:.2f}",
        "paid": f"{paid:.2f}",
        "left": f"{ceiling - paid:.2f}",
        "overrun_threatened": year in contract.threatened_at,
        "signal_reports": sorted(q for (y, q) in contract.signal_reports if y == year),
        "signal_reports_overdue": sorted(q for (y, q) in contract.signal_overdue if y == year),
    }
