"""The objection domain: pure aggregates and deciders, no I/O."""
