"""The objection rules as pure functions of a round, a region's record and an instant.

Sources (domain.md, "Deadlines that the log must enforce"):
- the window: 14 calendar days after the outcome was made known (003_c29535f569065006.txt
  3.6; 000_d8e1bdfab127271e.txt 6, "Tot 2 oktober 2026 kunt u bezwaar maken"), from the
  actual publication, never closing before the published date; 2018-2020 "binnen 15
  kalenderdagen", "tot 29 september 2017 17.00 uur" (002_ecc96e9cc94e3a31.txt 3), the day
  of publication counted as day 1: the round data and `oco_shared.deadlines` carry both;
- the channel: "Bezwaren ingediend via andere kanalen worden niet in behandeling genomen"
  (000_… 6; 003_… 3.6);
- the answer: by the round's fixed date; late is recorded, not void (000_… 6);
- the kort geding: a vervaltermijn of 14 days after the answer (2022, 2023, 2027-2028) or
  20 days after the original outcome (002_… 3); no suspensive effect where the round says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from oco_shared.contract.events import ObjectionWindowOpened
from oco_shared.contract.parts import Refusal, RefusalCode
from oco_shared.deadlines import Deadline, deadline_for, local
from oco_shared.rounds import DeadlineCode, Round, Trigger

from oco_objection.domain.model import Objection, RegionObjections

PORTAL_RULE = "README: subjects by authority (oco.portal.> carries providers' own messages)"
OFFICE_RULE = "README: subjects by authority (a zorgkantoor acts on its own office subject)"


def cited(deadline: Deadline) -> str:
    """A deadline's rule as events carry it: the document and section, then the rule."""
    return f"{deadline.source.cite()}: {deadline.rule}"[:500]


def shown(instant: datetime) -> str:
    return f"{local(instant):%Y-%m-%d %H:%M:%S} Europe/Amsterdam"


# The window.


def objection_window(round_: Round, published_at: datetime) -> Deadline:
    """A party's window from the actual publication of its outcome."""
    return deadline_for(round_, DeadlineCode.OBJECTION, published_at)


def channel_rule(round_: Round) -> str:
    return (
        f"{round_.deadlines[DeadlineCode.OBJECTION].source.cite()}: Bezwaren ingediend via "
        "andere kanalen worden niet in behandeling genomen"
    )


def filing_refusals(
    round_: Round,
    region: RegionObjections,
    provider_id: str,
    actor_is_party: bool,
    channel: str,
    at: datetime,
) -> list[Refusal]:
    """Why an objection by `provider_id`, on `channel`, received at `at` is refused."""
    window = region.window_of(provider_id)
    rule = round_.deadlines[DeadlineCode.OBJECTION]
    if window is None:
        text = (
            f"Provider {provider_id} has no published outcome in this region to object to."
            if region.windows
            else "No outcome has been published in this region: there is nothing to object to."
        )
        return [
            Refusal(
                code=RefusalCode.NOT_A_PARTY,
                text=text,
                rule=rule.source.cite(),
                field="provider_id",
            )
        ]
    refusals = []
    if not actor_is_party:
        refusals.append(
            Refusal(
                code=RefusalCode.NOT_A_PARTY,
                text=f"The outcome concerns provider {provider_id}; only that provider objects "
                "to it through its portal.",
                rule=PORTAL_RULE,
                field="actor",
            )
        )
    if channel != window.channel:
        refusals.append(
            Refusal(
                code=RefusalCode.WRONG_CHANNEL,
                text=f"The outcome named {window.channel!r} for objections; this one came "
                f"through {channel!r}.",
                rule=channel_rule(round_),
                field="channel",
            )
        )
    if not window.opens_at <= at < window.closes_at:
        refusals.append(
            Refusal(
                code=RefusalCode.WINDOW_CLOSED,
                text=f"Received {shown(at)}; the objection window ran from "
                f"{shown(window.opens_at)} until {shown(window.closes_at)} (exclusive).",
                rule=window.rule,
                deadline=window.closes_at,
            )
        )
    return refusals


# The answer.


def answer_deadline(round_: Round) -> Deadline | None:
    if DeadlineCode.OBJECTION_ANSWER not in round_.deadlines:
        return None
    return deadline_for(round_, DeadlineCode.OBJECTION_ANSWER)


