"""`oco` builds its parser, with every registered command, on every call: that must stay cheap."""

from __future__ import annotations

import subprocess
import sys

PLUMBING = ("faststream", "eventsourcing", "asyncpg", "psycopg", "nats", "pgserver", "psutil")
# What only some commands need and costs `oco --help` most of its 0.5 s: the rounds'
# models and files (pydantic, YAML), and asyncio.
LOADED_BY_THE_COMMAND = ("pydantic", "yaml", "oco_shared.rounds", "asyncio")

# A fresh interpreter: in this one, other tests have imported the plumbing already.
BUILD_PARSER = f"""
import sys
from oco_shared.cli import build_parser
build_parser()
print(sorted(name for name in {(*PLUMBING, *LOADED_BY_THE_COMMAND)!r} if name in sys.modules))
"""


def test_building_the_parser_imports_no_plumbing() -> None:
    done = subprocess.run(
        [sys.executable, "-c", BUILD_PARSER], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
