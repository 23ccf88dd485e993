"""The hash chain of a service's log, recomputed from the stored bytes (pure).

The store links each event to the one before it (`oco_shared.eventstore`, CHAINED_INSERT):
link(p) = SHA-256(link(p-1) ‖ notification_id ‖ content), content = SHA-256(originator_id
‖ version ‖ len(topic) ‖ topic ‖ state), link(0) = 32 zero bytes; integers big-endian in 8
bytes (the topic's length in 4), the originator id's 16 bytes, the topic in UTF-8. These
functions are the auditor's own computation of the same, over what the auditor read.
"""

from __future__ import annotations

import hashlib
import struct
import uuid

from oco_shared.eventstore import GENESIS

__all__ = ["GENESIS", "content_digest", "link"]

_CONTENT_HEAD = struct.Struct(">16sqi")  # originator id, version, the topic's length
_NOTIFICATION_ID = struct.Struct(">q")


def content_digest(originator_id: uuid.UUID, version: int, topic: str, state: bytes) -> bytes:
    encoded_topic = topic.encode()
    digest = hashlib.sha256(_CONTENT_HEAD.pack(originator_id.bytes, version, len(encoded_topic)))
    digest.update(encoded_topic)
    digest.update(state)  # the stored bytes, not copied
    return digest.digest()


def link(prev: bytes, notification_id: int, content: bytes) -> bytes:
    return hashlib.sha256(prev + _NOTIFICATION_ID.pack(notification_id) + content).digest()
