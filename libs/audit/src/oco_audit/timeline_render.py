"""A `Timeline` drawn as hand-written SVG, and as a self-contained HTML page around it.

No drawing library: the picture is rectangles, lines, small shapes and text. Every mark
and window carries its event id and times as data attributes and a tooltip (`<title>`),
so a reader (or a test) can tie each shape to the event it shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from html import escape

from oco_shared.rounds import AMSTERDAM

from oco_audit.timeline import Mark, Span, Timeline

WIDTH = 1600
LEFT = 260  # lane titles
RIGHT = 130  # room for the last milestone's label
LANE_HEIGHT = 26
HEADER = 240  # the slanted milestone labels above the lanes, clear of the title
AXIS = 28
LATE_COLOUR = "#d62728"

# kind: (shape, colour, legend text)
MARK_STYLES: dict[str, tuple[str, str, str]] = {
    "publication": ("diamond", "#1f77b4", "publication (round, Nota, selection)"),
    "filing": ("circle", "#555555", "filing (inscription, question, documents, objection)"),
    "withdrawal": ("circle", "#bbbbbb", "inscription withdrawn"),
    "request": ("square", "#8c564b", "documents requested"),
    "decision": ("square", "#17becf", "lot drawn, selection reopened"),
    "answer": ("square", "#2ca02c", "objection answered"),
    "overdue": ("cross", LATE_COLOUR, "objection answer overdue"),
    "kort_geding": ("triangle", "#9467bd", "kort geding filed"),
    "contract": ("star", "#006400", "contract signed"),
    "refusal": ("cross", "#ff7f0e", "refused (not for lateness)"),
}
SPAN_STYLES: dict[str, tuple[str, str]] = {
    "objection_window": ("#aec7e8", "objection window (publication to its deadline)"),
    "answer_due": ("#98df8a", "objection filed to answer deadline"),
    "kort_geding_term": ("#c5b0d5", "kort geding term (vervaltermijn)"),
    "documents_due": ("#c49c94", "documents requested to answer-by"),
}


class _Scale:
    def __init__(self, timeline: Timeline) -> None:
        self.starts = timeline.starts.astimezone(UTC)
        self.seconds = (timeline.ends.astimezone(UTC) - self.starts).total_seconds()

    def x(self, instant: datetime) -> float:
        share = (instant.astimezone(UTC) - self.starts).total_seconds() / self.seconds
        return round(LEFT + share * (WIDTH - LEFT - RIGHT), 2)


def _shown(instant: datetime) -> str:
    return instant.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M:%S")


def _legend_rows() -> int:
    return 2 + (len(MARK_STYLES) + len(SPAN_STYLES) + 3) // 3


def svg(timeline: Timeline) -> str:
    """The timeline as a standalone SVG document."""
    scale = _Scale(timeline)
    lanes_top = HEADER
    lanes_bottom = lanes_top + LANE_HEIGHT * len(timeline.lanes)
    height = lanes_bottom + AXIS + 20 * _legend_rows() + 40
    lane_y = {
        lane.key: lanes_top + index * LANE_HEIGHT for index, lane in enumerate(timeline.lanes)
    }
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        '<text x="10" y="22" font-size="16" font-weight="bold">'
        f"{escape(_heading(timeline))}</text>",
        '<text x="10" y="40" fill="#444">Times in Europe/Amsterdam (procedure time); '
        "red marks came too late.</text>",
    ]
    parts += _lanes(timeline, lane_y)
    parts += _axis(timeline, scale, lanes_top, lanes_bottom)
    parts += _milestones(timeline, scale, lanes_top, lanes_bottom)
    parts += [_span(span, scale, lane_y[span.lane]) for span in timeline.spans]
    parts += [_mark(mark, scale, lane_y[mark.lane]) for mark in timeline.marks]
    parts += _legend(lanes_bottom + AXIS + 10)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _heading(timeline: Timeline) -> str:
    where = f", region {timeline.region}" if timeline.region else ", all regions"
    rehearsal = f" (rehearsal {', '.join(timeline.rehearsals)})" if timeline.rehearsals else ""
    return f"{timeline.title} ({timeline.round_id}{where}){rehearsal}"


def _lanes(timeline: Timeline, lane_y: dict[str, int]) -> Iterator[str]:
    for index, lane in enumerate(timeline.lanes):
        y = lane_y[lane.key]
        fill = "#f4f4f4" if index % 2 else "#ffffff"
        yield (
            f'<rect class="lane" data-lane="{escape(lane.key)}" x="0" y="{y}" '
            f'width="{WIDTH}" height="{LANE_HEIGHT}" fill="{fill}"/>'
        )
        yield (
            f'<text x="8" y="{y + LANE_HEIGHT / 2 + 4}">{escape(_clipped(lane.title, 40))}</text>'
        )


def _clipped(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _axis(timeline: Timeline, scale: _Scale, top: int, bottom: int) -> Iterator[str]:
    """A faint line every Monday, a stronger one with a label on the first of each month."""
    first = timeline.starts.astimezone(AMSTERDAM).date()
    last = timeline.ends.astimezone(AMSTERDAM).date()
    day = first
    while day <= last:
        x = scale.x(datetime.combine(day, time(0), tzinfo=AMSTERDAM))
        if day.day == 1:
            yield f'<line class="month" x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="#999"/>'
            yield (
                f'<text class="axis-label" x="{x + 3}" y="{bottom + 16}" fill="#333">'
                f"{day:%b %Y}</text>"
            )
        elif day.weekday() == 0:
            yield (
                f'<line class="week" x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="#e2e2e2"/>'
            )
        day += timedelta(days=1)
    yield f'<line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" stroke="#333"/>'


def _milestones(timeline: Timeline, scale: _Scale, top: int, bottom: int) -> Iterator[str]:
    """A dashed line through every lane; its label slanted above, moved aside when two
    milestones lie so close that their labels would overlap."""
    label_x = float("-inf")
    for milestone in timeline.milestones:
        x = scale.x(milestone.at)
        label_x = max(x, label_x + 18)
        label = f"{milestone.code.replace('_', ' ')}: {milestone.when}"
        yield (
            f'<g class="milestone" data-code="{milestone.code}" '
            f'data-at="{milestone.at.isoformat()}">'
            f"<title>{escape(milestone.title)} ({_shown(milestone.at)})</title>"
            f'<line x1="{x}" y1="{top - 6}" x2="{x}" y2="{bottom}" stroke="#000" '
            'stroke-dasharray="4 3"/>'
            f'<text x="{label_x}" y="{top - 10}" transform="rotate(-50 {label_x} {top - 10})">'
            f"{escape(label)}</text></g>"
        )


def _span(span: Span, scale: _Scale, y: int) -> str:
    """Objection windows in the upper half of the lane, the terms that follow below."""
    colour, _ = SPAN_STYLES[span.kind]
    left, right = scale.x(span.opens), scale.x(span.closes)
    top = y + 3 if span.kind == "objection_window" else y + LANE_HEIGHT / 2
    return (
        f'<rect class="span {span.kind}" data-event-id="{span.event_id}" '
        f'data-opens="{span.opens.isoformat()}" data-closes="{span.closes.isoformat()}" '
        f'x="{left}" y="{top}" width="{round(right - left, 2)}" height="{LANE_HEIGHT / 2 - 3}" '
        f'fill="{colour}" fill-opacity="0.7" stroke="{colour}">'
        f"<title>{escape(span.label)}: {_shown(span.opens)} to {_shown(span.closes)} "
        "(first instant out of time)</title></rect>"
    )


def _mark(mark: Mark, scale: _Scale, y: int) -> str:
    shape, colour, _ = MARK_STYLES[mark.kind]
    fill = LATE_COLOUR if mark.late else colour
    x, middle = scale.x(mark.at), y + LANE_HEIGHT / 2
    tip = f"{_shown(mark.at)} {mark.label}" + (f" (LATE: {mark.late})" if mark.late else "")
    classes = f"mark {mark.kind}" + (" late" if mark.late else "")
    return (
        f'<g class="{classes}" data-event-id="{mark.event_id}" data-at="{mark.at.isoformat()}" '
        f'data-x="{x}"><title>{escape(tip)}</title>'
        f"{_shape(shape, x, middle, fill, 6 if mark.late else 4.5, bool(mark.late))}</g>"
    )


def _shape(shape: str, x: float, y: float, fill: str, size: float, emphasised: bool) -> str:
    stroke = f'stroke="{"#7f0000" if emphasised else "#ffffff"}" stroke-width="1"'
    if shape == "circle":
        return f'<circle cx="{x}" cy="{y}" r="{size}" fill="{fill}" {stroke}/>'
    if shape == "square":
        return (
            f'<rect x="{x - size}" y="{y - size}" width="{2 * size}" height="{2 * size}" '
            f'fill="{fill}" {stroke}/>'
        )
    if shape == "cross":
        s = size
        return (
            f'<path d="M{x - s},{y - s} L{x + s},{y + s} M{x - s},{y + s} L{x + s},{y - s}" '
            f'stroke="{fill}" stroke-width="{3 if emphasised else 2}"/>'
        )
    points = {
        "diamond": [(0, -1.4), (1.2, 0), (0, 1.4), (-1.2, 0)],
        "triangle": [(0, -1.3), (1.2, 1), (-1.2, 1)],
        "star": [(0, -1.5), (0.45, -0.45), (1.5, -0.45), (0.7, 0.25), (1, 1.4), (0, 0.7),
                 (-1, 1.4), (-0.7, 0.25), (-1.5, -0.45), (-0.45, -0.45)],
    }[shape]  # fmt: skip
    drawn = " ".join(f"{round(x + dx * size, 2)},{round(y + dy * size, 2)}" for dx, dy in points)
    return f'<polygon points="{drawn}" fill="{fill}" {stroke}/>'


def _legend(top: int) -> Iterator[str]:
    yield f'<g class="legend"><text x="10" y="{top + 12}" font-weight="bold">Legend</text>'
    entries: list[str] = []
    for shape, colour, text in MARK_STYLES.values():
        entries.append(_shape(shape, 0, 0, colour, 4.5, False) + f"|{text}")
    for colour, text in SPAN_STYLES.values():
        entries.append(
            f'<rect x="-9" y="-5" width="18" height="10" fill="{colour}" fill-opacity="0.7"/>'
            f"|{text}"
        )
    entries.append(_shape("circle", 0, 0, LATE_COLOUR, 6, True) + "|late (too late: red)")
    entries.append(
        '<line x1="0" y1="-7" x2="0" y2="7" stroke="#000" stroke-dasharray="4 3"/>'
        "|milestone of the round's timetable"
    )
    for index, entry in enumerate(entries):
        shape, text = entry.rsplit("|", 1)
        column, row = index % 3, index // 3
        x, y = 20 + column * 520, top + 32 + row * 20
        yield (
            f'<g transform="translate({x} {y})">{shape}<text x="16" y="4">{escape(text)}</text></g>'
        )
    yield "</g>"


def html(timeline: Timeline) -> str:
    """A self-contained page: the SVG inline, and a list of what came too late."""
    late = [mark for mark in timeline.marks if mark.late]
    lanes = {lane.key: lane.title for lane in timeline.lanes}
    rows = "\n".join(
        f"<tr><td>{_shown(m.at)}</td><td>{escape(lanes[m.lane])}</td>"
        f"<td>{escape(m.label)}</td><td>{escape(m.late or '')}</td></tr>"
        for m in late
    )
    table = (
        "<table><thead><tr><th>when (Europe/Amsterdam)</th><th>lane</th><th>event</th>"
        f"<th>why late</th></tr></thead><tbody>\n{rows}\n</tbody></table>"
        if late
        else "<p>Nothing came too late.</p>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(_heading(timeline))}</title>"
        "<style>body{font-family:sans-serif;margin:1em}svg{max-width:100%;height:auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;"
        "text-align:left}</style></head><body>\n"
        f"<h1>{escape(_heading(timeline))}</h1>\n"
        f"<p>{len(timeline.marks)} events drawn, {len(late)} too late; "
        f"{_period(timeline.starts, timeline.ends)}. Hover a mark for its event.</p>\n"
        f"{svg(timeline)}<h2>Too late</h2>\n{table}\n</body></html>\n"
    )


def _period(starts: datetime, ends: datetime) -> str:
    first: date = starts.astimezone(AMSTERDAM).date()
    last: date = ends.astimezone(AMSTERDAM).date()
    return f"from {first.isoformat()} to {last.isoformat()}"
