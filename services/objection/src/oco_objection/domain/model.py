"""The aggregate of the objection service: one region of one round after its publication.

One stream per region holds every party's objection window (one per edition of the
region's selection), the objections filed and refused, the zorgkantoor's answers, the kort
gedingen and the deadlines passed, so a decision about a party sees its window, its
objections and its answers at once. Pure: rebuilt from events, no clock, no database.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from oco_shared.contract.base import Event
from oco_shared.contract.events import (
    KortGedingFiled,
    ObjectionAnswered,
    ObjectionAnswerOverdue,
    ObjectionFiled,
    ObjectionWindowOpened,
)

NAMESPACE = uuid.UUID("2f6d8a41-93c7-4b0e-a5d2-8e1f7c3b9a64")


def region_id(round_id: str, region_code: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"objections:{round_id}:{region_code}")


def objection_id_of(message_id: uuid.UUID) -> uuid.UUID:
    """An objection's id follows from the message that filed it: a redelivery names the
    same objection."""
    return uuid.uuid5(NAMESPACE, f"objection:{message_id}")


@dataclass
class Objection:
    """One objection filed, and what became of it."""

    filed: ObjectionFiled
    answer: ObjectionAnswered | None = None
    overdue: ObjectionAnswerOverdue | None = None
    kort_gedingen: list[KortGedingFiled] = field(default_factory=list)

    @property
    def provider_id(self) -> str:
        return str(self.filed.provider_id)


@dataclass
class RegionObjections:
    id: uuid.UUID
    version: int = 0
    events: list[Event] = field(default_factory=list)
    windows: list[ObjectionWindowOpened] = field(default_factory=list)
    objections: dict[uuid.UUID, Objection] = field(default_factory=dict)
    unattached_kort_gedingen: list[KortGedingFiled] = field(default_factory=list)

    @classmethod
    def replay(cls, aggregate_id: uuid.UUID, events: Sequence[Event]) -> RegionObjections:
        region = cls(aggregate_id)
        for event in events:
            region.apply(event)
        return region

    def apply(self, event: Event) -> None:
        self.version += 1
        self.events.append(event)
        if isinstance(event, ObjectionWindowOpened):
            self.windows.append(event)
        elif isinstance(event, ObjectionFiled):
            self.objections[event.objection_id] = Objection(event)
        elif isinstance(event, ObjectionAnswered):
            self.objections[event.objection_id].answer = event
        elif isinstance(event, ObjectionAnswerOverdue):
            self.objections[event.objection_id].overdue = event
        elif isinstance(event, KortGedingFiled):
            objection = self.objections.get(event.objection_id) if event.objection_id else None
            if objection is not None:
                objection.kort_gedingen.append(event)
            else:
                self.unattached_kort_gedingen.append(event)
        # Refusals and closings change nothing that is decided here.

    @property
    def latest_edition(self) -> int:
        return max((window.edition for window in self.windows), default=0)

    def has_edition(self, selection_event_id: uuid.UUID) -> bool:
        return any(window.selection_event_id == selection_event_id for window in self.windows)

    def editions(self) -> list[list[ObjectionWindowOpened]]:
        """The windows of each edition, in the order the editions were published."""
        by_selection: dict[uuid.UUID, list[ObjectionWindowOpened]] = {}
        for window in self.windows:
            by_selection.setdefault(window.selection_event_id, []).append(window)
        return sorted(by_selection.values(), key=lambda windows: windows[0].edition)

    def window_of(self, provider_id: str) -> ObjectionWindowOpened | None:
        """The party's window in the latest edition: the outcome in force."""
        latest = self.latest_edition
        return next(
            (w for w in self.windows if w.edition == latest and w.provider_id == provider_id),
            None,
        )

    def first_window_of(self, provider_id: str) -> ObjectionWindowOpened | None:
        """The party's window of its original outcome."""
        return next((w for w in self.windows if w.provider_id == provider_id), None)

    def parties(self) -> list[str]:
        return sorted({str(w.provider_id) for w in self.windows if w.provider_id})

    def objections_of(self, provider_id: str) -> list[Objection]:
        return [o for o in self.objections.values() if o.provider_id == provider_id]

    def filed_in(self, selection_event_id: uuid.UUID, provider_id: str | None = None) -> int:
        return sum(
            1
            for o in self.objections.values()
            if o.filed.selection_event_id == selection_event_id
            and (provider_id is None or o.provider_id == provider_id)
        )
