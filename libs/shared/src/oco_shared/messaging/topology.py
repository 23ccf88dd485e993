"""Every stream and subject of the system, defined in one place.

Event streams are audit logs: file storage, `deny_delete` and `deny_purge`, and an
explicit `duplicate_window` (faststream's default of 0 means the server's 2 minutes,
too short to cover a relay that was down for a while).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the NATS client is imported when streams are made, not with the names
    from nats.js import JetStreamContext
    from nats.js.api import StreamConfig

SERVICES = ("intake", "assessment", "objection", "contracting")


@dataclass(frozen=True)
class Topology:
    """Subjects and streams under one prefix (`oco` in production; a random one in tests)."""

    prefix: str = "oco"

    @property
    def portal_stream(self) -> str:
        return f"{self.prefix.upper()}_PORTAL"

    def portal_subject(self, kind: str) -> str:
        """Where portals publish, e.g. `oco.portal.inscription`."""
        return f"{self.prefix}.portal.{kind}"

    @property
    def office_stream(self) -> str:
        return f"{self.prefix.upper()}_OFFICE"

    def office_subject(self, uitvoerder: str, kind: str) -> str:
        """Where one zorgkantoor acts, e.g. `oco.office.zilveren-kruis.nota`."""
        return f"{self.prefix}.office.{uitvoerder}.{kind}"

    def service_stream(self, service: str) -> str:
        return f"{self.prefix.upper()}_{service.upper()}"

    def event_subject(self, service: str, event_type: str) -> str:
        return f"{self.prefix}.{service}.{event_type}"

    def service_subjects(self, service: str) -> str:
        return f"{self.prefix}.{service}.>"

    @property
    def clock_stream(self) -> str:
        return f"{self.prefix.upper()}_CLOCK"

    @property
    def clock_subject(self) -> str:
        """Where the operator sets procedure time (`oco rehearse`): one definition each."""
        return f"{self.prefix}.clock"

    @property
    def deadletter_stream(self) -> str:
        return f"{self.prefix.upper()}_DEADLETTER"

    def deadletter_subject(self, service: str) -> str:
        return f"{self.prefix}.deadletter.{service}"

    def stream_configs(
        self,
        services: tuple[str, ...],
        *,
        replicas: int,
        duplicate_window_seconds: int,
        max_bytes: int = -1,
    ) -> list[StreamConfig]:
        """Every stream, each holding at most `max_bytes` (-1: no limit): a full stream
        refuses new messages (discard new), it never drops recorded ones."""
        from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig

        def audit_stream(name: str, subjects: list[str], description: str) -> StreamConfig:
            return StreamConfig(
                name=name,
                description=description,
                subjects=subjects,
                storage=StorageType.FILE,
                retention=RetentionPolicy.LIMITS,
                discard=DiscardPolicy.NEW,
                num_replicas=replicas,
                duplicate_window=float(duplicate_window_seconds),
                deny_delete=True,
                deny_purge=True,
                allow_rollup_hdrs=False,
                # The auditor reads a whole stream in batches (`$JS.API.DIRECT.GET`).
                allow_direct=True,
                max_bytes=max_bytes,
            )

        configs = [
            audit_stream(
                self.portal_stream, [f"{self.prefix}.portal.>"], "portal submissions and decisions"
            ),
            audit_stream(
                self.office_stream,
                [f"{self.prefix}.office.>"],
                "the zorgkantoren's acts, each on its own uitvoerder's subjects",
            ),
            audit_stream(
                self.clock_stream,
                [self.clock_subject],
                "procedure time: the real procedure, or a rehearsal clock (oco rehearse)",
            ),
            audit_stream(
                self.deadletter_stream,
                [f"{self.prefix}.deadletter.>"],
                "messages that could not be handled, with the reason",
            ),
        ]
        configs += [
            audit_stream(
                self.service_stream(service),
                [self.service_subjects(service)],
                f"events of the {service} service",
            )
            for service in services
        ]
        return configs


PRODUCTION = Topology()


async def provision_streams(js: JetStreamContext, configs: list[StreamConfig]) -> None:
    """Create or update each stream; running it again changes nothing."""
    from nats.js.errors import NotFoundError

    for config in configs:
        assert config.name is not None
        try:
            await js.stream_info(config.name)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)
