"""Without OCO_NATS_URL and OCO_DATABASE_URL a service reads the embedded stack's addresses
from the file the development stack publishes, without importing it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from oco_shared.addresses import StartupError, addresses_file, resolve_addresses
from oco_shared.settings import Settings

NATS = "nats://127.0.0.1:4333"
DATABASE = "postgresql://postgres@127.0.0.1:5444/oco"


def publish(data_dir: Path) -> None:
    addresses_file(data_dir).parent.mkdir(parents=True)
    addresses_file(data_dir).write_text(json.dumps({"nats_url": NATS, "database_url": DATABASE}))


def test_the_published_addresses_are_used(tmp_path: Path) -> None:
    publish(tmp_path)
    settings = Settings(nats_url=None, database_url=None, data_dir=tmp_path)
    assert resolve_addresses(settings) == (NATS, DATABASE)


def test_a_set_address_wins_over_the_published_one(tmp_path: Path) -> None:
    publish(tmp_path)
    settings = Settings(nats_url="nats://broker:4222", database_url=None, data_dir=tmp_path)
    assert resolve_addresses(settings) == ("nats://broker:4222", DATABASE)


def test_without_a_published_file_the_error_names_the_setting_and_the_way_out(
    tmp_path: Path,
) -> None:
    settings = Settings(nats_url="nats://broker:4222", database_url=None, data_dir=tmp_path)
    with pytest.raises(
        StartupError, match=r"^OCO_DATABASE_URL not set.*`oco stack up` \(or `make run`\)"
    ):
        resolve_addresses(settings)
