"""Type names and schema versions to models, with upcasting of older versions.

A stored or received document names its `type` and `schema_version`. The registry finds
the current model for the type; an older version is first passed through the chain of
upcasters (v1 -> v2 -> ...) registered for it, so old logs replay into today's models.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from oco_shared.contract.base import Contract
from oco_shared.contract.events import EVENTS
from oco_shared.contract.messages import MESSAGES, ProcedureClockSet

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UnknownType(LookupError):
    pass


class UnsupportedVersion(LookupError):
    pass


def current_version(model: type[Contract]) -> int:
    version = model.model_fields["schema_version"].default
    assert isinstance(version, int)
    return version


class Registry:
    def __init__(self, models: Iterable[type[Contract]]) -> None:
        self._models: dict[str, type[Contract]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        for model in models:
            if model.TYPE in self._models:
                raise ValueError(f"type {model.TYPE!r} registered twice")
            self._models[model.TYPE] = model

    def upcaster(self, type_name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Register a function that turns `from_version` into `from_version + 1`."""

        def register(function: Upcaster) -> Upcaster:
            self._upcasters[(type_name, from_version)] = function
            return function

        return register

    @property
    def models(self) -> Mapping[str, type[Contract]]:
        return self._models

    def model_for(self, type_name: str) -> type[Contract]:
        try:
            return self._models[type_name]
        except KeyError:
            raise UnknownType(
                f"unknown type {type_name!r}; known: {', '.join(sorted(self._models))}"
            ) from None

    def upcast(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """The document brought to the current schema version of its type."""
        type_name = document.get("type")
        if not isinstance(type_name, str):
            raise UnknownType("the document has no 'type' string")
        target = current_version(self.model_for(type_name))
        upcast = dict(document)
        version = upcast.get("schema_version")
        if not isinstance(version, int) or version < 1 or version > target:
            raise UnsupportedVersion(
                f"{type_name} schema_version {version!r} is not between 1 and {target}"
            )
        while version < target:
            step = self._upcasters.get((type_name, version))
            if step is None:
                raise UnsupportedVersion(
                    f"no upcaster for {type_name} v{version} -> v{version + 1}"
                )
            upcast = step(upcast)
            version += 1
            upcast["schema_version"] = version
        return upcast

    def parse(self, document: Mapping[str, Any]) -> Contract:
        upcast = self.upcast(document)
        return self.model_for(upcast["type"]).model_validate(upcast)

    def parse_json(self, raw: bytes | str) -> Contract:
        return self.parse(json.loads(raw))


REGISTRY = Registry((*EVENTS, *MESSAGES, ProcedureClockSet))
