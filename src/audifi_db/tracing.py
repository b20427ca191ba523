"""The library function behind `audifi-db lint --trace`: ground truth next to prediction.

Glue only: which migrations to trace and from which schema (lint.files for paths, the
history for pending migrations), the prediction (lint.trace, pure), the scratch database
and the observations (postgres.trace, the only part that runs SQL). Each unit of work gets
its own scratch database, dropped afterwards whatever happens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import discovery
from .config import Settings
from .errors import MigrationFailedError


@dataclass(frozen=True)
class _Job:
    setup: list[tuple[str, str, bool]]  # (path, sql, transactional), replayed first
    traced: list[tuple[str, str, bool]]


def trace(
    settings: Settings,
    paths: Sequence[str],
    server_version: int | None = None,
    new_since: str | None = None,
) -> list:
    """`lint.trace.Traced` for every statement of the migrations traced: the PATHs (each
    against the migrations before it in its folder), or the target's pending migrations
    (against the applied ones)."""
    from .operations import database_url
    from .postgres import catalog
    from .postgres.connect import connect

    url = database_url(settings)
    with connect(url, "audifi-db trace") as conn:
        jobs = _jobs_for_paths(paths, new_since) if paths else [_pending_job(settings, conn)]
        version = server_version or settings.lint.server_version or catalog.server_version(conn)
    return [traced for job in jobs for traced in _run(url, job, version)]


def _jobs_for_paths(paths: Sequence[str], new_since: str | None) -> list[_Job]:
    from .lint.files import units_for

    jobs = []
    for unit in units_for(paths):
        setup, traced = [], []
        for source in unit.sources:
            old = new_since is not None and source.version < new_since
            reported = not old and (unit.only is None or source.path in unit.only)
            (traced if reported or traced else setup).append(
                (source.path, source.sql, source.transactional)
            )
        jobs.append(_Job(setup, traced))
    return jobs


def _pending_job(settings: Settings, conn) -> _Job:
    from .operations.lint import pending_on

    pending = {m.path for m in pending_on(settings, conn)}
    migrations = discovery.discover(settings.migrations.dir)
    files = [(m.path, m.sql, m.transactional) for m in migrations if not m.is_python]
    return _Job([f for f in files if f[0] not in pending], [f for f in files if f[0] in pending])


def _run(url: str, job: _Job, version: int) -> list:
    from .errors import ServerError
    from .lint import trace as lint_trace
    from .lint.schema import Session
    from .postgres import trace as pg_trace
    from .postgres.connect import connect
    from .sql import parse

    with pg_trace.scratch_database(url) as scratch, connect(scratch, "audifi-db trace") as conn:
        for path, sql, transactional in job.setup:
            try:
                pg_trace.apply_setup(conn, [_traced_file(parse(sql, path), transactional)])
            except ServerError as error:
                raise MigrationFailedError(
                    f"{path}: cannot build the scratch schema the trace starts from: {error}",
                    "fix that migration, or trace from a folder whose migrations apply",
                ) from None
        # read after the setup, so that schemas it creates count in the search_path
        search_path, zone = conn.query_one(
            "SELECT current_schemas(false)::text[], current_setting('TimeZone')"
        )
        predictions = lint_trace.predict(
            [(p, sql) for p, sql, _ in job.setup],
            [(p, sql) for p, sql, _ in job.traced],
            version,
            Session(tuple(search_path), zone),
        )
        return _observe(conn, job, predictions)


def _observe(conn, job: _Job, predictions: list[list]) -> list:
    from .lint import trace as lint_trace
    from .postgres import trace as pg_trace

    results = []
    stopped = False
    for (path, sql, transactional), predicted in zip(job.traced, predictions, strict=True):
        observed: list = []
        if not stopped:
            file = _traced_file([p.statement for p in predicted], transactional)
            observed = pg_trace.trace_file(conn, file)
            stopped = len(observed) < len(predicted) or any(o.error for o in observed)
        compared = [
            lint_trace.compare(path, prediction, observed[i] if i < len(observed) else None)
            for i, prediction in enumerate(predicted)
        ]
        results += lint_trace.acknowledge(path, sql, compared)
    return results


def _traced_file(statements: list, transactional: bool):
    from .postgres import trace as pg_trace
    from .sql import no_transaction_reason

    outside = [no_transaction_reason(s) is not None for s in statements]
    return pg_trace.TracedFile([s.text for s in statements], transactional, outside)
