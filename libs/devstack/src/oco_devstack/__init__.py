"""The development stack: a real nats-server and PostgreSQL on local ports, and `oco run`.

A developer's tool, never a dependency of a service: services find these servers through
the addresses file that `servers.stack_up` publishes (see `oco_shared.addresses`).
"""
