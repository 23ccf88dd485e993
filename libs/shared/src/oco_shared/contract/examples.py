"""One valid example of every contract model.

Used in the published schemas and AsyncAPI documents, by `oco portal send --example`, and
by tests that show each model refusing bad input: an example that stops validating breaks
the build, not a portal. A portal's message example is also one its service would accept
(sent inside its round's window, with every document the round requires), and
`message_example` gives the same message for any round.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from oco_shared.contract.base import ActorKind
from oco_shared.rounds import DeadlineCode, MilestoneCode, Round, load_round
from oco_shared.rounds.model import AMSTERDAM

_CORRELATION = uuid.UUID("0b5d5c2e-7f1a-4c1e-9d0a-6a1f2b3c4d5e")
_INSCRIPTION = uuid.UUID("5f0c8f4e-2b1d-4e7a-9c3b-1a2b3c4d5e6f")
_OBJECTION = uuid.UUID("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")
_MESSAGE = uuid.UUID("3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b0a")
_SELECTION = uuid.UUID("6e5d4c3b-2a19-4f08-8e7d-6c5b4a392817")
_OBJECTION_RULE = "000_d8e1bdfab127271e.txt 6 Bezwaar: 14 kalenderdagen na de uitslag"
_KORT_GEDING_RULE = "000_d8e1bdfab127271e.txt 6 Kort geding: 14 kalenderdagen na het antwoord"
_SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

PROVIDER = {"id": "12345678", "name": "Stichting Naast de Cliënt"}
DOCUMENT = {
    "kind": "vog_rp",
    "filename": "vog-rp.pdf",
    "issued_on": "2026-05-04",
    "sha256": _SHA,
    "size_bytes": 182_344,
    "media_type": "application/pdf",
    "searchable": True,
}


def _at(*parts: int) -> str:
    return datetime(*parts, tzinfo=AMSTERDAM).isoformat()  # type: ignore[arg-type,misc]


def _event(type_name: str, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": "7d9f0c1e-3a2b-4c5d-8e6f-0a1b2c3d4e5f",
        "type": type_name,
        "schema_version": 1,
        "round_id": "2027-2028",
        "region_code": "amsterdam",
        "provider_id": "12345678",
        "occurred_at": _at(2026, 7, 15, 10, 30),
        "broker_time": _at(2026, 7, 15, 10, 30),
        "claimed_at": _at(2026, 7, 15, 10, 29),
        "correlation_id": str(_CORRELATION),
        "causation_id": str(_MESSAGE),
        "actor": {"kind": ActorKind.PORTAL.value, "id": "portal.zilveren-kruis"},
        **fields,
    }


def _message(
    type_name: str, actor: ActorKind = ActorKind.PROVIDER, **fields: Any
) -> dict[str, Any]:
    return {
        "message_id": str(_MESSAGE),
        "type": type_name,
        "schema_version": 1,
        "round_id": "2027-2028",
        "sent_at": _at(2026, 7, 15, 10, 29),
        "correlation_id": str(_CORRELATION),
        "actor": {
            "kind": actor.value,
            "id": "12345678" if actor is ActorKind.PROVIDER else "zilveren-kruis",
        },
        **fields,
    }


_REFUSAL = {
    "code": "inscription_closed",
    "text": "Received 2026-07-31 17:00:01, after the inscription closed at 17:00.",
    "rule": "000_d8e1bdfab127271e.txt 6 Inschrijvingen en procedure",
    "deadline": _at(2026, 7, 31, 17, 0, 1),
}
_SYSTEM = {"kind": ActorKind.SYSTEM.value, "id": "assessment"}
_OFFICE = {"kind": ActorKind.ZORGKANTOOR.value, "id": "zilveren-kruis"}
_REQUEST = uuid.UUID("4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8")
_VERDICT = {
    "code": "G02",
    "verdict": "met",
    "motivation": "Alle cliëntondersteuners hebben een hbo-opleiding.",
    "evidence": ["motivation.pdf p. 4"],
}
_CONDITIONAL = {
    "code": "G07",
    "verdict": "met_on_condition",
    "motivation": "Nieuwe OCO-aanbieder: nog geen lid van de BCMB.",
    "evidence": ["bestuursverklaring.pdf"],
    "condition": {"what": "Lidmaatschap van de BCMB", "due_on": "2027-04-30"},
}


def _summary(verdict: dict[str, Any]) -> dict[str, Any]:
    return {key: verdict[key] for key in ("code", "verdict", "condition") if key in verdict}


_SCORE = {"code": "experience", "score": 3, "motivation": "Wlz-contract in 2026 (a)."}
_REQUESTED = {"kind": "annual_accounts", "description": "De jaarrekening 2025."}
_CONTRACT = uuid.UUID("1b2c3d4e-5f60-4718-9a0b-c1d2e3f40516")
_CONTRACTING = {"kind": ActorKind.SYSTEM.value, "id": "contracting"}
_OBLIGATION = {
    "obligation_id": "2c3d4e5f-6071-4829-8a1b-d2e3f4051627",
    "kind": "bcmb_membership",
    "what": "Nieuwe OCO-aanbieder: lid van beroepsvereniging BCMB",
    "due_at": _at(2027, 5, 2, 0, 0),
    "rule": "000_d8e1bdfab127271e.txt 4.1 Geschiktheidseisen, eis 7: binnen vier maanden na "
    "de ingang van de overeenkomst",
}
_REGION = {"region_code": "amsterdam", "new_to_region": False, "wmo_municipalities": ["Amsterdam"]}

EXAMPLES: dict[str, dict[str, Any]] = {
    "RoundOpened": _event(
        "RoundOpened",
        region_code=None,
        provider_id=None,
        claimed_at=None,
        rule_set_version="2027-2028/1",
        title="Inkoopbeleid OCO 2027-2028",
    ),
    "InscriptionReceived": _event(
        "InscriptionReceived",
        inscription_id=str(_INSCRIPTION),
        revision=1,
        message_id=str(_MESSAGE),
        uitvoerder_code="zilveren-kruis",
        provider=PROVIDER,
        regions=[_REGION],
        consortium_members=[],
        subcontractor_intent=False,
        documents=[DOCUMENT],
        rule_set_version="2027-2028/1",
    ),
    "InscriptionRejected": _event(
        "InscriptionRejected",
        message_id=str(_MESSAGE),
        payload_sha256=_SHA,
        regions=["amsterdam"],
        refusals=[_REFUSAL],
    ),
    "InscriptionWithdrawn": _event(
        "InscriptionWithdrawn",
        inscription_id=str(_INSCRIPTION),
        message_id=str(_MESSAGE),
    ),
    "QuestionReceived": _event(
        "QuestionReceived",
        question_id="Q-0001",
        message_id=str(_MESSAGE),
        text="Telt een Wmo-contract met een gemeente buiten de regio als ervaring?",
    ),
    "QuestionRejected": _event(
        "QuestionRejected",
        message_id=str(_MESSAGE),
        refusals=[{**_REFUSAL, "code": "questions_closed"}],
    ),
    "NotaVanInlichtingenPublished": _event(
        "NotaVanInlichtingenPublished",
        region_code=None,
        provider_id=None,
        message_id=str(_MESSAGE),
        answers=[{"question_id": "Q-0001", "answer": "Nee."}],
    ),
    "AssessmentCaseOpened": _event(
        "AssessmentCaseOpened",
        claimed_at=None,
        actor=_SYSTEM,
        inscription_id=str(_INSCRIPTION),
        revision=1,
        uitvoerder_code="zilveren-kruis",
        provider=PROVIDER,
        consortium_members=[],
        new_to_region=False,
    ),
    "AssessmentCaseClosed": _event(
        "AssessmentCaseClosed",
        claimed_at=None,
        actor=_SYSTEM,
        inscription_id=str(_INSCRIPTION),
        reason="withdrawn",
    ),
    "RegionPlacesSet": _event(
        "RegionPlacesSet",
        provider_id=None,
        actor=_OFFICE,
        message_id=str(_MESSAGE),
        uitvoerder_code="zilveren-kruis",
        places=3,
        round_maximum=4,
        motivation="Drie aanbieders volstaan gezien de regionale ontwikkelingen.",
    ),
    "VerdictsRecorded": _event(
        "VerdictsRecorded",
        actor=_OFFICE,
        message_id=str(_MESSAGE),
        inscription_id=str(_INSCRIPTION),
        verdicts=[_VERDICT, _CONDITIONAL],
    ),
    "SuitabilityAssessed": _event(
        "SuitabilityAssessed",
        actor=_OFFICE,
        inscription_id=str(_INSCRIPTION),
        revision=1,
        verdicts=[_VERDICT, _CONDITIONAL],
        suitable=True,
        failed_requirements=[],
    ),
    "CriteriaScored": _event(
        "CriteriaScored",
        actor=_OFFICE,
        message_id=str(_MESSAGE),
        inscription_id=str(_INSCRIPTION),
        scores=[_SCORE],
    ),
    "DocumentsRequested": _event(
        "DocumentsRequested",
        actor=_OFFICE,
        message_id=str(_MESSAGE),
        request_id=str(_REQUEST),
        inscription_id=str(_INSCRIPTION),
        documents=[_REQUESTED],
        reason="Gerede twijfel over de financiële continuïteit.",
        answer_by=_at(2026, 8, 21, 17, 0),
    ),
    "DocumentsSupplied": _event(
        "DocumentsSupplied",
        message_id=str(_MESSAGE),
        request_id=str(_REQUEST),
        documents=[{**DOCUMENT, "kind": "annual_accounts", "filename": "jaarrekening.pdf"}],
    ),
    "LotRequired": _event(
        "LotRequired",
        provider_id=None,
        claimed_at=None,
        actor=_OFFICE,
        candidates=["12345678", "87654321"],
        places=1,
        provisional_budget_ceiling="125000.00",
    ),
    "LotDrawn": _event(
        "LotDrawn",
        provider_id=None,
        actor=_OFFICE,
        message_id=str(_MESSAGE),
        candidates=["12345678", "87654321"],
        drawn_order=["87654321", "12345678"],
        places=1,
        notary="mr. A. de Notaris",
        report_sha256=_SHA,
    ),
    "SelectionPublished": _event(
        "SelectionPublished",
        provider_id=None,
        actor=_OFFICE,
        edition=1,
        supersedes=None,
        uitvoerder_code="zilveren-kruis",
        places=4,
        outcomes=[
            {
                "provider_id": "12345678",
                "inscription_id": str(_INSCRIPTION),
                "outcome": "selected",
                "reason": "ranked_within_places",
                "rank": 2,
                "failed_requirements": [],
                "suitability_assessed": "7d9f0c1e-3a2b-4c5d-8e6f-0a1b2c3d4e5f",
                "verdicts": [_summary(_VERDICT), _summary(_CONDITIONAL)],
                "scores": [_SCORE],
                "provisional_budget_ceiling": "125000.00",
            }
        ],
        objection_channel="zorginkoopwz.OUK@zilverenkuis.nl",
        objection_closes_at=_at(2026, 10, 3, 0, 0),
        planned_on="2026-09-18",
        late=False,
    ),
    "SelectionReopened": _event(
        "SelectionReopened",
        claimed_at=None,
        actor=_SYSTEM,
        objection_id=str(_OBJECTION),
        decision="upheld",
        reopened_edition=1,
    ),
    "AssessmentRefused": _event(
        "AssessmentRefused",
        actor=_OFFICE,
        message_id=str(_MESSAGE),
        message_type="AssessSuitability",
        uitvoerder_code="vgz",
        refusals=[
            {
                "code": "region_not_served",
                "text": "Region amsterdam is served by zilveren-kruis, not by vgz.",
                "rule": "000_d8e1bdfab127271e.txt 6 Inschrijvingen en procedure, tabel "
                "zorgkantoren",
            }
        ],
    ),
    "ObjectionWindowOpened": _event(
        "ObjectionWindowOpened",
        actor={"kind": ActorKind.SYSTEM.value, "id": "objection"},
        claimed_at=None,
        occurred_at=_at(2026, 9, 18, 12, 0),
        selection_event_id=str(_SELECTION),
        edition=1,
        uitvoerder_code="zilveren-kruis",
        outcome="rejected",
        channel="zorginkoopwz.OUK@zilverenkuis.nl",
        opens_at=_at(2026, 9, 18, 12, 0),
        closes_at=_at(2026, 10, 3, 0, 0),
        rule=_OBJECTION_RULE,
    ),
    "ObjectionFiled": _event(
        "ObjectionFiled",
        objection_id=str(_OBJECTION),
        message_id=str(_MESSAGE),
        uitvoerder_code="zilveren-kruis",
        selection_event_id=str(_SELECTION),
        edition=1,
        grounds="De ervaring in de regio is onjuist gewogen.",
        evidence=[DOCUMENT],
        channel="zorginkoopwz.OUK@zilverenkuis.nl",
        window_closes_at=_at(2026, 10, 3, 0, 0),
        answer_due_at=_at(2026, 10, 17, 0, 0),
    ),
    "ObjectionRejected": _event(
        "ObjectionRejected",
        message_id=str(_MESSAGE),
        refusals=[
            {
                "code": "window_closed",
                "text": "The objection window closed at 2026-10-02 23:59:59 Europe/Amsterdam.",
                "rule": _OBJECTION_RULE,
                "deadline": _at(2026, 10, 3, 0, 0),
            }
        ],
    ),
    "ObjectionAnswered": _event(
        "ObjectionAnswered",
        actor={"kind": ActorKind.ZORGKANTOOR.value, "id": "zilveren-kruis"},
        objection_id=str(_OBJECTION),
        message_id=str(_MESSAGE),
        uitvoerder_code="zilveren-kruis",
        decision="dismissed",
        answer="Het bezwaar is ongegrond.",
        answer_due_at=_at(2026, 10, 17, 0, 0),
        late=False,
        kort_geding_closes_at=_at(2026, 10, 31, 0, 0),
    ),
    "ObjectionAnswerRejected": _event(
        "ObjectionAnswerRejected",
        actor={"kind": ActorKind.ZORGKANTOOR.value, "id": "zilveren-kruis"},
        message_id=str(_MESSAGE),
        objection_id=str(_OBJECTION),
        uitvoerder_code="zilveren-kruis",
        refusals=[
            {
                "code": "objection_already_answered",
                "text": "Objection 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d was answered already.",
                "rule": _OBJECTION_RULE,
            }
        ],
    ),
    "ObjectionAnswerOverdue": _event(
        "ObjectionAnswerOverdue",
        actor={"kind": ActorKind.SYSTEM.value, "id": "objection"},
        claimed_at=None,
        objection_id=str(_OBJECTION),
        uitvoerder_code="zilveren-kruis",
        answer_due_at=_at(2026, 10, 17, 0, 0),
        rule=_OBJECTION_RULE,
    ),
    "ObjectionWindowClosed": _event(
        "ObjectionWindowClosed",
        actor={"kind": ActorKind.SYSTEM.value, "id": "objection"},
        claimed_at=None,
        scope="party",
        selection_event_id=str(_SELECTION),
        edition=1,
        closed_at=_at(2026, 10, 3, 0, 0),
        rule=_OBJECTION_RULE,
        objections_filed=1,
    ),
    "KortGedingFiled": _event(
        "KortGedingFiled",
        message_id=str(_MESSAGE),
        objection_id=str(_OBJECTION),
        court="Rechtbank Den Haag",
        case_number="C/09/700001 KG ZA 26-1001",
        summoned_on="2026-10-20",
        closes_at=_at(2026, 10, 31, 0, 0),
        rule=_KORT_GEDING_RULE,
        suspends_procedure=False,
    ),
    "KortGedingRejected": _event(
        "KortGedingRejected",
        message_id=str(_MESSAGE),
        refusals=[
            {
                "code": "kort_geding_out_of_time",
                "text": "The kort geding term (vervaltermijn) closed at 2026-10-30 23:59:59.",
                "rule": _KORT_GEDING_RULE,
                "deadline": _at(2026, 10, 31, 0, 0),
            }
        ],
    ),
    "KortGedingTermClosed": _event(
        "KortGedingTermClosed",
        actor={"kind": ActorKind.SYSTEM.value, "id": "objection"},
        claimed_at=None,
        objection_id=str(_OBJECTION),
        closed_at=_at(2026, 10, 31, 0, 0),
        rule=_KORT_GEDING_RULE,
        kort_gedingen_filed=0,
    ),
    "PartyNoted": _event(
        "PartyNoted",
        claimed_at=None,
        actor=_CONTRACTING,
        source_event_id="7d9f0c1e-3a2b-4c5d-8e6f-0a1b2c3d4e5f",
        provider=PROVIDER,
        consortium_members=[],
        new_to_region=True,
        open=True,
    ),
    "SelectionNoted": _event(
        "SelectionNoted",
        provider_id=None,
        claimed_at=None,
        actor=_CONTRACTING,
        source_event_id=str(_SELECTION),
        edition=1,
        places=4,
        outcomes=[
            {
                "provider_id": "12345678",
                "inscription_id": str(_INSCRIPTION),
                "outcome": "selected",
                "reason": "ranked_within_places",
                "rank": 2,
                "verdicts": [_summary(_VERDICT), _summary(_CONDITIONAL)],
                "provisional_budget_ceiling": "125000.00",
            }
        ],
    ),
    "ProcedureNoted": _event(
        "ProcedureNoted",
        claimed_at=None,
        actor=_CONTRACTING,
        source_event_id="7d9f0c1e-3a2b-4c5d-8e6f-0a1b2c3d4e5f",
        source_type="ObjectionAnswered",
        objection_id=str(_OBJECTION),
    ),
    "ContractSigned": _event(
        "ContractSigned",
        actor=_OFFICE,
        occurred_at=_at(2026, 10, 19, 10, 0),
        broker_time=_at(2026, 10, 19, 10, 0),
        claimed_at=_at(2026, 10, 19, 9, 59),
        message_id=str(_MESSAGE),
        contract_id=str(_CONTRACT),
        uitvoerder_code="zilveren-kruis",
        provider=PROVIDER,
        consortium_members=[],
        jointly_and_severally_liable=False,
        selection_event_id=str(_SELECTION),
        edition=1,
        new_to_oco=True,
        new_to_region=True,
        starts_on=str(date(2027, 1, 1)),
        ends_on=str(date(2028, 12, 31)),
        extendable_until=None,
        hourly_tariff=str(Decimal("92.90")),
        tariff_rule="000_d8e1bdfab127271e.txt 6 Inschrijvingen en procedure, tabel punt 3",
        provisional_budget_ceiling="125000.00",
        conditions=[_summary(_CONDITIONAL)],
        obligations=[_OBLIGATION],
    ),
    "ContractExtended": _event(
        "ContractExtended",
        round_id="2018-2020",
        actor=_OFFICE,
        occurred_at=_at(2018, 10, 15, 10, 0),
        broker_time=_at(2018, 10, 15, 10, 0),
        claimed_at=_at(2018, 10, 15, 9, 59),
        message_id=str(_MESSAGE),
        contract_id=str(_CONTRACT),
        uitvoerder_code="zilveren-kruis",
        ended_on="2018-12-31",
        ends_on="2019-12-31",
        extendable_until="2020-12-31",
    ),
    "ContractRefused": _event(
        "ContractRefused",
        actor=_OFFICE,
        message_id=str(_MESSAGE),
        uitvoerder_code="zilveren-kruis",
        refusals=[
            {
                "code": "objection_windows_open",
                "text": "The objection windows of edition 1 in amsterdam have not all closed.",
                "rule": _OBJECTION_RULE,
            },
            {
                "code": "objection_not_answered",
                "text": "Objection 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d in amsterdam is not "
                "answered yet.",
                "rule": _OBJECTION_RULE,
            },
        ],
    ),
    "ContractingRefused": _event(
        "ContractingRefused",
        actor=_OFFICE,
        message_id=str(_MESSAGE),
        message_type="ReallocateBudget",
        uitvoerder_code="zilveren-kruis",
        refusals=[
            {
                "code": "region_budget_exceeded",
                "text": "The ceilings of amsterdam for 2027 would total 510000.00, above the "
                "region's budget of 500000.00.",
                "rule": "000_d8e1bdfab127271e.txt 4.2 Betaalbaarheid, Inzet financiële middelen",
            }
        ],
    ),
    "BudgetCeilingSet": _event(
        "BudgetCeilingSet",
        actor=_OFFICE,
        message_id=str(_MESSAGE),
        uitvoerder_code="zilveren-kruis",
        contract_id=str(_CONTRACT),
        year=2027,
        ceiling="130000.00",
        region_budget="500000.00",
        region_total="480000.00",
    ),
    "BudgetReallocated": _event(
        "BudgetReallocated",
        provider_id=None,
        actor=_OFFICE,
        message_id=str(_MESSAGE),
        uitvoerder_code="zilveren-kruis",
        year=2027,
        changes=[
            {"provider_id": "12345678", "before": "130000.00", "after": "150000.00"},
            {"provider_id": "87654321", "before": "120000.00", "after": "100000.00"},
        ],
        reason="Dreigende overschrijding bij 12345678; onderbesteding bij 87654321.",
        review_month=6,
        region_budget="500000.00",
        region_total="480000.00",
        rule="000_d8e1bdfab127271e.txt 4.2 Betaalbaarheid, Inzet financiële middelen 2",
    ),
    "ClientSupporterStarted": _event(
        "ClientSupporterStarted",
        message_id=str(_MESSAGE),
        contract_id=str(_CONTRACT),
        started_on="2027-03-01",
        obligation={
            **_OBLIGATION,
            "kind": "register_enrolment",
            "what": "Inschrijving in het Register cliëntondersteuners van CO-0042",
            "due_at": _at(2027, 7, 2, 0, 0),
            "client_supporter": "CO-0042",
        },
    ),
    "ObligationFulfilled": _event(
        "ObligationFulfilled",
        message_id=str(_MESSAGE),
        contract_id=str(_CONTRACT),
        obligation_id=_OBLIGATION["obligation_id"],
        kind="bcmb_membership",
        evidence=[{**DOCUMENT, "kind": "bcmb_membership", "filename": "bcmb.pdf"}],
        due_at=_OBLIGATION["due_at"],
        late=False,
    ),
    "ObligationOverdue": _event(
        "ObligationOverdue",
        claimed_at=None,
        actor=_CONTRACTING,
        contract_id=str(_CONTRACT),
        obligation_id=_OBLIGATION["obligation_id"],
        kind="bcmb_membership",
        what=_OBLIGATION["what"],
        due_at=_OBLIGATION["due_at"],
        rule=_OBLIGATION["rule"],
    ),
    "ProductionReported": _event(
        "ProductionReported",
        message_id=str(_MESSAGE),
        contract_id=str(_CONTRACT),
        year=2027,
        month=3,
        hours=[{"service": 1, "hours": "80.50"}, {"service": 2, "hours": "60.00"}],
        total_hours="140.50",
        hourly_tariff="92.90",
        amount="13052.45",
        paid="13052.45",
        paid_this_year="35000.00",
        ceiling="125000.00",
        ceiling_kind="provisional",
        projected_year_amount="140000.00",
    ),
    "BudgetOverrunThreatened": _event(
        "BudgetOverrunThreatened",
        claimed_at=None,
        actor=_CONTRACTING,
        contract_id=str(_CONTRACT),
        year=2027,
        month=3,
        projected_year_amount="140000.00",
        ceiling="125000.00",
        rule="000_d8e1bdfab127271e.txt 4.2 Betaalbaarheid, Inzet financiële middelen",
    ),
    "SignalReportRecorded": _event(
        "SignalReportRecorded",
        message_id=str(_MESSAGE),
        contract_id=str(_CONTRACT),
        year=2027,
        quarter=1,
        report={**DOCUMENT, "kind": "signal_report", "filename": "signalen-q1.pdf"},
        due_at=_at(2027, 5, 1, 0, 0),
        late=False,
    ),
    "SignalReportOverdue": _event(
        "SignalReportOverdue",
        claimed_at=None,
        actor=_CONTRACTING,
        contract_id=str(_CONTRACT),
        year=2027,
        quarter=1,
        due_at=_at(2027, 5, 1, 0, 0),
        rule="000_d8e1bdfab127271e.txt 4.1 Geschiktheidseisen, eis 14 Registratie en signaleren, 3",
    ),
    "ChainCheckpointed": _event(
        "ChainCheckpointed",
        region_code=None,
        provider_id=None,
        claimed_at=None,
        actor=_SYSTEM | {"id": "intake"},
        service="intake",
        position=1000,
        sha256=_SHA,
        head_event_id="2d3e4f50-6172-4839-8a4b-5c6d7e8f9012",
    ),
    "SetRegionPlaces": _message(
        "SetRegionPlaces",
        ActorKind.ZORGKANTOOR,
        sent_at=_at(2026, 8, 3, 9, 0),
        region_code="amsterdam",
        places=3,
        motivation="Drie aanbieders volstaan gezien de regionale ontwikkelingen.",
    ),
    "AssessSuitability": _message(
        "AssessSuitability",
        ActorKind.ZORGKANTOOR,
        sent_at=_at(2026, 8, 10, 9, 0),
        provider_id="12345678",
        region_code="amsterdam",
        verdicts=[_VERDICT, _CONDITIONAL],
    ),
    "ScoreCriteria": _message(
        "ScoreCriteria",
        ActorKind.ZORGKANTOOR,
        sent_at=_at(2026, 8, 20, 9, 0),
        provider_id="12345678",
        region_code="amsterdam",
        scores=[_SCORE],
    ),
    "RequestDocuments": _message(
        "RequestDocuments",
        ActorKind.ZORGKANTOOR,
        sent_at=_at(2026, 8, 5, 9, 0),
        request_id=str(_REQUEST),
        provider_id="12345678",
        region_code="amsterdam",
        documents=[_REQUESTED],
        reason="Gerede twijfel over de financiële continuïteit.",
        answer_by=_at(2026, 8, 21, 17, 0),
    ),
    "SupplyDocuments": _message(
        "SupplyDocuments",
        sent_at=_at(2026, 8, 12, 9, 0),
        request_id=str(_REQUEST),
        provider_id="12345678",
        region_code="amsterdam",
        documents=[{**DOCUMENT, "kind": "annual_accounts", "filename": "jaarrekening.pdf"}],
    ),
    "RecordLotDrawn": _message(
        "RecordLotDrawn",
        ActorKind.ZORGKANTOOR,
        sent_at=_at(2026, 9, 10, 11, 0),
        region_code="amsterdam",
        drawn_order=["87654321", "12345678"],
        notary="mr. A. de Notaris",
        report_sha256=_SHA,
    ),
    "PublishSelection": _message(
        "PublishSelection",
        ActorKind.ZORGKANTOOR,
        sent_at=_at(2026, 9, 18, 9, 0),
        region_code="amsterdam",
        provisional_budget_ceiling="125000.00",
    ),
    "SubmitObjection": _message(
        "SubmitObjection",
        provider_id="12345678",
        region_code="amsterdam",
        channel="zorginkoopwz.OUK@zilverenkuis.nl",
        grounds="De ervaring in de regio is onjuist gewogen.",
    ),
    "AnswerObjection": _message(
        "AnswerObjection",
        ActorKind.ZORGKANTOOR,
        objection_id=str(_OBJECTION),
        decision="dismissed",
        answer="Het bezwaar is ongegrond.",
    ),
    "ReportKortGeding": _message(
        "ReportKortGeding",
        provider_id="12345678",
        region_code="amsterdam",
        objection_id=str(_OBJECTION),
        court="Rechtbank Den Haag",
        case_number="C/09/700001 KG ZA 26-1001",
        summoned_on="2026-10-20",
    ),
    "SignContract": _message(
        "SignContract",
        ActorKind.ZORGKANTOOR,
        sent_at=_at(2026, 10, 19, 9, 59),
        provider_id="12345678",
        region_code="amsterdam",
        new_to_oco=True,
    ),
    "ExtendContract": _message(
        "ExtendContract",
        ActorKind.ZORGKANTOOR,
        round_id="2018-2020",
        sent_at=_at(2018, 10, 15, 9, 59),
        provider_id="12345678",
        region_code="amsterdam",
        until="2019-12-31",
    ),
    "SetBudgetCeilings": _message(
        "SetBudgetCeilings",
        ActorKind.ZORGKANTOOR,
        sent_at=_at(2027, 2, 1, 9, 0),
        region_code="amsterdam",
        year=2027,
        region_budget="500000.00",
        ceilings=[
            {"provider_id": "12345678", "amount": "130000.00"},
            {"provider_id": "87654321", "amount": "120000.00"},
        ],
    ),
    "ReallocateBudget": _message(
        "ReallocateBudget",
        ActorKind.ZORGKANTOOR,
        sent_at=_at(2027, 6, 15, 9, 0),
        region_code="amsterdam",
        year=2027,
        ceilings=[
            {"provider_id": "12345678", "amount": "150000.00"},
            {"provider_id": "87654321", "amount": "100000.00"},
        ],
        reason="Dreigende overschrijding bij 12345678; onderbesteding bij 87654321.",
        review_month=6,
    ),
    "ReportClientSupporterStart": _message(
        "ReportClientSupporterStart",
        sent_at=_at(2027, 3, 1, 9, 0),
        provider_id="12345678",
        region_code="amsterdam",
        client_supporter="CO-0042",
        started_on="2027-03-01",
    ),
    "SubmitObligationEvidence": _message(
        "SubmitObligationEvidence",
        sent_at=_at(2027, 3, 20, 9, 0),
        provider_id="12345678",
        region_code="amsterdam",
        obligation_id=_OBLIGATION["obligation_id"],
        evidence=[{**DOCUMENT, "kind": "bcmb_membership", "filename": "bcmb.pdf"}],
    ),
    "RecordObligationEvidence": _message(
        "RecordObligationEvidence",
        ActorKind.ZORGKANTOOR,
        sent_at=_at(2027, 3, 20, 9, 0),
        provider_id="12345678",
        region_code="amsterdam",
        obligation_id=_OBLIGATION["obligation_id"],
        evidence=[{**DOCUMENT, "kind": "bcmb_confirmation", "filename": "bcmb-bevestiging.pdf"}],
    ),
    "ReportProduction": _message(
        "ReportProduction",
        sent_at=_at(2027, 4, 5, 9, 0),
        provider_id="12345678",
        region_code="amsterdam",
        year=2027,
        month=3,
        hours=[{"service": 1, "hours": "80.50"}, {"service": 2, "hours": "60.00"}],
    ),
    "SubmitSignalReport": _message(
        "SubmitSignalReport",
        sent_at=_at(2027, 4, 20, 9, 0),
        provider_id="12345678",
        region_code="amsterdam",
        year=2027,
        quarter=1,
        report={**DOCUMENT, "kind": "signal_report", "filename": "signalen-q1.pdf"},
    ),
    "ProcedureClockSet": {
        "type": "ProcedureClockSet",
        "schema_version": 1,
        "rehearsal_id": "c0ffee00-1234-4abc-8def-0123456789ab",
        "round_id": "2027-2028",
        "start": _at(2026, 6, 1, 0, 0),
        "rate": 100_000.0,
        "note": "rehearsal of the 2027-2028 round",
    },
    "DeadLetterRecord": {
        "service": "intake",
        "consumer": "intake-inscriptions",
        "reason": "malformed",
        "error": "not JSON: Expecting value: line 1 column 1 (char 0)",
        "upstream_stream": "OCO_PORTAL",
        "upstream_position": 4711,
        "subject": "oco.portal.inscription",
        "attempts": 1,
        "received_at": "2026-07-15T08:30:00+00:00",
        "headers": {"Nats-Msg-Id": str(_MESSAGE)},
        "payload_bytes": 15,
        "payload_base64": "/yBub3QgYSBtZXNzYWdl",
    },
}


class NoExample(LookupError):
    """No example of this type, or none that the round could accept."""


# Portal messages whose acceptance depends on the round: when they are sent, to whom, and
# with which documents. Each is sent inside the window its service judges it by.
def _sent(round_: Round, milestone: MilestoneCode, days: int, at: time) -> str:
    day = round_.milestones[milestone].date + timedelta(days=days)
    return datetime.combine(day, at, tzinfo=AMSTERDAM).isoformat()


def _in_inscription(round_: Round) -> str:
    return _sent(round_, MilestoneCode.INSCRIPTION_CLOSES, -16, time(10, 29))


def _inscription(round_: Round) -> dict[str, Any]:
    """Every document the round requires of a single provider already in the region,
    issued four weeks before the round opened (young enough throughout inscription)."""
    uitvoerder = round_.uitvoerders[0]
    issued_on = round_.milestones[MilestoneCode.PUBLICATION].date - timedelta(days=28)
    documents = [
        {
            **DOCUMENT,
            "kind": rule.kind,
            "filename": f"{rule.kind.replace('_', '-')}.pdf",
            "issued_on": issued_on.isoformat(),
        }
        for rule in round_.required_documents
        if rule.only_for is None
    ]
    return _message(
        "SubmitInscription",
        round_id=round_.id,
        sent_at=_in_inscription(round_),
        uitvoerder_code=uitvoerder.code,
        provider=PROVIDER,
        regions=[
            {
                **_REGION,
                "region_code": uitvoerder.regions[0].code,
                "wmo_municipalities": [],
            }
        ],
        consortium_members=[],
        subcontractor_intent=False,
        documents=documents,
    )


def _withdrawal(round_: Round) -> dict[str, Any]:
    return _message(
        "WithdrawInscription",
        round_id=round_.id,
        sent_at=_in_inscription(round_),
        uitvoerder_code=round_.uitvoerders[0].code,
        provider_id=PROVIDER["id"],
    )


def _question(round_: Round) -> dict[str, Any]:
    if DeadlineCode.QUESTIONS not in round_.deadlines:
        raise NoExample(f"round {round_.id} takes no questions")
    return _message(
        "SubmitQuestion",
        round_id=round_.id,
        sent_at=_sent(round_, MilestoneCode.PUBLICATION, 3, time(9, 15)),
        question_id="Q-0001",
        text="Telt een Wmo-contract met een gemeente buiten de regio als ervaring?",
    )


def _nota(round_: Round) -> dict[str, Any]:
    if DeadlineCode.NOTA_VAN_INLICHTINGEN not in round_.deadlines:
        raise NoExample(f"round {round_.id} has no Nota van Inlichtingen")
    nota = _message(
        "PublishNotaVanInlichtingen",
        ActorKind.ZORGKANTOOR,
        round_id=round_.id,
        sent_at=_sent(round_, MilestoneCode.NOTA_VAN_INLICHTINGEN, 0, time(9, 0)),
        answers=[{"question_id": "Q-0001", "answer": "Nee."}],
    )
    return {**nota, "actor": {**nota["actor"], "id": round_.uitvoerders[0].code}}


ROUND_EXAMPLES: dict[str, Callable[[Round], dict[str, Any]]] = {
    "SubmitInscription": _inscription,
    "WithdrawInscription": _withdrawal,
    "SubmitQuestion": _question,
    "PublishNotaVanInlichtingen": _nota,
}
EXAMPLE_ROUND = "2027-2028"
EXAMPLES.update({name: build(load_round(EXAMPLE_ROUND)) for name, build in ROUND_EXAMPLES.items()})


def message_example(type_name: str, round_id: str = EXAMPLE_ROUND) -> dict[str, Any]:
    """The example of a message for `round_id`, with a new `message_id`.

    A zorgkantoor's act is made by the round's first uitvoerder, about its first region.
    """
    example = EXAMPLES.get(type_name)
    if example is None or "message_id" not in example:
        known = ", ".join(sorted(name for name, doc in EXAMPLES.items() if "message_id" in doc))
        raise NoExample(f"no message type {type_name!r}; messages: {known}")
    round_ = load_round(round_id)
    build = ROUND_EXAMPLES.get(type_name)
    message = build(round_) if build else {**example, "round_id": round_.id}
    uitvoerder = round_.uitvoerders[0]
    if message["actor"]["kind"] == ActorKind.ZORGKANTOOR.value:
        message["actor"] = {**message["actor"], "id": uitvoerder.code}
    if "uitvoerder_code" in message:
        message["uitvoerder_code"] = uitvoerder.code
    if "region_code" in message:
        message["region_code"] = uitvoerder.regions[0].code
    return {**message, "message_id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4())}
