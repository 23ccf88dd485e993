"""Which rounds take inscriptions at an instant: for `oco rounds` and `oco rehearse status`."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def round_listing(now: datetime) -> list[dict[str, Any]]:
    """Every round, and whether its inscription is open at `now` (procedure time)."""
    from oco_shared.deadlines import deadline_for
    from oco_shared.rounds import DeadlineCode, available_rounds, load_round

    listed = []
    for round_id in available_rounds():
        loaded = load_round(round_id)
        window = deadline_for(loaded, DeadlineCode.INSCRIPTION)
        listed.append(
            {
                "round": round_id,
                "title": loaded.title,
                "requirements": len(loaded.requirements),
                "regions": sum(len(u.regions) for u in loaded.uitvoerders),
                "tariff": str(loaded.tariff.amount),
                "inscription": "open"
                if window.contains(now)
                else (
                    "not yet open"
                    if window.opens_at is not None and now < window.opens_at
                    else "closed"
                ),
                "inscription_closes_at": window.closes_at.isoformat(),
            }
        )
    return listed
