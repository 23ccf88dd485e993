"""Broker plumbing: stream topology, the outbox relay, exactly-once consumption."""
