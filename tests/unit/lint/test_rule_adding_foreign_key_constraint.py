from lint_helpers import assert_lint_errors, assert_lint_ok, lint_last

RULE = "adding-foreign-key-constraint"


def test_validated_foreign_key():
    [hit] = assert_lint_errors(
        "ALTER TABLE tracks ADD CONSTRAINT tracks_artist_fk "
        "FOREIGN KEY (artist_id) REFERENCES artists (id);",
        RULE,
    )
    assert hit.lock == "SHARE ROW EXCLUSIVE on tracks; SHARE ROW EXCLUSIVE on artists"
    assert "NOT VALID" in hit.recipe and "VALIDATE CONSTRAINT tracks_artist_fk" in hit.recipe


def test_references_in_add_column_checks_only_with_a_default():
    assert_lint_ok("ALTER TABLE tracks ADD COLUMN label_id int REFERENCES labels (id);")
    assert_lint_errors(
        "ALTER TABLE tracks ADD COLUMN label_id int DEFAULT 1 REFERENCES labels (id);", RULE
    )


def test_not_valid_is_ok():
    assert_lint_ok(
        "ALTER TABLE tracks ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES artists (id) NOT VALID;"
    )


def test_new_table_is_ok():
    assert_lint_ok(
        "CREATE TABLE t (a int REFERENCES artists (id));"
        "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES artists (id);"
    )


def test_a_key_from_an_existing_table_to_a_new_one_still_scans_the_existing_table():
    """New in this run is the referenced table, not the one scanned: still an error."""
    tracks = "CREATE TABLE tracks (id bigint PRIMARY KEY, label_id bigint);"
    labels = "CREATE TABLE labels (id bigint PRIMARY KEY);"
    key = "ALTER TABLE tracks ADD CONSTRAINT f FOREIGN KEY (label_id) REFERENCES labels (id);"
    [hit] = [f for f in lint_last(tracks, labels + key) if f.rule == RULE]
    assert hit.message.startswith("the foreign key to labels scans tracks")
    assert lint_last(labels + tracks, key, new=True) == []  # both new in this run
