"""Upstream events as assessment and the objection service publish them, acts as a
zorgkantoor and messages as a provider's portal send them, for the contracting tests;
and `Contracting`, which runs them through contracting's routes in memory.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from oco_contracting.domain.deadlines import ContractingDeadlines
from oco_contracting.domain.model import region_id
from oco_contracting.entrypoints.subjects import SUBSCRIPTIONS
from oco_shared.contract.base import Event
from oco_shared.handling import DeadLetter, Incoming, MemoryUnitOfWork, Route, decide_one
from oco_shared.messaging.ticker import raised
from oco_shared.procedure_time import ProcedureInstant
from oco_shared.rounds import AMSTERDAM

ASSESSMENT, OBJECTION, OFFICE, PORTAL = (subscription.route for subscription in SUBSCRIPTIONS)
ZK = "zilveren-kruis"

# When each round's zorgkantoren sign: October of the contracting year, after the answers.
SIGNING = {
    "2018-2020": datetime(2017, 10, 16, 10, tzinfo=AMSTERDAM),
    "2022": datetime(2021, 10, 20, 10, tzinfo=AMSTERDAM),
    "2023": datetime(2022, 10, 20, 10, tzinfo=AMSTERDAM),
    "2027-2028": datetime(2026, 10, 19, 10, tzinfo=AMSTERDAM),
}


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=AMSTERDAM)  # type: ignore[arg-type,misc]


def _event(
    type_name: str, round_id: str, region: str, provider_id: str | None, **fields: Any
) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": type_name,
        "schema_version": 1,
        "round_id": round_id,
        "region_code": region,
        "provider_id": provider_id,
        "occurred_at": at(2026, 9, 18, 10).isoformat(),
        "correlation_id": str(uuid.uuid4()),
        "actor": {"kind": "system", "id": "upstream"},
        **fields,
    }


def inscription_id(provider_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"inscription:{provider_id}"))


def case_opened(
    provider: str,
    region: str = "amsterdam",
    *,
    round_id: str = "2027-2028",
    new_to_region: bool = False,
    consortium: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Assessment's AssessmentCaseOpened: who the party is, and whether new to the region."""
    return _event(
        "AssessmentCaseOpened",
        round_id,
        region,
        provider,
        inscription_id=inscription_id(provider),
        revision=1,
        uitvoerder_code=ZK,
        provider={"id": provider, "name": f"Aanbieder {provider}"},
        consortium_members=[{"id": member, "name": "ZZP'er"} for member in consortium],
        new_to_region=new_to_region,
    )


def outcome(
    provider: str, selected: bool = True, conditions: Iterable[tuple[str, str, str]] = ()
) -> dict[str, Any]:
    """One party's outcome; `conditions` as (requirement, what, due_on)."""
    return {
        "provider_id": provider,
        "inscription_id": inscription_id(provider),
        "outcome": "selected" if selected else "rejected",
        "reason": "ranked_within_places" if selected else "ranked_outside_places",
        "verdicts": [
            {
                "code": code,
                "verdict": "met_on_condition",
                "condition": {"what": what, "due_on": due_on},
            }
            for code, what, due_on in conditions
        ],
        "provisional_budget_ceiling": "125000.00" if selected else None,
    }


def selection_published(
    outcomes: list[dict[str, Any]],
    region: str = "amsterdam",
    *,
    places: int = 4,
    edition: int = 1,
    round_id: str = "2027-2028",
) -> dict[str, Any]:
    return _event(
        "SelectionPublished",
        round_id,
        region,
        None,
        edition=edition,
        uitvoerder_code=ZK,
        places=places,
        outcomes=outcomes,
        objection_channel="zorginkoopwz.OUK@zilverenkuis.nl",
        objection_closes_at=at(2026, 10, 3).isoformat(),
        planned_on="2026-09-18",
        late=False,
    )


def selection_reopened(selection: Mapping[str, Any]) -> dict[str, Any]:
    """Assessment's note that an upheld objection reopened the selection's edition."""
    return _event(
        "SelectionReopened",
        selection["round_id"],
        selection["region_code"],
        None,
        objection_id=str(uuid.uuid4()),
        decision="upheld",
        reopened_edition=selection["edition"],
    )


def window_closed(
    selection: Mapping[str, Any], scope: str = "region", provider: str | None = None
) -> dict[str, Any]:
    """The objection service's tick: every window of the selection's edition passed."""
    return _event(
        "ObjectionWindowClosed",
        selection["round_id"],
        selection["region_code"],
        provider,
        scope=scope,
        selection_event_id=selection["event_id"],
        edition=selection["edition"],
        closed_at=at(2026, 10, 3).isoformat(),
        rule="000_d8e1bdfab127271e.txt 6 Bezwaar",
        objections_filed=0,
    )


def objection_filed(selection: Mapping[str, Any], provider: str) -> dict[str, Any]:
    return _event(
        "ObjectionFiled",
        selection["round_id"],
        selection["region_code"],
        provider,
        objection_id=str(uuid.uuid4()),
        message_id=str(uuid.uuid4()),
        uitvoerder_code=ZK,
        selection_event_id=selection["event_id"],
        edition=selection["edition"],
        grounds="De ervaring is onjuist gewogen.",
        channel="zorginkoopwz.OUK@zilverenkuis.nl",
        window_closes_at=at(2026, 10, 3).isoformat(),
        answer_due_at=at(2026, 10, 17).isoformat(),
    )


