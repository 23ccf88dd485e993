"""The contracting handlers: one plain function per incoming message or upstream event.

Each takes the typed message, a `UnitOfWork` to read the region's stream, and the
`Received` facts: `received.at` is the time that counts, `received.office` the uitvoerder
whose office subject carried a zorgkantoor's act (its only authority; the body's actor is
recorded, never trusted). Every decision about a region goes into that region's stream,
refusals included. Upstream facts a signature depends on are noted there first
(`PartyNoted`, `SelectionNoted`, `ProcedureNoted`), so each decision reads one stream.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from oco_shared.contract import Actor, ActorKind, Event, Message
from oco_shared.contract.events import (
    AssessmentCaseClosed,
    AssessmentCaseOpened,
    BudgetCeilingSet,
    BudgetOverrunThreatened,
    BudgetReallocated,
    ClientSupporterStarted,
    ContractExtended,
    ContractingRefused,
    ContractRefused,
    ContractSigned,
    KortGedingFiled,
    ObjectionAnswered,
    ObjectionFiled,
    ObjectionWindowClosed,
    ObligationFulfilled,
    PartyNoted,
    ProcedureNoted,
    ProductionReported,
    SelectionNoted,
    SelectionPublished,
    SelectionReopened,
    SignalReportRecorded,
)
from oco_shared.contract.messages import (
    ExtendContract,
    ReallocateBudget,
    RecordObligationEvidence,
    ReportClientSupporterStart,
    ReportProduction,
    SetBudgetCeilings,
    SignContract,
    SubmitObligationEvidence,
    SubmitSignalReport,
)
from oco_shared.contract.parts import CeilingChange, Refusal, RefusalCode
from oco_shared.eventstore import NewEvent
from oco_shared.handling import Received, UnitOfWork
from oco_shared.rounds import Round, UnknownRound, load_round

from oco_contracting.domain.followup import signal_report_due
from oco_contracting.domain.model import Contract, RegionContracting, contract_id, region_id
from oco_contracting.domain.money import (
    OVERRUN_RULE,
    budget_refusals,
    contract_refusals,
    newly_threatened,
    payment,
    region_total,
    review_refusals,
    service_refusals,
)
from oco_contracting.domain.signing import (
    extension_refusals,
    office_refusals,
    register_obligation,
    signing_refusals,
    terms,
)

SERVICE_ACTOR = Actor(kind=ActorKind.SYSTEM, id="contracting")
PORTAL_RULE = "README: subjects by authority (oco.portal.> carries providers' own messages)"


# Assessment's events: the parties and the latest selection of each region.


def case_opened(
    event: AssessmentCaseOpened, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    if event.region_code is None:
        return []
    region = _region(uow, event.round_id, event.region_code)
    return [NewEvent(region.id, region.version + 1, _party_noted(event, received, event, True))]


def case_closed(
    event: AssessmentCaseClosed, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    if event.region_code is None:
        return []
    region = _region(uow, event.round_id, event.region_code)
    party = region.parties.get(event.provider_id or "")
    if party is None:
        return []
    return [NewEvent(region.id, region.version + 1, _party_noted(event, received, party, False))]


def _party_noted(
    event: Event, received: Received, party: AssessmentCaseOpened | PartyNoted, open_: bool
) -> PartyNoted:
    return PartyNoted(
        **_following(event, received),
        source_event_id=event.event_id,
        provider=party.provider,
        consortium_members=party.consortium_members,
        new_to_region=party.new_to_region,
        open=open_,
    )


def selection_published(
    event: SelectionPublished, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """A later edition supersedes the earlier one: signatures follow the latest."""
    if event.region_code is None:
        return []
    region = _region(uow, event.round_id, event.region_code)
    if region.selection is not None and region.selection.edition >= event.edition:
        return []
    noted = SelectionNoted(
        **_following(event, received),
        source_event_id=event.event_id,
        edition=event.edition,
        places=event.places,
        outcomes=event.outcomes,
    )
    return [NewEvent(region.id, region.version + 1, noted)]


def selection_reopened(
    event: SelectionReopened, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    return _procedure_noted(event, received, uow, edition=event.reopened_edition)


# The objection service's events: windows, objections, answers, kort gedingen.


def window_closed(
    event: ObjectionWindowClosed, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """Only the region's own closing (every window of an edition) matters for signing."""
    if event.scope != "region":
        return []
    return _procedure_noted(
        event, received, uow, selection_event_id=event.selection_event_id, edition=event.edition
    )


