"""Aggregates of intake: a provider's inscription with one uitvoerder, and a round's questions.

Pure: an aggregate is rebuilt from its events and decides new ones from a command, the
round's rules and the broker's receipt time. Nothing here reads a clock or a database.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from oco_shared.contract.base import Event
from oco_shared.contract.events import (
    InscriptionReceived,
    InscriptionWithdrawn,
    QuestionReceived,
)
from oco_shared.contract.parts import Refusal, RefusalCode

NAMESPACE = uuid.UUID("2f9a3c1e-8b4d-4e6f-a1b2-c3d4e5f60718")


def inscription_id(round_id: str, uitvoerder_code: str, provider_id: str) -> uuid.UUID:
    """One inscription per provider per uitvoerder per round (000_… 6): a stable id."""
    return uuid.uuid5(NAMESPACE, f"inscription:{round_id}:{uitvoerder_code}:{provider_id}")


def questions_id(round_id: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"questions:{round_id}")


def unattributed_id(message_id: str) -> uuid.UUID:
    """Where a rejection goes that names no provider: its own one-event stream."""
    return uuid.uuid5(NAMESPACE, f"message:{message_id}")


@dataclass
class Inscription:
    """The history of one provider's inscription with one uitvoerder in one round."""

    id: uuid.UUID
    version: int = 0
    revision: int = 0
    withdrawn: bool = False
    latest: InscriptionReceived | None = None

    @classmethod
    def replay(cls, aggregate_id: uuid.UUID, events: Sequence[Event]) -> Inscription:
        inscription = cls(aggregate_id)
        for event in events:
            inscription.apply(event)
        return inscription

    def apply(self, event: Event) -> None:
        self.version += 1
        if isinstance(event, InscriptionReceived):
            self.revision, self.latest, self.withdrawn = event.revision, event, False
        elif isinstance(event, InscriptionWithdrawn):
            self.withdrawn = True

    @property
    def is_active(self) -> bool:
        return self.latest is not None and not self.withdrawn

    def regions(self) -> tuple[str, ...]:
        """The region codes of the accepted inscription; none when there is none."""
        if self.latest is None:
            return ()
        return tuple(region.region_code for region in self.latest.regions)

    def next_revision(self) -> int:
        """A later inscription replaces the accepted one as an amendment (000_… 6)."""
        return self.revision + 1 if self.is_active else 1

    def withdrawal_refusals(self, what: str = "Withdrawal") -> list[Refusal]:
        if self.is_active:
            return []
        return [
            Refusal(
                code=RefusalCode.NOT_INSCRIBED,
                text=f"{what}: there is no accepted inscription to withdraw.",
                rule="000_d8e1bdfab127271e.txt 6 Inschrijvingen en procedure",
            )
        ]


@dataclass
class QuestionLog:
    """The questions of a round and the Nota van Inlichtingen that answers them."""

    id: uuid.UUID
    version: int = 0
    questions: dict[str, datetime] = field(default_factory=dict)

    @classmethod
    def replay(cls, aggregate_id: uuid.UUID, events: Sequence[Event]) -> QuestionLog:
        log = cls(aggregate_id)
        for event in events:
            log.version += 1
            if isinstance(event, QuestionReceived):
                log.questions[event.question_id] = event.occurred_at
        return log
