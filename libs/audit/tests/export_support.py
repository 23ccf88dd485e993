"""A small 2027-2028 procedure, as its log would hold it, built from the contract examples.

Two providers inscribe in Amsterdam; a third comes after the close and is refused. The
selection of Amsterdam is published two days after the planned date; the rejected party
objects in time, and is answered a day after the answer deadline; it then goes to kort
geding. One contract is signed. Utrecht publishes on time and nobody objects there.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from oco_shared.contract import REGISTRY, Event
from oco_shared.contract.examples import EXAMPLES
from oco_shared.rounds import AMSTERDAM

ROUND = "2027-2028"
SELECTED, REJECTED, LATECOMER = "12345678", "87654321", "11223344"
OBJECTION = uuid.UUID("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=AMSTERDAM)  # type: ignore[arg-type,misc]


def event(type_name: str, occurred_at: datetime, **fields: Any) -> Event:
    """The contract's example of `type_name`, at `occurred_at`, with an event id of its own
    (the same on every call, so that two readings of the log name the same events)."""
    document = {
        **EXAMPLES[type_name],
        "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{type_name}/{occurred_at.isoformat()}")),
        "occurred_at": occurred_at.isoformat(),
        "broker_time": occurred_at.isoformat(),
        **fields,
    }
    parsed = REGISTRY.parse(document)
    assert isinstance(parsed, Event)
    return parsed


def _outcome(provider: str, outcome: str, reason: str, ceiling: str | None) -> dict[str, Any]:
    return {
        "provider_id": provider,
        "inscription_id": str(uuid.uuid5(uuid.NAMESPACE_OID, provider)),
        "outcome": outcome,
        "reason": reason,
        "provisional_budget_ceiling": ceiling,
    }


def inscription(provider: str, name: str, region: str, on: datetime) -> Event:
    return event(
        "InscriptionReceived",
        on,
        provider_id=provider,
        region_code=None,
        inscription_id=str(uuid.uuid5(uuid.NAMESPACE_OID, provider)),
        provider={"id": provider, "name": name},
        regions=[{"region_code": region, "new_to_region": False, "wmo_municipalities": []}],
    )


def selection(
    region: str, on: datetime, closes: datetime, late: bool, outcomes: list[Any]
) -> Event:
    return event(
        "SelectionPublished",
        on,
        region_code=region,
        outcomes=outcomes,
        objection_closes_at=closes.isoformat(),
        late=late,
    )


def procedure() -> list[Event]:
    amsterdam = selection(
        "amsterdam",
        at(2026, 9, 20, 10, 0),
        at(2026, 10, 5),
        True,
        [
            _outcome(SELECTED, "selected", "ranked_within_places", "125000.00"),
            _outcome(REJECTED, "rejected", "unsuitable", None),
        ],
    )
    return [
        event("RoundOpened", at(2026, 6, 1, 0, 0)),
        event("QuestionReceived", at(2026, 6, 4, 9, 15), provider_id=SELECTED, region_code=None),
        event("NotaVanInlichtingenPublished", at(2026, 6, 30, 9, 0)),
        inscription(SELECTED, "Stichting Naast de Cliënt", "amsterdam", at(2026, 7, 15, 10, 30)),
        inscription(REJECTED, "Cliëntsteun West", "amsterdam", at(2026, 7, 20, 14, 0)),
        inscription("22334455", "Onafhankelijk Utrecht", "utrecht", at(2026, 7, 21, 11, 0)),
        event(
            "InscriptionRejected",
            at(2026, 7, 31, 17, 0, 1),
            provider_id=LATECOMER,
            region_code=None,
            regions=["amsterdam"],
        ),
        selection(
            "utrecht",
            at(2026, 9, 18, 9, 0),
            at(2026, 10, 3),
            False,
            [_outcome("22334455", "selected", "all_suitable_fit", "98000.00")],
        ),
        amsterdam,
        event(
            "ObjectionWindowOpened",
            at(2026, 9, 20, 10, 0),
            provider_id=REJECTED,
            selection_event_id=str(amsterdam.event_id),
            opens_at=at(2026, 9, 20, 10, 0).isoformat(),
            closes_at=at(2026, 10, 5).isoformat(),
        ),
        event(
            "ObjectionFiled",
            at(2026, 9, 28, 16, 0),
            provider_id=REJECTED,
            selection_event_id=str(amsterdam.event_id),
            window_closes_at=at(2026, 10, 5).isoformat(),
            answer_due_at=at(2026, 10, 17).isoformat(),
        ),
        event(
            "ObjectionAnswered",
            at(2026, 10, 17, 11, 0),
            provider_id=REJECTED,
            late=True,
            answer_due_at=at(2026, 10, 17).isoformat(),
            kort_geding_closes_at=at(2026, 10, 31, 0, 0).isoformat(),
        ),
        event("KortGedingFiled", at(2026, 10, 22, 9, 30), provider_id=REJECTED),
        event(
            "ContractSigned",
            at(2026, 10, 26, 12, 0),
            provider_id=SELECTED,
            contract_id=str(uuid.uuid5(uuid.NAMESPACE_OID, "contract")),
        ),
    ]