def objection_filed(
    event: ObjectionFiled, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    return _procedure_noted(
        event, received, uow, objection_id=event.objection_id, edition=event.edition
    )


def objection_answered(
    event: ObjectionAnswered, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    return _procedure_noted(
        event, received, uow, objection_id=event.objection_id, decision=event.decision
    )


def kort_geding_filed(
    event: KortGedingFiled, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """Noted with the suspensive effect the objection service derived from the round."""
    return _procedure_noted(
        event,
        received,
        uow,
        objection_id=event.objection_id,
        suspends_procedure=event.suspends_procedure,
    )


def not_for_contracting(event: Event, uow: UnitOfWork, received: Received) -> Sequence[NewEvent]:
    """Upstream events that change nothing here (verdicts, scores, refusals, ...)."""
    return []


def _procedure_noted(
    event: Event, received: Received, uow: UnitOfWork, **fields: Any
) -> Sequence[NewEvent]:
    if event.region_code is None:
        return []  # a fact of no region cannot hold up a region's signature
    region = _region(uow, event.round_id, event.region_code)
    noted = ProcedureNoted(
        **_following(event, received),
        source_event_id=event.event_id,
        source_type=event.type,
        **fields,
    )
    return [NewEvent(region.id, region.version + 1, noted)]


def region_of_event(event: Event) -> list[uuid.UUID]:
    if event.region_code is None:
        return []
    return [region_id(event.round_id, event.region_code)]


# The zorgkantoor's acts, each on oco.office.<uitvoerder>.contracting.


def sign_contract(message: SignContract, uow: UnitOfWork, received: Received) -> Sequence[NewEvent]:
    """`ContractSigned` when every condition holds, else `ContractRefused` naming each."""
    region = _region(uow, message.round_id, message.region_code)
    round_, refusals = _office_checks(message, received)
    if round_ is not None and not refusals:
        refusals = signing_refusals(
            round_, region, message.provider_id, message.new_to_oco, received.at
        )
    outcome = region.outcome_of(message.provider_id)
    ceiling = outcome.provisional_budget_ceiling if outcome else None
    if round_ is None or refusals or outcome is None or ceiling is None or not region.selection:
        return _refused(region, message, received, refusals)
    contract = contract_id(message.round_id, message.region_code, message.provider_id)
    agreed = terms(round_, region, outcome, contract, message.new_to_oco)
    signed = ContractSigned(
        **_acting(message, received, message.provider_id),
        message_id=message.message_id,
        contract_id=contract,
        uitvoerder_code=str(received.office),
        provider=agreed.provider,
        consortium_members=agreed.consortium_members,
        # A consortium is one party; every member is jointly and severally liable
        # (domain.md, "Who is who"; 000_d8e1bdfab127271e.txt 6, document 6).
        jointly_and_severally_liable=bool(agreed.consortium_members),
        selection_event_id=region.selection.source_event_id,
        edition=region.selection.edition,
        new_to_oco=message.new_to_oco,
        new_to_region=agreed.new_to_region,
        starts_on=agreed.starts_on,
        ends_on=agreed.ends_on,
        extendable_until=agreed.extendable_until,
        hourly_tariff=round_.tariff.amount,
        tariff_rule=round_.tariff.source.cite(),
        provisional_budget_ceiling=ceiling,
        conditions=outcome.conditions,
        obligations=agreed.obligations,
    )
    return [NewEvent(region.id, region.version + 1, signed)]


def extend_contract(
    message: ExtendContract, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """A contract the round lets the zorgkantoor extend (2018-2020: a new organisation's
    one-year contract, up to 31 December 2020), before it ends."""
    region = _region(uow, message.round_id, message.region_code)
    round_, refusals = _office_checks(message, received)
    if round_ is not None and not refusals:
        refusals = contract_refusals(region, [message.provider_id])
    contract = region.contract_of(message.provider_id)
    if round_ is not None and contract is not None and not refusals:
        refusals = extension_refusals(round_, contract, message.until, received.at)
    limit = contract.signed.extendable_until if contract else None
    if round_ is None or contract is None or limit is None or refusals:
        return _refused(region, message, received, refusals)
    extended = ContractExtended(
        **_acting(message, received, message.provider_id),
        message_id=message.message_id,
        contract_id=contract.id,
        uitvoerder_code=str(received.office),
        ended_on=contract.ends_on,
        ends_on=message.until,
        extendable_until=limit,
    )
    return [NewEvent(region.id, region.version + 1, extended)]


def set_budget_ceilings(
    message: SetBudgetCeilings, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    region = _region(uow, message.round_id, message.region_code)
    round_, refusals = _office_checks(message, received)
    providers = [ceiling.provider_id for ceiling in message.ceilings]
    if round_ is not None and not refusals:
        refusals = contract_refusals(region, providers, message.year)
    if not refusals:
        refusals = budget_refusals(region, message.year, message.region_budget, message.ceilings)
    if round_ is None or refusals:
        return _refused(region, message, received, refusals)
    total = region_total(region, message.year, {c.provider_id: c.amount for c in message.ceilings})
    decided: list[Event] = [
        BudgetCeilingSet(
            **_acting(message, received, ceiling.provider_id),
            message_id=message.message_id,
            uitvoerder_code=str(received.office),
            contract_id=region.contracts[ceiling.provider_id].id,
            year=message.year,
            ceiling=ceiling.amount,
            region_budget=message.region_budget,
            region_total=total,
        )
        for ceiling in message.ceilings
    ]
    return _appended(region, decided)


def reallocate_budget(
    message: ReallocateBudget, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """New ceilings for some parties at a review moment; the region's sum stays within its
    budget, or the whole reallocation is refused."""
    region = _region(uow, message.round_id, message.region_code)
    round_, refusals = _office_checks(message, received)
    if round_ is not None and not refusals:
        refusals = review_refusals(round_, message.review_month) + contract_refusals(
            region, [c.provider_id for c in message.ceilings], message.year
        )
    budget = region.region_budget.get(message.year)
    if not refusals:
        refusals = budget_refusals(region, message.year, budget, message.ceilings)
    if round_ is None or budget is None or refusals:
        return _refused(region, message, received, refusals)
    changes = tuple(
        CeilingChange(
            provider_id=ceiling.provider_id,
            before=region.contracts[ceiling.provider_id].ceilings.get(message.year),
            after=ceiling.amount,
        )
        for ceiling in message.ceilings
    )
    assert round_.budget_review is not None, "review_refusals passed"
    reallocated = BudgetReallocated(
        **_acting(message, received, None),
        message_id=message.message_id,
        uitvoerder_code=str(received.office),
        year=message.year,
        changes=changes,
        reason=message.reason,
        review_month=message.review_month,
        region_budget=budget,
        region_total=region_total(
            region, message.year, {c.provider_id: c.amount for c in message.ceilings}
        ),
        rule=round_.budget_review.source.cite(),
    )
    return [NewEvent(region.id, region.version + 1, reallocated)]


# The provider's portal: client supporters, evidence, production, signal reports.


def report_client_supporter_start(
    message: ReportClientSupporterStart, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    region = _region(uow, message.round_id, message.region_code)
    round_, contract, refusals = _portal_checks(message, region)
    obligation = None
    if round_ is not None and contract is not None and not refusals:
        obligation = register_obligation(
            round_, contract.id, message.client_supporter, message.started_on
        )
        if obligation is None:
            refusals = [_not_in_round(round_, "enrolment of new client supporters in a Register")]
        elif obligation.obligation_id in contract.obligations:
            refusals = [
                Refusal(
                    code=RefusalCode.CLIENT_SUPPORTER_ALREADY_REPORTED,
                    text=f"Client supporter {message.client_supporter} was reported before.",
                    rule=obligation.rule,
                    field="client_supporter",
                )
            ]
    if contract is None or obligation is None or refusals:
        return _refused(region, message, received, refusals)
    started = ClientSupporterStarted(
        **_acting(message, received, message.provider_id),
        message_id=message.message_id,
        contract_id=contract.id,
        started_on=message.started_on,
        obligation=obligation,
    )
    return [NewEvent(region.id, region.version + 1, started)]


def submit_obligation_evidence(
    message: SubmitObligationEvidence, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """The provider's evidence fulfils an open obligation; after its due date it is
    recorded as late."""
    region = _region(uow, message.round_id, message.region_code)
    round_, contract, refusals = _portal_checks(message, region)
    return _fulfilment(round_, region, contract, refusals, message, received)


def record_obligation_evidence(
    message: RecordObligationEvidence, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """Evidence the zorgkantoor received otherwise (the BCMB's or the Register's own word)."""
    region = _region(uow, message.round_id, message.region_code)
    round_, refusals = _office_checks(message, received)
    if round_ is not None and not refusals:
        refusals = contract_refusals(region, [message.provider_id])
    contract = region.contract_of(message.provider_id)
    return _fulfilment(round_, region, contract, refusals, message, received)


def _fulfilment(
    round_: Round | None,
    region: RegionContracting,
    contract: Contract | None,
    refusals: list[Refusal],
    message: SubmitObligationEvidence | RecordObligationEvidence,
    received: Received,
) -> Sequence[NewEvent]:
    state = contract.obligations.get(message.obligation_id) if contract else None
    if round_ is not None and contract is not None and not refusals:
        if state is None:
            refusals = [
                Refusal(
                    code=RefusalCode.UNKNOWN_OBLIGATION,
                    text=f"The contract of {message.provider_id} has no obligation "
                    f"{message.obligation_id}.",
                    rule=round_.contract.source.cite(),
                    field="obligation_id",
                )
            ]
        elif state.fulfilled is not None:
            refusals = [
                Refusal(
                    code=RefusalCode.OBLIGATION_ALREADY_FULFILLED,
                    text=f"Obligation {message.obligation_id} was fulfilled before.",
                    rule=state.obligation.rule,
                    field="obligation_id",
                )
            ]
    if contract is None or state is None or refusals:
        return _refused(region, message, received, refusals)
    fulfilled = ObligationFulfilled(
        **_acting(message, received, message.provider_id),
        message_id=message.message_id,
        contract_id=contract.id,
        obligation_id=message.obligation_id,
        kind=state.obligation.kind,
        evidence=message.evidence,
        due_at=state.obligation.due_at,
        late=received.at >= state.obligation.due_at,
    )
    return [NewEvent(region.id, region.version + 1, fulfilled)]


def report_production(
    message: ReportProduction, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    """Hours paid at the tariff up to the ceiling; a month that puts the year's projection
    over the ceiling raises `BudgetOverrunThreatened`, the start of the escalation."""
    region = _region(uow, message.round_id, message.region_code)
    round_, contract, refusals = _portal_checks(message, region)
    if round_ is not None and contract is not None and not refusals:
        refusals = service_refusals(round_, message.hours) + _month_refusals(
            round_, contract, message.year, message.month
        )
    if contract is None or refusals:
        return _refused(region, message, received, refusals)
    priced = payment(contract, message.year, message.month, message.hours)
    envelope = _acting(message, received, message.provider_id)
    decided: list[Event] = [
        ProductionReported(
            **envelope,
            message_id=message.message_id,
            contract_id=contract.id,
            year=message.year,
            month=message.month,
            hours=message.hours,
            total_hours=priced.total_hours,
            hourly_tariff=contract.signed.hourly_tariff,
            amount=priced.amount,
            paid=priced.paid,
            paid_this_year=priced.paid_this_year,
            ceiling=priced.ceiling,
            ceiling_kind=priced.ceiling_kind,
            projected_year_amount=priced.projected_year_amount,
        )
    ]
    if newly_threatened(contract, message.year, priced):
        decided.append(
            BudgetOverrunThreatened(
                **{**envelope, "actor": SERVICE_ACTOR, "claimed_at": None},
                contract_id=contract.id,
                year=message.year,
                month=message.month,
                projected_year_amount=priced.projected_year_amount,
                ceiling=priced.ceiling,
                rule=OVERRUN_RULE,
            )
        )
    return _appended(region, decided)


def submit_signal_report(
    message: SubmitSignalReport, uow: UnitOfWork, received: Received
) -> Sequence[NewEvent]:
    region = _region(uow, message.round_id, message.region_code)
    round_, contract, refusals = _portal_checks(message, region)
    due = signal_report_due(round_, message.year, message.quarter) if round_ else None
    if round_ is not None and contract is not None and not refusals:
        if due is None:
            refusals = [_not_in_round(round_, "quarterly signal reports")]
        elif (message.year, message.quarter) in contract.signal_reports:
            refusals = [
                Refusal(
                    code=RefusalCode.SIGNAL_REPORT_ALREADY_RECORDED,
                    text=f"The signal report of {message.year} Q{message.quarter} was "
                    "recorded before.",
                    rule=round_.signal_reports.source.cite() if round_.signal_reports else "",
                    field="quarter",
                )
            ]
        else:
            refusals = _month_refusals(round_, contract, message.year, message.quarter * 3)
    if contract is None or due is None or refusals:
        return _refused(region, message, received, refusals)
    recorded = SignalReportRecorded(
        **_acting(message, received, message.provider_id),
        message_id=message.message_id,
        contract_id=contract.id,
        year=message.year,
        quarter=message.quarter,
        report=message.report,
        due_at=due,
        late=received.at >= due,
    )
    return [NewEvent(region.id, region.version + 1, recorded)]


def region_of_message(message: Any) -> list[uuid.UUID]:
    return [region_id(message.round_id, message.region_code)]


def refuse_message(message: Any, received: Received, refusal: Refusal) -> Event:
    """The refusal of a message the shared consumer refused before judging it."""
    return _refusal(message, received, (refusal,))


def _refusal(message: Any, received: Received, refusals: tuple[Refusal, ...]) -> Event:
    if isinstance(message, SignContract):
        return ContractRefused(
            **_acting(message, received, message.provider_id),
            message_id=message.message_id,
            uitvoerder_code=received.office,
            refusals=refusals,
        )
    return ContractingRefused(
        **_acting(message, received, getattr(message, "provider_id", None)),
        message_id=message.message_id,
        message_type=message.type,
        uitvoerder_code=received.office,
        refusals=refusals,
    )


# Shared plumbing of the handlers.


def _office_checks(message: Message, received: Received) -> tuple[Round | None, list[Refusal]]:
    round_ = _known_round(message.round_id)
    if round_ is None:
        return None, [_unknown_round(message.round_id)]
    return round_, office_refusals(round_, received.office, getattr(message, "region_code", ""))


def _portal_checks(
    message: Any, region: RegionContracting
) -> tuple[Round | None, Contract | None, list[Refusal]]:
    """A provider acts for itself only, on a contract it has in the region."""
    round_ = _known_round(message.round_id)
    if round_ is None:
        return None, None, [_unknown_round(message.round_id)]
    actor = message.actor
    if not (actor.kind is ActorKind.PROVIDER and actor.id == message.provider_id):
        return (
            round_,
            None,
            [
                Refusal(
                    code=RefusalCode.NOT_AUTHORISED,
                    text=f"A message for provider {message.provider_id} came from "
                    f"{actor.kind.value} {actor.id!r}; only the provider reports for itself.",
                    rule=PORTAL_RULE,
                    field="actor",
                )
            ],
        )
    refusals = contract_refusals(region, [message.provider_id])
    return round_, region.contract_of(message.provider_id), refusals


def _month_refusals(round_: Round, contract: Contract, year: int, month: int) -> list[Refusal]:
    first = contract.signed.starts_on.replace(day=1)
    if first <= first.replace(year=year, month=month) <= contract.ends_on:
        return []
    return [
        Refusal(
            code=RefusalCode.OUTSIDE_CONTRACT_PERIOD,
            text=f"{year}-{month:02d} lies outside the contract, which runs "
            f"{contract.signed.starts_on} to {contract.ends_on}.",
            rule=round_.contract.source.cite(),
            field="month",
        )
    ]


def _not_in_round(round_: Round, what: str) -> Refusal:
    return Refusal(
        code=RefusalCode.NOT_ASKED_IN_ROUND,
        text=f"Round {round_.id} asks for no {what}.",
        rule=round_.source.cite(),
    )


def _unknown_round(round_id: str) -> Refusal:
    return Refusal(
        code=RefusalCode.UNKNOWN_ROUND, text=f"There is no round {round_id}.", rule="rounds data"
    )


def _refused(
    region: RegionContracting, message: Message, received: Received, refusals: list[Refusal]
) -> list[NewEvent]:
    refused = _refusal(message, received, tuple(refusals))
    return [NewEvent(region.id, region.version + 1, refused)]


def _appended(region: RegionContracting, events: Sequence[Event]) -> list[NewEvent]:
    return [
        NewEvent(region.id, region.version + offset, event)
        for offset, event in enumerate(events, start=1)
    ]


def _acting(message: Message, received: Received, provider_id: str | None) -> dict[str, Any]:
    """The envelope of what a message caused: receipt time decides, `sent_at` is a claim."""
    return {
        "round_id": message.round_id,
        "region_code": getattr(message, "region_code", None),
        "provider_id": provider_id,
        "occurred_at": received.at,
        "claimed_at": message.sent_at,
        "correlation_id": message.correlation_id or message.message_id,
        "causation_id": message.message_id,
        "actor": message.actor,
    }


def _following(event: Event, received: Received) -> dict[str, Any]:
    """The envelope of what another service's event caused in a region."""
    return {
        "round_id": event.round_id,
        "region_code": event.region_code,
        "provider_id": event.provider_id,
        "occurred_at": received.at,
        "correlation_id": event.correlation_id,
        "causation_id": event.event_id,
        "actor": SERVICE_ACTOR,
    }


def _region(uow: UnitOfWork, round_id: str, region_code: str) -> RegionContracting:
    aggregate_id = region_id(round_id, region_code)
    return RegionContracting.replay(aggregate_id, uow.get(aggregate_id))


def _known_round(round_id: str) -> Round | None:
    try:
        return load_round(round_id)
    except UnknownRound:
        return None
