"""The public contract: events of the log (`events`) and messages from portals (`messages`)."""

from oco_shared.contract.base import Actor, ActorKind, Contract, Event, Message, Money
from oco_shared.contract.registry import REGISTRY, Registry, UnknownType, UnsupportedVersion

__all__ = [
    "REGISTRY",
    "Actor",
    "ActorKind",
    "Contract",
    "Event",
    "Message",
    "Money",
    "Registry",
    "UnknownType",
    "UnsupportedVersion",
]
