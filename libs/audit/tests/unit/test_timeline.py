"""The timeline an auditor looks at: the round's milestones, every window between its
opening and its deadline, and each act that came too late marked as such."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

import pytest
from export_support import LATECOMER, REJECTED, SELECTED, at, procedure
from oco_audit.timeline import late_reason, timeline_of
from oco_audit.timeline_render import LATE_COLOUR, html, svg
from oco_shared.rounds import load_round

SVG = "{http://www.w3.org/2000/svg}"
ROUND = load_round("2027-2028")


def drawn(region: str | None = None) -> ET.Element:
    return ET.fromstring(svg(timeline_of(ROUND, procedure(), region)))


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in e.get("class", "").split()]


def test_every_milestone_of_the_timetable_is_drawn_where_the_round_sets_it() -> None:
    milestones = {m.get("data-code"): m for m in by_class(drawn(), "milestone")}
    expected = {code.value for code in ROUND.milestones} - {"contract_ends"}
    assert set(milestones) == expected
    # "tot en met 31 juli 2026 17.00 uur": the line stands where time runs out.
    closes = datetime.fromisoformat(milestones["inscription_closes"].get("data-at", ""))
    assert closes == at(2026, 7, 31, 17, 0, 1)
    assert "inscription closes: 2026-07-31 17:00" in "".join(
        milestones["inscription_closes"].itertext()
    )


def test_late_events_are_marked_red_and_nothing_in_time_is() -> None:
    events = procedure()
    late_ids = {str(e.event_id) for e in events if late_reason(e)}
    assert {e.type for e in events if late_reason(e)} == {
        "InscriptionRejected",  # 17:00:01, after the close
        "SelectionPublished",  # Amsterdam, two days after the planned date
        "ObjectionAnswered",  # after the answer deadline
    }
    root = drawn()
    marked = {m.get("data-event-id") for m in by_class(root, "late")}
    assert marked == late_ids
    for mark in by_class(root, "late"):
        assert LATE_COLOUR in ET.tostring(mark, encoding="unicode")
        assert "LATE" in (mark.findtext(f"{SVG}title") or "")
    in_time = [m for m in by_class(root, "mark") if m.get("data-event-id") not in late_ids]
    assert in_time and all(LATE_COLOUR not in ET.tostring(m, encoding="unicode") for m in in_time)


def test_the_legend_names_the_late_colour() -> None:
    legend = by_class(drawn(), "legend")[0]
    assert "late (too late: red)" in "".join(legend.itertext())
    assert LATE_COLOUR in ET.tostring(legend, encoding="unicode")


def test_an_objection_window_spans_from_the_publication_to_its_deadline() -> None:
    root = drawn("amsterdam")
    windows = [w for w in by_class(root, "objection_window")]
    # One per party of the Amsterdam selection, each in its own lane.
    assert len(windows) == 2
    marks = {m.get("data-event-id"): m for m in by_class(root, "mark")}
    events = {e.type: e for e in procedure() if e.region_code == "amsterdam"}
    publication, filed = events["SelectionPublished"], events["ObjectionFiled"]
    for window in windows:
        assert window.get("data-opens") == publication.occurred_at.isoformat()
        assert window.get("data-closes") == at(2026, 10, 5).isoformat()
    left = float(windows[0].get("x", "nan"))
    right = left + float(windows[0].get("width", "nan"))
    assert left == float(marks[str(publication.event_id)].get("data-x", "nan"))
    # The objection was filed inside the window, and is drawn inside it.
    assert left < float(marks[str(filed.event_id)].get("data-x", "nan")) < right
    # Its answer deadline and the kort geding term follow, each as a span of its own.
    assert by_class(root, "answer_due") and by_class(root, "kort_geding_term")


def test_the_region_view_has_a_lane_per_party_and_the_overview_one_per_region() -> None:
    lanes = [lane.key for lane in timeline_of(ROUND, procedure(), "amsterdam").lanes]
    assert lanes == ["round", "region", LATECOMER, SELECTED, REJECTED]
    overview = [lane.key for lane in timeline_of(ROUND, procedure()).lanes]
    assert len(overview) == 1 + 31 and {"amsterdam", "utrecht"} <= set(overview)
    # Utrecht's inscription is in Utrecht's lane, not Amsterdam's.
    utrecht = [m for m in timeline_of(ROUND, procedure()).marks if m.lane == "utrecht"]
    assert [m.label for m in utrecht] == [
        "inscription by Onafhankelijk Utrecht",
        "selection published, edition 1",
    ]


def test_a_region_of_another_round_is_refused() -> None:
    with pytest.raises(ValueError, match="not a region of round 2027-2028"):
        timeline_of(ROUND, procedure(), "atlantis")


def test_the_page_embeds_the_picture_and_lists_what_came_too_late() -> None:
    page = html(timeline_of(ROUND, procedure()))
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "src=" not in page
    assert "3 too late" in page
    assert "answered after 2026-10-17 00:00:00" in page


def test_the_region_view_leaves_out_other_parties_acts_of_the_round() -> None:
    region = timeline_of(ROUND, procedure(), "amsterdam")
    overview = timeline_of(ROUND, procedure())
    question = "question Q-0001"  # asked by a party, about no region
    assert question in [m.label for m in overview.marks if m.lane == "round"]
    assert question not in [m.label for m in region.marks]
    assert "Nota van Inlichtingen published" in [m.label for m in region.marks]
