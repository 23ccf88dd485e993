"""Adapters of contracting: its read model is the shared region history
(`oco_shared.messaging.region_history`), rebuilt by the domain's own rules."""
