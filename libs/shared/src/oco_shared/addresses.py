"""Where a service finds the broker and the database, and whether the database answers.

The addresses come from OCO_NATS_URL and OCO_DATABASE_URL. Where they are unset (a
developer's machine), the embedded stack of the `oco-devstack` package has published its
servers' addresses in a file under the data folder; reading that file keeps the
development stack and its dependencies out of every service.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

from oco_shared.settings import Settings


class StartupError(RuntimeError):
    """A setting that cannot work, named with its value."""


def addresses_file(data_dir: Path) -> Path:
    """Where a running embedded stack publishes `{"nats_url": …, "database_url": …}`."""
    return data_dir.expanduser() / "stack" / "addresses.json"


def resolve_addresses(settings: Settings) -> tuple[str, str]:
    """The NATS and PostgreSQL addresses: from the settings, else the embedded stack's file."""
    if settings.nats_url and settings.database_url:
        return settings.nats_url, settings.database_url
    try:
        published = json.loads(addresses_file(settings.data_dir).read_text())
        nats_url, database_url = str(published["nats_url"]), str(published["database_url"])
    except (OSError, ValueError, TypeError, KeyError):  # none, or unreadable: no stack
        missing = [
            name
            for name, value in (
                ("OCO_NATS_URL", settings.nats_url),
                ("OCO_DATABASE_URL", settings.database_url),
            )
            if not value
        ]
        raise StartupError(
            f"{' and '.join(missing)} not set and no embedded stack runs under "
            f"{settings.data_dir}: set them, or start the embedded servers with "
            "`oco stack up` (or `make run`)"
        ) from None
    return settings.nats_url or nats_url, settings.database_url or database_url


def redacted(url: str) -> str:
    """The address without its password, for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def unreachable(setting: str, url: str, error: object) -> StartupError:
    """One line naming the setting and the address, with no password in it anywhere."""
    text = str(error).strip()
    password = urlsplit(url).password
    if password:
        text = text.replace(password, "***")
    return StartupError(f"{setting}={redacted(url)} is unreachable: {text}")


def check_database(database_url: str, timeout: float) -> None:
    try:
        with psycopg.connect(database_url, connect_timeout=max(1, int(timeout))) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        raise unreachable("OCO_DATABASE_URL", database_url, error) from None


def embedded_user_url(settings: Settings, user: str) -> str | None:
    """The embedded broker's address as one of its users, when that stack runs here: the
    CLI then speaks as the party it plays (the portal, an office, the provisioner)."""
    folder = addresses_file(settings.data_dir).parent
    try:
        nats_url = str(json.loads(addresses_file(settings.data_dir).read_text())["nats_url"])
        password = str(json.loads((folder / "nats-passwords.json").read_text())[user])
    except (OSError, ValueError, TypeError, KeyError):
        return None
    parts = urlsplit(nats_url)
    credentials = f"{quote(user, safe='')}:{quote(password, safe='')}"
    return urlunsplit(parts._replace(netloc=f"{credentials}@{parts.hostname}:{parts.port}"))
