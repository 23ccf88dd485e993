"""The assessment service of the OCO procurement procedure."""
