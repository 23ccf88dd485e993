"""Settings from environment variables only (twelve-factor), documented in README.md."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[4]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OCO_", extra="ignore", frozen=True)

    nats_url: str | None = Field(
        default=None, description="NATS server with JetStream; unset: the embedded stack"
    )
    nats_user: str | None = Field(
        default=None, description="the service's broker user (else the one in OCO_NATS_URL)"
    )
    nats_password: SecretStr | None = Field(
        default=None, description="its password, e.g. from a Kubernetes Secret"
    )
    nats_credentials: Path | None = Field(
        default=None, description="a NATS credentials file (JWT and NKey), instead"
    )
    database_url: str | None = Field(
        default=None, description="PostgreSQL URL; unset: the embedded stack"
    )
    data_dir: Path = Field(
        default=PROJECT_ROOT / "var", description="where the embedded stack keeps its data"
    )
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=0, ge=0, le=65535, description="0: the service's default")
    provision_streams: bool = Field(
        default=True, description="create streams and consumers at start (off if the platform does)"
    )
    stream_replicas: int = Field(default=1, ge=1, le=5)
    duplicate_window_seconds: int = Field(default=7 * 24 * 3600, ge=1)
    stream_max_bytes: int = Field(
        default=2**30, ge=2**20, description="each stream's limit, reserved; warned at 80 %"
    )
    max_deliver: int = Field(default=5, ge=1)
    ack_wait_seconds: float = Field(default=30.0, gt=0)
    connect_timeout_seconds: float = Field(default=5.0, gt=0)
    cipher_key: str | None = Field(
        default=None, description="base64 AES key: events are encrypted at rest when set"
    )
    subject_prefix: str = Field(
        default="oco", pattern=r"^[a-z][a-z0-9]*$", description="first token of every subject"
    )
    schema_prefix: str = Field(default="oco_", description="PostgreSQL schema = prefix + service")
    log_level: str = "INFO"
    relay_window: int = Field(
        default=256, ge=1, le=4000, description="publishes in flight; the most a restart repeats"
    )
    consumer_batch_size: int = Field(
        default=256, ge=1, le=4096, description="messages one transaction decides at most"
    )
    roles: Annotated[frozenset[Literal["consumers", "relay", "projectors"]], NoDecode] = Field(
        default=frozenset({"consumers", "relay", "projectors"}),
        description="which tasks this process runs; split them over processes to use more cores",
    )
    tick_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="how often the deadline ticker looks whether a deadline passed",
    )
    rehearsal: bool = Field(
        default=False,
        description="may run on a rehearsal clock (oco rehearse); never set in production",
    )
    task_down_limit_seconds: float = Field(
        default=120.0, gt=0, description="/healthz fails when a task stays down longer"
    )

    @field_validator("roles", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """`OCO_ROLES=consumers,projectors`: a list in one environment variable."""
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("cipher_key")
    @classmethod
    def _aes_key(cls, value: str | None) -> str | None:
        """Base64 of 16, 24 or 32 bytes. The message never repeats the key."""
        if value is None:
            return value
        try:
            size = len(base64.b64decode(value, validate=True))
        except ValueError:
            raise ValueError("is not base64") from None
        if size not in (16, 24, 32):
            raise ValueError(f"decodes to {size} bytes; an AES key has 16, 24 or 32")
        return value
