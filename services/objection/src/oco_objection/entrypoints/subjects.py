"""The objection service's table of subjects: which upstream subject feeds which handlers."""

from __future__ import annotations

from oco_shared.runtime import Subscription

SUBSCRIPTIONS: tuple[Subscription, ...] = ()
