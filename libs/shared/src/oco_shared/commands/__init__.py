"""`oco` commands that speak to the broker as one of its parties: `rehearse`, `portal`.

Each module registers its parser with imports of argparse only; the NATS client and the
contract load when a command runs, so `oco --help` stays fast.
"""

from __future__ import annotations

import argparse
from datetime import datetime


def instant(text: str) -> datetime:
    """An ISO date or date-time; without an offset it is Europe/Amsterdam wall-clock time."""
    from oco_shared.rounds.model import AMSTERDAM

    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date or date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=AMSTERDAM)
