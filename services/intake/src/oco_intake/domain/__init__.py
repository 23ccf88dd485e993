"""The pure domain of intake: no I/O."""
