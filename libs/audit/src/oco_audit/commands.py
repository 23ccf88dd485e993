"""`oco audit timeline` and `oco audit export`: read the round's log, draw or export it.

Thin: the pictures and the exports are pure functions of the round and its events
(`timeline`, `timeline_render`, `ocds`, `csv_export`); this module reads the log and
writes the file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TextIO

from oco_shared.contract.base import Event
from oco_shared.rounds import UnknownRound, load_round

from oco_audit.csv_export import EventCsv
from oco_audit.log import LoggedEvent

DRAWINGS = (".svg", ".html", ".png")


class CommandError(RuntimeError):
    """What the operator must change, in one line (exit code 2)."""


def _database() -> tuple[str, str, str | None]:
    from oco_shared.addresses import StartupError, resolve_addresses
    from oco_shared.settings import Settings

    settings = Settings()
    try:
        _, database_url = resolve_addresses(settings)
    except StartupError as error:
        raise CommandError(str(error)) from None
    return database_url, settings.schema_prefix, settings.cipher_key


def _read(round_id: str, each: Callable[[LoggedEvent], None]) -> None:
    """Hand every event of the round to `each`, the services' logs merged in procedure
    time, read from one snapshot in batches (memory stays flat for the CSV)."""
    import asyncpg
    from oco_shared.addresses import redacted
    from oco_shared.messaging.topology import SERVICES

    from oco_audit.log import LogDecoder, connect, procedure_log, service_schemas, snapshot

    database_url, schema_prefix, cipher_key = _database()

    async def read() -> None:
        connection = await connect(database_url)
        try:
            async with snapshot(connection):
                async for logged in procedure_log(
                    connection,
                    service_schemas(schema_prefix, SERVICES),
                    LogDecoder(cipher_key=cipher_key),
                    round_id=round_id,
                ):
                    each(logged)
        finally:
            await connection.close()

    try:
        asyncio.run(read())
    except (OSError, asyncpg.PostgresError) as error:
        raise CommandError(f"the database at {redacted(database_url)} answers: {error}") from None


def _events(round_id: str) -> list[Event]:
    events: list[Event] = []
    _read(round_id, lambda logged: events.append(logged.event))
    return events


def _png(svg: str, converter: str | None) -> bytes:
    if converter is None:
        raise CommandError(
            "no SVG to PNG converter (rsvg-convert, Debian package librsvg2-bin) on PATH: "
            "write .svg or .html instead"
        )
    done = subprocess.run(
        [converter, "--format", "png"], input=svg.encode(), capture_output=True, check=False
    )
    if done.returncode != 0:
        raise CommandError(f"rsvg-convert failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


def timeline(args: argparse.Namespace) -> int:
    from oco_audit.timeline import timeline_of
    from oco_audit.timeline_render import html, svg

    out = Path(args.out)
    try:
        if out.suffix not in DRAWINGS:
            raise CommandError(f"--out {out}: give a file ending in {', '.join(DRAWINGS)}")
        round_ = load_round(args.round)
        if args.region is not None and round_.uitvoerder_of(args.region) is None:
            raise CommandError(f"region {args.region!r} is not a region of round {round_.id}")
        drawn = timeline_of(round_, _events(round_.id), args.region)
        if out.suffix == ".png":
            out.write_bytes(_png(svg(drawn), shutil.which("rsvg-convert")))
        else:
            out.write_text(html(drawn) if out.suffix == ".html" else svg(drawn), encoding="utf-8")
    except (CommandError, UnknownRound) as error:
        print(f"oco: {error}", file=sys.stderr)
        return 2
    late = sum(1 for mark in drawn.marks if mark.late)
    print(f"{out}: {len(drawn.marks)} events, {late} too late, {len(drawn.lanes)} lanes")
    return 0


def export(args: argparse.Namespace) -> int:
    try:
        round_ = load_round(args.round)
        with _output(args.out) as out:
            if args.format == "csv":
                return _export_csv(round_.id, out)
            return _export_ocds(round_.id, out, args)
    except (CommandError, UnknownRound, OSError) as error:
        print(f"oco: {error}", file=sys.stderr)
        return 2


def _output(path: str | None) -> AbstractContextManager[TextIO]:
    """The file to write, or standard output (left open) without one."""
    if path is None:
        return nullcontext(sys.stdout)
    return open(path, "w", encoding="utf-8", newline="")


def _export_csv(round_id: str, out: TextIO) -> int:
    table = EventCsv(out)
    _read(round_id, table.write)
    print(f"{table.written} events of round {round_id}", file=sys.stderr)
    return 0


def _export_ocds(round_id: str, out: TextIO, args: argparse.Namespace) -> int:
    from oco_audit.ocds import (
        DEFAULT_EXTENSION_URL,
        DEFAULT_OCID_PREFIX,
        release_package,
        validation_errors,
    )

    package = release_package(
        load_round(round_id),
        _events(round_id),
        ocid_prefix=args.ocid_prefix or DEFAULT_OCID_PREFIX,
        extension_url=args.extension_url or DEFAULT_EXTENSION_URL,
    )
    json.dump(package, out, ensure_ascii=False, indent=2)
    out.write("\n")
    errors = validation_errors(package)
    for error in errors:
        print(f"oco: not valid OCDS 1.1: {error}", file=sys.stderr)
    releases = len(package["releases"])
    print(f"{releases} releases of round {round_id}, valid OCDS 1.1: {not errors}", file=sys.stderr)
    return 1 if errors else 0
