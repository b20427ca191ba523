"""Predictions that are not type changes, checked against the real server."""

from __future__ import annotations

import pytest
from conftest import query

from audifi_db.lint.engine import explain_source, replay_source
from audifi_db.lint.schema import SchemaModel

SETUP = (
    "CREATE TABLE labels (id int PRIMARY KEY);\n"
    "CREATE TABLE tracks (id int, label int);\n"
    "INSERT INTO tracks SELECT i, NULL FROM generate_series(1, 1000) i;\n"
)


@pytest.mark.parametrize(
    "alter",
    [
        "ALTER TABLE tracks ADD COLUMN label_id int REFERENCES labels (id)",
        "ALTER TABLE tracks ADD CONSTRAINT tracks_label_fk FOREIGN KEY (label) REFERENCES labels (id)",
        "ALTER TABLE tracks ADD COLUMN label_id int DEFAULT NULL REFERENCES labels (id)",
    ],
)
def test_foreign_key_scans_as_predicted(db_url, alter):
    query(db_url, SETUP + "SELECT 1")
    [[read]] = query(
        db_url,
        f"BEGIN; {alter}; SELECT seq_tup_read FROM pg_stat_xact_user_tables "
        "WHERE relname = 'tracks'",
    )
    schema = SchemaModel()
    replay_source("setup.sql", SETUP, schema)
    [explained] = explain_source("m.sql", alter, 150000, schema=schema)
    assert explained.effects[0].scan == (read >= 1000)
