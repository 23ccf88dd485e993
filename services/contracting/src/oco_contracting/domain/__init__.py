"""The contracting domain: pure aggregates and deciders, no I/O."""
