"""`lint --trace`: ground truth on a scratch database, compared with the prediction.

Every statement of `trace_corpus/` (most statement kinds the linter knows) and of AudiFi's
own migrations must be confirmed: a mismatch here is a bug in the linter's lock tables."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO, admin_execute, query

from audifi_db.config import load_settings
from audifi_db.tracing import trace

CORPUS = Path(__file__).parent / "trace_corpus"


def _scratch_databases(url: str) -> set[str]:
    return {
        name
        for (name,) in query(
            url, "SELECT datname FROM pg_database WHERE datname LIKE %s", ("audifi_trace_%",)
        )
    }


def _trace(db_url: str, root: Path, *paths: str) -> list:
    settings = load_settings("local", db_url, cwd=root, environ={})
    return trace(settings, list(paths))


def test_every_statement_of_the_corpus_is_confirmed(db_url, tmp_path):
    folder = tmp_path / "db" / "migrations"
    shutil.copytree(CORPUS, folder)
    before = _scratch_databases(db_url)
    traced = _trace(db_url, tmp_path, str(folder))
    assert len(traced) == sum(1 for p in CORPUS.glob("*.sql") for _ in p.open()) - 1  # - directive
    assert [t.differences for t in traced if t.verdict != "confirmed"] == []
    assert _scratch_databases(db_url) == before  # dropped afterwards
    rewrites = {t.prediction.statement.text.split()[-1] for t in traced if t.observed.rewritten}
    assert {"LOGGED", "UNLOGGED", "tracks_pkey", "bigint", "track_counts"} <= rewrites


def test_audifi_migrations_are_confirmed(db_url):
    traced = _trace(db_url, REPO, str(REPO / "db" / "migrations"))
    assert traced and [t.differences for t in traced if t.verdict != "confirmed"] == []


def test_a_failing_statement_stops_the_trace_and_the_scratch_database_is_dropped(db_url, tmp_path):
    folder = tmp_path / "db" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20260101000000_a.sql").write_text("CREATE TABLE a (n int);\n")
    (folder / "20260102000000_b.sql").write_text(
        "ALTER TABLE a ADD COLUMN m int;\nALTER TABLE nope ADD COLUMN x int;\nSELECT 1;\n"
    )
    before = _scratch_databases(db_url)
    traced = _trace(db_url, tmp_path, str(folder / "20260102000000_b.sql"))
    assert [t.verdict for t in traced] == ["confirmed", "failed", "not run"]
    assert traced[1].finding.rule == "trace-statement-failed"
    assert 'relation "nope" does not exist' in traced[1].finding.message
    assert _scratch_databases(db_url) == before


def test_the_trace_runs_with_the_targets_time_zone_and_search_path(db_url, tmp_path):
    """timestamp -> timestamptz rewrites the table unless the session's time zone is UTC."""
    database = db_url.rsplit("/", 1)[1]
    admin_execute(db_url, f"ALTER DATABASE \"{database}\" SET TimeZone = 'Europe/Paris'")
    admin_execute(db_url, f'ALTER DATABASE "{database}" SET search_path = app, public')
    folder = tmp_path / "db" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20260101000000_a.sql").write_text(
        "CREATE SCHEMA app;\nCREATE TABLE plays (at timestamp);\n"
    )
    (folder / "20260102000000_b.sql").write_text("ALTER TABLE plays ALTER at TYPE timestamptz;\n")
    traced = _trace(db_url, tmp_path, str(folder / "20260102000000_b.sql"))
    assert [(t.verdict, t.observed.rewritten) for t in traced] == [("confirmed", ("app.plays",))]


def test_cli_trace(project):
    project.write("20260101000000", "plays", "CREATE TABLE plays (n integer);\n")
    project.write("20260102000000", "grow", "ALTER TABLE plays ALTER n TYPE bigint;\n")
    result = project.cli("lint", "--trace", "db/migrations")
    assert result.returncode == 0, result.stderr
    assert "db/migrations/20260102000000_grow.sql:1: confirmed" in result.stdout
    assert "ACCESS EXCLUSIVE on public.plays; rewrites public.plays" in result.stdout
    assert result.stdout.rstrip().endswith("2 confirmed, 0 mismatch, 0 failed, 0 not run")
    assert "tracing on a scratch database next to" in result.stderr


def test_trace_findings_are_annotations_and_an_allow_acknowledges_them(project):
    project.write("20260101000000", "plays", "CREATE TABLE plays (n integer);\n")
    failing = project.write(
        "20260102000000", "stats", "ALTER TABLE plays ADD m int;\nCREATE EXTENSION nope_ext;\n"
    )
    result = project.cli("lint", "--trace", "--format", "github", "db/migrations")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "::error file=db/migrations/20260102000000_stats.sql,line=2,col=1,"
        "title=trace-statement-failed::"
    )
    assert lines[1:] == ["2 confirmed, 0 mismatch, 1 failed, 0 not run"]

    failing.write_text(
        "ALTER TABLE plays ADD m int;\n"
        "-- audifi-db: allow trace-statement-failed installed by the platform team\n"
        "CREATE EXTENSION nope_ext;\n"
    )
    result = project.cli("lint", "--trace", "--format", "github", "db/migrations")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("::notice file=db/migrations/20260102000000_stats.sql,line=3,")
    assert "(acknowledged: installed by the platform team)" in result.stdout
    text = project.cli("lint", "--trace", "db/migrations").stdout
    assert "3: failed    CREATE EXTENSION nope_ext (acknowledged:" in text
    static = project.cli("lint", "db/migrations")  # the static lint leaves the allow to --trace
    assert static.returncode == 0 and "unused-allow" not in static.stdout, static.stdout


def test_a_trace_allow_with_nothing_to_acknowledge_is_reported(project):
    project.write(
        "20260101000000",
        "plays",
        "-- audifi-db: allow trace-mismatch the table is new anyway\n"
        "CREATE TABLE plays (n integer);\n",
    )
    result = project.cli("lint", "--trace", "--format", "github", "db/migrations")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(
        "::warning file=db/migrations/20260101000000_plays.sql,line=1,col=1,title=unused-allow::"
        "no trace-mismatch finding on the next statement"
    )
    text = project.cli("lint", "--trace", "db/migrations").stdout
    assert "    warning unused-allow: no trace-mismatch finding on the next statement" in text
