"""Report formats: text with the offending part marked, exact JSON keys, GitHub annotations."""

import json

from lint_helpers import lint

from audifi_db.lint import report
from audifi_db.lint.engine import explain_source

SQL = "SELECT 1;\nALTER TABLE users\n  ADD COLUMN plan text NOT NULL;\n"


def test_json_keys_are_exact_and_positions_one_based():
    [item] = json.loads(report.render(lint(SQL), "json"))
    assert set(item) == {
        "rule",
        "severity",
        "file",
        "line",
        "column",
        "message",
        "lock",
        "recipe",
        "acknowledged",
    }
    assert (item["rule"], item["severity"], item["line"], item["column"]) == (
        "adding-required-column",
        "error",
        2,
        1,
    )
    assert item["lock"] == "ACCESS EXCLUSIVE on users"
    assert item["acknowledged"] is False


def test_json_of_nothing_is_an_empty_list():
    assert json.loads(report.render([], "json")) == []


def test_github_annotation_format():
    [line] = report.render(lint(SQL), "github").splitlines()
    assert line.startswith("::error file=m.sql,line=2,col=1,title=adding-required-column::")
    assert "%0Alock: ACCESS EXCLUSIVE on users%0A" in line


def test_github_acknowledged_is_a_notice_and_properties_are_escaped():
    findings = lint("-- audifi-db: allow dropping-table gone since 2026.10\nDROP TABLE a;")
    [finding] = findings
    line = report.github([finding._replace(file="a,b:c.sql")])
    assert line.startswith("::notice file=a%2Cb%3Ac.sql,")


def test_text_marks_the_offending_part_and_shows_the_recipe():
    out = report.render(lint(SQL), "text")
    assert out.splitlines()[0].startswith("m.sql:2:1: error adding-required-column: ")
    assert "  2 | ALTER TABLE users\n  3 |   ADD COLUMN plan text NOT NULL\n    |" in out
    marker = out.splitlines()[3]
    assert marker.index("^") == out.splitlines()[2].index("plan")
    assert "  lock: ACCESS EXCLUSIVE on users" in out
    assert "ALTER TABLE users ADD COLUMN plan text;" in out
    assert out.endswith("1 error(s), 0 warning(s), 0 acknowledged")


def test_explain_lists_locks_rewrites_and_scans():
    explained = explain_source(
        "m.sql",
        "ALTER TABLE tracks ALTER COLUMN d TYPE bigint;\nSELECT 1;\n"
        "CREATE INDEX CONCURRENTLY i ON tracks (a);\n"
        "ALTER TABLE tracks ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES artists (id);",
    )
    out = report.explain_files([("m.sql", explained)])
    assert "m.sql:1: ALTER TABLE tracks ALTER COLUMN d TYPE bigint\n" in out
    assert "    ACCESS EXCLUSIVE on tracks  (rewrites the table)" in out
    assert "m.sql:2: SELECT 1\n    no table lock" in out
    assert "    knows: tracks: not in the model" in out
    assert "    SHARE UPDATE EXCLUSIVE on tracks  (scans the table)" in out
    assert "    SHARE ROW EXCLUSIVE on artists" in out
    [first, *_] = json.loads(report.explain_files([("m.sql", explained)], "json"))
    assert first["locks"] == [
        {"relation": "tracks", "mode": "ACCESS EXCLUSIVE", "rewrite": True, "scan": True}
    ]
