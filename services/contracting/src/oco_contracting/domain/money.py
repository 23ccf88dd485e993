"""Budget ceilings, reallocations and production: pure rules over a region's contracts.

Hours are paid at the round's single tariff up to the party's yearly ceiling; the
national budget is divided over regions, then over the contracted parties, and the
ceilings of a region together never exceed its budget (domain.md, "Contracting and
money"; 000_d8e1bdfab127271e.txt 4.2 and 6 tabel punt 4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from oco_shared.contract.parts import Ceiling, Refusal, RefusalCode, ServiceHours
from oco_shared.rounds import Round

from oco_contracting.domain.model import Contract, RegionContracting

CENT = Decimal("0.01")
BUDGET_RULE = (
    "000_d8e1bdfab127271e.txt 6 Inschrijvingen en procedure, tabel punt 4 (budget per regio)"
)
OVERRUN_RULE = "000_d8e1bdfab127271e.txt 4.2 Betaalbaarheid, Inzet financiële middelen"


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def contract_refusals(
    region: RegionContracting, provider_ids: Iterable[str], year: int | None = None
) -> list[Refusal]:
    """Each named party has a contract in the region (running in `year`, when given)."""
    refusals = []
    for index, provider_id in enumerate(provider_ids):
        contract = region.contract_of(provider_id)
        if contract is None:
            refusals.append(
                Refusal(
                    code=RefusalCode.NO_CONTRACT,
                    text=f"Provider {provider_id} has no contract in this region.",
                    rule=BUDGET_RULE,
                    field=f"ceilings.{index}.provider_id" if year is not None else "provider_id",
                )
            )
        elif year is not None and year not in contract.years():
            refusals.append(
                Refusal(
                    code=RefusalCode.OUTSIDE_CONTRACT_PERIOD,
                    text=f"The contract of {provider_id} runs {contract.signed.starts_on} to "
                    f"{contract.ends_on}, not in {year}.",
                    rule=BUDGET_RULE,
                    field="year",
                )
            )
    return refusals


def region_total(region: RegionContracting, year: int, new: Mapping[str, Decimal]) -> Decimal:
    """The sum of the region's ceilings for `year` once `new` replaces the parties it names."""
    current = {
        provider_id: contract.ceiling(year)[0]
        for provider_id, contract in region.contracts.items()
        if year in contract.years()
    }
    return sum({**current, **new}.values(), Decimal(0))


def budget_refusals(
    region: RegionContracting, year: int, region_budget: Decimal | None, ceilings: Iterable[Ceiling]
) -> list[Refusal]:
    """The region's ceilings together stay within its budget."""
    if region_budget is None:
        return [
            Refusal(
                code=RefusalCode.REGION_BUDGET_EXCEEDED,
                text=f"No budget of this region for {year} is known: set the ceilings first.",
                rule=BUDGET_RULE,
                field="year",
            )
        ]
    total = region_total(region, year, {c.provider_id: c.amount for c in ceilings})
    if total <= region_budget:
        return []
    return [
        Refusal(
            code=RefusalCode.REGION_BUDGET_EXCEEDED,
            text=f"The ceilings of this region for {year} would total {total:.2f}, above the "
            f"region's budget of {region_budget:.2f}.",
            rule=BUDGET_RULE,
        )
    ]


def review_refusals(round_: Round, review_month: int) -> list[Refusal]:
    """Reallocations are decided at the round's review moments (June and October; 2018:
    June and November)."""
    review = round_.budget_review
    if review is not None and review_month in review.review_months:
        return []
    months = ", ".join(str(m) for m in review.review_months) if review else "none"
    return [
        Refusal(
            code=RefusalCode.NOT_A_REVIEW_MOMENT,
            text=f"Month {review_month} is not a review moment of round {round_.id} "
            f"(review months: {months}).",
            rule=review.source.cite() if review else "round data budget_review",
            field="review_month",
        )
    ]


def service_refusals(round_: Round, hours: Iterable[ServiceHours]) -> list[Refusal]:
    known = {service.number for service in round_.services}
    return [
        Refusal(
            code=RefusalCode.UNKNOWN_SERVICE,
            text=f"Round {round_.id} has no service {entry.service}; its services are "
            f"{', '.join(str(n) for n in sorted(known))}.",
            rule=round_.services[0].source.cite() if round_.services else "round data services",
            field=f"hours.{index}.service",
        )
        for index, entry in enumerate(hours)
        if entry.service not in known
    ]


@dataclass(frozen=True)
class Payment:
    """A month's production priced: what it is worth, what the ceiling still pays, and the
    year's amount at this pace."""

    total_hours: Decimal
    amount: Decimal
    paid: Decimal
    paid_this_year: Decimal
    ceiling: Decimal
    ceiling_kind: Literal["provisional", "definitive"]
    projected_year_amount: Decimal

    @property
    def threatens(self) -> bool:
        return self.projected_year_amount > self.ceiling


def payment(contract: Contract, year: int, month: int, hours: Iterable[ServiceHours]) -> Payment:
    """Hours at the tariff, paid up to the ceiling; the projection is the year's production
    so far spread over the months up to this one, times twelve."""
    tariff = contract.signed.hourly_tariff
    total_hours = sum((entry.hours for entry in hours), Decimal(0))
    amount = cents(total_hours * tariff)
    ceiling, kind = contract.ceiling(year)
    # The year's other months (a month reported again replaces its earlier report).
    others = [r for r in contract.reported(year) if r.month != month]
    paid_before = sum((r.paid for r in others), Decimal(0))
    paid = min(amount, max(ceiling - paid_before, Decimal(0)))
    produced = sum((r.amount for r in others), Decimal(0)) + amount
    latest = max([month, *(r.month for r in others)])
    return Payment(
        total_hours=total_hours,
        amount=amount,
        paid=paid,
        paid_this_year=paid_before + paid,
        ceiling=ceiling,
        ceiling_kind=kind,
        projected_year_amount=cents(produced * 12 / latest),
    )


def newly_threatened(contract: Contract, year: int, priced: Payment) -> bool:
    """Raised once per ceiling: again only when a new ceiling is threatened in its turn."""
    return priced.threatens and contract.threatened_at.get(year) != priced.ceiling
