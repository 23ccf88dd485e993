"""When a contract may be signed, and on which terms: pure functions of the round, the
region's recorded state and the time of receipt.

Every condition that does not hold is a `Refusal` of its own, with the rule (and the
deadline where one decided), so a refused signature names all that is still missing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from oco_shared.contract.parts import (
    Obligation,
    ObligationKind,
    PartyOutcome,
    Provider,
    Refusal,
    RefusalCode,
)
from oco_shared.deadlines import deadline_for, local
from oco_shared.rounds import AMSTERDAM, DeadlineCode, MilestoneCode, Round

from oco_contracting.domain.model import Contract, RegionContracting, obligation_id

OFFICE_RULE = "README: subjects by authority (oco.office.<uitvoerder>.> carries its acts)"


def office_refusals(round_: Round, office: str | None, region_code: str) -> list[Refusal]:
    """Authority comes from the office subject: an uitvoerder acts only in its own regions."""
    uitvoerder = round_.uitvoerder(office or "")
    if uitvoerder is None:
        return [
            Refusal(
                code=RefusalCode.NOT_AUTHORISED,
                text=f"{office!r} is no Wlz-uitvoerder of round {round_.id}.",
                rule=OFFICE_RULE,
            )
        ]
    owner = round_.uitvoerder_of(region_code)
    if owner is None or owner.code != uitvoerder.code:
        served_by = f"served by {owner.code}" if owner else "not a region of this round"
        return [
            Refusal(
                code=RefusalCode.REGION_NOT_SERVED,
                text=f"Region {region_code} is {served_by}, not by {uitvoerder.code}.",
                rule=uitvoerder.source.cite(),
                field="region_code",
            )
        ]
    return []


def signing_refusals(
    round_: Round,
    region: RegionContracting,
    provider_id: str,
    new_to_oco: bool,
    received_at: datetime,
) -> list[Refusal]:
    """Every condition of a signature that does not hold at `received_at`."""
    return [
        *_selection_refusals(round_, region, provider_id),
        *_objection_refusals(round_, region),
        *_standstill_refusals(round_, received_at),
        *_kort_geding_refusals(round_, region),
        *_period_refusals(round_, received_at),
        *_capacity_refusals(round_, region, provider_id),
        *_statement_refusals(region, provider_id, new_to_oco),
    ]


def _selection_refusals(
    round_: Round, region: RegionContracting, provider_id: str
) -> list[Refusal]:
    """Only a party selected in the region's latest edition gets a contract: the outcome
    names "de aanbieders die een overeenkomst krijgen" (each round's timetable)."""
    selection_rule = round_.milestones[MilestoneCode.OUTCOME_PUBLISHED].source.cite()
    if region.selection is None:
        return [
            Refusal(
                code=RefusalCode.NOT_SELECTED,
                text="The selection of this region has not been published.",
                rule=selection_rule,
                field="provider_id",
            )
        ]
    refusals = []
    if region.reopened:
        refusals.append(
            Refusal(
                code=RefusalCode.SELECTION_REOPENED,
                text=f"An upheld objection reopens edition {region.selection.edition} of "
                "this region's selection; sign against its next edition.",
                rule=round_.deadlines[DeadlineCode.OBJECTION_ANSWER].source.cite(),
            )
        )
    outcome = region.outcome_of(provider_id)
    if region.selected(provider_id) and outcome and outcome.provisional_budget_ceiling is None:
        refusals.append(
            Refusal(
                code=RefusalCode.CEILING_MISSING,
                text=f"Edition {region.selection.edition} selects {provider_id} without the "
                "provisional budget ceiling a selected party receives.",
                rule=selection_rule,
            )
        )
    if not region.selected(provider_id):
        refusals.append(
            Refusal(
                code=RefusalCode.NOT_SELECTED,
                text=f"Provider {provider_id} is not selected in edition "
                f"{region.selection.edition} of this region's selection.",
                rule=selection_rule,
                field="provider_id",
            )
        )
    return refusals


def _objection_refusals(round_: Round, region: RegionContracting) -> list[Refusal]:
    """The region's objection windows (of its latest edition) closed, every objection
    answered: each round's timetable has objection and answer before the contracts."""
    window_rule = round_.deadlines[DeadlineCode.OBJECTION].source.cite()
    answer_rule = round_.deadlines[DeadlineCode.OBJECTION_ANSWER].source.cite()
    refusals = []
    if not region.windows_closed_for_latest():
        edition = region.selection.edition if region.selection else None
        refusals.append(
            Refusal(
                code=RefusalCode.OBJECTION_WINDOWS_OPEN,
                text=f"The objection windows of edition {edition} have not all closed in "
                "this region."
                if edition
                else "No objection window of this region has closed.",
                rule=window_rule,
            )
        )
    refusals += [
        Refusal(
            code=RefusalCode.OBJECTION_NOT_ANSWERED,
            text=f"Objection {objection} in this region is not answered yet.",
            rule=answer_rule,
        )
        for objection in region.unanswered_objections()
    ]
    return refusals


def _standstill_refusals(round_: Round, received_at: datetime) -> list[Refusal]:
    """2018-2020: no contracts until the opschortende termijn ends (12 October 2017 17:00)."""
    if DeadlineCode.STANDSTILL not in round_.deadlines:
        return []
    standstill = deadline_for(round_, DeadlineCode.STANDSTILL)
    if standstill.has_passed(received_at):
        return []
    return [
        Refusal(
            code=RefusalCode.STANDSTILL,
            text=f"Signed {local(received_at).isoformat()}, inside the standstill that ends "
            f"{standstill.last_second.isoformat()}.",
            rule=standstill.source.cite(),
            deadline=standstill.closes_at,
        )
    ]


def _kort_geding_refusals(round_: Round, region: RegionContracting) -> list[Refusal]:
    """A pending kort geding blocks only where the round gives it suspensive effect."""
    if round_.no_suspensive_effect:
        return []
    return [
        Refusal(
            code=RefusalCode.KORT_GEDING_PENDING,
            text=f"A kort geding ({filed}) with suspensive effect is pending in this region.",
            rule=f"{round_.deadlines[DeadlineCode.KORT_GEDING].source.cite()} "
            "(the round gives a kort geding suspensive effect)",
        )
        for filed in region.suspending_kort_gedingen
    ]


def contracting_period(round_: Round) -> tuple[datetime, datetime]:
    """From the timetable's contracting milestone (October) until the contract starts."""
    opens = round_.milestones[MilestoneCode.CONTRACTS_SIGNED].starts_at()
    closes = round_.milestones[MilestoneCode.CONTRACT_STARTS].starts_at()
    return opens, closes


def _period_refusals(round_: Round, received_at: datetime) -> list[Refusal]:
    if MilestoneCode.CONTRACTS_SIGNED not in round_.milestones:
        return []
    opens, closes = contracting_period(round_)
    if opens <= received_at < closes:
        return []
    milestone = round_.milestones[MilestoneCode.CONTRACTS_SIGNED]
    return [
        Refusal(
            code=RefusalCode.OUTSIDE_CONTRACTING_PERIOD,
            text=f"Signed {local(received_at).isoformat()}; contracts are signed from "
            f"{opens.isoformat()} until the contract starts {closes.isoformat()}.",
            rule=milestone.source.cite(),
            deadline=closes if received_at >= closes else None,
        )
    ]


def _capacity_refusals(round_: Round, region: RegionContracting, provider_id: str) -> list[Refusal]:
    refusals = []
    if region.contract_of(provider_id) is not None:
        refusals.append(
            Refusal(
                code=RefusalCode.ALREADY_CONTRACTED,
                text=f"Provider {provider_id} already has a contract for this region in "
                f"round {round_.id}.",
                rule=round_.contract.source.cite(),
                field="provider_id",
            )
        )
    elif region.selection is not None and len(region.contracts) >= region.selection.places:
        refusals.append(
            Refusal(
                code=RefusalCode.REGION_FULL,
                text=f"The region has {len(region.contracts)} contracts for its "
                f"{region.selection.places} places.",
                rule=round_.max_providers_per_region.source.cite(),
            )
        )
    return refusals


def _statement_refusals(
    region: RegionContracting, provider_id: str, new_to_oco: bool
) -> list[Refusal]:
    """A provider already contracted for the region is, by that contract, not new to OCO."""
    party = region.parties.get(provider_id)
    if not new_to_oco or party is None or party.new_to_region:
        return []
    return [
        Refusal(
            code=RefusalCode.NEW_TO_OCO_CONTRADICTED,
            text=f"Provider {provider_id} inscribed as already contracted for this region, "
            "so it is not new to OCO.",
            rule="000_d8e1bdfab127271e.txt 4.1 eis 7 (nieuwe OCO-aanbieders)",
            field="new_to_oco",
        )
    ]


def extension_refusals(
    round_: Round, contract: Contract, until: date, received_at: datetime
) -> list[Refusal]:
    """Only a contract the round makes extendable, to a later end within its limit,
    agreed before the contract ends."""
    limit = contract.signed.extendable_until
    ends = datetime.combine(contract.ends_on + timedelta(days=1), time(0), tzinfo=AMSTERDAM)
    problem = None
    if limit is None:
        problem = f"Round {round_.id} makes this contract not extendable."
    elif not contract.ends_on < until <= limit:
        problem = (
            f"The contract ends {contract.ends_on}; it may be extended to a later date up to "
            f"{limit}, not to {until}."
        )
    elif received_at >= ends:
        problem = f"The contract ended {contract.ends_on}; an extension comes before the end."
    if problem is None:
        return []
    return [
        Refusal(
            code=RefusalCode.NOT_EXTENDABLE,
            text=problem,
            rule=round_.contract.source.cite(),
            field="until",
            deadline=ends if limit is not None and received_at >= ends else None,
        )
    ]


# The terms of a contract.


@dataclass(frozen=True)
class Terms:
    provider: Provider
    consortium_members: tuple[Provider, ...]
    new_to_region: bool
    starts_on: date
    ends_on: date
    extendable_until: date | None
    obligations: tuple[Obligation, ...]


def terms(
    round_: Round,
    region: RegionContracting,
    outcome: PartyOutcome,
    contract: uuid.UUID,
    new_to_oco: bool,
) -> Terms:
    """The round's period (2018-2020: three years for existing organisations, one year
    with extension for new ones, 002_… 1.6), the party as inscribed, and the obligations
    that follow from who it is and from its conditional verdicts."""
    party = region.parties.get(outcome.provider_id)
    provider = party.provider if party else Provider(id=outcome.provider_id, name="-")
    new_to_region = party.new_to_region if party else True
    term = round_.contract
    ends_on = term.ends
    extendable_until = None
    if new_to_region and term.new_provider_ends is not None:
        ends_on = term.new_provider_ends
        extendable_until = term.ends if term.extendable else None
    obligations = [
        *_start_obligations(round_, contract, term.starts, new_to_oco, new_to_region),
        *_condition_obligations(outcome, contract),
    ]
    return Terms(
        provider=provider,
        consortium_members=party.consortium_members if party else (),
        new_to_region=new_to_region,
        starts_on=term.starts,
        ends_on=ends_on,
        extendable_until=extendable_until,
        obligations=tuple(obligations),
    )


def _start_obligations(
    round_: Round, contract: uuid.UUID, starts_on: date, new_to_oco: bool, new_to_region: bool
) -> list[Obligation]:
    """BCMB membership for providers new to OCO; regional knowledge and consultation for
    providers new to the region (domain.md, Deadlines, corrected scopes)."""
    scoped = (
        (DeadlineCode.BCMB_MEMBERSHIP, ObligationKind.BCMB_MEMBERSHIP, new_to_oco),
        (DeadlineCode.REGIONAL_KNOWLEDGE, ObligationKind.REGIONAL_KNOWLEDGE, new_to_region),
    )
    start = datetime.combine(starts_on, time(0), tzinfo=AMSTERDAM)
    obligations = []
    for code, kind, applies in scoped:
        if not applies or code not in round_.deadlines:
            continue
        due = deadline_for(round_, code, start)
        obligations.append(
            Obligation(
                obligation_id=obligation_id(contract, kind.value),
                kind=kind,
                what=due.title,
                due_at=due.closes_at,
                rule=f"{due.source.cite()}: {due.rule}",
            )
        )
    return obligations


def register_obligation(
    round_: Round, contract: uuid.UUID, client_supporter: str, started_on: date
) -> Obligation | None:
    """Enrolment in the Register within the round's term of the person's own start."""
    if DeadlineCode.REGISTER_ENROLMENT not in round_.deadlines:
        return None
    start = datetime.combine(started_on, time(0), tzinfo=AMSTERDAM)
    due = deadline_for(round_, DeadlineCode.REGISTER_ENROLMENT, start)
    return Obligation(
        obligation_id=obligation_id(
            contract, ObligationKind.REGISTER_ENROLMENT.value, client_supporter
        ),
        kind=ObligationKind.REGISTER_ENROLMENT,
        what=f"{due.title}: {client_supporter}",
        due_at=due.closes_at,
        rule=f"{due.source.cite()}: {due.rule}",
        client_supporter=client_supporter,
    )


def _condition_obligations(outcome: PartyOutcome, contract: uuid.UUID) -> list[Obligation]:
    """A requirement met on condition must be met by the condition's day (end of it)."""
    obligations = []
    for verdict in outcome.conditions:
        assert verdict.condition is not None
        due_at = datetime.combine(
            verdict.condition.due_on + timedelta(days=1), time(0), tzinfo=AMSTERDAM
        )
        obligations.append(
            Obligation(
                obligation_id=obligation_id(
                    contract, ObligationKind.VERDICT_CONDITION.value, verdict.code
                ),
                kind=ObligationKind.VERDICT_CONDITION,
                what=verdict.condition.what,
                due_at=due_at,
                rule=f"conditional verdict on {verdict.code} in the published selection "
                f"(due {verdict.condition.due_on}, end of day)",
                requirement_code=verdict.code,
            )
        )
    return obligations
