"""The procedure clock on the broker: read by every service and the CLI, set by the operator.

Definitions are `ProcedureClockSet` messages on the clock stream; each one's epoch is its
JetStream timestamp, so no sender's clock is ever trusted. A consumer catches up with the
stream before it judges a batch: every definition recorded before the batch's messages
is then known, and a message is never judged on a stale clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC

import structlog
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from oco_shared.contract.messages import ProcedureClockSet
from oco_shared.messaging.topology import Topology
from oco_shared.procedure_time import Segment, Timeline

log = structlog.get_logger(__name__)


def segment_of(message: RawStreamMsg) -> Segment | None:
    """The definition a stored message holds, or None (logged) when it is none."""
    assert message.seq is not None and message.time is not None
    try:
        definition = ProcedureClockSet.model_validate_json(message.data or b"", strict=True)
    except ValidationError as error:
        log.error("clock.ignored", sequence=message.seq, error=str(error)[:500])
        return None
    return Segment(message.seq, message.time.astimezone(UTC), definition)


class ClockFollower:
    """Keeps a timeline equal to the clock stream."""

    def __init__(
        self, js: Callable[[], JetStreamContext], topology: Topology, timeline: Timeline
    ) -> None:
        self.js = js
        self.stream = topology.clock_stream
        self.subject = topology.clock_subject
        self.timeline = timeline

    async def catch_up(self) -> list[Segment]:
        """Read the definitions recorded since the last call (one request when none were);
        return them."""
        js = self.js()
        try:
            last = await js.get_last_msg(self.stream, self.subject)
        except NotFoundError:  # no definition, or no clock stream: the real procedure
            return []
        assert last.seq is not None
        known = self.timeline.last_sequence
        if last.seq <= known:
            return []
        messages = []
        for sequence in range(known + 1, last.seq):
            try:
                messages.append(await js.get_msg(self.stream, sequence))
            except NotFoundError:  # a gap in the stream: nothing was recorded there
                continue
        messages.append(last)
        segments = [segment for segment in map(segment_of, messages) if segment is not None]
        self.timeline.add(segments)
        return segments


def log_segments(segments: list[Segment]) -> None:
    """A service says in its log which clock it judges by from when."""
    for segment in segments:
        definition = segment.definition
        log.warning(
            "clock.set",
            sequence=segment.sequence,
            epoch=segment.epoch.isoformat(),
            rehearsal_id=str(definition.rehearsal_id) if definition.rehearsal_id else None,
            round_id=definition.round_id,
            start=definition.start.isoformat() if definition.start else None,
            rate=definition.rate,
        )


async def set_procedure_clock(
    js: JetStreamContext, topology: Topology, definition: ProcedureClockSet
) -> Segment:
    """Record a definition; it holds from its own broker timestamp, which is returned."""
    ack = await js.publish(
        topology.clock_subject,
        definition.model_dump_json().encode(),
        stream=topology.clock_stream,
        headers={"Nats-Msg-Id": str(uuid.uuid4())},
    )
    stored = await js.get_msg(topology.clock_stream, ack.seq)
    segment = segment_of(stored)
    assert segment is not None
    return segment


async def read_timeline(
    js: JetStreamContext, topology: Topology, allow_rehearsal: bool
) -> Timeline:
    timeline = Timeline(allow_rehearsal=allow_rehearsal)
    await ClockFollower(lambda: js, topology, timeline).catch_up()
    return timeline
