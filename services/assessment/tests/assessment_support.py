"""Inscriptions as intake records them and acts as a zorgkantoor sends them, for the
assessment tests; and `Procedure`, which runs them through assessment's routes in memory.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from memory_support import InMemory, at, pdf
from oco_assessment.entrypoints.subjects import SUBSCRIPTIONS
from oco_shared.contract.base import Event
from oco_shared.rounds import AMSTERDAM, load_round

INTAKE, OFFICE, DOCUMENTS, OBJECTION = (subscription.route for subscription in SUBSCRIPTIONS)

# The first day of assessment of each round, 10:00 (timetables of the seeds).
ASSESSING = {
    "2018-2020": datetime(2017, 8, 2, 10, tzinfo=AMSTERDAM),
    "2022": datetime(2021, 8, 2, 10, tzinfo=AMSTERDAM),
    "2023": datetime(2022, 8, 1, 10, tzinfo=AMSTERDAM),
    "2027-2028": datetime(2026, 8, 3, 10, tzinfo=AMSTERDAM),
}


def inscription_id(provider_id: str, uitvoerder: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"inscription:{uitvoerder}:{provider_id}"))


def inscription_received(
    provider_id: str,
    regions: Iterable[tuple[str, bool]] = (("amsterdam", False),),
    *,
    round_id: str = "2027-2028",
    uitvoerder: str = "zilveren-kruis",
    revision: int = 1,
    consortium: tuple[str, ...] = (),
) -> dict[str, Any]:
    """An `InscriptionReceived` as intake publishes it (new_to_region per region)."""
    return {
        "event_id": str(uuid.uuid4()),
        "type": "InscriptionReceived",
        "schema_version": 1,
        "round_id": round_id,
        "provider_id": provider_id,
        "occurred_at": at(2026, 7, 15, 10).isoformat(),
        "correlation_id": str(uuid.uuid4()),
        "actor": {"kind": "provider", "id": provider_id},
        "inscription_id": inscription_id(provider_id, uitvoerder),
        "revision": revision,
        "message_id": str(uuid.uuid4()),
        "uitvoerder_code": uitvoerder,
        "provider": {"id": provider_id, "name": f"Aanbieder {provider_id}"},
        "regions": [
            {"region_code": code, "new_to_region": new, "wmo_municipalities": []}
            for code, new in regions
        ],
        "consortium_members": [{"id": member, "name": "ZZP'er"} for member in consortium],
        "subcontractor_intent": False,
        "documents": [],
        "rule_set_version": f"{round_id}/1",
    }


def inscription_withdrawn(provider_id: str, uitvoerder: str = "zilveren-kruis") -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": "InscriptionWithdrawn",
        "schema_version": 1,
        "round_id": "2027-2028",
        "provider_id": provider_id,
        "occurred_at": at(2026, 7, 20, 10).isoformat(),
        "correlation_id": str(uuid.uuid4()),
        "actor": {"kind": "provider", "id": provider_id},
        "inscription_id": inscription_id(provider_id, uitvoerder),
        "message_id": str(uuid.uuid4()),
    }


def objection_answered(
    provider_id: str, region: str, decision: str = "upheld", round_id: str = "2027-2028"
) -> dict[str, Any]:
    """The event the objection service publishes once the zorgkantoor answered."""
    return {
        "event_id": str(uuid.uuid4()),
        "type": "ObjectionAnswered",
        "schema_version": 1,
        "round_id": round_id,
        "region_code": region,
        "provider_id": provider_id,
        "occurred_at": at(2026, 10, 9, 10).isoformat(),
        "correlation_id": str(uuid.uuid4()),
        "actor": {"kind": "zorgkantoor", "id": "zilveren-kruis"},
        "objection_id": str(uuid.uuid4()),
        "message_id": str(uuid.uuid4()),
        "uitvoerder_code": "zilveren-kruis",
        "decision": decision,
        "answer": "Het bezwaar is gegrond: de ervaring is onjuist gewogen.",
        "kort_geding_closes_at": at(2026, 10, 24).isoformat(),
    }


def act(type_name: str, round_id: str = "2027-2028", **fields: Any) -> dict[str, Any]:
    """A zorgkantoor's act as its office sends it."""
    return {
        "message_id": str(uuid.uuid4()),
        "type": type_name,
        "schema_version": 1,
        "round_id": round_id,
        "sent_at": at(2026, 8, 3, 9).isoformat(),
        "actor": {"kind": "zorgkantoor", "id": "assessor@zorgkantoor"},
        **fields,
    }


