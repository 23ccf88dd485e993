"""The objection handlers: one plain function per incoming message type.

Each takes the typed message, a `UnitOfWork` and the `Received` facts, and returns the
new events (see `oco_shared.handling`).
Objections within the window, answers, kort geding and windows closing.
"""
