"""What the query side shows of a region: each party's state, and what still blocks it.

Pure functions of a rebuilt `RegionAssessment` and the round's rules, so the answers
follow the same rules as the decisions.
"""

from __future__ import annotations

from typing import Any

from oco_shared.rounds import Round

from oco_assessment.domain.model import RegionAssessment
from oco_assessment.domain.selection import AwaitingLot, MissingScores, existing_rule, select


def parties(region: RegionAssessment) -> list[dict[str, Any]]:
    """Each open case: verdicts, conditions, scores and, once published, rank and outcome."""
    published = {o.provider_id: o for o in region.published.outcomes} if region.published else {}
    shown = []
    for case in region.open_cases():
        outcome = published.get(case.provider_id)
        shown.append(
            {
                "provider_id": case.provider_id,
                "name": case.opened.provider.name,
                "existing": case.existing,
                "verdicts": {code: v.verdict.value for code, v in sorted(case.verdicts.items())},
                "suitable": case.assessed.suitable if case.assessed else None,
                "failed_requirements": list(case.assessed.failed_requirements)
                if case.assessed
                else [],
                "conditions": [
                    {"code": v.code, "what": v.condition.what, "due_on": str(v.condition.due_on)}
                    for v in case.verdicts.values()
                    if v.condition is not None
                ],
                "scores": {code: s.score for code, s in case.scores.items()},
                "rank": outcome.rank if outcome else None,
                "outcome": outcome.outcome.value if outcome else None,
                "reason": outcome.reason.value if outcome else None,
            }
        )
    return shown


def blockers(round_: Round, region: RegionAssessment) -> list[str]:
    """What keeps the region from its (next) publication; empty when it can be published."""
    if region.closed_for_assessment:
        return []
    cases = region.open_cases()
    found = []
    if region.places is None:
        found.append("places not fixed")
    requirements = [requirement.code for requirement in round_.requirements]
    for case in cases:
        missing = [code for code in requirements if code not in case.verdicts]
        if missing:
            found.append(f"{case.provider_id}: no verdict on {', '.join(missing)}")
    if region.awaiting_lot is not None:
        found.append(f"a lot to draw between {', '.join(region.awaiting_lot.candidates)}")
    elif region.places is not None and cases and all(case.assessed for case in cases):
        selection = select(
            [case.party(round_) for case in cases],
            region.places.places,
            existing_rule(round_),
            region.recorded_lots(),
        )
        if isinstance(selection, MissingScores):
            found.append(f"scores missing for {', '.join(selection.provider_ids)}")
        elif isinstance(selection, AwaitingLot):
            found.append(f"a tie on the last places between {', '.join(selection.candidates)}")
    return found
