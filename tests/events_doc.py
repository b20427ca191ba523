"""docs/events.md read back: the fields it documents for each event."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "events.md"
COMMON = {"schema", "event", "at", "target"}


def documented() -> dict[str, set[str]]:
    """Event name -> the fields its table lists (the common fields excluded)."""
    sections = re.split(r"^## ", DOC.read_text(), flags=re.M)
    result = {}
    for section in sections:
        heading, _, body = section.partition("\n")
        match = re.fullmatch(r"`(\w+)`", heading.strip())
        if match:
            rows = re.findall(r"^\| (\w+) \|", body, flags=re.M)
            result[match[1]] = {row for row in rows if row != "field"}
    return result


def check_line(line: dict) -> None:
    """A JSON line printed by a run has exactly the documented fields of its event."""
    fields = documented()
    assert line["event"] in fields, f"{line['event']} is not in docs/events.md"
    assert set(line) == COMMON | fields[line["event"]], line["event"]
