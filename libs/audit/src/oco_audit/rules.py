"""Every rule-based decision of the log, decided again from the recorded times (pure).

`RuleCheck` is fed each service's events (as documents: only the fields a rule needs
are read) and says where a decision disagrees with the rule it should follow:

- procedure time: a submission's `occurred_at` is its broker receipt time, mapped by the
  rehearsal clock it names (`start + (broker_time - epoch) x rate`), README "Procedure time";
- inscriptions, amendments and withdrawals are taken only while inscription is open, and
  refused as closed (or not yet open) only outside it (000_d8e1bdfab127271e.txt 6);
- an objection is filed inside the window its `ObjectionWindowOpened` recorded, and
  refused as out of time only after that window closed (000_… 6 Bezwaar);
- a kort geding is registered before its term, recorded by the answer it follows (or,
  where the round counts it from the outcome, 002_… 2018-2020, from the party's first
  window), summoned no later than its last day, and refused as out of time by that
  term (000_… 6 Kort geding);
- a region never has more contracts than the places its selection published, and its
  ceilings together never exceed its budget.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any, NamedTuple

from oco_shared.contract.parts import RefusalCode
from oco_shared.deadlines import ONE_SECOND, Deadline, deadline_for, local
from oco_shared.rounds import DeadlineCode, load_round
from oco_shared.rounds.loader import RoundFileError, UnknownRound
from oco_shared.rounds.model import Trigger

from oco_audit.findings import Finding

Document = Mapping[str, Any]

# Events decided on a message the broker received: their occurred_at is its receipt.
_RECEIVED = frozenset(
    {
        "InscriptionReceived",
        "InscriptionRejected",
        "InscriptionWithdrawn",
        "QuestionReceived",
        "QuestionRejected",
        "ObjectionFiled",
        "ObjectionRejected",
        "KortGedingFiled",
        "KortGedingRejected",
    }
)
_INSCRIPTION_ACTS = frozenset({"InscriptionReceived", "InscriptionWithdrawn"})
_INSCRIPTION_WINDOW_CODES = frozenset(
    {RefusalCode.INSCRIPTION_CLOSED.value, RefusalCode.INSCRIPTION_NOT_OPEN.value}
)
# The events a rule reads; the others need not even be decoded.
TYPES = _RECEIVED | {
    "ObjectionWindowOpened",
    "ObjectionAnswered",
    "RegionPlacesSet",
    "SelectionPublished",
    "ContractSigned",
    "BudgetCeilingSet",
    "BudgetReallocated",
}
_CLOCK_TOLERANCE = timedelta(microseconds=1)  # the float rate rounds to a microsecond


def when(recorded: str) -> datetime:
    """A recorded time (ISO 8601 with its offset) as an instant in UTC: comparisons of
    one tzinfo are the cheap ones (one across offsets costs more than this conversion)."""
    moment = datetime.fromisoformat(recorded)
    if moment.tzinfo is None:
        raise ValueError(f"recorded time {recorded!r} has no UTC offset")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class _Inscription:
    """The round's inscription deadline, its bounds in UTC once (as `Deadline.contains`)."""

    deadline: Deadline
    opens_at: datetime | None
    closes_at: datetime

    def contains(self, moment: datetime) -> bool:
        return (self.opens_at is None or moment >= self.opens_at) and moment < self.closes_at


@cache
def inscription_window(round_id: str) -> _Inscription | None:
    try:
        deadline = deadline_for(load_round(round_id), DeadlineCode.INSCRIPTION)
    except (RoundFileError, UnknownRound, KeyError):
        return None
    opens_at = deadline.opens_at.astimezone(UTC) if deadline.opens_at else None
    return _Inscription(deadline, opens_at, deadline.closes_at.astimezone(UTC))


@cache
def kort_geding_from_outcome(round_id: str, opened: datetime) -> datetime | None:
    """Where the round counts the kort geding term from the party's outcome (not from
    the answer), its first instant out of time."""
    try:
        round_ = load_round(round_id)
        rule = round_.deadlines[DeadlineCode.KORT_GEDING]
    except (RoundFileError, UnknownRound, KeyError):
        return None
    if rule.counts_from is not Trigger.OUTCOME_PUBLISHED:
        return None
    closes_at: datetime = deadline_for(round_, DeadlineCode.KORT_GEDING, opened).closes_at
    return closes_at.astimezone(UTC)


