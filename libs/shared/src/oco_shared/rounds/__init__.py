"""Procurement rounds as validated data files."""

from oco_shared.rounds.loader import (
    RoundFileError,
    UnknownRound,
    available_rounds,
    load_round,
    load_round_file,
)
from oco_shared.rounds.model import (
    AMSTERDAM,
    DeadlineCode,
    DeadlineRule,
    Milestone,
    MilestoneCode,
    Round,
    Source,
    Trigger,
)

__all__ = [
    "AMSTERDAM",
    "DeadlineCode",
    "DeadlineRule",
    "Milestone",
    "MilestoneCode",
    "Round",
    "RoundFileError",
    "Source",
    "Trigger",
    "UnknownRound",
    "available_rounds",
    "load_round",
    "load_round_file",
]
