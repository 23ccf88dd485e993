"""What every service's unit tests share: Amsterdam instants, a document as a portal
refers to it, and `InMemory`, which runs messages through a service's routes in memory."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from oco_shared.contract.base import Event
from oco_shared.handling import DeadLetter, Incoming, MemoryUnitOfWork, Route, decide_one
from oco_shared.procedure_time import ProcedureInstant
from oco_shared.rounds import AMSTERDAM


def at(*parts: int) -> datetime:
    """Europe/Amsterdam wall-clock time, as the procedure counts."""
    return datetime(*parts, tzinfo=AMSTERDAM)  # type: ignore[arg-type,misc]


def pdf(
    kind: str, issued_on: str, *, size_bytes: int = 10_000, searchable: bool = True
) -> dict[str, Any]:
    """A document by reference and hash, as a portal names it."""
    return {
        "kind": kind,
        "filename": f"{kind}.pdf",
        "issued_on": issued_on,
        "sha256": hashlib.sha256(kind.encode()).hexdigest(),
        "size_bytes": size_bytes,
        "media_type": "application/pdf",
        "searchable": searchable,
    }


class InMemory:
    """A service in memory: each message through the consumer's own decision path
    (decoding, one effect per message id, the handler or the refusal), received at the
    instant the test names."""

    def __init__(self) -> None:
        self.uow = MemoryUnitOfWork()
        self.position = 0

    def deliver(
        self, route: Route, subject: str, payload: Mapping[str, Any], received_at: datetime
    ) -> list[Event]:
        self.position += 1
        body = json.dumps(payload).encode()
        incoming = Incoming("UPSTREAM", self.position, subject, body, {}, received_at)
        decision = decide_one(route, incoming, self.uow, lambda _: ProcedureInstant(received_at))
        if decision.dead_letter is not None:
            raise DeadLetter(*decision.dead_letter)
        return [new.event for new in decision.events]
