"""One base error the CLI catches; each subclass knows its exit code and what to do next.

Exit codes: 0 success; 1 the work failed (a migration failed, lint errors, not in sync,
another runner holds the lock); 2 usage or configuration error, bad migration file,
unreachable database.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class AudiFiDbError(Exception):
    """Base of every error audifi-db reports as one line."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def to_json(self) -> dict:
        return {"error": type(self).__name__, "message": self.message, "hint": self.hint}


class ConfigError(AudiFiDbError):
    """A setting, flag or environment variable is missing or wrong."""


class MigrationFileError(AudiFiDbError):
    """A migration file or the migrations folder is not usable."""


class SqlSyntaxError(MigrationFileError):
    """A migration's SQL does not parse."""

    def __init__(self, path: str, line: int, column: int, message: str) -> None:
        super().__init__(
            f"{path}:{line}:{column}: syntax error: {message}",
            "fix the SQL; nothing was applied",
        )
        self.path, self.line, self.column = path, line, column


class ConnectError(AudiFiDbError):
    """The database cannot be reached or refuses us."""


class RefusedError(AudiFiDbError):
    """The command is not allowed here (e.g. reset of production)."""


class PlanError(AudiFiDbError):
    """The history and the files disagree in a way deploy must not pass."""

    exit_code = EXIT_FAILED


class LockTimeout(AudiFiDbError):
    """Another runner holds the migration lock for longer than we wait."""

    exit_code = EXIT_FAILED


class LockLost(AudiFiDbError):
    """The migration lock's connection ended mid-run; the run stopped between migrations."""

    exit_code = EXIT_FAILED


class MigrationFailed(AudiFiDbError):
    """A statement of a migration failed on the server."""

    exit_code = EXIT_FAILED


class LintFailed(AudiFiDbError):
    """Unacknowledged error-level lint findings; `findings` holds the whole report."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, hint: str, findings: list) -> None:
        super().__init__(message, hint)
        self.findings = findings


class GitError(AudiFiDbError):
    """git is missing, the folder is not a repository, or a ref does not resolve."""
