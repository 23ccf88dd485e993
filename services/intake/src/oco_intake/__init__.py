"""The intake service of the OCO procurement procedure."""
