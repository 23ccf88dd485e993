"""What a played round came to, per region: the outcome an operator and an auditor look at.

Built from the services' events only, so two runs of the same seed can be compared.
"""

from __future__ import annotations

from collections import Counter
from typing import Any


def region_report(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per region, its latest published selection: places, who was selected, who was
    rejected and why, whether a lot decided; each objection and kort geding with what came
    of it; and who signed a contract there."""
    latest: dict[str, dict[str, Any]] = {}
    for event in events:
        if event["type"] == "SelectionPublished":
            region = event["region_code"]
            if region not in latest or event["edition"] > latest[region]["edition"]:
                latest[region] = event
    lots = {event["region_code"] for event in events if event["type"] == "LotDrawn"}
    objections = _outcomes(
        events, ("ObjectionFiled", "filed"), "ObjectionRejected", _objection_decisions(events)
    )
    kort_gedingen = _outcomes(events, ("KortGedingFiled", "filed"), "KortGedingRejected")
    contracts: dict[str, list[str]] = {}
    for event in events:
        if event["type"] == "ContractSigned":
            contracts.setdefault(event["region_code"], []).append(event["provider"]["id"])
    return {
        region: {
            "edition": publication["edition"],
            "places": publication["places"],
            "selected": sorted(
                o["provider_id"] for o in publication["outcomes"] if o["outcome"] == "selected"
            ),
            "rejected": {
                o["provider_id"]: o["reason"]
                for o in sorted(publication["outcomes"], key=lambda o: o["provider_id"])
                if o["outcome"] == "rejected"
            },
            "lot": region in lots,
            "late": publication["late"],
            "objections": objections.get(region, []),
            "kort_gedingen": kort_gedingen.get(region, []),
            "contracts": sorted(contracts.get(region, [])),
        }
        for region, publication in sorted(latest.items())
    }


def _objection_decisions(events: list[dict[str, Any]]) -> dict[str, str]:
    """The answer to each objection, by objection id."""
    return {
        str(event["objection_id"]): event["decision"] + (" late" if event["late"] else "")
        for event in events
        if event["type"] == "ObjectionAnswered"
    }


def _outcomes(
    events: list[dict[str, Any]],
    accepted: tuple[str, str],
    rejected: str,
    decisions: dict[str, str] | None = None,
) -> dict[str, list[str]]:
    """Per region, "<provider> <what came of it>" for each filing: its answer where
    `decisions` has one, else the word for the `accepted` event type, or `refused` with
    the refusal codes."""
    found: dict[str, list[str]] = {}
    for event in events:
        if event["type"] == accepted[0]:
            what = (decisions or {}).get(str(event.get("objection_id")), accepted[1])
        elif event["type"] == rejected:
            what = "refused " + ",".join(sorted(r["code"] for r in event["refusals"]))
        else:
            continue
        found.setdefault(event.get("region_code") or "", []).append(
            f"{event.get('provider_id')} {what}"
        )
    return {region: sorted(lines) for region, lines in found.items()}


# Records about the log itself, not the procedure: how many a run has depends on how long
# it took (a chain head every 1,000 events, and after 10 quiet minutes), so two plays of
# one seed may differ in them.
LOG_RECORDS = frozenset({"ChainCheckpointed"})


def event_counts(events: list[dict[str, Any]]) -> dict[str, int]:
    """How many events of each procedure type (records about the log left out)."""
    return dict(sorted(Counter(e["type"] for e in events if e["type"] not in LOG_RECORDS).items()))


def refusal_counts(events: list[dict[str, Any]]) -> dict[str, int]:
    """How often each reason code refused something."""
    return dict(
        sorted(
            Counter(
                refusal["code"] for event in events for refusal in event.get("refusals", ())
            ).items()
        )
    )


def differences(expected: list[dict[str, Any]], found: list[dict[str, Any]]) -> list[str]:
    """Where two plays of the same seed came out differently: each region whose report
    differs, each event type and refusal code counted differently; none when they agree."""
    lines = []
    for name, compared in (
        ("region", region_report),
        ("events of type", event_counts),
        ("refusals coded", refusal_counts),
    ):
        before, after = compared(expected), compared(found)
        lines += [
            f"{name} {key}: expected {before.get(key)}, found {after.get(key)}"
            for key in sorted(before.keys() | after.keys())
            if before.get(key) != after.get(key)
        ]
    return lines


def print_report(report: dict[str, dict[str, Any]], events: list[dict[str, Any]]) -> None:
    for region, outcome in report.items():
        rejected = ", ".join(f"{kvk} ({why})" for kvk, why in outcome["rejected"].items())
        print(
            f"{region:<28} {len(outcome['selected'])}/{outcome['places']} selected"
            + (" after a lot" if outcome["lot"] else "")
            + (f" (edition {outcome['edition']})" if outcome["edition"] > 1 else "")
            + (f"; rejected: {rejected}" if rejected else "")
            + _listed("objections", outcome["objections"])
            + _listed("kort gedingen", outcome["kort_gedingen"])
            + (f"; {len(outcome['contracts'])} contracts" if outcome["contracts"] else "")
        )
    print("events: " + ", ".join(f"{k} {v}" for k, v in event_counts(events).items()))
    print("refusals: " + ", ".join(f"{k} {v}" for k, v in refusal_counts(events).items()))


def _listed(what: str, lines: list[str]) -> str:
    return f"; {what}: {', '.join(lines)}" if lines else ""
