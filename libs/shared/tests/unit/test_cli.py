"""`oco calendar` as an operator or auditor would run it."""

from __future__ import annotations

import json

import pytest
from oco_shared.cli import main


def _calendar_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:  # type: ignore[type-arg]
    assert main(["calendar", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_calendar_2027_answers_the_objection_and_kort_geding_deadlines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _calendar_json(
        capsys, "2027-2028", "--published", "2026-09-18T16:00", "--answered", "2026-10-16T12:00"
    )
    objection, kort_geding = out["deadlines"]["objection"], out["deadlines"]["kort_geding"]
    assert objection["closes_at"] == "2026-10-03T00:00:00+02:00"
    assert objection["last_second_in_time"] == "2026-10-02T23:59:59+02:00"
    assert kort_geding["closes_at"] == "2026-10-31T00:00:00+01:00"
    assert kort_geding["last_second_in_time"] == "2026-10-30T23:59:59+01:00"
    for deadline in (objection, kort_geding):
        assert deadline["source"].startswith("000_d8e1bdfab127271e.txt ")
        assert "14 calendar days" in deadline["rule"]
    codes = [m["code"] for m in out["milestones"]]
    assert codes[0] == "publication" and codes[-1] == "contract_ends"


def test_calendar_2018_counts_the_kort_geding_from_the_outcome(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _calendar_json(
        capsys, "2018-2020", "--published", "2017-09-15T12:00", "--answered", "2017-10-12T12:00"
    )
    assert "after outcome_published (2017-09-15)" in out["deadlines"]["kort_geding"]["rule"]
    assert out["deadlines"]["kort_geding"]["closes_at"] == "2017-10-06T00:00:00+02:00"


def test_calendar_prints_a_readable_timetable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "2027-2028"]) == 0
    text = capsys.readouterr().out
    assert "2026-07-31 17:00" in text
    assert "All times Europe/Amsterdam." in text


def test_an_unknown_round_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "1999"]) == 2
    assert "unknown round '1999'" in capsys.readouterr().err
