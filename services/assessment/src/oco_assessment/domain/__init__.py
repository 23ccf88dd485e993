"""The assessment domain: pure aggregates and deciders, no I/O."""
