"""The chain head checkpointed: every so many events, or once the log has gone quiet."""

from __future__ import annotations

import uuid

import pytest
from oco_shared.contract import REGISTRY, Event
from oco_shared.contract.events import ChainCheckpointed
from oco_shared.contract.examples import EXAMPLES
from oco_shared.eventstore import EventStore, NewEvent
from oco_shared.messaging.checkpoint import ChainCheckpointer
from plumbing_support import Isolation, Servers

pytestmark = pytest.mark.integration


def recorded(store: EventStore, count: int) -> None:
    opened = REGISTRY.parse(EXAMPLES["RoundOpened"])
    assert isinstance(opened, Event)
    store.append(
        [
            NewEvent(uuid.uuid4(), 1, opened.model_copy(update={"event_id": uuid.uuid4()}))
            for _ in range(count)
        ]
    )


def test_the_head_is_checkpointed_every_so_many_events_or_when_quiet(
    servers: Servers, isolation: Isolation
) -> None:
    store = EventStore(servers.database_url, f"{isolation.schema_prefix}probe")
    store.migrate()
    try:
        checkpointer = ChainCheckpointer(store, "probe", every=3, quiet_seconds=100)
        recorded(store, 2)
        assert checkpointer.look(now=0) is None  # two events, the head just moved
        recorded(store, 1)
        first = checkpointer.look(now=1)
        assert isinstance(first, ChainCheckpointed) and first.position == 3
        head = store.chain_head()
        assert head is not None and head.position == 4 and head.event == first
        assert checkpointer.look(now=2) is None  # nothing since but the checkpoint
        recorded(store, 1)
        assert checkpointer.look(now=10) is None  # one event on, not quiet yet
        # A second checkpointer (another process, or after a restart) knows the last one.
        again = ChainCheckpointer(store, "probe", every=3, quiet_seconds=100)
        assert again.look(now=11) is None
        head = store.chain_head()
        quiet = again.look(now=111)
        assert isinstance(quiet, ChainCheckpointed) and head is not None
        assert (quiet.position, quiet.sha256) == (5, head.sha256.hex())
        assert checkpointer.checkpoint() is None  # the same head is not recorded twice
    finally:
        store.close()
