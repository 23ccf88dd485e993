"""What the integration tests and their worker processes share."""

from __future__ import annotations

import os
from dataclasses import dataclass

from oco_shared.messaging.topology import Topology
from oco_shared.settings import Settings


@dataclass(frozen=True)
class Servers:
    nats_url: str
    database_url: str


@dataclass(frozen=True)
class Isolation:
    """A prefix of this test's own for subjects, streams and schemas."""

    prefix: str

    @property
    def topology(self) -> Topology:
        return Topology(self.prefix)

    @property
    def schema_prefix(self) -> str:
        return f"{self.prefix}_"

    def env(self, servers: Servers, **extra: str) -> dict[str, str]:
        """Environment for a worker process of this test."""
        return {
            **os.environ,
            "OCO_NATS_URL": servers.nats_url,
            "OCO_DATABASE_URL": servers.database_url,
            "OCO_SUBJECT_PREFIX": self.prefix,
            "OCO_SCHEMA_PREFIX": self.schema_prefix,
            **extra,
        }

    def settings(self, servers: Servers, **overrides: object) -> Settings:
        return Settings(
            nats_url=servers.nats_url,
            database_url=servers.database_url,
            subject_prefix=self.prefix,
            schema_prefix=self.schema_prefix,
            **overrides,  # type: ignore[arg-type]
        )
