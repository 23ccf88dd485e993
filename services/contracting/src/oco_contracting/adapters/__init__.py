"""Adapters of contracting: the only code that touches its read models."""
