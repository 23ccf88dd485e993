"""A command's connection to the broker, as the party it plays.

With `OCO_NATS_URL` set, the operator's address and credentials (`OCO_NATS_USER`,
`OCO_NATS_PASSWORD`, `OCO_NATS_CREDENTIALS`) are used as given; without it, the embedded
stack's broker, as the user of that party (`portal`, `office-<uitvoerder>`,
`provisioner`). A failure is one line naming the address, never its password.
"""

from __future__ import annotations

import asyncio

from nats.aio.client import Client

from oco_shared.addresses import StartupError, embedded_user_url, unreachable
from oco_shared.settings import Settings


async def connect_as(settings: Settings, user: str, reconnect: bool = False) -> Client:
    """A command gives up when the broker goes away; with `reconnect` (the simulator) the
    client waits for it to come back."""
    import nats

    url = settings.nats_url or embedded_user_url(settings, user)
    if url is None:
        raise StartupError(
            f"OCO_NATS_URL is not set and no embedded stack runs under {settings.data_dir}: "
            "set it, or start the embedded servers with `oco stack up` (or `make run`)"
        )
    options: dict[str, object] = {}
    if settings.nats_url and settings.nats_user and settings.nats_password:
        options.update(user=settings.nats_user, password=settings.nats_password.get_secret_value())
    if settings.nats_url and settings.nats_credentials:
        options["user_credentials"] = str(settings.nats_credentials)

    async def quiet(error: Exception) -> None:
        """The library would print each attempt's traceback; the failure is said once."""

    try:
        client: Client = await asyncio.wait_for(
            nats.connect(
                url,
                connect_timeout=settings.connect_timeout_seconds,
                allow_reconnect=reconnect,
                max_reconnect_attempts=-1 if reconnect else 0,
                reconnect_time_wait=0.5,
                error_cb=quiet,
                **options,
            ),
            settings.connect_timeout_seconds,
        )
    except TimeoutError:
        waited = f"no answer within {settings.connect_timeout_seconds:g} s"
        raise unreachable("OCO_NATS_URL", url, waited) from None
    except Exception as error:  # every way of failing ends in the same sentence
        raise unreachable("OCO_NATS_URL", url, repr(error)) from None
    return client
