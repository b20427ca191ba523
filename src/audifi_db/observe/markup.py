"""Building HTML safely: every value is escaped unless it is `Html` (markup we built)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence


class Html(str):
    """Markup built here from escaped parts: not escaped again."""


def esc(value: object) -> Html:
    """`value` as HTML text: escaped, unless it already is markup."""
    if isinstance(value, Html):
        return value
    return Html(html.escape("" if value is None else str(value), quote=True))


def tag(name: str, *children: object, **attributes: object) -> Html:
    """`<name attr="…">children</name>`; `class_` stands for `class`."""
    attrs = "".join(
        f' {key.rstrip("_").replace("_", "-")}="{esc(value)}"'
        for key, value in attributes.items()
        if value is not None
    )
    return Html(f"<{name}{attrs}>{''.join(esc(c) for c in children)}</{name}>")


def join(parts: Iterable[object], separator: str = "") -> Html:
    return Html(esc(separator).join(esc(p) for p in parts))


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], empty: str = "") -> Html:
    """A table, or the `empty` sentence when there are no rows."""
    body = [tag("tr", *(tag("td", cell) for cell in row)) for row in rows]
    if not body:
        return tag("p", empty, class_="empty") if empty else Html("")
    head = tag("thead", tag("tr", *(tag("th", h) for h in headers)))
    return tag("table", head, tag("tbody", *body))


def size(n: int | None) -> str:
    """Bytes for humans: 16 kB, 1.2 MB."""
    if n is None:
        return "?"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} B"


def duration(ms: int | None) -> str:
    if ms is None:
        return "?"
    return f"{ms} ms" if ms < 1000 else f"{ms / 1000:.1f} s"
