"""The objection service of the OCO procurement procedure."""
