"""Adapters of objection: the only code that touches its read models."""
