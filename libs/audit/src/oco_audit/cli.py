"""`oco audit ...` (entry-point group `oco.commands`).

Imports only argparse at module level, so that `oco --help` stays fast; each command
loads what it needs when it runs.
"""

from __future__ import annotations

import argparse


def _timeline(args: argparse.Namespace) -> int:
    from oco_audit.commands import timeline

    return timeline(args)


def _export(args: argparse.Namespace) -> int:
    from oco_audit.commands import export

    return export(args)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = commands.add_parser("audit", help="verify, replay, draw and export the log")
    sub = audit.add_subparsers(dest="audit_command", required=True)

    timeline = sub.add_parser(
        "timeline",
        help="draw the round: milestones, publications, windows, filings, answers, "
        "kort gedingen, contracts; late events in red",
    )
    timeline.add_argument("--round", required=True, help="round id, e.g. 2027-2028")
    timeline.add_argument("--region", help="one region, with a lane per party")
    timeline.add_argument(
        "--out", required=True, help="FILE.svg, FILE.html (self-contained) or FILE.png"
    )
    timeline.set_defaults(run=_timeline)

    export = sub.add_parser(
        "export", help="the round as an OCDS 1.1 release package, or every event as CSV"
    )
    export.add_argument("--round", required=True, help="round id, e.g. 2027-2028")
    export.add_argument("--format", required=True, choices=("ocds", "csv"))
    export.add_argument("--out", help="file to write (default: standard output)")
    export.add_argument(
        "--ocid-prefix",
        help="the publisher's registered OCDS prefix (default: an unregistered placeholder)",
    )
    export.add_argument(
        "--extension-url",
        help="where the complaints extension's extension.json is published",
    )
    export.set_defaults(run=_export)
