"""The assessment handlers: one plain function per incoming message type.

Each takes the typed message, a `UnitOfWork` and the `Received` facts, and returns the
new events (see `oco_shared.handling`).
Suitability per region, ranking, lots and the published selection.
"""
