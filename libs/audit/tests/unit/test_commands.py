"""What the commands refuse before they read anything, in one line each."""

from __future__ import annotations

import pytest
from oco_audit.commands import CommandError, _png


def test_a_png_without_a_converter_names_the_converter_and_the_other_formats() -> None:
    with pytest.raises(CommandError, match=r"rsvg-convert.*write \.svg or \.html"):
        _png("<svg/>", None)
