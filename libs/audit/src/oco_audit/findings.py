"""What the auditor reports: one line per finding, naming where it is and what is wrong."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    service: str
    position: int | None  # chain position in the service's log (None: not on the chain)
    event_id: str | None
    problem: str
    copy: str = "store"  # where it was found: the store (PostgreSQL) or the stream

    def line(self) -> str:
        where = f"#{self.position}" if self.position is not None else "#-"
        return f"{self.service} {self.copy} {where} {self.event_id or '-'}: {self.problem}"

    def as_json(self) -> dict[str, object]:
        return {
            "service": self.service,
            "copy": self.copy,
            "position": self.position,
            "event_id": self.event_id,
            "problem": self.problem,
        }
