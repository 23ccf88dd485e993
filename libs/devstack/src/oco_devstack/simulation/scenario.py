"""A sample procurement round, generated from a seed: who inscribes where, what goes wrong,
how the zorgkantoren judge, who objects and goes to court, what the contracts come to.
Pure: the same seed gives the same round, message for message.

A scenario is a list of phases in procedure time; each phase holds the acts the portals
and the zorgkantoren perform at that moment, as the contract's messages. The player
(`oco_devstack.simulation.player`) moves the rehearsal clock to each phase and publishes
its acts on their documented subjects.

What follows the selection depends on what the services decided (who was rejected, which
objection was filed, which region reopened): those phases `react` to the events heard so
far, still purely: the same events and seed give the same messages.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from oco_shared.deadlines import deadline_for, local
from oco_shared.rounds import DeadlineCode, MilestoneCode, Round, Trigger, load_round
from oco_shared.rounds.model import AMSTERDAM

PORTAL = "portal"


@dataclass(frozen=True)
class Act:
    """One message a party sends: `party` is `portal` or the uitvoerder whose office acts."""

    party: str
    message: dict[str, Any]

    @property
    def message_id(self) -> str:
        return str(self.message["message_id"])


Events = Sequence[dict[str, Any]]
Reaction = Callable[[Events], tuple[Act, ...]]


@dataclass(frozen=True)
class Phase:
    """Acts at one moment of procedure time: `acts` known beforehand, and what `react`
    makes of the events heard before the phase starts (the services decided them).
    `settle_first`: its acts depend on what the services' tickers record once the clock
    passed a deadline (a contract needs the region's windows closed), so the player lets
    them record it before the acts go out."""

    milestone: str
    at: datetime
    acts: tuple[Act, ...]
    react: Reaction | None = field(default=None, compare=False)
    settle_first: bool = False

    def acts_after(self, events: Events) -> tuple[Act, ...]:
        return self.acts + (self.react(events) if self.react else ())


@dataclass(frozen=True)
class Scenario:
    round_id: str
    seed: int
    phases: tuple[Phase, ...]

    @property
    def acts(self) -> int:
        return sum(len(phase.acts) for phase in self.phases)


@dataclass
class Provider:
    kvk: str
    name: str
    uitvoerder: str
    regions: list[str] = field(default_factory=list)
    new_to_region: set[str] = field(default_factory=set)
    consortium: tuple[dict[str, str], ...] = ()
    defect: str | None = None  # "stale", "incomplete", "late": refused by intake
    withdraws: bool = False
    amends: bool = False

    @property
    def inscribed(self) -> bool:
        return self.defect is None and not self.withdraws


class _Ids:
    """Message ids drawn from the seed: a second run with the same seed sends the same."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=AMSTERDAM)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class _Round:
    """Builds the messages of one round, each stamped as sent by its actor."""

    def __init__(self, round_: Round, rng: random.Random) -> None:
        self.round = round_
        self.rng = rng
        self.ids = _Ids(rng)

    def message(
        self, type_name: str, sent_at: datetime, actor: tuple[str, str], **fields: Any
    ) -> dict[str, Any]:
        message_id = self.ids()
        return {
            "message_id": message_id,
            "type": type_name,
            "schema_version": 1,
            "round_id": self.round.id,
            "sent_at": sent_at.isoformat(),
            "correlation_id": message_id,
            "actor": {"kind": actor[0], "id": actor[1]},
            **fields,
        }

    def document(self, kind: str, issued_on: date) -> dict[str, Any]:
        return {
            "kind": kind,
            "filename": f"{kind.replace('_', '-')}.pdf",
            "issued_on": issued_on.isoformat(),
            "sha256": _sha(f"{kind}:{issued_on}:{self.rng.random()}"),
            "size_bytes": self.rng.randint(40_000, 900_000),
            "media_type": "application/pdf",
            "searchable": True,
        }


def sample_round(seed: int, round_id: str = "2027-2028") -> Scenario:
    """A round over every region of `round_id`: 3 to 9 parties per region."""
    round_ = load_round(round_id)
    rng = random.Random(seed)
    build = _Round(round_, rng)
    providers = _providers(round_, rng)
    milestones = {code: m.date for code, m in round_.milestones.items()}
    opened = milestones[MilestoneCode.PUBLICATION]
    closes = milestones[MilestoneCode.INSCRIPTION_CLOSES]
    assessing = milestones[MilestoneCode.ASSESSMENT_STARTS]
    phases = [
        *_questions_and_nota(build, providers, milestones),
        Phase(
            "inscription",
            _at(closes - timedelta(days=21), 10),
            tuple(
                _inscription(build, p, opened, closes - timedelta(days=21))
                for p in providers
                if p.defect != "late"
            ),
        ),
        Phase(
            "amendments and withdrawals",
            _at(closes - timedelta(days=7), 10),
            tuple(_second_thoughts(build, providers, opened, closes - timedelta(days=7))),
        ),
        Phase(
            "late submissions",
            _at(closes + timedelta(days=1), 9),
            tuple(
                _inscription(build, p, opened, closes + timedelta(days=1))
                for p in providers
                if p.defect == "late"
            ),
        ),
        *_assessment(build, providers, assessing),
        *_after_selection(round_, seed),
    ]
    return Scenario(round_id, seed, tuple(phase for phase in phases if phase.acts or phase.react))


def _providers(round_: Round, rng: random.Random) -> list[Provider]:
    """3 to 9 parties per region; some inscribe in several regions of their uitvoerder,
    some as a consortium, some are new to a region; a few make mistakes."""
    providers: list[Provider] = []
    serial = iter(range(10_000_000, 99_999_999, 7_919))
    # 2023 admits new organisations only: nearly every party is new to its regions there.
    only_new = (
        round_.existing_organisations and round_.existing_organisations.rule == "not_admitted"
    )
    new_to_region = 0.9 if only_new else 0.2
    for uitvoerder in round_.uitvoerders:
        own: list[Provider] = []
        for region in uitvoerder.regions:
            for _ in range(rng.randint(3, 9)):
                elsewhere = [p for p in own if region.code not in p.regions]
                if elsewhere and rng.random() < 0.2:
                    provider = rng.choice(elsewhere)
                else:
                    kvk = f"{next(serial):08d}"
                    provider = Provider(kvk, f"Cliëntondersteuning {kvk}", uitvoerder.code)
                    if rng.random() < 0.1:
                        provider.consortium = tuple(
                            {"id": f"{next(serial):08d}", "name": f"Lid {n}"} for n in (1, 2)
                        )
                    provider.defect = rng.choices(
                        [None, "stale", "incomplete", "late"], [0.92, 0.03, 0.02, 0.03]
                    )[0]
                    provider.withdraws = provider.defect is None and rng.random() < 0.03
                    provider.amends = provider.inscribed and rng.random() < 0.05
                    own.append(provider)
                provider.regions.append(region.code)
                if rng.random() < new_to_region:
                    provider.new_to_region.add(region.code)
        providers += own
    return providers


def _questions_and_nota(
    build: _Round, providers: list[Provider], milestones: dict[MilestoneCode, date]
) -> Iterator[Phase]:
    """Questions before their deadline and each zorgkantoor's Nota (where the round has
    them: 2018-2020 had neither)."""
    if MilestoneCode.QUESTIONS_DEADLINE not in milestones:
        return
    asked_on = milestones[MilestoneCode.PUBLICATION] + timedelta(days=3)
    askers = build.rng.sample(providers, 5)
    questions = [
        build.message(
            "SubmitQuestion",
            _at(asked_on, 11),
            ("provider", provider.kvk),
            question_id=f"Q-{number:04d}",
            text=f"Vraag {number} over de geschiktheidseisen.",
        )
        for number, provider in enumerate(askers, start=1)
    ]
    yield Phase("questions", _at(asked_on, 11), tuple(Act(PORTAL, q) for q in questions))
    published = milestones[MilestoneCode.NOTA_VAN_INLICHTINGEN]
    yield Phase(
        "Nota van Inlichtingen",
        _at(published, 10),
        tuple(
            Act(
                u.code,
                build.message(
                    "PublishNotaVanInlichtingen",
                    _at(published, 10),
                    ("zorgkantoor", u.code),
                    answers=[
                        {"question_id": q["question_id"], "answer": "Zie de Nota."}
                        for q in questions
                    ],
                ),
            )
            for u in build.round.uitvoerders
        ),
    )


def _inscription(build: _Round, provider: Provider, opened: date, on: date) -> Act:
    issued_on = opened - timedelta(days=14)
    documents = []
    flawed = False
    for rule in build.round.required_documents:
        if rule.only_for == "consortium" and not provider.consortium:
            continue
        if rule.only_for == "new_to_region" and not provider.new_to_region:
            continue
        if provider.defect == "incomplete" and rule.kind == "motivation":
            flawed = True
            continue  # refused: document_missing
        stale = provider.defect == "stale" and rule.max_age_months is not None
        flawed = flawed or stale
        documents.append(build.document(rule.kind, issued_on - timedelta(days=400 * stale)))
    if provider.defect in ("incomplete", "stale") and not flawed:
        # The round did not ask this provider for the document it would have got wrong
        # (2018-2020 asks extracts and motivation of organisations new to a region only).
        provider.defect = None
    return Act(
        PORTAL,
        build.message(
            "SubmitInscription",
            _at(on, 10),
            ("provider", provider.kvk),
            uitvoerder_code=provider.uitvoerder,
            provider={"id": provider.kvk, "name": provider.name},
            regions=[
                {
                    "region_code": code,
                    "new_to_region": code in provider.new_to_region,
                    "wmo_municipalities": [],
                }
                for code in provider.regions
            ],
            consortium_members=list(provider.consortium),
            subcontractor_intent=build.rng.random() < 0.2,
            documents=documents,
        ),
    )


def _second_thoughts(
    build: _Round, providers: list[Provider], opened: date, on: date
) -> Iterator[Act]:
    for provider in providers:
        if provider.amends:
            yield _inscription(build, provider, opened, on)
        if provider.withdraws:
            yield Act(
                PORTAL,
                build.message(
                    "WithdrawInscription",
                    _at(on, 10),
                    ("provider", provider.kvk),
                    uitvoerder_code=provider.uitvoerder,
                    provider_id=provider.kvk,
                ),
            )


def _assessment(build: _Round, providers: list[Provider], starts: date) -> Iterator[Phase]:
    """Places, verdicts, scores, publication and lots, region by region."""
    round_ = build.round
    rng = build.rng
    places_on, verdicts_on = starts + timedelta(days=1), starts + timedelta(days=14)
    published, lots_drawn = _publication_times(round_)
    places: dict[str, int] = {}
    place_acts, verdict_acts, score_acts, publish_acts, lot_acts = [], [], [], [], []
    request_acts, answer_acts = [], []
    answer_by = _at(places_on + timedelta(days=7), 17)
    for uitvoerder in round_.uitvoerders:
        office = ("zorgkantoor", uitvoerder.code)
        for region in uitvoerder.regions:
            parties = [p for p in providers if p.inscribed and region.code in p.regions]
            if not parties:
                continue
            places[region.code] = rng.choices(
                [round_.max_providers_per_region.value, 3, 2], [0.75, 0.2, 0.05]
            )[0]
            place_acts.append(
                Act(
                    uitvoerder.code,
                    build.message(
                        "SetRegionPlaces",
                        _at(places_on, 10),
                        office,
                        region_code=region.code,
                        places=places[region.code],
                        motivation="Op basis van regionale ontwikkelingen.",
                    ),
                )
            )
            for party in parties:
                if rng.random() < 0.05:  # reasonable doubt: more documents asked for
                    request, answer = _document_request(build, party, region.code, answer_by)
                    request_acts.append(Act(uitvoerder.code, request))
                    if answer is not None:
                        answer_acts.append(Act(PORTAL, answer))
            suitable = []
            for party in parties:
                verdicts, fit = _verdicts(round_, rng, verdicts_on)
                if fit:
                    suitable.append(party)
                verdict_acts.append(
                    Act(
                        uitvoerder.code,
                        build.message(
                            "AssessSuitability",
                            _at(verdicts_on, 10),
                            office,
                            provider_id=party.kvk,
                            region_code=region.code,
                            verdicts=verdicts,
                        ),
                    )
                )
            ranked, remaining = _competition(round_, suitable, region.code, places[region.code])
            tied: list[str] = []
            if ranked:
                scores, tied = _scores(round_, rng, [p.kvk for p in ranked], remaining)
                score_acts += [
                    Act(
                        uitvoerder.code,
                        build.message(
                            "ScoreCriteria",
                            _at(verdicts_on, 14),
                            office,
                            provider_id=kvk,
                            region_code=region.code,
                            scores=criteria,
                        ),
                    )
                    for kvk, criteria in scores.items()
                ]
            publish_acts.append(
                Act(
                    uitvoerder.code,
                    build.message(
                        "PublishSelection",
                        published,
                        office,
                        region_code=region.code,
                        provisional_budget_ceiling=f"{rng.randint(60, 240) * 1000}.00",
                    ),
                )
            )
            if tied:
                lot_acts.append(
                    Act(
                        uitvoerder.code,
                        build.message(
                            "RecordLotDrawn",
                            lots_drawn,
                            office,
                            region_code=region.code,
                            drawn_order=rng.sample(tied, len(tied)),
                            notary="mr. A. de Notaris",
                            report_sha256=_sha(f"lot:{region.code}:{tied}"),
                        ),
                    )
                )
    yield Phase("places fixed", _at(places_on, 10), tuple(place_acts + request_acts))
    yield Phase(
        "requested documents supplied", _at(places_on + timedelta(days=5), 10), tuple(answer_acts)
    )
    yield Phase("suitability assessed", _at(verdicts_on, 10), tuple(verdict_acts))
    yield Phase("selection criteria scored", _at(verdicts_on, 14), tuple(score_acts))
    yield Phase("selection published", published, tuple(publish_acts))
    yield Phase("lots drawn before a notary", lots_drawn, tuple(lot_acts))


def _publication_times(round_: Round) -> tuple[datetime, datetime]:
    """When the zorgkantoren publish (three days before the planned date) and when the
    regions that wait for a lot publish (the day before)."""
    planned = round_.milestones[MilestoneCode.OUTCOME_PUBLISHED].date
    return _at(planned - timedelta(days=3), 10), _at(planned - timedelta(days=1), 10)


def _document_request(
    build: _Round, party: Provider, region: str, answer_by: datetime
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A zorgkantoor's request for a reference, and (mostly) the provider's answer."""
    office = ("zorgkantoor", party.uitvoerder)
    asked_on = answer_by - timedelta(days=7)
    request = build.message(
        "RequestDocuments",
        asked_on.replace(hour=10, minute=0),
        office,
        request_id=build.ids(),
        provider_id=party.kvk,
        region_code=region,
        documents=[{"kind": "reference_letter", "description": "Een referentie uit de regio."}],
        reason="Gerede twijfel over de ervaring in de regio.",
        answer_by=answer_by.isoformat(),
    )
    if build.rng.random() < 0.2:
        return request, None  # never answered: the verdicts rest on what was there
    answer = build.message(
        "SupplyDocuments",
        answer_by - timedelta(days=2),
        ("provider", party.kvk),
        request_id=request["request_id"],
        provider_id=party.kvk,
        region_code=region,
        documents=[build.document("reference_letter", (answer_by - timedelta(days=3)).date())],
    )
    return request, answer


def _competition(
    round_: Round, suitable: list[Provider], region: str, places: int
) -> tuple[list[Provider], int]:
    """The parties that must be ranked for the places left to them, as the round orders
    them: 2018-2020 lets suitable existing organisations keep their place first, 2023
    admits new ones only (rounds data: `existing_organisations`)."""
    rule = round_.existing_organisations.rule if round_.existing_organisations else "compete"
    existing = [p for p in suitable if region not in p.new_to_region]
    new = [p for p in suitable if region in p.new_to_region]
    tiers = {"compete": [suitable], "keep_place": [existing, new], "not_admitted": [new]}[rule]
    for tier in tiers:
        if places == 0:
            break  # nothing left to compete for: no ranking
        if len(tier) > places:
            return tier, places
        places -= len(tier)
    return [], 0


def _verdicts(round_: Round, rng: random.Random, on: date) -> tuple[list[dict[str, Any]], bool]:
    """Every requirement met, but now and then one not met, or the first met on condition."""
    failing = rng.choice(round_.requirements).code if rng.random() < 0.08 else None
    conditional = failing is None and rng.random() < 0.1
    verdicts = []
    for index, requirement in enumerate(round_.requirements):
        verdict: dict[str, Any] = {
            "code": requirement.code,
            "verdict": "not_met" if requirement.code == failing else "met",
            "motivation": "Beoordeeld op de ingediende stukken.",
        }
        if conditional and index == 0:
            verdict["verdict"] = "met_on_condition"
            verdict["condition"] = {
                "what": "Plan van aanpak uitgevoerd",
                "due_on": (on + timedelta(days=200)).isoformat(),
            }
        verdicts.append(verdict)
    return verdicts, failing is None


def _scores(
    round_: Round, rng: random.Random, parties: list[str], places: int
) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Scores per criterion; in about one region in four the last place is a tie, which a
    lot before a notary decides. Returns the scores and the parties tied, if any."""
    criteria = sorted(round_.selection_criteria, key=lambda c: c.rank)
    totals = rng.sample(range(100, 1000, 7), len(parties))
    tie = rng.random() < 0.25
    ranked = sorted(parties, key=lambda kvk: -totals[parties.index(kvk)])
    tied = ranked[places - 1 : places + 1] if tie else []
    scores = {}
    for kvk in parties:
        total = totals[parties.index(kvk)]
        if kvk in tied:
            total = totals[parties.index(tied[0])]
        scores[kvk] = [
            {"code": c.code, "score": total // (n + 1), "motivation": "Naar het oordeel."}
            for n, c in enumerate(criteria)
        ]
    return scores, tied


# After the selection: objections, answers, a reopened region, kort gedingen. Who may
# object depends on whom the services rejected, so these phases react to the events heard.

COURT = "Rechtbank Den Haag"
# 000_d8e1bdfab127271e.txt 6: objections through any other channel are not dealt with.
WRONG_CHANNEL = "per post"
UPHELD = ("upheld", "partially_upheld")
Decide = Callable[["_Round", datetime, Events], Iterator[Act]]


def _after_selection(round_: Round, seed: int) -> list[Phase]:
    """The objection phases in order of time, then the contracts once the reopened
    region's new windows closed too."""
    objections, republished = _objections(round_, seed)
    in_order = sorted(objections, key=lambda phase: phase.at)
    over = max(in_order[-1].at, deadline_for(round_, DeadlineCode.OBJECTION, republished).closes_at)
    return [*in_order, *_contracting(round_, seed, over)]


def _objections(round_: Round, seed: int) -> tuple[list[Phase], datetime]:
    """Times from the round's rules (`deadline_for`): objections the day before the
    earliest window closes, late ones an hour after the latest closed; answers two days
    before the answer deadline; the reopened region assessed again and published the day
    after; kort gedingen on the last day of the earliest term, one an hour after the
    latest term closed (counted from the answer, or from the outcome where the round says).
    Returns the phases and when the reopened region's next edition is published."""
    published, lots_drawn = _publication_times(round_)
    windows_close = deadline_for(round_, DeadlineCode.OBJECTION, published).closes_at
    last_window_closes = deadline_for(round_, DeadlineCode.OBJECTION, lots_drawn).closes_at
    answer_due = deadline_for(round_, DeadlineCode.OBJECTION_ANSWER).closes_at
    answered = _at(local(answer_due).date() - timedelta(days=2), 10)
    after_answer = round_.deadlines[DeadlineCode.KORT_GEDING].counts_from is (
        Trigger.OBJECTION_ANSWERED
    )
    earliest_term, latest_term = (
        deadline_for(round_, DeadlineCode.KORT_GEDING, answered if after_answer else outcome)
        for outcome in (published, lots_drawn)
    )
    republished = answered + timedelta(days=1, hours=4)
    phases = [
        _reacting(round_, seed, "objections filed", _day_before(windows_close), _filed_in_time),
        _reacting(
            round_, seed, "objections out of time", last_window_closes + timedelta(hours=1), _late
        ),
        _reacting(round_, seed, "objections answered", answered, _answers),
        _reacting(
            round_, seed, "reopened region assessed", answered + timedelta(days=1), _reassessed
        ),
        _reacting(
            round_,
            seed,
            "reopened region published",
            republished,
            _republished,
        ),
        _reacting(round_, seed, "kort gedingen", _day_before(earliest_term.closes_at), _summoned),
        _reacting(
            round_,
            seed,
            "kort geding out of time",
            latest_term.closes_at + timedelta(hours=1),
            _summoned_late,
        ),
    ]
    return phases, republished


def _day_before(closes_at: datetime) -> datetime:
    """10:00 on the day before a deadline's first instant out of time: well inside it."""
    return _at(local(closes_at - timedelta(seconds=1)).date() - timedelta(days=1), 10)


def _reacting(
    round_: Round, seed: int, name: str, at: datetime, decide: Decide, settle_first: bool = False
) -> Phase:
    """A phase whose acts follow from the events heard, with a random source and message
    ids of its own (seed and phase name): the same events give the same messages."""

    def react(events: Events) -> tuple[Act, ...]:
        build = _Round(round_, random.Random(f"{round_.id}:{seed}:{name}"))
        return tuple(decide(build, at, events))

    return Phase(name, at, (), react=react, settle_first=settle_first)


def _of_type(events: Events, type_name: str) -> list[dict[str, Any]]:
    """The events of one type in an order two runs share: region, provider, then the
    message that caused it (event ids are drawn anew in every run)."""
    return sorted(
        (e for e in events if e["type"] == type_name),
        key=lambda e: (
            e.get("region_code") or "",
            e.get("provider_id") or "",
            str(e.get("causation_id")),
        ),
    )


def _publications(events: Events) -> dict[str, dict[str, Any]]:
    """Each region's latest edition of its selection, by region."""
    latest: dict[str, dict[str, Any]] = {}
    for event in _of_type(events, "SelectionPublished"):
        region = event["region_code"]
        if region not in latest or event["edition"] > latest[region]["edition"]:
            latest[region] = event
    return dict(sorted(latest.items()))


def _rejected(publications: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """(region, provider) of every rejected party, in order."""
    return [
        (region, outcome["provider_id"])
        for region, publication in publications.items()
        for outcome in sorted(publication["outcomes"], key=lambda o: o["provider_id"])
        if outcome["outcome"] == "rejected"
    ]


def _reopenable(publications: dict[str, dict[str, Any]]) -> tuple[str, str] | None:
    """The first party found unsuitable in a region without competition that has a place
    left for it: upholding its objection changes the selection without a new ranking."""
    for region, publication in publications.items():
        outcomes = sorted(publication["outcomes"], key=lambda o: o["provider_id"])
        rejected = [o for o in outcomes if o["outcome"] == "rejected"]
        selected = len(outcomes) - len(rejected)
        if (
            rejected
            and all(o["reason"] == "unsuitable" for o in rejected)
            and selected + 1 <= publication["places"]
        ):
            return region, rejected[0]["provider_id"]
    return None


def _by_provider(
    build: _Round, type_name: str, at: datetime, provider: str, region: str, **fields: Any
) -> Act:
    """A provider's message about its own place in a region, through the portal."""
    return Act(
        PORTAL,
        build.message(
            type_name,
            at,
            ("provider", provider),
            provider_id=provider,
            region_code=region,
            **fields,
        ),
    )


def _objection(build: _Round, at: datetime, region: str, provider: str, channel: str) -> Act:
    return _by_provider(
        build,
        "SubmitObjection",
        at,
        provider,
        region,
        channel=channel,
        grounds="De beoordeling van de geschiktheid is onjuist.",
    )


def _filed_in_time(build: _Round, at: datetime, events: Events) -> Iterator[Act]:
    """About half the rejected parties object on the channel their outcome named (the
    party whose objection will be upheld always does); one other on a wrong channel; one
    provider objects in a region where it is no party."""
    publications = _publications(events)
    reopenable = _reopenable(publications)
    silent = []
    for region, provider in _rejected(publications):
        if (region, provider) == reopenable or build.rng.random() < 0.5:
            yield _objection(build, at, region, provider, publications[region]["objection_channel"])
        else:
            silent.append((region, provider))
    if silent:
        yield _objection(build, at, *build.rng.choice(silent), WRONG_CHANNEL)
    region = build.rng.choice(sorted(publications))
    parties = {o["provider_id"] for o in publications[region]["outcomes"]}
    others = sorted(
        {o["provider_id"] for p in publications.values() for o in p["outcomes"]} - parties
    )
    if others:
        channel = publications[region]["objection_channel"]
        yield _objection(build, at, region, build.rng.choice(others), channel)


def _late(build: _Round, at: datetime, events: Events) -> Iterator[Act]:
    """Three rejected parties that had not objected do so once their window closed."""
    publications = _publications(events)
    tried = {
        (e["region_code"], e["provider_id"])
        for kind in ("ObjectionFiled", "ObjectionRejected")
        for e in _of_type(events, kind)
    }
    waited = [party for party in _rejected(publications) if party not in tried]
    for region, provider in build.rng.sample(waited, min(3, len(waited))):
        yield _objection(build, at, region, provider, publications[region]["objection_channel"])


def _answers(build: _Round, at: datetime, events: Events) -> Iterator[Act]:
    """Each office answers every objection filed with it: dismissed, but for the one party
    that turns out suitable after all."""
    reopenable = _reopenable(_publications(events))
    for filed in _of_type(events, "ObjectionFiled"):
        upheld = (filed["region_code"], filed["provider_id"]) == reopenable
        office = filed["uitvoerder_code"]
        yield Act(
            office,
            build.message(
                "AnswerObjection",
                at,
                ("zorgkantoor", office),
                objection_id=filed["objection_id"],
                decision="upheld" if upheld else "dismissed",
                answer="Het bezwaar is gegrond: de eis is wel aangetoond."
                if upheld
                else "Het bezwaar is ongegrond.",
            ),
        )


def _reopened(events: Events) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Each region an upheld objection reopened, with that objection as filed."""
    filed = {e["objection_id"]: e for e in _of_type(events, "ObjectionFiled")}
    for reopened in _of_type(events, "SelectionReopened"):
        yield reopened, filed[reopened["objection_id"]]


def _reassessed(build: _Round, at: datetime, events: Events) -> Iterator[Act]:
    """The objector's verdicts corrected: every requirement met."""
    for reopened, objection in _reopened(events):
        office = objection["uitvoerder_code"]
        yield Act(
            office,
            build.message(
                "AssessSuitability",
                at,
                ("zorgkantoor", office),
                provider_id=objection["provider_id"],
                region_code=reopened["region_code"],
                verdicts=[
                    {
                        "code": requirement.code,
                        "verdict": "met",
                        "motivation": "Na bezwaar opnieuw beoordeeld.",
                    }
                    for requirement in build.round.requirements
                ],
            ),
        )


def _republished(build: _Round, at: datetime, events: Events) -> Iterator[Act]:
    """The reopened region's next edition."""
    for reopened, objection in _reopened(events):
        office = objection["uitvoerder_code"]
        yield Act(
            office,
            build.message(
                "PublishSelection",
                at,
                ("zorgkantoor", office),
                region_code=reopened["region_code"],
                provisional_budget_ceiling=f"{build.rng.randint(60, 240) * 1000}.00",
            ),
        )


def _not_upheld(events: Events) -> list[dict[str, Any]]:
    """Objections filed and not upheld (dismissed, or not answered yet where the kort
    geding counts from the outcome), but for the party about to be found suitable."""
    reopenable = _reopenable(_publications(events))
    upheld = {
        e["objection_id"] for e in _of_type(events, "ObjectionAnswered") if e["decision"] in UPHELD
    }
    return [
        filed
        for filed in _of_type(events, "ObjectionFiled")
        if filed["objection_id"] not in upheld
        and (filed["region_code"], filed["provider_id"]) != reopenable
    ]


def _kort_geding(build: _Round, at: datetime, objection: dict[str, Any], summoned: date) -> Act:
    return _by_provider(
        build,
        "ReportKortGeding",
        at,
        objection["provider_id"],
        objection["region_code"],
        objection_id=objection["objection_id"],
        court=COURT,
        case_number=f"C/09/{build.rng.randint(700_000, 799_999)} KG ZA "
        f"{summoned:%y}-{build.rng.randint(1000, 1999)}",
        summoned_on=summoned.isoformat(),
    )


def _summoned(build: _Round, at: datetime, events: Events) -> Iterator[Act]:
    """About a third of the objectors not upheld summon the zorgkantoor in time."""
    objections = _not_upheld(events)
    chosen = [o for o in objections if build.rng.random() < 1 / 3] or objections[:1]
    for objection in chosen:
        yield _kort_geding(build, at, objection, local(at).date() - timedelta(days=1))


def _summoned_late(build: _Round, at: datetime, events: Events) -> Iterator[Act]:
    """One more, once its term closed."""
    summoned = {
        (e["region_code"], e["provider_id"])
        for kind in ("KortGedingFiled", "KortGedingRejected")
        for e in _of_type(events, kind)
    }
    waited = [
        o for o in _not_upheld(events) if (o["region_code"], o["provider_id"]) not in summoned
    ]
    if waited:
        yield _kort_geding(build, at, build.rng.choice(waited), local(at).date())


# The contracts, and the first months under them.

# Production that keeps well inside a ceiling, and the pace that threatens one.
STEADY_PACE = (0.4, 0.8)
OVERRUN_PACE = 1.5


def _contracting(round_: Round, seed: int, objections_over: datetime) -> Iterator[Phase]:
    """Contracts the day after the last objection phase and the reopened region's new
    windows (and, where the round has one, the standstill) passed, inside the round's
    contracting period; a month after the contracts start the evidence of obligations,
    the first quarter's production in the next, its signal reports where the round asks
    them; and, where the round sets a BCMB term, the hour after it passed, for the
    tickers to raise what is overdue."""
    starts = round_.milestones[MilestoneCode.CONTRACT_STARTS].date
    after = objections_over
    if DeadlineCode.STANDSTILL in round_.deadlines:
        after = max(after, deadline_for(round_, DeadlineCode.STANDSTILL).closes_at)
    signing = _at(local(after).date() + timedelta(days=1), 10)
    yield _reacting(round_, seed, "contracts signed", signing, _signed, settle_first=True)
    yield _reacting(
        round_, seed, "obligations met", _at(starts + timedelta(days=31), 10), _evidence
    )
    yield _reacting(
        round_,
        seed,
        "production of the first quarter",
        _at(starts + timedelta(days=95), 10),
        _production,
    )
    if round_.signal_reports is not None:
        yield _reacting(
            round_,
            seed,
            "signal reports of the first quarter",
            _at(starts + timedelta(days=100), 10),
            _signal_reports,
        )
    if DeadlineCode.BCMB_MEMBERSHIP in round_.deadlines:
        due = deadline_for(round_, DeadlineCode.BCMB_MEMBERSHIP).closes_at
        # Nothing to send: the clock passes the term, the player's last wait hears what
        # the tickers raise.
        yield _reacting(
            round_, seed, "BCMB membership term passed", due + timedelta(hours=1), _none
        )


def _signed(build: _Round, at: datetime, events: Events) -> Iterator[Act]:
    """Each office signs every party selected in its regions' latest editions, stating
    whether it is new (as it inscribed); in the first full region with a rejected party,
    that party too: refused."""
    new_to_region = {
        (e["region_code"], e["provider"]["id"]): e["new_to_region"]
        for e in _of_type(events, "AssessmentCaseOpened")
    }
    overfilled = False
    for region, publication in _publications(events).items():
        office = publication["uitvoerder_code"]
        outcomes = sorted(publication["outcomes"], key=lambda o: o["provider_id"])
        selected = [o["provider_id"] for o in outcomes if o["outcome"] == "selected"]
        rejected = [o["provider_id"] for o in outcomes if o["outcome"] == "rejected"]
        signing = list(selected)
        if not overfilled and rejected and len(selected) == publication["places"]:
            signing.append(rejected[0])
            overfilled = True
        for provider in signing:
            yield Act(
                office,
                build.message(
                    "SignContract",
                    at,
                    ("zorgkantoor", office),
                    provider_id=provider,
                    region_code=region,
                    new_to_oco=new_to_region.get((region, provider), False),
                ),
            )


def _by_contract(
    build: _Round, type_name: str, at: datetime, contract: dict[str, Any], **fields: Any
) -> Act:
    """The contracted provider's message about its contract."""
    return _by_provider(
        build, type_name, at, contract["provider_id"], contract["region_code"], **fields
    )


def _obligations(events: Events) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every obligation of every contract, with its contract, in a stable order."""
    return [
        (contract, obligation)
        for contract in _of_type(events, "ContractSigned")
        for obligation in sorted(
            contract["obligations"], key=lambda o: (o["kind"], o["obligation_id"])
        )
    ]


def _evidence(build: _Round, at: datetime, events: Events) -> Iterator[Act]:
    """Evidence of every obligation but one BCMB membership, left to become overdue."""
    obligations = _obligations(events)
    kept = next((o for _, o in obligations if o["kind"] == "bcmb_membership"), None)
    for contract, obligation in obligations:
        if obligation is kept:
            continue
        yield _by_contract(
            build,
            "SubmitObligationEvidence",
            at,
            contract,
            obligation_id=obligation["obligation_id"],
            evidence=[build.document(obligation["kind"], local(at).date())],
        )


def _production(build: _Round, at: datetime, events: Events) -> Iterator[Act]:
    """The first quarter's hours from about a third of the contracts, at a pace inside
    their ceiling; the first contract at a pace that threatens its ceiling."""
    services = [service.number for service in build.round.services]
    for index, contract in enumerate(_of_type(events, "ContractSigned")):
        if index and build.rng.random() >= 1 / 3:
            continue
        pace = OVERRUN_PACE if index == 0 else build.rng.uniform(*STEADY_PACE)
        monthly = (
            Decimal(contract["provisional_budget_ceiling"])
            / 12
            / Decimal(contract["hourly_tariff"])
            * Decimal(pace)
        )
        starts = date.fromisoformat(contract["starts_on"])
        for month in range(starts.month, starts.month + 3):
            yield _by_contract(
                build,
                "ReportProduction",
                at,
                contract,
                year=starts.year,
                month=month,
                hours=[
                    {"service": number, "hours": f"{monthly / len(services):.2f}"}
                    for number in services
                ],
            )


def _signal_reports(build: _Round, at: datetime, events: Events) -> Iterator[Act]:
    """The first quarter's signal report from nine contracts in ten; the rest overdue."""
    for contract in _of_type(events, "ContractSigned"):
        if build.rng.random() >= 0.9:
            continue
        yield _by_contract(
            build,
            "SubmitSignalReport",
            at,
            contract,
            year=date.fromisoformat(contract["starts_on"]).year,
            quarter=1,
            report=build.document("signal_report", local(at).date()),
        )


def _none(build: _Round, at: datetime, events: Events) -> Iterator[Act]:
    """Nothing to send: the phase moves the clock past a term for the tickers."""
    return iter(())
