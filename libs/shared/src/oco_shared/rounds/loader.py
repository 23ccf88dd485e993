"""Loading and validating round files.

A malformed or inconsistent file fails with a `RoundFileError` that names the file,
the field and the problem: the operators who add a round must see what to fix.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from oco_shared.rounds.model import Round

DATA_PACKAGE = "oco_shared.rounds.data"
# libyaml's loader when PyYAML has it: ten times faster than the Python one, which alone
# would cost `oco calendar` 60 ms of its start-up; the same safe tags either way.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RoundFileError(ValueError):
    """A round file that cannot be used, with every problem found in it."""

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file = file
        self.problems = problems
        super().__init__(f"{file}: " + "; ".join(problems))


class UnknownRound(LookupError):
    def __init__(self, round_id: str, known: list[str]) -> None:
        super().__init__(f"unknown round {round_id!r}; known rounds: {', '.join(known)}")
        self.round_id = round_id


def _data_dir() -> Path:
    return Path(str(resources.files(DATA_PACKAGE)))


def available_rounds() -> list[str]:
    return sorted(path.stem for path in _data_dir().glob("*.yaml"))


def _read_mapping(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except yaml.YAMLError as error:
        raise RoundFileError(path.name, [f"not valid YAML: {error}"]) from error
    if not isinstance(raw, dict):
        raise RoundFileError(path.name, ["the file must hold a mapping at the top"])
    return raw


def _merged(path: Path, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """The file's mapping over the mapping of the round it extends (top-level keys replace)."""
    raw = _read_mapping(path)
    parent_id = raw.get("extends")
    if parent_id is None:
        return raw
    if parent_id in seen:
        raise RoundFileError(
            path.name, [f"extends: circular chain {' -> '.join((*seen, parent_id))}"]
        )
    parent_path = path.with_name(f"{parent_id}.yaml")
    if not parent_path.exists():
        raise RoundFileError(path.name, [f"extends: no round file {parent_path.name}"])
    return {**_merged(parent_path, (*seen, raw.get("id", path.stem))), **raw}


def load_round_file(path: Path) -> Round:
    """Validate one round file (and the chain of rounds it extends)."""
    data = _merged(path)
    try:
        loaded = Round.model_validate(data)
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(part) for part in issue['loc']) or '(round)'}: {issue['msg']}"
            for issue in error.errors()
        ]
        raise RoundFileError(path.name, problems) from None
    if loaded.id != path.stem:
        raise RoundFileError(path.name, [f"id: {loaded.id!r} does not match the file name"])
    return loaded


@cache
def load_round(round_id: str) -> Round:
    path = _data_dir() / f"{round_id}.yaml"
    if not path.exists():
        raise UnknownRound(round_id, available_rounds())
    return load_round_file(path)
