"""GitHub Actions' formats: workflow-command annotations and the job summary's Markdown tables.

Pure code: each function returns a string; the CLI prints it or appends it to the summary.
"""

from __future__ import annotations


def annotation(
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    title: str = "audifi-db",
    level: str = "error",
) -> str:
    """`::error file=…,line=…,title=…::message` (or `::warning`), escaped as the runner
    expects."""
    properties = [f"file={_property(file)}", f"line={line or 1}"] if file else []
    properties.append(f"title={_property(title)}")
    return f"::{level} {','.join(properties)}::{_data(message)}"


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def table(header: list[str], rows: list[list[str]], title: str) -> str:
    """A `### title` and a Markdown table (or `None.`); cells are escaped."""
    if not rows:
        return f"### {title}\n\nNone."
    lines = [f"### {title}", "", _row(header), "|" + "---|" * len(header)]
    lines += [_row(row) for row in rows]
    return "\n".join(lines)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cell(c) for c in cells) + " |"


def cell(text: str) -> str:
    """Text safe inside a table cell: pipes escaped, newlines as <br>."""
    return str(text).replace("|", "\\|").replace("\n", "<br>")


def code(text: str) -> str:
    """Inline code, in a table cell too (a backtick inside is dropped)."""
    return f"`{text.replace('`', '')}`"
