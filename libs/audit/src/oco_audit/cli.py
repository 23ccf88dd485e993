"""`oco audit ...` (entry-point group `oco.commands`).

Imports only argparse at module level, so that `oco --help` stays fast; each command
loads what it needs when it runs.
"""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = commands.add_parser("audit", help="verify, replay, draw and export the log")
    audit.add_subparsers(dest="audit_command", required=True)
