"""What the query side shows of a region's objections: each one's state and every deadline
that applies to it, with its rule and the document and section it comes from.

Pure functions of a rebuilt `RegionObjections` and the round's rules, so the listing
follows the same rules as the decisions.
"""

from __future__ import annotations

from typing import Any

from oco_shared.deadlines import Deadline
from oco_shared.rounds import Round

from oco_objection.domain.model import Objection, RegionObjections
from oco_objection.domain.rules import (
    answer_deadline,
    kort_geding_term_after_answer,
    kort_geding_term_of_party,
    objection_window,
)


def state_of(objection: Objection) -> str:
    answer = objection.answer
    if answer is None:
        return "overdue" if objection.overdue else "awaiting answer"
    return f"{answer.decision.value}{' (late)' if answer.late else ''}"


def deadlines_of(round_: Round, region: RegionObjections, objection: Objection) -> list[Deadline]:
    """The window it was filed in, the answer's deadline and, once it runs, the kort
    geding term."""
    window = next(
        w
        for w in region.windows
        if w.selection_event_id == objection.filed.selection_event_id
        and w.provider_id == objection.provider_id
    )
    found = [objection_window(round_, window.opens_at)]
    answer = answer_deadline(round_)
    if answer is not None:
        found.append(answer)
    term = (
        kort_geding_term_after_answer(round_, objection.answer.occurred_at)
        if objection.answer
        else None
    )
    original = region.first_window_of(objection.provider_id)
    term = term or (kort_geding_term_of_party(round_, original) if original else None)
    if term is not None:
        found.append(term)
    return found


def objections(round_: Round, region_code: str, region: RegionObjections) -> list[dict[str, Any]]:
    listed = []
    for objection in region.objections.values():
        filed, answer = objection.filed, objection.answer
        listed.append(
            {
                "objection_id": str(filed.objection_id),
                "region": region_code,
                "provider_id": objection.provider_id,
                "uitvoerder": filed.uitvoerder_code,
                "edition": filed.edition,
                "filed_at": filed.occurred_at.isoformat(),
                "state": state_of(objection),
                "answered_at": answer.occurred_at.isoformat() if answer else None,
                "kort_gedingen": [
                    {
                        "court": k.court,
                        "case_number": k.case_number,
                        "summoned_on": str(k.summoned_on),
                        "suspends_procedure": k.suspends_procedure,
                    }
                    for k in objection.kort_gedingen
                ],
                "deadlines": [d.as_json() for d in deadlines_of(round_, region, objection)],
            }
        )
    return listed
