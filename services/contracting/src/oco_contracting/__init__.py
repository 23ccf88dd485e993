"""The contracting service of the OCO procurement procedure."""