def verdict(code: str, outcome: str = "met", condition: tuple[str, str] | None = None) -> dict:
    found = {
        "code": code,
        "verdict": outcome,
        "motivation": f"Eis {code}: {outcome}.",
        "evidence": ["motivation.pdf"],
    }
    if condition is not None:
        found["condition"] = {"what": condition[0], "due_on": condition[1]}
    return found


def all_verdicts(round_id: str, **overrides: dict[str, Any]) -> list[dict[str, Any]]:
    """A verdict on every requirement of the round: met, unless overridden by code."""
    return [
        overrides.get(requirement.code, verdict(requirement.code))
        for requirement in load_round(round_id).requirements
    ]


def scores(round_id: str, *values: int) -> list[dict[str, Any]]:
    """Scores on the round's criteria, in the round's order of importance."""
    criteria = load_round(round_id).selection_criteria
    return [
        {"code": criterion.code, "score": value, "motivation": f"{criterion.code}: {value}"}
        for criterion, value in zip(criteria, values, strict=True)
    ]


def supplied_document(kind: str) -> dict[str, Any]:
    return pdf(kind, "2026-08-10")


class Procedure(InMemory):
    """Assessment in memory: each message through the consumer's own decision path."""

    def __init__(self, round_id: str = "2027-2028", uitvoerder: str = "zilveren-kruis") -> None:
        self.round_id, self.uitvoerder = round_id, uitvoerder
        super().__init__()

    def intake(self, payload: Mapping[str, Any]) -> list[Event]:
        return self.deliver(INTAKE, f"oco.intake.{payload['type']}", payload, at(2026, 7, 31, 18))

    def inscribe(self, *providers: str, region: str = "amsterdam", new: bool = False) -> None:
        for provider in providers:
            self.intake(
                inscription_received(
                    provider, ((region, new),), round_id=self.round_id, uitvoerder=self.uitvoerder
                )
            )

    def act(
        self,
        type_name: str,
        received_at: datetime | None = None,
        office: str | None = None,
        **fields: Any,
    ) -> list[Event]:
        return self.deliver(
            OFFICE,
            f"oco.office.{office or self.uitvoerder}.assessment",
            act(type_name, self.round_id, **fields),
            received_at or ASSESSING[self.round_id],
        )

    def places(self, region: str, places: int, **kwargs: Any) -> list[Event]:
        return self.act(
            "SetRegionPlaces",
            region_code=region,
            places=places,
            motivation="Op basis van regionale ontwikkelingen.",
            **kwargs,
        )

    def assess(
        self, provider: str, region: str = "amsterdam", **overrides: dict[str, Any]
    ) -> list[Event]:
        return self.act(
            "AssessSuitability",
            provider_id=provider,
            region_code=region,
            verdicts=all_verdicts(self.round_id, **overrides),
        )

    def score(self, provider: str, *values: int, region: str = "amsterdam") -> list[Event]:
        return self.act(
            "ScoreCriteria",
            provider_id=provider,
            region_code=region,
            scores=scores(self.round_id, *values),
        )

    def publish(
        self, region: str = "amsterdam", received_at: datetime | None = None
    ) -> list[Event]:
        return self.act(
            "PublishSelection",
            received_at or ASSESSING[self.round_id],
            region_code=region,
            provisional_budget_ceiling="125000.00",
        )

    def draw(self, *order: str, region: str = "amsterdam") -> list[Event]:
        return self.act(
            "RecordLotDrawn",
            region_code=region,
            drawn_order=list(order),
            notary="mr. A. de Notaris",
            report_sha256=hashlib.sha256(b"proces-verbaal van loting").hexdigest(),
        )

    def region_with(
        self, region: str, providers: Mapping[str, tuple[int, ...]], places: int
    ) -> None:
        """A region where each provider is suitable and scored."""
        self.inscribe(*providers, region=region)
        self.places(region, places)
        for provider, values in providers.items():
            self.assess(provider, region)
            self.score(provider, *values, region=region)
