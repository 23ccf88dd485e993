"""`oco run` and `oco simulate`: play the sample round against running services and report.

The round is played only on a log that holds nothing yet: the same seed sends the same
messages, which a log that saw them once would recognise and ignore.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Mapping
from typing import Any

from nats.errors import Error as NatsError
from nats.js.errors import NotFoundError
from oco_shared.addresses import StartupError
from oco_shared.authority import PROVISIONER
from oco_shared.commands.broker import connect_as
from oco_shared.messaging.topology import Topology
from oco_shared.settings import Settings

from oco_devstack.simulation.player import Stalled, play
from oco_devstack.simulation.report import print_report, region_report
from oco_devstack.simulation.scenario import Phase, sample_round

READY_TIMEOUT = 120.0
# The probes are local: never through an HTTP(S)_PROXY of the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def wait_until_ready(
    host: str, ports: Mapping[str, int], timeout: float = READY_TIMEOUT
) -> str | None:
    """None once every service's /readyz answers 200, else the services that did not."""
    deadline = time.monotonic() + timeout
    waiting = dict(ports)
    while waiting and time.monotonic() < deadline:
        for name, port in list(waiting.items()):
            try:
                with _DIRECT.open(f"http://{host}:{port}/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        del waiting[name]
            except OSError:
                pass
        time.sleep(0.5)
    return ", ".join(sorted(waiting)) or None


async def _log_is_empty(settings: Settings) -> bool:
    topology = Topology(settings.subject_prefix)
    client = await connect_as(settings, PROVISIONER)
    try:
        info = await client.jetstream().stream_info(topology.portal_stream)
    except NotFoundError:
        return True
    finally:
        await client.close()
    return info.state.messages == 0


def _progress(phase: Phase, done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    print(
        f"[{'#' * filled}{'.' * (width - filled)}] {done:>4}/{total} "
        f"{phase.at.date().isoformat()} {phase.milestone}",
        flush=True,
    )


def _quiet(phase: Phase, done: int, total: int) -> None:
    """JSON on stdout is the report alone."""


def play_sample_round(settings: Settings, seed: int, round_id: str, as_json: bool = False) -> int:
    """Play, print the report; 0 when every act had its outcome and nothing was set aside."""
    try:
        if not asyncio.run(_log_is_empty(settings)):
            print(
                "oco: the log already holds messages: the sample round plays on a fresh one "
                "(`oco stack down --wipe` for the embedded stack)",
                flush=True,
            )
            return 1
        scenario = sample_round(seed, round_id)
        print(
            f"playing sample round {round_id} (seed {seed}): {len(scenario.phases)} phases "
            f"on a rehearsal clock, {scenario.acts} messages planned and more in reply to "
            "what the services decide",
            flush=True,
        )
        started = time.monotonic()
        log = asyncio.run(
            play(scenario, settings, progress=lambda *a: None if as_json else _progress(*a))
        )
    except (StartupError, Stalled, NatsError, TimeoutError) as error:
        print(f"oco: the sample round stopped: {error}", flush=True)
        return 1
    report = region_report(log.events)
    if as_json:
        print(json.dumps(_document(report, log.events, log.dead_letters), indent=2))
    else:
        print_report(report, log.events)
        print(
            f"played in {time.monotonic() - started:.1f} s: {log.sent} messages, "
            f"{len(log.events)} events, "
            f"{len(log.dead_letters)} dead letters",
            flush=True,
        )
    return 0 if not log.dead_letters else 1


def _document(
    report: dict[str, Any], events: list[dict[str, Any]], dead: list[dict[str, Any]]
) -> dict[str, Any]:
    from oco_devstack.simulation.report import event_counts, refusal_counts

    return {
        "regions": report,
        "events": event_counts(events),
        "refusals": refusal_counts(events),
        "dead_letters": len(dead),
    }
