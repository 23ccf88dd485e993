"""`oco objection list` says in one line why it cannot list, with exit code 2."""

from __future__ import annotations

import pytest
from oco_shared.cli import main


def test_an_unknown_round_is_one_line_and_exit_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["objection", "list", "--round", "1999"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("oco: ") and "1999" in error and len(error.splitlines()) == 1
