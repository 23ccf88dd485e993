"""Adapters of assessment: the only code that touches its read models."""