def objection_answered(filed: Mapping[str, Any], decision: str = "dismissed") -> dict[str, Any]:
    return _event(
        "ObjectionAnswered",
        filed["round_id"],
        filed["region_code"],
        filed["provider_id"],
        objection_id=filed["objection_id"],
        message_id=str(uuid.uuid4()),
        uitvoerder_code=ZK,
        decision=decision,
        answer="Het bezwaar is ongegrond.",
        answer_due_at=at(2026, 10, 17).isoformat(),
        late=False,
        kort_geding_closes_at=at(2026, 10, 31).isoformat(),
    )


def kort_geding_filed(filed: Mapping[str, Any], suspends: bool = False) -> dict[str, Any]:
    return _event(
        "KortGedingFiled",
        filed["round_id"],
        filed["region_code"],
        filed["provider_id"],
        message_id=str(uuid.uuid4()),
        objection_id=filed["objection_id"],
        court="Rechtbank Den Haag",
        case_number="C/09/700001 KG ZA 26-1001",
        summoned_on="2026-10-20",
        closes_at=at(2026, 10, 31).isoformat(),
        rule="000_d8e1bdfab127271e.txt 6 Kort geding",
        suspends_procedure=suspends,
    )


def message(type_name: str, round_id: str, actor: dict[str, str], **fields: Any) -> dict[str, Any]:
    return {
        "message_id": str(uuid.uuid4()),
        "type": type_name,
        "schema_version": 1,
        "round_id": round_id,
        "sent_at": at(2026, 10, 1, 9).isoformat(),
        "actor": actor,
        **fields,
    }


def act(type_name: str, round_id: str = "2027-2028", **fields: Any) -> dict[str, Any]:
    """A zorgkantoor's act as its office sends it."""
    return message(type_name, round_id, {"kind": "zorgkantoor", "id": "inkoper@zk"}, **fields)


def report(
    type_name: str, provider: str, round_id: str = "2027-2028", **fields: Any
) -> dict[str, Any]:
    """A provider's message as its portal sends it."""
    return message(
        type_name, round_id, {"kind": "provider", "id": provider}, provider_id=provider, **fields
    )


def document(kind: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "filename": f"{kind}.pdf",
        "issued_on": "2027-02-10",
        "sha256": hashlib.sha256(kind.encode()).hexdigest(),
        "size_bytes": 10_000,
        "media_type": "application/pdf",
        "searchable": True,
    }


class Contracting:
    """Contracting in memory: each message through the consumer's own decision path."""

    def __init__(self, round_id: str = "2027-2028", region: str = "amsterdam") -> None:
        self.round_id, self.region = round_id, region
        self.uow = MemoryUnitOfWork()
        self.position = 0

    def deliver(
        self, route: Route, subject: str, payload: Mapping[str, Any], received_at: datetime
    ) -> list[Event]:
        self.position += 1
        body = json.dumps(payload).encode()
        incoming = Incoming("UPSTREAM", self.position, subject, body, {}, received_at)
        decision = decide_one(route, incoming, self.uow, lambda _: ProcedureInstant(received_at))
        if decision.dead_letter is not None:
            raise DeadLetter(*decision.dead_letter)
        return [new.event for new in decision.events]

    def assessment(self, event: Mapping[str, Any], at_: datetime | None = None) -> list[Event]:
        received = at_ or at(2026, 9, 18, 12)
        return self.deliver(ASSESSMENT, f"oco.assessment.{event['type']}", event, received)

    def objection(self, event: Mapping[str, Any], at_: datetime | None = None) -> list[Event]:
        received = at_ or at(2026, 10, 3, 0, 0, 5)
        return self.deliver(OBJECTION, f"oco.objection.{event['type']}", event, received)

    def act(
        self, type_name: str, received_at: datetime | None = None, office: str = ZK, **fields: Any
    ) -> list[Event]:
        return self.deliver(
            OFFICE,
            f"oco.office.{office}.contracting",
            act(type_name, self.round_id, **fields),
            received_at or SIGNING[self.round_id],
        )

    def portal(
        self, type_name: str, provider: str, received_at: datetime, **fields: Any
    ) -> list[Event]:
        return self.deliver(
            PORTAL,
            "oco.portal.contracting",
            report(type_name, provider, self.round_id, region_code=self.region, **fields),
            received_at,
        )

    def sign(
        self,
        provider: str,
        received_at: datetime | None = None,
        new_to_oco: bool = False,
        office: str = ZK,
    ) -> list[Event]:
        return self.act(
            "SignContract",
            received_at,
            office,
            provider_id=provider,
            region_code=self.region,
            new_to_oco=new_to_oco,
        )

    def tick(self, now: datetime) -> list[Event]:
        """What the shared ticker records for the region at `now`."""
        aggregate = region_id(self.round_id, self.region)
        decided = raised(ContractingDeadlines(), aggregate, self.uow.get(aggregate), now)
        self.uow.stage(decided, None)
        return [new.event for new in decided]

    def selected_region(
        self,
        parties: Mapping[str, bool],
        *,
        places: int = 4,
        closed: bool = True,
        conditions: Mapping[str, list[tuple[str, str, str]]] | None = None,
    ) -> dict[str, Any]:
        """Parties (provider -> new to the region) all selected; the windows closed."""
        for provider, new in parties.items():
            self.assessment(
                case_opened(provider, self.region, round_id=self.round_id, new_to_region=new)
            )
        published = selection_published(
            [outcome(p, conditions=(conditions or {}).get(p, ())) for p in parties],
            self.region,
            places=places,
            round_id=self.round_id,
        )
        self.assessment(published)
        if closed:
            self.objection(window_closed(published))
        return published
