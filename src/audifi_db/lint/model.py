"""Values of the linter: severities, what a rule reports (`Hit`) and the finding a user sees."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .schema import Table


class Severity(StrEnum):
    """`error` blocks traffic or breaks old code (exit 1); `warning` is worth a look."""

    ERROR = "error"
    WARNING = "warning"


class Hit(NamedTuple):
    """What a rule found in one statement, before the engine adds the file and position.

    `at` is the byte location (pglast's `location`) of the offending part, when known;
    `lock` empty means "the statement's locks", as `locks.effects` describes them. `table`
    (a `schema.Table`) is the table whose lock or rewrite the hit is about: the engine adds
    its size to the message, and a table of a few hundred rows makes an error a warning.
    """

    message: str
    recipe: str
    at: int | None = None
    lock: str = ""
    severity: Severity | None = None
    table: Table | None = None


class Finding(NamedTuple):
    """One problem at one place; `acknowledged` by an allow comment with its `reason`."""

    rule: str
    severity: Severity
    file: str
    line: int
    column: int
    message: str
    lock: str = ""
    recipe: str = ""
    acknowledged: bool = False
    reason: str = ""
    statement: str = ""
    mark: tuple[int, int] | None = None

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.ERROR and not self.acknowledged

    def to_json(self) -> dict:
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "lock": self.lock,
            "recipe": self.recipe,
            "acknowledged": self.acknowledged,
        }
