"""`make bench`: throughput of the outbox relay and of intake, on this machine's servers.

Prints figures for README.md; asserts nothing about speed (that is not a test).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

import nats
import psycopg

sys.path[:0] = [
    str(Path(__file__).parents[2] / p)
    for p in ("services/intake/tests", "libs/shared/tests/integration")
]

from intake_support import submission  # noqa: E402
from oco_devstack.servers import stack_up  # noqa: E402
from oco_intake.bootstrap import bootstrap  # noqa: E402
from oco_shared.eventstore import NewEvent  # noqa: E402
from oco_shared.settings import Settings  # noqa: E402
from probe_service import probe_event, probe_runtime  # noqa: E402


async def until(check, timeout: float = 600) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.01)


async def main() -> None:
    nats_url, database_url = os.environ.get("OCO_NATS_URL"), os.environ.get("OCO_DATABASE_URL")
    if not (nats_url and database_url):
        addresses = stack_up(Settings().data_dir)
        nats_url, database_url = addresses.nats_url, addresses.database_url
    prefix = "b" + uuid.uuid4().hex[:8]
    settings = Settings(
        nats_url=nats_url,
        database_url=database_url,
        subject_prefix=prefix,
        schema_prefix=f"{prefix}_",
    )

    relay_service = probe_runtime(settings)
    await relay_service.start()
    events = 10_000
    for _ in range(0, events, 1000):
        batch = [NewEvent(uuid.uuid4(), 1, probe_event()) for _ in range(1000)]
        await asyncio.to_thread(relay_service.store.append, batch)
    started = time.monotonic()

    async def relayed() -> bool:
        return relay_service.relay.position >= events

    await until(relayed)
    relay_seconds = time.monotonic() - started
    await relay_service.stop()

    intake = bootstrap(settings)
    await intake.start()
    connection = await nats.connect(nats_url)
    js = connection.jetstream()
    count = 1_000
    started = time.monotonic()
    for index in range(count):
        payload = submission(f"{40_000_000 + index}")
        await js.publish(
            f"{prefix}.portal.inscription",
            json.dumps(payload).encode(),
            stream=f"{prefix.upper()}_PORTAL",
            headers={"Nats-Msg-Id": payload["message_id"]},
        )

    async def judged() -> bool:
        return (await js.stream_info(f"{prefix.upper()}_INTAKE")).state.messages >= count

    await until(judged)
    intake_seconds = time.monotonic() - started
    for stream in await js.streams_info():
        if stream.config.name and stream.config.name.startswith(prefix.upper()):
            await js.delete_stream(stream.config.name)
    await connection.close()
    await intake.stop()
    with psycopg.connect(database_url, autocommit=True) as db:
        for service in ("intake", "probe"):
            db.execute(f'DROP SCHEMA IF EXISTS "{prefix}_{service}" CASCADE')
    print(
        f"relay: {events} events published and acknowledged in {relay_seconds:.2f} s "
        f"({events / relay_seconds:,.0f} events/s)"
    )
    print(
        f"intake: {count} inscriptions judged, recorded and relayed in {intake_seconds:.2f} s "
        f"({count / intake_seconds:,.0f} inscriptions/s, one in flight per consumer)"
    )


if __name__ == "__main__":
    asyncio.run(main())
