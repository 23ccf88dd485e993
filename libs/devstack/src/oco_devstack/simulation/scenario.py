"""A sample procurement round, generated from a seed: who inscribes where, what goes wrong,
how the zorgkantoren judge. Pure: the same seed gives the same round, message for message.

A scenario is a list of phases in procedure time; each phase holds the acts the portals
and the zorgkantoren perform at that moment, as the contract's messages. The player
(`oco_devstack.simulation.player`) moves the rehearsal clock to each phase and publishes
its acts on their documented subjects.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from oco_shared.rounds import MilestoneCode, Round, load_round
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


@dataclass(frozen=True)
class Phase:
    milestone: str
    at: datetime
    acts: tuple[Act, ...]


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
    ]
    return Scenario(round_id, seed, tuple(phase for phase in phases if phase.acts))


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
    planned = round_.milestones[MilestoneCode.OUTCOME_PUBLISHED].date
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
                        _at(planned - timedelta(days=3), 10),
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
                            _at(planned - timedelta(days=1), 10),
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
    yield Phase("selection published", _at(planned - timedelta(days=3), 10), tuple(publish_acts))
    yield Phase("lots drawn before a notary", _at(planned - timedelta(days=1), 10), tuple(lot_acts))


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
