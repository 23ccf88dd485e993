"""Watching the streams fill: a flood must not fill the disk unnoticed.

Every stream has a byte limit (`OCO_STREAM_MAX_BYTES`) and refuses new messages when it
is full. The watcher reads each stream this service writes or reads every half minute,
logs a warning from 80 % and an error from 95 %, and reports how full each is in
`/readyz` and as the metric `oco_stream_fill_ratio`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import structlog
from nats.errors import Error as NatsError
from nats.js import JetStreamContext

from oco_shared.messaging.consumer import wait_or_stop

log = structlog.get_logger(__name__)

WARN, ALARM = 0.80, 0.95


class StreamWatcher:
    name = "streams"

    def __init__(
        self,
        js: Callable[[], JetStreamContext],
        streams: Sequence[str],
        *,
        interval_seconds: float = 30.0,
    ) -> None:
        self.js = js
        self.streams = list(streams)
        self.interval_seconds = interval_seconds
        self.state = "starting"
        self.fill: dict[str, float] = {}

    def status(self) -> dict[str, Any]:
        return {"state": self.state, "position": 0, "fill": dict(self.fill)}

    async def run(self, stop: asyncio.Event) -> None:
        self.state = "running"
        while not stop.is_set():
            await self.check()
            await wait_or_stop(stop, self.interval_seconds)

    async def check(self) -> None:
        for stream in self.streams:
            try:
                info = await self.js().stream_info(stream)
            except (TimeoutError, NatsError):
                continue  # the broker is away: the readiness probe says so already
            limit = info.config.max_bytes or -1
            if limit <= 0:
                continue
            fill = info.state.bytes / limit
            self.fill[stream] = round(fill, 4)
            if fill >= WARN:
                (log.error if fill >= ALARM else log.warning)(
                    "stream.filling",
                    stream=stream,
                    bytes=info.state.bytes,
                    max_bytes=limit,
                    percent=round(100 * fill, 1),
                )