def answer_refusals(
    round_: Round, objection: Objection | None, objection_id: object, office: str | None
) -> list[Refusal]:
    rule = round_.deadlines[DeadlineCode.OBJECTION].source.cite()
    if objection is None:
        return [
            Refusal(
                code=RefusalCode.UNKNOWN_OBJECTION,
                text=f"No objection {objection_id} was filed in round {round_.id}.",
                rule=rule,
                field="objection_id",
            )
        ]
    if office != objection.filed.uitvoerder_code:
        return [
            Refusal(
                code=RefusalCode.NOT_AUTHORISED,
                text=f"Objection {objection_id} is for {objection.filed.uitvoerder_code}; "
                f"the answer came on the office subject of {office}.",
                rule=OFFICE_RULE,
            )
        ]
    if objection.answer is not None:
        return [
            Refusal(
                code=RefusalCode.OBJECTION_ALREADY_ANSWERED,
                text=f"Objection {objection_id} was answered already "
                f"({objection.answer.decision.value}, {shown(objection.answer.occurred_at)}).",
                rule=rule,
                field="objection_id",
            )
        ]
    return []


# The kort geding.


def counts_from_answer(round_: Round) -> bool:
    return round_.deadlines[DeadlineCode.KORT_GEDING].counts_from is Trigger.OBJECTION_ANSWERED


def kort_geding_term_after_answer(round_: Round, answered_at: datetime) -> Deadline | None:
    """The term an answer starts, in rounds that count it from the answer."""
    return (
        deadline_for(round_, DeadlineCode.KORT_GEDING, answered_at)
        if counts_from_answer(round_)
        else None
    )


def kort_geding_term_of_party(round_: Round, original: ObjectionWindowOpened) -> Deadline | None:
    """The term from the party's original outcome, in rounds that count it from there
    (2018-2020: 20 days "na dagtekening van de oorspronkelijke uitkomst-e-mail")."""
    if counts_from_answer(round_):
        return None
    return deadline_for(round_, DeadlineCode.KORT_GEDING, original.opens_at)


@dataclass(frozen=True)
class KortGedingTerm:
    """The term that decides a party's kort geding, and the objection it follows."""

    deadline: Deadline
    objection: Objection | None


def kort_geding_term(
    round_: Round, region: RegionObjections, provider_id: str, objection_id: object | None
) -> KortGedingTerm | Refusal:
    """The term for a party's kort geding: after the answer to its objection (the named
    one, else its latest answered), or from its original outcome (2018-2020)."""
    rule = round_.deadlines[DeadlineCode.KORT_GEDING]
    own = region.objections_of(provider_id)
    named = [o for o in own if o.filed.objection_id == objection_id] if objection_id else own
    if objection_id is not None and not named:
        return Refusal(
            code=RefusalCode.UNKNOWN_OBJECTION,
            text=f"Provider {provider_id} filed no objection {objection_id} in this region.",
            rule=rule.source.cite(),
            field="objection_id",
        )
    if not counts_from_answer(round_):
        original = region.first_window_of(provider_id)
        assert original is not None, "a party has a window"
        term = kort_geding_term_of_party(round_, original)
        assert term is not None
        return KortGedingTerm(term, named[-1] if named else None)
    answered = [o for o in named if o.answer is not None]
    if not answered:
        return Refusal(
            code=RefusalCode.OBJECTION_NOT_ANSWERED,
            text="A kort geding follows the answer to the party's objection "
            f"({rule.title}); provider {provider_id} has no answered objection here.",
            rule=rule.source.cite(),
        )
    latest = max(answered, key=lambda o: o.answer.occurred_at if o.answer else o.filed.occurred_at)
    assert latest.answer is not None
    term = kort_geding_term_after_answer(round_, latest.answer.occurred_at)
    assert term is not None
    return KortGedingTerm(term, latest)


def kort_geding_refusals(term: Deadline, at: datetime, summoned_on: date) -> list[Refusal]:
    """Inadmissible when registered, or summoned, after the vervaltermijn."""
    if term.contains(at) and summoned_on <= local(term.last_second).date():
        return []
    late = "registered" if not term.contains(at) else f"summoned on {summoned_on}"
    return [
        Refusal(
            code=RefusalCode.KORT_GEDING_OUT_OF_TIME,
            text=f"The kort geding was {late} ({shown(at)} received); the vervaltermijn ended "
            f"{shown(term.last_second)}: the claim is inadmissible.",
            rule=cited(term),
            deadline=term.closes_at,
        )
    ]


def suspends_procedure(round_: Round) -> bool:
    """Derived from the round, never from the sender ("geen schorsende werking", 000_… 6)."""
    return not round_.no_suspensive_effect