class _Window(NamedTuple):
    opens_at: datetime
    closes_at: datetime


class _Term(NamedTuple):
    """A kort geding term: its first instant out of time, and the last calendar day
    (Amsterdam) on which the summons may be served."""

    closes_at: datetime
    last_day: date

    @classmethod
    def from_closing(cls, closes_at: datetime) -> _Term:
        return cls(closes_at, local(closes_at - ONE_SECOND).date())


# A selection's windows, and the terms its answers set, are shared by many parties: each
# recorded text is read once (bounded, so that no log grows them without end).
@lru_cache(maxsize=4096)
def _window(opens_at: str, closes_at: str) -> _Window:
    return _Window(when(opens_at), when(closes_at))


@lru_cache(maxsize=4096)
def _term_closing(closes_at: str) -> _Term:
    return _Term.from_closing(when(closes_at))


Party = tuple[str, str | None, str | None]
NO_PROBLEM: Sequence[str] = ()
NO_FINDING: Sequence[Finding] = ()


class RuleCheck:
    """Fed `observe(service, position, document)` in each service's order; `finish()`
    gives the findings that need every log (contracts against places).

    Each check returns the problems it found (`NO_PROBLEM` when there are none): it runs
    once per decided event of a log of millions, so the usual answer makes no generator
    and no list."""

    def __init__(self, round_id: str | None = None) -> None:
        self.round_id = round_id
        self._windows: dict[tuple[str, int, str], _Window] = {}
        self._latest_window: dict[Party, _Window] = {}
        self._first_window: dict[Party, _Window] = {}
        self._kort_geding_terms: dict[str, _Term] = {}
        self._latest_term: dict[Party, _Term] = {}
        self._places: dict[tuple[str, str], int] = {}
        self._contracts: dict[tuple[str, str], list[tuple[str, int, str]]] = defaultdict(list)
        self._checks: dict[str, Callable[[Document], Sequence[str]]] = {
            "InscriptionReceived": self._inscription_act,
            "InscriptionWithdrawn": self._inscription_act,
            "InscriptionRejected": self._inscription_refused,
            "ObjectionWindowOpened": self._window_opened,
            "ObjectionFiled": self._objection_filed,
            "ObjectionRejected": self._objection_refused,
            "ObjectionAnswered": self._answered,
            "KortGedingFiled": self._kort_geding_filed,
            "KortGedingRejected": self._kort_geding_refused,
            "RegionPlacesSet": self._places_set,
            "SelectionPublished": self._places_set,
            "BudgetCeilingSet": self._within_budget,
            "BudgetReallocated": self._within_budget,
        }

    def observe(self, service: str, position: int, document: Document) -> Sequence[Finding]:
        if self.round_id is not None and document.get("round_id") != self.round_id:
            return NO_FINDING
        event_type = document.get("type", "")
        check = self._checks.get(event_type)
        problems = check(document) if check is not None else NO_PROBLEM
        if event_type in _RECEIVED:
            received = self._procedure_time(document)
            problems = [*received, *problems] if received else problems
        elif event_type == "ContractSigned" and document.get("region_code"):
            key = (document["round_id"], document["region_code"])
            self._contracts[key].append((service, position, str(document.get("event_id"))))
        if not problems:
            return NO_FINDING
        event_id = str(document.get("event_id"))
        return [Finding(service, position, event_id, f"{event_type}: {p}") for p in problems]

    def finish(self) -> Iterator[Finding]:
        for (round_id, region), contracts in sorted(self._contracts.items()):
            places = self._places.get((round_id, region))
            if places is None:
                for service, position, event_id in contracts:
                    yield Finding(
                        service,
                        position,
                        event_id,
                        f"ContractSigned: region {region} of round {round_id} published no places",
                    )
            elif len(contracts) > places:
                for service, position, event_id in contracts[places:]:
                    yield Finding(
                        service,
                        position,
                        event_id,
                        f"ContractSigned: contract {len(contracts)} in region {region}"
                        f" of round {round_id}, which has {places} places",
                    )

    # Procedure time.

    def _procedure_time(self, document: Document) -> Sequence[str]:
        received = document.get("broker_time")
        if received is None:
            return NO_PROBLEM
        rehearsal = document.get("rehearsal")
        if rehearsal is None:
            if document["occurred_at"] == received:  # the same text: the same instant
                return NO_PROBLEM
            expected = when(received)
        else:
            elapsed = (when(received) - when(rehearsal["epoch"])) * float(rehearsal["rate"])
            expected = when(rehearsal["start"]) + elapsed
        occurred_at = when(document["occurred_at"])
        if abs(occurred_at - expected) <= _CLOCK_TOLERANCE:
            return NO_PROBLEM
        return [
            f"occurred_at {local(occurred_at).isoformat()} is not the procedure time of"
            f" its receipt ({local(expected).isoformat()}, from broker_time"
            f" {received}{' on its rehearsal clock' if rehearsal else ''})"
        ]

    # Inscription (000_d8e1bdfab127271e.txt 6).

    def _inscription_act(self, document: Document) -> Sequence[str]:
        window = inscription_window(document["round_id"])
        if window is None:
            return [f"round {document['round_id']} has no inscription deadline"]
        occurred_at = when(document["occurred_at"])
        if window.contains(occurred_at):
            return NO_PROBLEM
        return [
            f"taken at {local(occurred_at).isoformat()}, outside inscription"
            f" (until {window.deadline.last_second.isoformat()}, {window.deadline.rule})"
        ]

    def _inscription_refused(self, document: Document) -> Sequence[str]:
        codes = {refusal["code"] for refusal in document.get("refusals", ())}
        if not codes & _INSCRIPTION_WINDOW_CODES:
            return NO_PROBLEM
        window = inscription_window(document["round_id"])
        occurred_at = when(document["occurred_at"])
        if window is None or not window.contains(occurred_at):
            return NO_PROBLEM
        return [
            f"refused as {'/'.join(sorted(codes & _INSCRIPTION_WINDOW_CODES))} at"
            f" {local(occurred_at).isoformat()}, while inscription was open"
            f" (until {window.deadline.last_second.isoformat()}, {window.deadline.rule})"
        ]

    # Objection (000_d8e1bdfab127271e.txt 6 Bezwaar).

    def _window_opened(self, document: Document) -> Sequence[str]:
        window = _window(document["opens_at"], document["closes_at"])
        key = (str(document["selection_event_id"]), int(document["edition"]))
        self._windows[(*key, str(document.get("provider_id")))] = window
        party = _party(document)
        self._latest_window[party] = window
        self._first_window.setdefault(party, window)
        return NO_PROBLEM

    def _objection_filed(self, document: Document) -> Sequence[str]:
        key = (
            str(document["selection_event_id"]),
            int(document["edition"]),
            str(document.get("provider_id")),
        )
        window = self._windows.get(key)
        if window is None:
            return [f"filed with no objection window recorded for edition {key[1]} of {key[0]}"]
        occurred_at = when(document["occurred_at"])
        problems = NO_PROBLEM
        if not window.opens_at <= occurred_at < window.closes_at:
            problems = [
                f"filed at {local(occurred_at).isoformat()}, outside its window"
                f" ({local(window.opens_at).isoformat()} until"
                f" {local(window.closes_at).isoformat()} excluded)"
            ]
        if when(document["window_closes_at"]) != window.closes_at:
            problems = [
                *problems,
                f"names window_closes_at {document['window_closes_at']}; the window recorded"
                f" closes at {local(window.closes_at).isoformat()}",
            ]
        return problems

    def _objection_refused(self, document: Document) -> Sequence[str]:
        codes = {refusal["code"] for refusal in document.get("refusals", ())}
        if RefusalCode.WINDOW_CLOSED.value not in codes:
            return NO_PROBLEM
        window = self._latest_window.get(_party(document))
        occurred_at = when(document["occurred_at"])
        if window is None or not window.opens_at <= occurred_at < window.closes_at:
            return NO_PROBLEM
        return [
            f"refused as window_closed at {local(occurred_at).isoformat()}, while the"
            f" party's window was open until {local(window.closes_at).isoformat()}"
        ]

    # Kort geding (000_d8e1bdfab127271e.txt 6 Kort geding).

    def _answered(self, document: Document) -> Sequence[str]:
        closes_at = document.get("kort_geding_closes_at")
        if closes_at is not None:
            term = _term_closing(closes_at)
            self._kort_geding_terms[str(document["objection_id"])] = term
            self._latest_term[_party(document)] = term
        return NO_PROBLEM

    def _term(self, document: Document) -> _Term | None:
        """The party's kort geding term: recorded by the answer to the objection it names
        (else its latest answer), or, in rounds that count it from the original outcome
        (2018-2020), from the party's first window."""
        objection_id = document.get("objection_id")
        term = self._kort_geding_terms.get(str(objection_id)) if objection_id else None
        if term is not None:
            return term
        party = _party(document)
        term = self._latest_term.get(party)
        first = self._first_window.get(party)
        if term is None and first is not None:
            closes_at = kort_geding_from_outcome(document["round_id"], first.opens_at)
            term = _Term.from_closing(closes_at) if closes_at is not None else None
        return term

    def _kort_geding_filed(self, document: Document) -> Sequence[str]:
        term = self._term(document)
        if term is None:
            return ["registered with no kort geding term recorded by an answer or an outcome"]
        occurred_at = when(document["occurred_at"])
        problems = []
        if occurred_at >= term.closes_at:
            problems.append(
                f"registered at {local(occurred_at).isoformat()}, after its term"
                f" (out of time from {local(term.closes_at).isoformat()})"
            )
        if when(document["closes_at"]) != term.closes_at:
            problems.append(
                f"names closes_at {document['closes_at']}; the answer recorded the term"
                f" {local(term.closes_at).isoformat()}"
            )
        if date.fromisoformat(document["summoned_on"]) > term.last_day:
            problems.append(
                f"summoned on {document['summoned_on']}, after its term's last day {term.last_day}"
            )
        return problems

    def _kort_geding_refused(self, document: Document) -> Sequence[str]:
        codes = {refusal["code"] for refusal in document.get("refusals", ())}
        if RefusalCode.KORT_GEDING_OUT_OF_TIME.value not in codes:
            return NO_PROBLEM
        # Registered in time, it is refused still when summoned after the term, which the
        # refusal does not record: what can be checked is the term it names.
        term = self._term(document)
        named = {
            when(refusal["deadline"])
            for refusal in document["refusals"]
            if refusal["code"] == RefusalCode.KORT_GEDING_OUT_OF_TIME.value
            and refusal.get("deadline")
        }
        if term is None or not named or named == {term.closes_at}:
            return NO_PROBLEM
        return [
            f"refused as kort_geding_out_of_time by a term out of time from"
            f" {', '.join(sorted(local(t).isoformat() for t in named))}; the term recorded"
            f" is out of time from {local(term.closes_at).isoformat()}"
        ]

    # The region's ceilings together never above its budget (domain.md, "Contracting
    # and money"; 000_d8e1bdfab127271e.txt 4.2 Betaalbaarheid).

    def _within_budget(self, document: Document) -> Sequence[str]:
        total, budget = Decimal(document["region_total"]), Decimal(document["region_budget"])
        if total <= budget:
            return NO_PROBLEM
        return [
            f"the region's ceilings for {document['year']} total {total:.2f},"
            f" above its budget of {budget:.2f}"
        ]

    # Contracts never above places.

    def _places_set(self, document: Document) -> Sequence[str]:
        if document.get("region_code"):
            self._places[(document["round_id"], document["region_code"])] = int(document["places"])
        return NO_PROBLEM


def _party(document: Document) -> Party:
    return (document["round_id"], document.get("region_code"), document.get("provider_id"))
