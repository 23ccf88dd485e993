"""The objection deadlines that pass on their own, as the shared ticker raises them.

Pure functions of a region's recorded events and procedure time (`oco_shared.messaging.
ticker`): every deadline passed is returned, each under a key of its own; the ticker
records those the region does not hold yet, at the deadline's instant.
- a party's window closes at its `closes_at` (ObjectionWindowClosed, scope party);
- a region's window closes once every window of its latest edition closed, or of an
  earlier edition that closed before the next one was published (scope region);
- an objection unanswered at its answer deadline is overdue (an answer after it is late
  and does not undo that);
- a kort geding term closes after the answer (2022, 2023, 2027-2028) or after the party's
  original outcome (2018-2020).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from oco_shared.contract import Actor, ActorKind, Event
from oco_shared.contract.events import (
    KortGedingTermClosed,
    ObjectionAnswered,
    ObjectionAnswerOverdue,
    ObjectionFiled,
    ObjectionWindowClosed,
    ObjectionWindowOpened,
)
from oco_shared.messaging.ticker import Due
from oco_shared.rounds import Round, load_round

from oco_objection.domain.model import RegionObjections
from oco_objection.domain.rules import (
    answer_deadline,
    cited,
    kort_geding_term_after_answer,
    kort_geding_term_of_party,
)

SERVICE_ACTOR = Actor(kind=ActorKind.SYSTEM, id="objection")


class ObjectionDeadlines:
    name = "objection"

    def watch(self, event: Event) -> list[datetime]:
        """When the region of `event` must be looked at again."""
        if isinstance(event, ObjectionWindowOpened):
            term = kort_geding_term_of_party(load_round(event.round_id), event)
            return [event.closes_at, *([term.closes_at] if term else [])]
        if isinstance(event, ObjectionFiled) and event.answer_due_at is not None:
            return [event.answer_due_at]
        if isinstance(event, ObjectionAnswered) and event.kort_geding_closes_at is not None:
            return [event.kort_geding_closes_at]
        return []

    def due(self, aggregate_id: uuid.UUID, events: Sequence[Event], now: datetime) -> list[Due]:
        if not events:
            return []
        region = RegionObjections.replay(aggregate_id, events)
        round_ = load_round(events[0].round_id)
        return [due for due in _passed(round_, region) if due.at <= now]


def _passed(round_: Round, region: RegionObjections) -> Iterator[Due]:
    yield from _windows_closed(region)
    yield from _answers_overdue(round_, region)
    yield from _kort_geding_terms_closed(round_, region)


def _envelope(event: Event, provider_id: str | None, at: datetime) -> dict[str, Any]:
    return {
        "round_id": event.round_id,
        "region_code": event.region_code,
        "provider_id": provider_id,
        "occurred_at": at,
        "correlation_id": event.correlation_id,
        "causation_id": event.event_id,
        "actor": SERVICE_ACTOR,
    }


def _windows_closed(region: RegionObjections) -> Iterator[Due]:
    editions = region.editions()
    for index, windows in enumerate(editions):
        for window in windows:
            yield Due(
                f"window:{window.selection_event_id}:{window.provider_id}",
                window.closes_at,
                ObjectionWindowClosed(
                    **_envelope(window, window.provider_id, window.closes_at),
                    scope="party",
                    selection_event_id=window.selection_event_id,
                    edition=window.edition,
                    closed_at=window.closes_at,
                    rule=window.rule,
                    objections_filed=region.filed_in(window.selection_event_id, window.provider_id),
                ),
            )
        last = max(windows, key=lambda w: w.closes_at)
        following = editions[index + 1][0] if index + 1 < len(editions) else None
        if following is not None and following.opens_at < last.closes_at:
            continue  # superseded while still open: the region's window is the next edition's
        yield Due(
            f"region-window:{last.selection_event_id}",
            last.closes_at,
            ObjectionWindowClosed(
                **_envelope(last, None, last.closes_at),
                scope="region",
                selection_event_id=last.selection_event_id,
                edition=last.edition,
                closed_at=last.closes_at,
                rule=last.rule,
                objections_filed=region.filed_in(last.selection_event_id),
            ),
        )


def _answers_overdue(round_: Round, region: RegionObjections) -> Iterator[Due]:
    deadline = answer_deadline(round_)
    for objection in region.objections.values():
        filed, due_at = objection.filed, objection.filed.answer_due_at
        if due_at is None or deadline is None:
            continue
        if objection.answer is not None and objection.answer.occurred_at < due_at:
            continue
        yield Due(
            f"answer-overdue:{filed.objection_id}",
            due_at,
            ObjectionAnswerOverdue(
                **_envelope(filed, filed.provider_id, due_at),
                objection_id=filed.objection_id,
                uitvoerder_code=filed.uitvoerder_code,
                answer_due_at=due_at,
                rule=cited(deadline),
            ),
        )


def _kort_geding_terms_closed(round_: Round, region: RegionObjections) -> Iterator[Due]:
    for provider_id in region.parties():
        original = region.first_window_of(provider_id)
        term = kort_geding_term_of_party(round_, original) if original else None
        if original is None or term is None:
            continue
        filed = sum(len(o.kort_gedingen) for o in region.objections_of(provider_id)) + sum(
            1 for k in region.unattached_kort_gedingen if k.provider_id == provider_id
        )
        yield Due(
            f"kort-geding:party:{provider_id}",
            term.closes_at,
            KortGedingTermClosed(
                **_envelope(original, provider_id, term.closes_at),
                closed_at=term.closes_at,
                rule=cited(term),
                kort_gedingen_filed=filed,
            ),
        )
    for objection in region.objections.values():
        answer = objection.answer
        if answer is None or answer.kort_geding_closes_at is None:
            continue
        term = kort_geding_term_after_answer(round_, answer.occurred_at)
        if term is None:  # counted per party from the original outcome, above
            continue
        yield Due(
            f"kort-geding:{objection.filed.objection_id}",
            answer.kort_geding_closes_at,
            KortGedingTermClosed(
                **_envelope(answer, objection.provider_id, answer.kort_geding_closes_at),
                objection_id=objection.filed.objection_id,
                closed_at=answer.kort_geding_closes_at,
                rule=cited(term),
                kort_gedingen_filed=len(objection.kort_gedingen),
            ),
        )
