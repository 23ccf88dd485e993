"""`oco objection list` says in one line why it cannot list, with exit code 2."""

from __future__ import annotations

import pytest
from oco_shared.cli import main


def test_an_unknown_round_is_one_line_and_exit_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["objection", "list", "--round", "1999"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("oco: ") and "1999" in error and len(error.splitlines()) == 1


def test_the_listing_reads_per_objection_with_each_deadline_and_its_source(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from objection_support import Procedure, at, objection
    from oco_objection.domain.model import RegionObjections, region_id
    from oco_objection.domain.views import objections
    from oco_objection.entrypoints import cli
    from oco_shared.rounds import load_round

    procedure = Procedure("2027-2028")
    procedure.publish({"10000001": "rejected"}, at(2026, 9, 18, 12))
    procedure.file(objection("10000001"), at(2026, 9, 30, 10))
    aggregate = region_id("2027-2028", "amsterdam")
    region = RegionObjections.replay(aggregate, procedure.uow.get(aggregate))
    listed = objections(load_round("2027-2028"), "amsterdam", region)
    monkeypatch.setattr(cli, "_listed", lambda args: listed)  # the read model, as read

    assert main(["objection", "list", "--round", "2027-2028"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("amsterdam 10000001 ")
    assert lines[0].endswith(": awaiting answer (filed 2026-09-30T10:00:00+02:00, edition 1)")
    assert lines[1].startswith("  objection: in time until 2026-10-02T23:59:59+02:00  [14 calendar")
    assert "000_d8e1bdfab127271e.txt 6 Inschrijvingen en procedure" in lines[1]
    assert lines[2].startswith("  objection_answer: in time until 2026-10-16T23:59:59+02:00")
