"""Inline SVG charts for the HTML report: no script, no external file, prints as drawn."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import HistoryRow
from .markup import Html, duration, esc, tag

STATE_COLOURS = {
    "applied": "#2e7d32",
    "baselined": "#607d8b",
    "failed": "#c62828",
    "in_progress": "#ef6c00",
    "rolled_back": "#6d4c41",
}
ROW_HEIGHT, LABEL_WIDTH, WIDTH = 22, 330, 820


def timeline(rows: Sequence[HistoryRow]) -> Html:
    """One bar per attempt, newest first: when and which migration, the bar as long as it
    took (against the longest shown), coloured by how it ended; runs separated by a rule."""
    if not rows:
        return Html("")
    longest = max((row.duration_ms or 0) for row in rows) or 1
    room = WIDTH - LABEL_WIDTH - 140  # the duration and state are written after the bar
    parts: list[Html] = []
    previous_run = rows[0].run_id
    for i, row in enumerate(rows):
        y = i * ROW_HEIGHT
        if row.run_id != previous_run:
            parts.append(
                tag("line", x1=0, x2=WIDTH, y1=y, y2=y, stroke="#bbb", stroke_dasharray="4 3")
            )
            previous_run = row.run_id
        when = row.started_at.strftime("%m-%d %H:%M:%S") if row.started_at else ""
        label = f"{when}  {row.version}_{row.name}"
        label = label if len(label) <= 48 else label[:47] + "…"
        width = max(2, round((row.duration_ms or 0) / longest * room))
        colour = STATE_COLOURS.get(row.state.value, "#999")
        title = f"{row.version}_{row.name}: {row.state.value}, {duration(row.duration_ms)}"
        parts += [
            tag("text", label, x=0, y=y + 15, class_="label"),
            tag(
                "rect",
                tag("title", title),
                x=LABEL_WIDTH,
                y=y + 4,
                width=width,
                height=14,
                fill=colour,
            ),
            tag(
                "text",
                f"{duration(row.duration_ms)} {row.state.value}",
                x=LABEL_WIDTH + width + 6,
                y=y + 15,
            ),
        ]
    height = len(rows) * ROW_HEIGHT + 4
    return tag(
        "svg",
        *parts,
        xmlns="http://www.w3.org/2000/svg",
        width=WIDTH,
        height=height,
        viewBox=f"0 0 {WIDTH} {height}",
        role="img",
        aria_label=esc(f"durations of the {len(rows)} most recent attempts"),
        class_="timeline",
    )
