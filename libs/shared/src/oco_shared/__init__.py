"""Shared kernel of the OCO procurement services."""
