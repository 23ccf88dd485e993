"""The contracting handlers: one plain function per incoming message type.

Each takes the typed message, a `UnitOfWork` and the `Received` facts, and returns the
new events (see `oco_shared.handling`).
Contracts when the procedure allows them, their terms, ceilings and obligations.
"""
