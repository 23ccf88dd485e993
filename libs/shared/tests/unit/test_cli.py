"""`oco calendar` as an operator or auditor would run it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

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


def oco(*args: str) -> tuple[int, str, str]:
    """`oco …` in a process of its own, as an operator runs it."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "oco_shared.cli", *args], capture_output=True, text=True, timeout=60
    )
    return done.returncode, done.stdout, done.stderr


def test_calendar_lists_every_deadline_of_the_timetable_in_date_order() -> None:
    code, out, _ = oco("calendar", "2027-2028", "--published", "2026-09-18T16:00", "--json")
    deadlines = json.loads(out)["deadlines"]
    assert code == 0
    assert list(deadlines)[:3] == ["questions", "nota_van_inlichtingen", "inscription"]
    closing = [deadline["closes_at"] for deadline in deadlines.values()]
    assert closing == sorted(closing, key=lambda text: datetime.fromisoformat(text))


def test_calendar_refuses_an_answer_before_the_publication_and_warns_outside_the_round() -> None:
    code, out, err = oco(
        "calendar", "2027-2028", "--published", "2026-09-18T16:00", "--answered", "2026-09-01T12:00"
    )
    assert (code, out) == (2, "")
    assert err.strip() == (
        "oco: the answer (2026-09-01T12:00:00+02:00) lies before the publication "
        "(2026-09-18T16:00:00+02:00) it answers"
    )
    code, out, err = oco("calendar", "2027-2028", "--published", "2030-09-18T16:00")
    assert code == 0 and out.startswith("Inkoopbeleid")
    assert "warning: --published 2030-09-18T16:00:00+02:00 lies outside round 2027-2028" in err


def test_rounds_say_whether_inscription_is_open_now() -> None:
    code, out, _ = oco("rounds", "--json")
    rounds = {item["round"]: item for item in json.loads(out)}
    assert code == 0 and set(rounds) == {"2018-2020", "2022", "2023", "2027-2028"}
    now = datetime.now(UTC)
    for item in rounds.values():
        closed = datetime.fromisoformat(item["inscription_closes_at"]) <= now
        assert (item["inscription"] == "closed") == closed
    code, out, _ = oco("rounds")
    assert "2027-2028: Inkoopbeleid" in out and "; inscription " in out
