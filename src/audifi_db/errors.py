"""One base error the CLI catches; each subclass knows its exit code and what to do next.

One exception type per failure, all here. Exit codes: 0 success; 1 the work failed (a
migration failed, lint errors, not in sync, a guard refused the run, `reset` refused by a
schema it cannot account for, another runner holds the lock); 2 usage or configuration
error, bad migration file, unreachable database; 130 interrupted.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class AudiFiDbError(Exception):
    """Base of every error audifi-db reports as one line: what and where, then what to do."""

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


class UsageError(ConfigError):
    """The command line is wrong: an unknown command, flag or argument."""


class ToolError(ConfigError):
    """A client program (pg_dump, pg_restore) is missing, too old for the server, or failed."""


class MigrationFileError(AudiFiDbError):
    """A migration file or the migrations folder is not usable."""


class SqlSyntaxError(MigrationFileError):
    """A migration's SQL does not parse."""

    def __init__(self, path: str, line: int, column: int, message: str) -> None:
        super().__init__(f"{path}:{line}:{column}: {message}", "fix the SQL; nothing was applied")
        self.path, self.line, self.column = path, line, column


class ConnectError(AudiFiDbError):
    """The database cannot be reached, refuses us, or the connection was lost."""


LOCK_NOT_AVAILABLE = "55P03"  # SQLSTATE of a statement cancelled by lock_timeout


class ServerError(AudiFiDbError):
    """A statement failed on the server: SQLSTATE, message, detail, hint, position (1-based).

    The runner turns one raised by a migration's statement into a failed step; raised by
    audifi-db's own queries (history, lock, catalog), it is reported as it is.
    """

    def __init__(
        self,
        sqlstate: str,
        message: str,
        detail: str | None = None,
        hint: str | None = None,
        position: int | None = None,
    ) -> None:
        self.sqlstate, self.detail, self.server_hint, self.position = (
            sqlstate,
            detail,
            hint,
            position,
        )
        parts = [message, f"DETAIL: {detail}" if detail else "", f"HINT: {hint}" if hint else ""]
        self.server_message = " ".join(p for p in parts if p)
        super().__init__(
            f"the server refused: {self.server_message} [SQLSTATE {sqlstate}]",
            "check the database role's privileges and the history table "
            "(`audifi-db status` shows what applied)",
        )

    def __str__(self) -> str:
        return self.server_message


class RefusedError(AudiFiDbError):
    """The command is not allowed here (e.g. reset of production)."""


class PlanError(AudiFiDbError):
    """The history and the files disagree in a way deploy must not pass."""

    exit_code = EXIT_FAILED


class ResetRefusedError(AudiFiDbError):
    """`reset` found a schema neither the settings nor the migrations account for: it cannot
    tell whether re-applying the migrations would collide with it. Nothing was dropped."""

    exit_code = EXIT_FAILED


class GuardRefusedError(AudiFiDbError):
    """A guard stopped the run before its first migration; nothing was applied."""

    exit_code = EXIT_FAILED


class LintFailedError(GuardRefusedError):
    """Unacknowledged error-level lint findings; `findings` holds the whole report."""

    def __init__(self, message: str, hint: str, findings: list) -> None:
        super().__init__(message, hint)
        self.findings = findings


class LockTimeoutError(AudiFiDbError):
    """Another runner holds the migration lock for longer than we wait."""

    exit_code = EXIT_FAILED


class LockLostError(AudiFiDbError):
    """The migration lock's connection ended mid-run; the run stopped between migrations."""

    exit_code = EXIT_FAILED


class MigrationFailedError(AudiFiDbError):
    """A statement of a migration failed on the server; the history records where."""

    exit_code = EXIT_FAILED


class LockDeadlineError(MigrationFailedError):
    """A migration's statements kept timing out on locks until `[online]
    retry_deadline_seconds` ran out; what it did is rolled back (or, for a no-transaction
    migration, recorded, and the next deploy resumes at the blocked statement)."""


class PythonMigrationError(AudiFiDbError):
    """A Python migration's own code raised, or used `ctx` wrongly (not a statement the
    server refused): recorded as the migration's failure, like a server error."""

    exit_code = EXIT_FAILED
    sqlstate = ""
    position = None


class InterruptedRunError(AudiFiDbError):
    """Ctrl-C (SIGINT) stopped a run; the running statement was cancelled and recorded."""

    exit_code = EXIT_INTERRUPTED


class BackupFailedError(GuardRefusedError):
    """A backup could not be taken (or stored); a deploy that needed it applied nothing.
    The message names what failed and the partial file that was removed."""


class RestoreRefusedError(AudiFiDbError):
    """A restore was not allowed: a protected environment without the right `--confirm`,
    or a backup whose file does not match its manifest. Nothing was changed."""

    exit_code = EXIT_FAILED


class RestoreFailedError(AudiFiDbError):
    """pg_restore or psql failed during a restore; its transaction was not committed."""

    exit_code = EXIT_FAILED


class GitError(AudiFiDbError):
    """git is missing, the folder is not a repository, or a ref does not resolve."""
