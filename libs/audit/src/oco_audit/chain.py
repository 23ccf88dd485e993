"""The hash chain of a service's log, recomputed from the stored bytes (pure).

The store links each event to the one before it (`oco_shared.eventstore`, CHAINED_INSERT):
link(p) = SHA-256(link(p-1) "\\n" notification_id "\\n" content), content = SHA-256(
originator_id "\\n" version "\\n" topic "\\n" state), link(0) = 32 zero bytes. These
functions are the auditor's own computation of the same, over what the auditor read.
"""

from __future__ import annotations

import hashlib

from oco_shared.eventstore import GENESIS

__all__ = ["GENESIS", "content_digest", "link"]


def content_digest(originator_id: str, version: int, topic: str, state: bytes) -> bytes:
    digest = hashlib.sha256(f"{originator_id}\n{version}\n{topic}\n".encode())
    digest.update(state)  # the stored bytes, not copied
    return digest.digest()


def link(prev: bytes, notification_id: int, content: bytes) -> bytes:
    return hashlib.sha256(b"%s\n%d\n%s" % (prev, notification_id, content)).digest()
