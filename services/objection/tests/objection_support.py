"""A region's publication as assessment records it, and a party's and a zorgkantoor's
messages as the portal and the office send them, for the objection tests; and
`Procedure`, which runs them through the objection service's routes in memory and lets
its deadlines pass as the ticker does."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from memory_support import InMemory, at
from oco_objection.domain.deadlines import ObjectionDeadlines
from oco_objection.domain.model import region_id
from oco_objection.entrypoints.subjects import SUBSCRIPTIONS
from oco_shared.contract.base import Event
from oco_shared.messaging.ticker import raised
from oco_shared.rounds import load_round

ASSESSMENT, PORTAL, OFFICE = (subscription.route for subscription in SUBSCRIPTIONS)
ZK = "zilveren-kruis"


def channel_of(round_id: str, region: str) -> str:
    """The channel the outcome names: the uitvoerder's address (000_… 6)."""
    uitvoerder = load_round(round_id).uitvoerder_of(region)
    assert uitvoerder is not None
    return uitvoerder.email or uitvoerder.name


def selection_published(
    outcomes: Mapping[str, str],
    published_at: datetime,
    region: str = "amsterdam",
    round_id: str = "2027-2028",
    edition: int = 1,
    supersedes: str | None = None,
) -> dict[str, Any]:
    """A region's selection as assessment publishes it: provider -> selected|rejected."""
    round_ = load_round(round_id)
    uitvoerder = round_.uitvoerder_of(region)
    assert uitvoerder is not None
    planned = round_.milestones["outcome_published"].date  # type: ignore[index]
    return {
        "event_id": str(uuid.uuid4()),
        "type": "SelectionPublished",
        "schema_version": 1,
        "round_id": round_id,
        "region_code": region,
        "occurred_at": published_at.isoformat(),
        "correlation_id": str(uuid.uuid4()),
        "actor": {"kind": "zorgkantoor", "id": uitvoerder.code},
        "edition": edition,
        "supersedes": supersedes,
        "uitvoerder_code": uitvoerder.code,
        "places": 4,
        "outcomes": [
            {
                "provider_id": provider,
                "inscription_id": str(uuid.uuid5(uuid.NAMESPACE_URL, provider)),
                "outcome": outcome,
                "reason": "ranked_within_places" if outcome == "selected" else "unsuitable",
            }
            for provider, outcome in outcomes.items()
        ],
        "objection_channel": channel_of(round_id, region),
        "objection_closes_at": published_at.isoformat(),  # not read by the objection service
        "planned_on": str(planned),
        "late": published_at.date() > planned,
    }


def _message(type_name: str, round_id: str, actor: dict[str, str], **fields: Any) -> dict[str, Any]:
    return {
        "message_id": str(uuid.uuid4()),
        "type": type_name,
        "schema_version": 1,
        "round_id": round_id,
        "sent_at": at(2026, 9, 20, 9).isoformat(),
        "actor": actor,
        **fields,
    }


def objection(
    provider: str,
    region: str = "amsterdam",
    round_id: str = "2027-2028",
    channel: str | None = None,
    sender: str | None = None,
) -> dict[str, Any]:
    """A party's objection through its portal, on the channel its outcome named."""
    return _message(
        "SubmitObjection",
        round_id,
        {"kind": "provider", "id": sender or provider},
        provider_id=provider,
        region_code=region,
        channel=channel or channel_of(round_id, region),
        grounds="De ervaring in de regio is onjuist gewogen.",
    )


def answer(objection_id: str, decision: str = "dismissed", round_id: str = "2027-2028") -> dict:
    return _message(
        "AnswerObjection",
        round_id,
        {"kind": "zorgkantoor", "id": "jurist@zorgkantoor"},
        objection_id=objection_id,
        decision=decision,
        answer="Het bezwaar is ongegrond: de ervaring is juist gewogen.",
    )


def kort_geding(
    provider: str,
    summoned_on: date,
    region: str = "amsterdam",
    round_id: str = "2027-2028",
    objection_id: str | None = None,
) -> dict[str, Any]:
    return _message(
        "ReportKortGeding",
        round_id,
        {"kind": "provider", "id": provider},
        provider_id=provider,
        region_code=region,
        objection_id=objection_id,
        court="Rechtbank Den Haag",
        case_number="C/09/700001 KG ZA 26-1001",
        summoned_on=str(summoned_on),
    )


class Procedure(InMemory):
    """The objection service in memory: each message through the consumer's own decision
    path, each passing deadline through the ticker's own."""

    def __init__(self, round_id: str = "2027-2028") -> None:
        self.round_id = round_id
        super().__init__()

    def publish(
        self, outcomes: Mapping[str, str], published_at: datetime, **kwargs: Any
    ) -> dict[str, Any]:
        event = selection_published(outcomes, published_at, round_id=self.round_id, **kwargs)
        self.deliver(ASSESSMENT, "oco.assessment.SelectionPublished", event, published_at)
        return event

    def file(self, message: dict[str, Any], received_at: datetime) -> Event:
        [decided] = self.deliver(PORTAL, "oco.portal.objection", message, received_at)
        return decided

    def answer(
        self, objection_id: object, received_at: datetime, office: str = ZK, **kwargs: Any
    ) -> Event:
        message = answer(str(objection_id), round_id=self.round_id, **kwargs)
        [decided] = self.deliver(OFFICE, f"oco.office.{office}.objection", message, received_at)
        return decided

    def report(self, message: dict[str, Any], received_at: datetime) -> Event:
        [decided] = self.deliver(PORTAL, "oco.portal.objection", message, received_at)
        return decided

    def tick(self, now: datetime, region: str = "amsterdam") -> list[Event]:
        """What the ticker records for the region at `now`."""
        aggregate = region_id(self.round_id, region)
        new = raised(ObjectionDeadlines(), aggregate, self.uow.get(aggregate), now)
        self.uow.stage(new, None)
        return [n.event for n in new]
