"""What `oco objection list` shows of an objection: its state and the deadlines that
apply, each with its rule and source, computed by the same rules as the decisions."""

from __future__ import annotations

from objection_support import Procedure, at, objection
from oco_objection.domain.model import RegionObjections, region_id
from oco_objection.domain.views import objections
from oco_shared.contract.events import ObjectionFiled
from oco_shared.rounds import load_round

PARTY = "10000001"


def listed(procedure: Procedure) -> list[dict]:  # type: ignore[type-arg]
    aggregate = region_id(procedure.round_id, "amsterdam")
    region = RegionObjections.replay(aggregate, procedure.uow.get(aggregate))
    return objections(load_round(procedure.round_id), "amsterdam", region)


def test_an_unanswered_2027_objection_shows_its_window_and_the_answer_deadline_only() -> None:
    procedure = Procedure("2027-2028")
    procedure.publish({PARTY: "rejected"}, at(2026, 9, 18, 12))
    procedure.file(objection(PARTY), at(2026, 9, 30, 10))
    [shown] = listed(procedure)
    assert shown["state"] == "awaiting answer"
    assert [d["code"] for d in shown["deadlines"]] == ["objection", "objection_answer"]
    procedure.tick(at(2026, 10, 18))
    assert listed(procedure)[0]["state"] == "overdue"


def test_a_late_answer_says_so_and_2018_counts_the_kort_geding_from_the_outcome() -> None:
    procedure = Procedure("2018-2020")
    procedure.publish({PARTY: "rejected"}, at(2017, 9, 15, 12))
    filed = procedure.file(objection(PARTY, round_id="2018-2020"), at(2017, 9, 20, 10))
    assert isinstance(filed, ObjectionFiled)
    procedure.answer(filed.objection_id, at(2017, 10, 13, 9), decision="partially_upheld")
    [shown] = listed(procedure)
    assert shown["state"] == "partially_upheld (late)"
    terms = {d["code"]: d for d in shown["deadlines"]}
    assert terms["objection"]["last_second_in_time"] == "2017-09-29T17:00:00+02:00"
    assert terms["objection_answer"]["last_second_in_time"] == "2017-10-12T17:00:00+02:00"
    assert terms["kort_geding"]["counted_from"] == "2017-09-15T12:00:00+02:00"
    assert terms["kort_geding"]["source"].startswith("002_ecc96e9cc94e3a31.txt 3.")
